;; ReLU6 (a Relu, then a clip to [0, 6], in tfjs layers) and other clips, forward and gradient,
;; each one SIMD pass over elements [e0, e1); lo and hi come as the bits of f32s.
;; clamp: out = min(max(x, lo), hi) with NaN kept, as the cpu backend computes it: with IEEE
;; min and max for Relu and Relu6 (-0 becomes +0, as Math.max(0, -0)), and as ClipByValue's
;; comparisons (x < lo ? lo : x > hi ? hi : x, -0 kept) when $ieee is 0.
;; clip_grad: out = dy where lo <= x <= hi, else +0 (NaN x included), exactly as tfjs's
;; where(logicalAnd(x >= lo, x <= hi), dy, zerosLike(dy)) computes it in five passes: the
;; comparison mask is ANDed with dy's bits.
;;
;; The build writes two binaries: this one (shared memory, for the threaded tfjs build) and one
;; whose memory import is not shared (the single-threaded build).
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "clip_grad") (param $dy i32) (param $x i32) (param $out i32) (param $e0 i32) (param $e1 i32)
                             (param $loBits i32) (param $hiBits i32)
    (local $p i32) (local $end i32) (local $vectorEnd i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $s f32) (local $slo f32) (local $shi f32)
    (local.set $slo (f32.reinterpret_i32 (local.get $loBits)))
    (local.set $shi (f32.reinterpret_i32 (local.get $hiBits)))
    (local.set $lo (f32x4.splat (local.get $slo)))
    (local.set $hi (f32x4.splat (local.get $shi)))
    (local.set $p (i32.shl (local.get $e0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $e1) (i32.const 2)))
    (local.set $vectorEnd (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const 15))))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vectorEnd)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $p))))
        (v128.store (i32.add (local.get $out) (local.get $p))
          (v128.and (v128.load (i32.add (local.get $dy) (local.get $p)))
                    (v128.and (f32x4.ge (local.get $v) (local.get $lo)) (f32x4.le (local.get $v) (local.get $hi)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $singles
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $p))))
        (f32.store (i32.add (local.get $out) (local.get $p))
          (select (f32.load (i32.add (local.get $dy) (local.get $p))) (f32.const 0)
                  (i32.and (f32.ge (local.get $s) (local.get $slo)) (f32.le (local.get $s) (local.get $shi)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $singles))))

  (func (export "clamp") (param $x i32) (param $out i32) (param $e0 i32) (param $e1 i32) (param $loBits i32) (param $hiBits i32)
                         (param $ieee i32)
    (local $p i32) (local $end i32) (local $vectorEnd i32) (local $lo v128) (local $hi v128) (local $slo f32) (local $shi f32)
    (local $v v128) (local $s f32)
    (local.set $slo (f32.reinterpret_i32 (local.get $loBits)))
    (local.set $shi (f32.reinterpret_i32 (local.get $hiBits)))
    (local.set $lo (f32x4.splat (local.get $slo)))
    (local.set $hi (f32x4.splat (local.get $shi)))
    (local.set $p (i32.shl (local.get $e0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $e1) (i32.const 2)))
    (local.set $vectorEnd (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const 15))))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vectorEnd)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $p))))
        ;; pmax(v, lo) = v < lo ? lo : v and pmin(v, hi) = hi < v ? hi : v: NaN stays NaN, -0 stays -0
        (v128.store (i32.add (local.get $out) (local.get $p))
          (if (result v128) (local.get $ieee)
            (then (f32x4.min (f32x4.max (local.get $v) (local.get $lo)) (local.get $hi)))
            (else (f32x4.pmin (f32x4.pmax (local.get $v) (local.get $lo)) (local.get $hi)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $singles
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $p))))
        (f32.store (i32.add (local.get $out) (local.get $p))
          (if (result f32) (local.get $ieee)
            (then (f32.min (f32.max (local.get $s) (local.get $slo)) (local.get $shi)))
            (else (call $clampOne (local.get $s) (local.get $slo) (local.get $shi)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $singles))))

  ;; v < lo ? lo : (hi < v ? hi : v), as one lane of clamp.
  (func $clampOne (param $v f32) (param $lo f32) (param $hi f32) (result f32)
    (select (local.get $lo)
            (select (local.get $hi) (local.get $v) (f32.lt (local.get $hi) (local.get $v)))
            (f32.lt (local.get $v) (local.get $lo))))
)

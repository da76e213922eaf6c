;; ReLU's gradient in one pass, over elements [e0, e1): out = dy * step(x), with step(x) = 1
;; where x > 0, 0 where x <= 0, NaN where x is NaN, exactly as tfjs computes it (signed zeros
;; included) in three passes and a cast.
;;
;; The build writes two binaries: this one (shared memory, for the threaded tfjs build) and one
;; whose memory import is not shared (the single-threaded build).
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "relu_grad") (param $dy i32) (param $x i32) (param $out i32) (param $e0 i32) (param $e1 i32)
    (local $p i32) (local $end i32) (local $vectorEnd i32) (local $v v128) (local $s f32)
    (local.set $p (i32.shl (local.get $e0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $e1) (i32.const 2)))
    (local.set $vectorEnd (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const 15))))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vectorEnd)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $p))))
        ;; step: 1.0 where x > 0, x itself (NaN) where x is NaN, else 0
        (v128.store (i32.add (local.get $out) (local.get $p))
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $p)))
            (v128.or (v128.and (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1))
                     (v128.and (local.get $v) (f32x4.ne (local.get $v) (local.get $v))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $singles
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $p))))
        (f32.store (i32.add (local.get $out) (local.get $p))
          (f32.mul (f32.load (i32.add (local.get $dy) (local.get $p)))
            (if (result f32) (f32.gt (local.get $s) (f32.const 0))
              (then (f32.const 1))
              (else (if (result f32) (f32.ne (local.get $s) (local.get $s)) (then (local.get $s)) (else (f32.const 0)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $singles))))
)

;; Per-channel passes of batch normalization's training step over x laid out [rows][C]
;; (4 channels a SIMD vector, the last C mod 4 one at a time), each over rows [r0, r1) so that
;; threads can take row ranges:
;;   sums:           out[c] = sum of x[m][c]
;;   sq_dev_sums:    out[c] = sum of (x[m][c] - mean[c])^2
;;   grad_sums:      out[c] = sum of dy[m][c], out[C + c] = sum of dy[m][c] * (x[m][c] - mean[c])
;;   affine:         y[m][c] = x[m][c] * a[c] + b[c]                   (coef: a, then b)
;;   affine2:        y[m][c] = x[m][c] * a[c] + dy[m][c] * b[c] + d[c]  (coef: a, b, d)
;; Sums go by blocks of BLOCK rows into a block total that is then added to the result, which
;; keeps float32 rounding near that of a pairwise sum. The result is overwritten; its block
;; and the scratch block need room for 3 floats more than their C (or 2C) floats.
;;
;; The build writes two binaries: this one (shared memory, for the threaded tfjs build) and one
;; whose memory import is not shared (the single-threaded build).
(module
  (import "env" "memory" (memory 1 65536 shared))

  (global $BLOCK i32 (i32.const 64))

  ;; out[0..C) = 0
  (func $zero (param $out i32) (param $C i32)
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $C) (i32.const 2))))

  ;; out[c] += block[c], block[c] = 0
  (func $flush (param $block i32) (param $out i32) (param $C i32)
    (local $c i32)
    (local.set $c (i32.const 0))
    (block $done
      (loop $channels
        (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
        (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (v128.load (local.get $block))))
        (v128.store (local.get $block) (v128.const f32x4 0 0 0 0))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $block (i32.add (local.get $block) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $channels))))

  ;; The shared loop of the sums: for each row, $kind adds one row's terms to the block total(s)
  ;; at $scratch (C floats a total; grad_sums keeps two), flushed into $out every BLOCK rows.
  ;; kind 0: x; 1: (x - mean)^2; 2: dy and dy * (x - mean).
  (func $sums (param $kind i32) (param $x i32) (param $dy i32) (param $mean i32) (param $r0 i32) (param $r1 i32)
              (param $C i32) (param $out i32) (param $scratch i32)
    (local $row i32) (local $c i32) (local $xp i32) (local $dp i32) (local $bp i32) (local $mp i32)
    (local $stride i32) (local $totals i32) (local $inBlock i32) (local $v v128) (local $d v128) (local $s f32) (local $t f32)
    (local.set $stride (i32.shl (local.get $C) (i32.const 2)))
    (local.set $totals (select (i32.const 2) (i32.const 1) (i32.eq (local.get $kind) (i32.const 2))))
    (call $zero (local.get $out) (i32.mul (local.get $C) (local.get $totals)))
    (call $zero (local.get $scratch) (i32.mul (local.get $C) (local.get $totals)))
    (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $r0) (local.get $stride))))
    (local.set $dp (i32.add (local.get $dy) (i32.mul (local.get $r0) (local.get $stride))))
    (local.set $row (local.get $r0))
    (local.set $inBlock (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $r1)))
        (local.set $c (i32.const 0))
        (local.set $bp (local.get $scratch))
        (local.set $mp (local.get $mean))
        (block $channelsDone
          (loop $channels
            (br_if $channelsDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $C)))
            (local.set $v (v128.load (i32.add (local.get $xp) (i32.shl (local.get $c) (i32.const 2)))))
            (if (i32.eqz (local.get $kind))
              (then (v128.store (local.get $bp) (f32x4.add (v128.load (local.get $bp)) (local.get $v))))
              (else
                (local.set $v (f32x4.sub (local.get $v) (v128.load (local.get $mp))))
                (if (i32.eq (local.get $kind) (i32.const 1))
                  (then (v128.store (local.get $bp) (f32x4.add (v128.load (local.get $bp)) (f32x4.mul (local.get $v) (local.get $v)))))
                  (else
                    (local.set $d (v128.load (i32.add (local.get $dp) (i32.shl (local.get $c) (i32.const 2)))))
                    (v128.store (local.get $bp) (f32x4.add (v128.load (local.get $bp)) (local.get $d)))
                    (v128.store (i32.add (local.get $bp) (local.get $stride))
                      (f32x4.add (v128.load (i32.add (local.get $bp) (local.get $stride))) (f32x4.mul (local.get $d) (local.get $v))))))))
            (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
            (local.set $mp (i32.add (local.get $mp) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $channels)))
        ;; the last C mod 4 channels, one at a time
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $s (f32.load (i32.add (local.get $xp) (i32.shl (local.get $c) (i32.const 2)))))
            (if (i32.eqz (local.get $kind))
              (then (f32.store (local.get $bp) (f32.add (f32.load (local.get $bp)) (local.get $s))))
              (else
                (local.set $s (f32.sub (local.get $s) (f32.load (local.get $mp))))
                (if (i32.eq (local.get $kind) (i32.const 1))
                  (then (f32.store (local.get $bp) (f32.add (f32.load (local.get $bp)) (f32.mul (local.get $s) (local.get $s)))))
                  (else
                    (local.set $t (f32.load (i32.add (local.get $dp) (i32.shl (local.get $c) (i32.const 2)))))
                    (f32.store (local.get $bp) (f32.add (f32.load (local.get $bp)) (local.get $t)))
                    (f32.store (i32.add (local.get $bp) (local.get $stride))
                      (f32.add (f32.load (i32.add (local.get $bp) (local.get $stride))) (f32.mul (local.get $t) (local.get $s))))))))
            (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
            (local.set $mp (i32.add (local.get $mp) (i32.const 4)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $xp (i32.add (local.get $xp) (local.get $stride)))
        (local.set $dp (i32.add (local.get $dp) (local.get $stride)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (if (i32.eq (local.tee $inBlock (i32.add (local.get $inBlock) (i32.const 1))) (global.get $BLOCK))
          (then
            (call $flush (local.get $scratch) (local.get $out) (i32.mul (local.get $C) (local.get $totals)))
            (local.set $inBlock (i32.const 0))))
        (br $rows)))
    (call $flush (local.get $scratch) (local.get $out) (i32.mul (local.get $C) (local.get $totals))))

  ;; scratch: C floats (2C for grad_sums) the caller reserves for this job
  (func (export "sums") (param $x i32) (param $r0 i32) (param $r1 i32) (param $C i32) (param $out i32) (param $scratch i32)
    (call $sums (i32.const 0) (local.get $x) (local.get $x) (local.get $x) (local.get $r0) (local.get $r1) (local.get $C) (local.get $out) (local.get $scratch)))

  (func (export "sq_dev_sums") (param $x i32) (param $mean i32) (param $r0 i32) (param $r1 i32) (param $C i32) (param $out i32) (param $scratch i32)
    (call $sums (i32.const 1) (local.get $x) (local.get $x) (local.get $mean) (local.get $r0) (local.get $r1) (local.get $C) (local.get $out) (local.get $scratch)))

  (func (export "grad_sums") (param $x i32) (param $dy i32) (param $mean i32) (param $r0 i32) (param $r1 i32) (param $C i32) (param $out i32) (param $scratch i32)
    (call $sums (i32.const 2) (local.get $x) (local.get $dy) (local.get $mean) (local.get $r0) (local.get $r1) (local.get $C) (local.get $out) (local.get $scratch)))

  ;; y = x * a + b (two = 0) or y = x * a + dy * b + d (two = 1), per channel; coef holds
  ;; a, b (and d), C floats each.
  (func $affine (param $two i32) (param $x i32) (param $dy i32) (param $coef i32) (param $r0 i32) (param $r1 i32) (param $C i32) (param $y i32)
    (local $p i32) (local $end i32) (local $c i32) (local $stride i32) (local $k i32) (local $v v128) (local $s f32)
    (local.set $stride (i32.shl (local.get $C) (i32.const 2)))
    (local.set $p (i32.mul (local.get $r0) (local.get $stride)))
    (local.set $end (i32.mul (local.get $r1) (local.get $stride)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.const 0))
        (block $rowDone
          (loop $channels
            (br_if $rowDone (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $stride)))
            (local.set $k (i32.add (local.get $coef) (local.get $c)))
            (local.set $v (f32x4.mul (v128.load (i32.add (local.get $x) (i32.add (local.get $p) (local.get $c))))
                                     (v128.load (local.get $k))))
            (if (local.get $two)
              (then
                (local.set $k (i32.add (local.get $k) (local.get $stride)))
                (local.set $v (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $dy) (i32.add (local.get $p) (local.get $c))))
                                                    (v128.load (local.get $k)))
                                         (local.get $v)))))
            (v128.store (i32.add (local.get $y) (i32.add (local.get $p) (local.get $c)))
              (f32x4.add (local.get $v) (v128.load (i32.add (local.get $k) (local.get $stride)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $channels)))
        ;; the last C mod 4 channels, one at a time
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $c) (local.get $stride)))
            (local.set $k (i32.add (local.get $coef) (local.get $c)))
            (local.set $s (f32.mul (f32.load (i32.add (local.get $x) (i32.add (local.get $p) (local.get $c)))) (f32.load (local.get $k))))
            (if (local.get $two)
              (then
                (local.set $k (i32.add (local.get $k) (local.get $stride)))
                (local.set $s (f32.add (f32.mul (f32.load (i32.add (local.get $dy) (i32.add (local.get $p) (local.get $c)))) (f32.load (local.get $k)))
                                       (local.get $s)))))
            (f32.store (i32.add (local.get $y) (i32.add (local.get $p) (local.get $c)))
              (f32.add (local.get $s) (f32.load (i32.add (local.get $k) (local.get $stride)))))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $tail)))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (br $rows))))

  (func (export "affine") (param $x i32) (param $coef i32) (param $r0 i32) (param $r1 i32) (param $C i32) (param $y i32)
    (call $affine (i32.const 0) (local.get $x) (local.get $x) (local.get $coef) (local.get $r0) (local.get $r1) (local.get $C) (local.get $y)))

  (func (export "affine2") (param $x i32) (param $dy i32) (param $coef i32) (param $r0 i32) (param $r1 i32) (param $C i32) (param $y i32)
    (call $affine (i32.const 1) (local.get $x) (local.get $dy) (local.get $coef) (local.get $r0) (local.get $r1) (local.get $C) (local.get $y)))
)

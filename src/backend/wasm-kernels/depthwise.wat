;; Channelwise (depthwise, multiplier 1) 2-D convolution, NHWC, and both its gradients, as SIMD
;; passes over 4 channels at a time:
;;   forward:         y[n, i, j, c] = sum over taps (a, b) of x[n, h, w, c] * f[a, b, c]
;;   input gradient:  dx[n, h, w, c] = sum over taps and positions (i, j) reaching (h, w) of dy[n, i, j, c] * f[a, b, c]
;;   filter gradient: df[a, b, c] = sum over n, i, j of x[n, h, w, c] * dy[n, i, j, c]
;; with h = i*sh + a*dh - pt, w = j*sw + b*dw - pl (taps outside the input contribute nothing).
;; dw_forward_padded reads a zero-padded copy of the input (pad_image), so every tap of every
;; position is inside it: each output vector is summed in a register and stored once. The
;; caller runs a stride-1 input gradient the same way (dy padded, the filter rotated).
;; dw_input_grad (strided) and dw_filter_grad go tap by tap over the rectangle of output
;; positions whose tap falls inside the input, a row at a time, so no position needs a bounds test.
;; The channel count Cp must be a multiple of 4 (the caller pads; a depth multiplier M > 1 is a
;; channelwise convolution of x with each channel repeated M times, and the input gradient's M
;; partial sums are added by contract_rows). A thread takes a range of samples [n0, n1) and of
;; 4-channel vectors [v0, v1).
;;
;; The build writes two binaries: this one (shared memory, for the threaded tfjs build) and one
;; whose memory import is not shared (the single-threaded build).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; count positions: out[v] += in[v] * w[v] over the nb bytes of channels (a multiple of 16);
  ;; in and out advance inStep and outStep bytes a position.
  (func $axpy (param $in i32) (param $inStep i32) (param $out i32) (param $outStep i32)
              (param $w i32) (param $count i32) (param $nb i32)
    (local $v i32) (local $pairs i32)
    (local.set $pairs (i32.and (local.get $nb) (i32.const -32)))
    (loop $positions
      (local.set $v (i32.const 0))
      (block $pairsDone
        (loop $pair
          (br_if $pairsDone (i32.ge_u (local.get $v) (local.get $pairs)))
          (v128.store offset=0 (i32.add (local.get $out) (local.get $v))
            (f32x4.add (v128.load offset=0 (i32.add (local.get $out) (local.get $v)))
              (f32x4.mul (v128.load offset=0 (i32.add (local.get $in) (local.get $v))) (v128.load offset=0 (i32.add (local.get $w) (local.get $v))))))
          (v128.store offset=16 (i32.add (local.get $out) (local.get $v))
            (f32x4.add (v128.load offset=16 (i32.add (local.get $out) (local.get $v)))
              (f32x4.mul (v128.load offset=16 (i32.add (local.get $in) (local.get $v))) (v128.load offset=16 (i32.add (local.get $w) (local.get $v))))))
          (local.set $v (i32.add (local.get $v) (i32.const 32)))
          (br $pair)))
      (if (i32.lt_u (local.get $v) (local.get $nb))
        (then
          (v128.store (i32.add (local.get $out) (local.get $v))
            (f32x4.add (v128.load (i32.add (local.get $out) (local.get $v)))
              (f32x4.mul (v128.load (i32.add (local.get $in) (local.get $v))) (v128.load (i32.add (local.get $w) (local.get $v))))))))
      (local.set $in (i32.add (local.get $in) (local.get $inStep)))
      (local.set $out (i32.add (local.get $out) (local.get $outStep)))
      (br_if $positions (local.tee $count (i32.sub (local.get $count) (i32.const 1))))))

  ;; df[v] += sum over count positions of x[v] * dy[v], over the nb bytes of channels; x and dy
  ;; advance xStep and dyStep bytes a position. Two vectors at a time in registers.
  (func $dot (param $x i32) (param $xStep i32) (param $dy i32) (param $dyStep i32)
             (param $df i32) (param $count i32) (param $nb i32)
    (local $v i32) (local $j i32) (local $xp i32) (local $dp i32) (local $acc0 v128) (local $acc1 v128)
    (block $pairsDone
      (loop $pair
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $v) (i32.const 32)) (local.get $nb)))
        (local.set $acc0 (v128.load offset=0 (i32.add (local.get $df) (local.get $v))))
        (local.set $acc1 (v128.load offset=16 (i32.add (local.get $df) (local.get $v))))
        (local.set $xp (i32.add (local.get $x) (local.get $v)))
        (local.set $dp (i32.add (local.get $dy) (local.get $v)))
        (local.set $j (local.get $count))
        (loop $positions
          (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load offset=0 (local.get $xp)) (v128.load offset=0 (local.get $dp)))))
          (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load offset=16 (local.get $xp)) (v128.load offset=16 (local.get $dp)))))
          (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
          (local.set $dp (i32.add (local.get $dp) (local.get $dyStep)))
          (br_if $positions (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
        (v128.store offset=0 (i32.add (local.get $df) (local.get $v)) (local.get $acc0))
        (v128.store offset=16 (i32.add (local.get $df) (local.get $v)) (local.get $acc1))
        (local.set $v (i32.add (local.get $v) (i32.const 32)))
        (br $pair)))
    (if (i32.lt_u (local.get $v) (local.get $nb))
      (then
        (local.set $acc0 (v128.load (i32.add (local.get $df) (local.get $v))))
        (local.set $xp (i32.add (local.get $x) (local.get $v)))
        (local.set $dp (i32.add (local.get $dy) (local.get $v)))
        (local.set $j (local.get $count))
        (loop $positions
          (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $xp)) (v128.load (local.get $dp)))))
          (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
          (local.set $dp (i32.add (local.get $dp) (local.get $dyStep)))
          (br_if $positions (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
        (v128.store (i32.add (local.get $df) (local.get $v)) (local.get $acc0)))))

  ;; Zeroes channel vectors [v0, v1) of `positions` rows of rowBytes bytes from base.
  (func $zero (param $base i32) (param $positions i32) (param $rowBytes i32) (param $v0 i32) (param $v1 i32)
    (local $p i32) (local $end i32) (local $v i32)
    (if (i32.eqz (local.get $positions)) (then (return)))
    (if (i32.eq (i32.shl (i32.sub (local.get $v1) (local.get $v0)) (i32.const 4)) (local.get $rowBytes))
      (then (memory.fill (local.get $base) (i32.const 0) (i32.mul (local.get $positions) (local.get $rowBytes))) (return)))
    (local.set $p (i32.add (local.get $base) (i32.shl (local.get $v0) (i32.const 4))))
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $positions) (local.get $rowBytes))))
    (loop $rows
      (local.set $v (i32.const 0))
      (loop $vectors
        (v128.store (i32.add (local.get $p) (local.get $v)) (v128.const i32x4 0 0 0 0))
        (br_if $vectors (i32.lt_u (local.tee $v (i32.add (local.get $v) (i32.const 16)))
                                  (i32.shl (i32.sub (local.get $v1) (local.get $v0)) (i32.const 4)))))
      (br_if $rows (i32.lt_u (local.tee $p (i32.add (local.get $p) (local.get $rowBytes))) (local.get $end)))))

  ;; geometry block at $g (i32 words):
  ;; 0 x, 1 y (the forward result, or dy), 2 f ([taps][Cp]), 3 N, 4 H, 5 W, 6 Cp, 7 Ho, 8 Wo,
  ;; 9 Cp again, 10 kh, 11 kw, 12 sh, 13 sw, 14 dh, 15 dw, 16 pt, 17 pl.
  ;; x += y * f (the input gradient), or f += x * y (the filter gradient), for samples [n0, n1)
  ;; and vectors [v0, v1).
  (func $sweep (param $g i32) (param $n0 i32) (param $n1 i32) (param $v0 i32) (param $v1 i32) (param $filterGradient i32)
    (local $n i32) (local $tap i32) (local $taps i32) (local $a i32) (local $b i32) (local $i i32)
    (local $offH i32) (local $offW i32) (local $ilo i32) (local $ihi i32) (local $jlo i32) (local $jhi i32)
    (local $H i32) (local $W i32) (local $Ho i32) (local $Wo i32) (local $row i32)
    (local $kw i32) (local $sh i32) (local $sw i32) (local $dh i32) (local $dw i32) (local $pt i32) (local $pl i32)
    (local $xRow i32) (local $yRow i32) (local $fTap i32) (local $xStep i32) (local $vOff i32) (local $nb i32) (local $count i32)
    (local.set $H (i32.load offset=16 (local.get $g)))
    (local.set $W (i32.load offset=20 (local.get $g)))
    (local.set $row (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 2)))
    (local.set $Ho (i32.load offset=28 (local.get $g)))
    (local.set $Wo (i32.load offset=32 (local.get $g)))
    (local.set $kw (i32.load offset=44 (local.get $g)))
    (local.set $sh (i32.load offset=48 (local.get $g)))
    (local.set $sw (i32.load offset=52 (local.get $g)))
    (local.set $dh (i32.load offset=56 (local.get $g)))
    (local.set $dw (i32.load offset=60 (local.get $g)))
    (local.set $pt (i32.load offset=64 (local.get $g)))
    (local.set $pl (i32.load offset=68 (local.get $g)))
    (local.set $taps (i32.mul (i32.load offset=40 (local.get $g)) (local.get $kw)))
    (local.set $xStep (i32.mul (local.get $sw) (local.get $row)))
    (local.set $vOff (i32.shl (local.get $v0) (i32.const 4)))
    (local.set $nb (i32.shl (i32.sub (local.get $v1) (local.get $v0)) (i32.const 4)))
    (if (i32.eqz (local.get $nb)) (then (return)))
    (local.set $n (local.get $n0))
    (block $samplesDone
      (loop $samples
        (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $n1)))
        (local.set $tap (i32.const 0))
        (loop $tapLoop
          (local.set $a (i32.div_u (local.get $tap) (local.get $kw)))
          (local.set $b (i32.rem_u (local.get $tap) (local.get $kw)))
          (local.set $offH (i32.sub (i32.mul (local.get $a) (local.get $dh)) (local.get $pt)))
          (local.set $offW (i32.sub (i32.mul (local.get $b) (local.get $dw)) (local.get $pl)))
          (local.set $ilo (call $firstInside (local.get $offH) (local.get $sh)))
          (local.set $ihi (call $endInside (local.get $offH) (local.get $sh) (local.get $H) (local.get $Ho)))
          (local.set $jlo (call $firstInside (local.get $offW) (local.get $sw)))
          (local.set $jhi (call $endInside (local.get $offW) (local.get $sw) (local.get $W) (local.get $Wo)))
          (local.set $count (i32.sub (local.get $jhi) (local.get $jlo)))
          (local.set $fTap (i32.add (i32.add (i32.load offset=8 (local.get $g)) (i32.mul (local.get $tap) (local.get $row))) (local.get $vOff)))
          (if (i32.and (i32.lt_s (local.get $ilo) (local.get $ihi)) (i32.gt_s (local.get $count) (i32.const 0)))
            (then
              (local.set $i (local.get $ilo))
              (loop $rows
                ;; x pixel (i*sh + offH, jlo*sw + offW) and y position (i, jlo) of sample n, in bytes
                (local.set $xRow (i32.add (i32.add (i32.load offset=0 (local.get $g)) (i32.mul
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (i32.add (i32.mul (local.get $i) (local.get $sh)) (local.get $offH))) (local.get $W))
                           (i32.add (i32.mul (local.get $jlo) (local.get $sw)) (local.get $offW)))
                  (local.get $row))) (local.get $vOff)))
                (local.set $yRow (i32.add (i32.add (i32.load offset=4 (local.get $g)) (i32.mul
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Ho)) (local.get $i)) (local.get $Wo)) (local.get $jlo))
                  (local.get $row))) (local.get $vOff)))
                (if (local.get $filterGradient)
                  (then (call $dot (local.get $xRow) (local.get $xStep) (local.get $yRow) (local.get $row) (local.get $fTap) (local.get $count) (local.get $nb)))
                  (else (call $axpy (local.get $yRow) (local.get $row) (local.get $xRow) (local.get $xStep) (local.get $fTap) (local.get $count) (local.get $nb))))
                (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $ihi))))))
          (br_if $tapLoop (i32.lt_u (local.tee $tap (i32.add (local.get $tap) (i32.const 1))) (local.get $taps))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $samples))))

;; Output-stationary forward over a zero-padded input (every tap of every position inside it):
  ;; for each output row and 4-channel vector, each position's sum over taps is formed in a
  ;; register and stored once. 3x3 filters keep their 9 weight vectors in registers.
  ;; Geometry as $sweep's, with H, W the padded input's size and pt = pl = 0.
  (func (export "dw_forward_padded") (param $g i32) (param $n0 i32) (param $n1 i32) (param $v0 i32) (param $v1 i32)
    (local $n i32) (local $i i32) (local $v i32) (local $row i32) (local $H i32) (local $W i32) (local $Ho i32) (local $Wo i32)
    (local $kh i32) (local $kw i32) (local $sh i32) (local $sw i32) (local $dh i32) (local $dw i32)
    (local $xRow i32) (local $yp i32) (local $xStep i32) (local $colStep i32) (local $rowStep i32)
    (local.set $H (i32.load offset=16 (local.get $g)))
    (local.set $W (i32.load offset=20 (local.get $g)))
    (local.set $row (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 2)))
    (local.set $Ho (i32.load offset=28 (local.get $g)))
    (local.set $Wo (i32.load offset=32 (local.get $g)))
    (local.set $kh (i32.load offset=40 (local.get $g)))
    (local.set $kw (i32.load offset=44 (local.get $g)))
    (local.set $sh (i32.load offset=48 (local.get $g)))
    (local.set $sw (i32.load offset=52 (local.get $g)))
    (local.set $dh (i32.load offset=56 (local.get $g)))
    (local.set $dw (i32.load offset=60 (local.get $g)))
    (local.set $xStep (i32.mul (local.get $sw) (local.get $row)))
    (local.set $colStep (i32.mul (local.get $dw) (local.get $row)))
    (local.set $rowStep (i32.mul (i32.mul (local.get $dh) (local.get $W)) (local.get $row)))
    (local.set $n (local.get $n0))
    (block $samplesDone
      (loop $samples
        (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $n1)))
        (local.set $i (i32.const 0))
        (loop $rows
          (local.set $xRow (i32.add (i32.load offset=0 (local.get $g))
            (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (i32.mul (local.get $i) (local.get $sh))) (local.get $W)) (local.get $row))))
          (local.set $yp (i32.add (i32.load offset=4 (local.get $g))
            (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Ho)) (local.get $i)) (local.get $Wo)) (local.get $row))))
          (local.set $v (i32.shl (local.get $v0) (i32.const 4)))
          (loop $vectors
            (if (i32.and (i32.eq (local.get $kh) (i32.const 3)) (i32.eq (local.get $kw) (i32.const 3)))
              (then (call $row3x3 (i32.add (local.get $xRow) (local.get $v)) (local.get $xStep) (local.get $colStep) (local.get $rowStep)
                                  (i32.add (local.get $yp) (local.get $v)) (local.get $row)
                                  (i32.add (i32.load offset=8 (local.get $g)) (local.get $v)) (local.get $Wo)))
              (else (call $rowTaps (i32.add (local.get $xRow) (local.get $v)) (local.get $xStep) (local.get $colStep) (local.get $rowStep)
                                   (i32.add (local.get $yp) (local.get $v)) (local.get $row)
                                   (i32.add (i32.load offset=8 (local.get $g)) (local.get $v)) (local.get $Wo) (local.get $kh) (local.get $kw))))
            (br_if $vectors (i32.lt_u (local.tee $v (i32.add (local.get $v) (i32.const 16))) (i32.shl (local.get $v1) (i32.const 4)))))
          (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $Ho))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $samples))))

  ;; One output row, one channel vector, a 3x3 filter: y[j] = sum over a, b < 3 of
  ;; x[j*xStep + b*colStep + a*rowStep] * f[(3a + b) * row]; y advances `row` bytes a position.
  (func $row3x3 (param $x i32) (param $xStep i32) (param $colStep i32) (param $rowStep i32)
                (param $y i32) (param $row i32) (param $f i32) (param $count i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128)
    (local $w5 v128) (local $w6 v128) (local $w7 v128) (local $w8 v128) (local $acc v128)
    (local $x1 i32) (local $x2 i32) (local $c2 i32)
    (local.set $w0 (v128.load (local.get $f)))
    (local.set $w1 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $w2 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $w3 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $w4 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $w5 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $w6 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $w7 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $w8 (v128.load (local.tee $f (i32.add (local.get $f) (local.get $row)))))
    (local.set $c2 (i32.shl (local.get $colStep) (i32.const 1)))
    (loop $positions
      (local.set $x1 (i32.add (local.get $x) (local.get $rowStep)))
      (local.set $x2 (i32.add (local.get $x1) (local.get $rowStep)))
      (local.set $acc (f32x4.mul (v128.load (local.get $x)) (local.get $w0)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $colStep))) (local.get $w1))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $c2))) (local.get $w2))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x1)) (local.get $w3))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $x1) (local.get $colStep))) (local.get $w4))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $x1) (local.get $c2))) (local.get $w5))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x2)) (local.get $w6))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $x2) (local.get $colStep))) (local.get $w7))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $x2) (local.get $c2))) (local.get $w8))))
      (v128.store (local.get $y) (local.get $acc))
      (local.set $x (i32.add (local.get $x) (local.get $xStep)))
      (local.set $y (i32.add (local.get $y) (local.get $row)))
      (br_if $positions (local.tee $count (i32.sub (local.get $count) (i32.const 1))))))

  ;; $row3x3 for any kh x kw filter, its weights read from memory.
  (func $rowTaps (param $x i32) (param $xStep i32) (param $colStep i32) (param $rowStep i32)
                 (param $y i32) (param $row i32) (param $f i32) (param $count i32) (param $kh i32) (param $kw i32)
    (local $acc v128) (local $a i32) (local $b i32) (local $xa i32) (local $xb i32) (local $fp i32)
    (loop $positions
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $fp (local.get $f))
      (local.set $xa (local.get $x))
      (local.set $a (local.get $kh))
      (loop $filterRows
        (local.set $xb (local.get $xa))
        (local.set $b (local.get $kw))
        (loop $taps
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $xb)) (v128.load (local.get $fp)))))
          (local.set $xb (i32.add (local.get $xb) (local.get $colStep)))
          (local.set $fp (i32.add (local.get $fp) (local.get $row)))
          (br_if $taps (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
        (local.set $xa (i32.add (local.get $xa) (local.get $rowStep)))
        (br_if $filterRows (local.tee $a (i32.sub (local.get $a) (i32.const 1)))))
      (v128.store (local.get $y) (local.get $acc))
      (local.set $x (i32.add (local.get $x) (local.get $xStep)))
      (local.set $y (i32.add (local.get $y) (local.get $row)))
      (br_if $positions (local.tee $count (i32.sub (local.get $count) (i32.const 1))))))

  ;; Samples [n0, n1) of src ([N][H][W][C]) into dst ([N][Hp][Wp][Cp]) at row pt, column pl, each
  ;; channel repeated M times; everything else in dst is zero. Block at $p (i32 words): src, dst,
  ;; H, W, C, M, Cp, Hp, Wp, pt, pl.
  (func (export "pad_image") (param $p i32) (param $n0 i32) (param $n1 i32)
    (local $H i32) (local $W i32) (local $C i32) (local $M i32) (local $Cp i32) (local $Hp i32) (local $Wp i32)
    (local $pt i32) (local $pl i32) (local $h i32) (local $w i32) (local $s i32) (local $d i32) (local $dRow i32) (local $inside i32)
    (local.set $H (i32.load offset=8 (local.get $p)))
    (local.set $W (i32.load offset=12 (local.get $p)))
    (local.set $C (i32.load offset=16 (local.get $p)))
    (local.set $M (i32.load offset=20 (local.get $p)))
    (local.set $Cp (i32.load offset=24 (local.get $p)))
    (local.set $Hp (i32.load offset=28 (local.get $p)))
    (local.set $Wp (i32.load offset=32 (local.get $p)))
    (local.set $pt (i32.load offset=36 (local.get $p)))
    (local.set $pl (i32.load offset=40 (local.get $p)))
    (local.set $dRow (i32.shl (i32.mul (local.get $Wp) (local.get $Cp)) (i32.const 2)))
    (local.set $s (i32.add (i32.load offset=0 (local.get $p)) (i32.shl (i32.mul (i32.mul (i32.mul (local.get $n0) (local.get $H)) (local.get $W)) (local.get $C)) (i32.const 2))))
    (local.set $d (i32.add (i32.load offset=4 (local.get $p)) (i32.mul (i32.mul (local.get $n0) (local.get $Hp)) (local.get $dRow))))
    (block $done
      (loop $samples
        (br_if $done (i32.ge_u (local.get $n0) (local.get $n1)))
        (local.set $h (i32.const 0))
        (loop $rows
          (local.set $inside (i32.and (i32.ge_s (local.get $h) (local.get $pt)) (i32.lt_s (local.get $h) (i32.add (local.get $pt) (local.get $H)))))
          (if (local.get $inside)
            (then
              (memory.fill (local.get $d) (i32.const 0) (i32.shl (i32.mul (local.get $pl) (local.get $Cp)) (i32.const 2)))
              (call $expandRow (local.get $s) (i32.add (local.get $d) (i32.shl (i32.mul (local.get $pl) (local.get $Cp)) (i32.const 2)))
                               (local.get $W) (local.get $C) (local.get $M) (local.get $Cp))
              (local.set $s (i32.add (local.get $s) (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2))))
              (local.set $w (i32.shl (i32.mul (i32.add (local.get $pl) (local.get $W)) (local.get $Cp)) (i32.const 2)))
              (memory.fill (i32.add (local.get $d) (local.get $w)) (i32.const 0) (i32.sub (local.get $dRow) (local.get $w))))
            (else (memory.fill (local.get $d) (i32.const 0) (local.get $dRow))))
          (local.set $d (i32.add (local.get $d) (local.get $dRow)))
          (br_if $rows (i32.lt_u (local.tee $h (i32.add (local.get $h) (i32.const 1))) (local.get $Hp))))
        (local.set $n0 (i32.add (local.get $n0) (i32.const 1)))
        (br $samples))))

  ;; Bytes from one sample to the next of a tensor with `positions` positions of Cp channels.
  (func $sampleBytes (param $g i32) (param $positions i32) (result i32)
    (i32.shl (i32.mul (local.get $positions) (i32.load offset=24 (local.get $g))) (i32.const 2)))

  ;; dx[n0..n1) channels [v0, v1) = the convolution's transpose applied to dy (word 1).
  (func (export "dw_input_grad") (param $g i32) (param $n0 i32) (param $n1 i32) (param $v0 i32) (param $v1 i32)
    (local $positions i32)
    (local.set $positions (i32.mul (i32.load offset=16 (local.get $g)) (i32.load offset=20 (local.get $g))))
    (call $zero (i32.add (i32.load offset=0 (local.get $g)) (i32.mul (local.get $n0) (call $sampleBytes (local.get $g) (local.get $positions))))
                (i32.mul (i32.sub (local.get $n1) (local.get $n0)) (local.get $positions))
                (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 2)) (local.get $v0) (local.get $v1))
    (call $sweep (local.get $g) (local.get $n0) (local.get $n1) (local.get $v0) (local.get $v1) (i32.const 0)))

  ;; df channels [v0, v1) = the sum over samples [n0, n1) (all of them: threads split channels).
  (func (export "dw_filter_grad") (param $g i32) (param $n0 i32) (param $n1 i32) (param $v0 i32) (param $v1 i32)
    (call $zero (i32.load offset=8 (local.get $g))
                (i32.mul (i32.load offset=40 (local.get $g)) (i32.load offset=44 (local.get $g)))
                (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 2)) (local.get $v0) (local.get $v1))
    (call $sweep (local.get $g) (local.get $n0) (local.get $n1) (local.get $v0) (local.get $v1) (i32.const 1)))

;; `count` rows of C floats from src to rows of Cp floats at dst: dst[r][c*M + m] = src[r][c],
  ;; zero from C*M to Cp (Cp >= C*M).
  (func $expandRow (param $src i32) (param $dst i32) (param $count i32) (param $C i32) (param $M i32) (param $Cp i32)
    (local $end i32) (local $left i32) (local $rowEnd i32) (local $value f32)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.mul (local.get $count) (local.get $C)) (i32.const 2))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $rowEnd (i32.add (local.get $dst) (i32.shl (local.get $Cp) (i32.const 2))))
        (if (i32.eq (local.get $M) (i32.const 1))
          (then
            (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $C) (i32.const 2)))
            (local.set $src (i32.add (local.get $src) (i32.shl (local.get $C) (i32.const 2))))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $C) (i32.const 2)))))
          (else
            (local.set $left (local.get $C))
            (loop $channels
              (local.set $value (f32.load (local.get $src)))
              (local.set $src (i32.add (local.get $src) (i32.const 4)))
              (local.set $left (i32.sub (local.get $left) (i32.const 1)))
              (call $repeat (local.get $dst) (local.get $value) (local.get $M))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $M) (i32.const 2))))
              (br_if $channels (local.get $left)))))
        (memory.fill (local.get $dst) (i32.const 0) (i32.sub (local.get $rowEnd) (local.get $dst)))
        (local.set $dst (local.get $rowEnd))
        (br $rows))))

  ;; dst[0 .. count) = value.
  (func $repeat (param $dst i32) (param $value f32) (param $count i32)
    (loop $copies
      (f32.store (local.get $dst) (local.get $value))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br_if $copies (local.tee $count (i32.sub (local.get $count) (i32.const 1))))))

  ;; Rows [r0, r1) of src ([rows][C] floats) to dst ([rows][Cp]): dst[r][c*M + m] = src[r][c],
  ;; zero from C*M to Cp (Cp >= C*M). M = 1 pads channels.
  (func (export "expand_rows") (param $src i32) (param $dst i32) (param $r0 i32) (param $r1 i32)
                               (param $C i32) (param $M i32) (param $Cp i32)
    (call $expandRow (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r0) (local.get $C)) (i32.const 2)))
                     (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r0) (local.get $Cp)) (i32.const 2)))
                     (i32.sub (local.get $r1) (local.get $r0)) (local.get $C) (local.get $M) (local.get $Cp)))

  ;; Rows [r0, r1) of src ([rows][Cp] floats) to dst ([rows][C]): dst[r][c] = the sum over m < M
  ;; of src[r][c*M + m]. M = 1 drops padding channels.
  (func (export "contract_rows") (param $src i32) (param $dst i32) (param $r0 i32) (param $r1 i32)
                                 (param $C i32) (param $M i32) (param $Cp i32)
    (local $s i32) (local $d i32) (local $end i32) (local $m i32) (local $sum f32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r0) (local.get $r1)))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r0) (local.get $Cp)) (i32.const 2))))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r0) (local.get $C)) (i32.const 2))))
        (local.set $end (i32.add (local.get $d) (i32.shl (local.get $C) (i32.const 2))))
        (block $channelsDone
          (loop $channels
            (br_if $channelsDone (i32.ge_u (local.get $d) (local.get $end)))
            (local.set $sum (f32.load (local.get $s)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $m (i32.sub (local.get $M) (i32.const 1)))
            (block $summed
              (loop $terms
                (br_if $summed (i32.eqz (local.get $m)))
                (local.set $sum (f32.add (local.get $sum) (f32.load (local.get $s))))
                (local.set $s (i32.add (local.get $s) (i32.const 4)))
                (local.set $m (i32.sub (local.get $m) (i32.const 1)))
                (br $terms)))
            (f32.store (local.get $d) (local.get $sum))
            (local.set $d (i32.add (local.get $d) (i32.const 4)))
            (br $channels)))
        (local.set $r0 (i32.add (local.get $r0) (i32.const 1)))
        (br $rows))))

  ;; The first output index i with i*stride + off >= 0.
  (func $firstInside (param $off i32) (param $stride i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $off) (i32.const 0))
      (then (i32.div_u (i32.add (i32.sub (i32.const 0) (local.get $off)) (i32.sub (local.get $stride) (i32.const 1))) (local.get $stride)))
      (else (i32.const 0))))

  ;; One past the last output index i < outSize with i*stride + off <= inSize - 1 (0 if none).
  (func $endInside (param $off i32) (param $stride i32) (param $inSize i32) (param $outSize i32) (result i32)
    (local $last i32)
    (local.set $last (i32.sub (i32.sub (local.get $inSize) (i32.const 1)) (local.get $off)))
    (if (result i32) (i32.lt_s (local.get $last) (i32.const 0))
      (then (i32.const 0))
      (else (select (local.get $outSize)
                    (local.tee $last (i32.add (i32.div_u (local.get $last) (local.get $stride)) (i32.const 1)))
                    (i32.gt_u (local.get $last) (local.get $outSize))))))
)

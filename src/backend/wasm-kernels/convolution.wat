;; A 2-D convolution (NHWC) and its input gradient, as SIMD tiles of 2 positions x 16 channels:
;;   forward:        y[n, i, j, co] += sum over taps (a, b) and ci of x[n, h, w, ci] * f[a, b, ci, co]
;;   input gradient: dx[n, h, w, ci] += sum over taps (a, b) and co of dy[n, i, j, co] * f[a, b, ci, co]
;; with h = i*sh + a*dh - pt, w = j*sw + b*dw - pl (taps outside the input contribute nothing).
;; Both go tap by tap over the rectangle of output positions (i, j) whose tap falls inside the
;; input: a tile of the result is read, takes the tap's whole reduction (K = Ci forward, Co
;; for the input gradient) in registers, and is written back. The two differ only in which side
;; of the position -> pixel map is read and which is written, and in the weights' layout
;; ([tap][K][C]: the filter itself forward, its channel axes swapped for the gradient).
;; The result's channels C must be a multiple of 8 (the caller pads the weights and compacts
;; the result otherwise). A thread takes a range of samples.
;;
;; The build writes two binaries: this one (shared memory, for the threaded tfjs build) and one
;; whose memory import is not shared (the single-threaded build).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; out[2 rows][16 floats] += sum over k < K of in_r[k] (splat) * w[k][16 floats]. Row r of in
  ;; is at in + r*inStride, of out at out + r*outStride; w rows are wStride bytes apart.
  ;; (8 accumulators, 4 weight vectors and a splat fit the 16 SIMD registers V8 uses on x86-64;
  ;; 4 x 8 tiles ran at 28-35 GFLOP/s a thread here, 2 x 16 at 31-40, 5 x 8 and 6 x 4 at 22-26.)
  (func $tile2 (param $in i32) (param $inStride i32) (param $out i32) (param $outStride i32) 
               (param $w i32) (param $wStride i32) (param $K i32)
    (local $p1 i32) (local $o1 i32)
    (local $c0_0 v128) (local $c0_1 v128) (local $c0_2 v128) (local $c0_3 v128)
    (local $c1_0 v128) (local $c1_1 v128) (local $c1_2 v128) (local $c1_3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $a v128)
    (local.set $p1 (i32.add (local.get $in) (local.get $inStride)))
    (local.set $o1 (i32.add (local.get $out) (local.get $outStride)))
    (local.set $c0_0 (v128.load offset=0 (local.get $out)))
    (local.set $c0_1 (v128.load offset=16 (local.get $out)))
    (local.set $c0_2 (v128.load offset=32 (local.get $out)))
    (local.set $c0_3 (v128.load offset=48 (local.get $out)))
    (local.set $c1_0 (v128.load offset=0 (local.get $o1)))
    (local.set $c1_1 (v128.load offset=16 (local.get $o1)))
    (local.set $c1_2 (v128.load offset=32 (local.get $o1)))
    (local.set $c1_3 (v128.load offset=48 (local.get $o1)))
    (loop $reduce
      (local.set $b0 (v128.load offset=0 (local.get $w)))
      (local.set $b1 (v128.load offset=16 (local.get $w)))
      (local.set $b2 (v128.load offset=32 (local.get $w)))
      (local.set $b3 (v128.load offset=48 (local.get $w)))
      (local.set $a (v128.load32_splat (local.get $in)))
      (local.set $c0_0 (f32x4.add (local.get $c0_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c0_1 (f32x4.add (local.get $c0_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $c0_2 (f32x4.add (local.get $c0_2) (f32x4.mul (local.get $a) (local.get $b2))))
      (local.set $c0_3 (f32x4.add (local.get $c0_3) (f32x4.mul (local.get $a) (local.get $b3))))
      (local.set $a (v128.load32_splat (local.get $p1)))
      (local.set $c1_0 (f32x4.add (local.get $c1_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c1_1 (f32x4.add (local.get $c1_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $c1_2 (f32x4.add (local.get $c1_2) (f32x4.mul (local.get $a) (local.get $b2))))
      (local.set $c1_3 (f32x4.add (local.get $c1_3) (f32x4.mul (local.get $a) (local.get $b3))))
      (local.set $in (i32.add (local.get $in) (i32.const 4)))
      (local.set $p1 (i32.add (local.get $p1) (i32.const 4)))
      (local.set $w (i32.add (local.get $w) (local.get $wStride)))
      (br_if $reduce (local.tee $K (i32.sub (local.get $K) (i32.const 1)))))
    (v128.store offset=0 (local.get $out) (local.get $c0_0))
    (v128.store offset=16 (local.get $out) (local.get $c0_1))
    (v128.store offset=32 (local.get $out) (local.get $c0_2))
    (v128.store offset=48 (local.get $out) (local.get $c0_3))
    (v128.store offset=0 (local.get $o1) (local.get $c1_0))
    (v128.store offset=16 (local.get $o1) (local.get $c1_1))
    (v128.store offset=32 (local.get $o1) (local.get $c1_2))
    (v128.store offset=48 (local.get $o1) (local.get $c1_3)))

  ;; out[8 floats] += sum over k < K of in[k] * w[k][8 floats].
  (func $tile1 (param $in i32) (param $out i32) (param $w i32) (param $wStride i32) (param $K i32)
    (local $c0 v128) (local $c1 v128) (local $a v128)
    (local.set $c0 (v128.load offset=0 (local.get $out)))
    (local.set $c1 (v128.load offset=16 (local.get $out)))
    (loop $reduce
      (local.set $a (v128.load32_splat (local.get $in)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $a) (v128.load offset=0 (local.get $w)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $w)))))
      (local.set $in (i32.add (local.get $in) (i32.const 4)))
      (local.set $w (i32.add (local.get $w) (local.get $wStride)))
      (br_if $reduce (local.tee $K (i32.sub (local.get $K) (i32.const 1)))))
    (v128.store offset=0 (local.get $out) (local.get $c0))
    (v128.store offset=16 (local.get $out) (local.get $c1)))

  ;; count positions in a row: in and out advance inStride and outStride bytes a position;
  ;; C result channels (a multiple of 8), K reduction channels. Pairs of positions take 16
  ;; channels a $tile2 and a last 8 (when C is an odd number of 8s) a $tile1 each; a last
  ;; single position takes $tile1 throughout.
  (func $row (param $in i32) (param $inStride i32) (param $out i32) (param $outStride i32)
             (param $w i32) (param $count i32) (param $K i32) (param $C i32)
    (local $wide i32) (local $t i32) (local $wStride i32) (local $tail i32)
    (local.set $wide (i32.shr_u (local.get $C) (i32.const 4)))
    (local.set $wStride (i32.shl (local.get $C) (i32.const 2)))
    (local.set $tail (i32.shl (i32.shl (local.get $wide) (i32.const 4)) (i32.const 2)))
    (block $pairsDone
      (loop $pairs
        (br_if $pairsDone (i32.lt_u (local.get $count) (i32.const 2)))
        (local.set $t (i32.const 0))
        (block $wideDone
          (loop $wideTiles
            (br_if $wideDone (i32.ge_u (local.get $t) (local.get $wide)))
            (call $tile2 (local.get $in) (local.get $inStride)
                         (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 6))) (local.get $outStride)
                         (i32.add (local.get $w) (i32.shl (local.get $t) (i32.const 6))) (local.get $wStride) (local.get $K))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $wideTiles)))
        (if (i32.lt_u (local.get $tail) (local.get $wStride))
          (then
            (call $tile1 (local.get $in) (i32.add (local.get $out) (local.get $tail))
                         (i32.add (local.get $w) (local.get $tail)) (local.get $wStride) (local.get $K))
            (call $tile1 (i32.add (local.get $in) (local.get $inStride))
                         (i32.add (i32.add (local.get $out) (local.get $outStride)) (local.get $tail))
                         (i32.add (local.get $w) (local.get $tail)) (local.get $wStride) (local.get $K))))
        (local.set $in (i32.add (local.get $in) (i32.shl (local.get $inStride) (i32.const 1))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $outStride) (i32.const 1))))
        (local.set $count (i32.sub (local.get $count) (i32.const 2)))
        (br $pairs)))
    (if (local.get $count)
      (then
        (local.set $t (i32.const 0))
        (loop $narrowTiles
          (call $tile1 (local.get $in) (i32.add (local.get $out) (local.get $t))
                       (i32.add (local.get $w) (local.get $t)) (local.get $wStride) (local.get $K))
          (br_if $narrowTiles (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 32))) (local.get $wStride)))))))

  ;; geometry block at $g (i32 words):
  ;; 0 x (forward input / gradient result), 1 y (forward result / gradient input), 2 weights,
  ;; 3 N, 4 H, 5 W, 6 Ci, 7 Ho, 8 Wo, 9 Co, 10 kh, 11 kw, 12 sh, 13 sw, 14 dh, 15 dw, 16 pt, 17 pl,
  ;; 18 direction (0 forward: x -> y, 1 input gradient: y -> x)
  ;; Adds every tap's products for samples [n0, n1) to the result, which holds its start value.
  (func $convolve (param $g i32) (param $n0 i32) (param $n1 i32)
    (local $n i32) (local $tap i32) (local $taps i32) (local $a i32) (local $b i32) (local $i i32)
    (local $offH i32) (local $offW i32) (local $ilo i32) (local $ihi i32) (local $jlo i32) (local $jhi i32)
    (local $H i32) (local $W i32) (local $Ci i32) (local $Ho i32) (local $Wo i32) (local $Co i32)
    (local $kw i32) (local $sh i32) (local $sw i32) (local $dh i32) (local $dw i32) (local $pt i32) (local $pl i32)
    (local $backward i32) (local $xRow i32) (local $yRow i32) (local $wTap i32) (local $xStep i32) (local $yStep i32)
    (local.set $H (i32.load offset=16 (local.get $g)))
    (local.set $W (i32.load offset=20 (local.get $g)))
    (local.set $Ci (i32.load offset=24 (local.get $g)))
    (local.set $Ho (i32.load offset=28 (local.get $g)))
    (local.set $Wo (i32.load offset=32 (local.get $g)))
    (local.set $Co (i32.load offset=36 (local.get $g)))
    (local.set $kw (i32.load offset=44 (local.get $g)))
    (local.set $sh (i32.load offset=48 (local.get $g)))
    (local.set $sw (i32.load offset=52 (local.get $g)))
    (local.set $dh (i32.load offset=56 (local.get $g)))
    (local.set $dw (i32.load offset=60 (local.get $g)))
    (local.set $pt (i32.load offset=64 (local.get $g)))
    (local.set $pl (i32.load offset=68 (local.get $g)))
    (local.set $backward (i32.load offset=72 (local.get $g)))
    (local.set $taps (i32.mul (i32.load offset=40 (local.get $g)) (local.get $kw)))
    (local.set $xStep (i32.shl (i32.mul (local.get $sw) (local.get $Ci)) (i32.const 2)))
    (local.set $yStep (i32.shl (local.get $Co) (i32.const 2)))
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
          (local.set $wTap (i32.add (i32.load offset=8 (local.get $g))
            (i32.shl (i32.mul (local.get $tap) (i32.mul (local.get $Ci) (local.get $Co))) (i32.const 2))))
          (if (i32.and (i32.lt_s (local.get $ilo) (local.get $ihi)) (i32.lt_s (local.get $jlo) (local.get $jhi)))
            (then
              (local.set $i (local.get $ilo))
              (loop $rows
                ;; x pixel (i*sh + offH, jlo*sw + offW) and y position (i, jlo) of sample n, in bytes
                (local.set $xRow (i32.add (i32.load offset=0 (local.get $g)) (i32.shl (i32.mul
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (i32.add (i32.mul (local.get $i) (local.get $sh)) (local.get $offH))) (local.get $W))
                           (i32.add (i32.mul (local.get $jlo) (local.get $sw)) (local.get $offW)))
                  (local.get $Ci)) (i32.const 2))))
                (local.set $yRow (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (i32.mul
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Ho)) (local.get $i)) (local.get $Wo)) (local.get $jlo))
                  (local.get $Co)) (i32.const 2))))
                (if (local.get $backward)
                  (then (call $row (local.get $yRow) (local.get $yStep) (local.get $xRow) (local.get $xStep)
                                   (local.get $wTap) (i32.sub (local.get $jhi) (local.get $jlo)) (local.get $Co) (local.get $Ci)))
                  (else (call $row (local.get $xRow) (local.get $xStep) (local.get $yRow) (local.get $yStep)
                                   (local.get $wTap) (i32.sub (local.get $jhi) (local.get $jlo)) (local.get $Ci) (local.get $Co))))
                (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $ihi))))))
          (br_if $tapLoop (i32.lt_u (local.tee $tap (i32.add (local.get $tap) (i32.const 1))) (local.get $taps))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $samples))))

  ;; Forward: y[n0..n1) = clamp(bias + convolution, lo, hi); bias 0 means none.
  ;; Extra geometry words: 19 bias pointer, 20 clamp (0: none), 21 lo and 22 hi (f32 bits).
  (func (export "conv_forward") (param $g i32) (param $n0 i32) (param $n1 i32)
    (local $p i32) (local $end i32) (local $bias i32) (local $Co i32) (local $c i32) (local $sample i32)
    (local $lo v128) (local $hi v128)
    (local.set $Co (i32.shl (i32.load offset=36 (local.get $g)) (i32.const 2)))
    (local.set $sample (i32.mul (i32.mul (i32.load offset=28 (local.get $g)) (i32.load offset=32 (local.get $g))) (local.get $Co)))
    (local.set $p (i32.add (i32.load offset=4 (local.get $g)) (i32.mul (local.get $n0) (local.get $sample))))
    (local.set $end (i32.add (i32.load offset=4 (local.get $g)) (i32.mul (local.get $n1) (local.get $sample))))
    (local.set $bias (i32.load offset=76 (local.get $g)))
    (if (i32.eqz (local.get $bias))
      (then (memory.fill (local.get $p) (i32.const 0) (i32.sub (local.get $end) (local.get $p))))
      (else
        (block $filled
          (loop $positions
            (br_if $filled (i32.ge_u (local.get $p) (local.get $end)))
            (memory.copy (local.get $p) (local.get $bias) (local.get $Co))
            (local.set $p (i32.add (local.get $p) (local.get $Co)))
            (br $positions)))))
    (call $convolve (local.get $g) (local.get $n0) (local.get $n1))
    (if (i32.eqz (i32.load offset=80 (local.get $g))) (then (return)))
    (local.set $lo (v128.load32_splat offset=84 (local.get $g)))
    (local.set $hi (v128.load32_splat offset=88 (local.get $g)))
    (local.set $p (i32.add (i32.load offset=4 (local.get $g)) (i32.mul (local.get $n0) (local.get $sample))))
    (block $clamped
      (loop $vectors
        (br_if $clamped (i32.ge_u (local.get $p) (local.get $end)))
        ;; pmax(v, lo) = v < lo ? lo : v, so NaN stays NaN (as in max(0, NaN) = NaN)
        (v128.store (local.get $p) (f32x4.pmin (f32x4.pmax (v128.load (local.get $p)) (local.get $lo)) (local.get $hi)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors))))

  ;; Input gradient: dx[n0..n1) = the convolution's transpose applied to dy.
  (func (export "conv_input_grad") (param $g i32) (param $n0 i32) (param $n1 i32)
    (local $sample i32) (local $start i32)
    (local.set $sample (i32.shl (i32.mul (i32.mul (i32.load offset=16 (local.get $g)) (i32.load offset=20 (local.get $g))) (i32.load offset=24 (local.get $g))) (i32.const 2)))
    (local.set $start (i32.add (i32.load offset=0 (local.get $g)) (i32.mul (local.get $n0) (local.get $sample))))
    (memory.fill (local.get $start) (i32.const 0) (i32.mul (i32.sub (local.get $n1) (local.get $n0)) (local.get $sample)))
    (call $convolve (local.get $g) (local.get $n0) (local.get $n1)))

;; Rows [r0, r1) of a [rows][srcRow bytes] block copied to [rows][dstRow bytes] (dstRow <=
  ;; srcRow): drops the padding channels of a result computed 8 channels wide.
  (func (export "compact_rows") (param $src i32) (param $dst i32) (param $r0 i32) (param $r1 i32) (param $srcRow i32) (param $dstRow i32)
    (local $r i32)
    (local.set $r (local.get $r0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $r1)))
        (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $dstRow)))
                     (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $srcRow)))
                     (local.get $dstRow))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
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

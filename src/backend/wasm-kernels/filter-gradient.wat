;; The filter gradient of a 2-D convolution, NHWC, as SIMD outer products:
;;   dW[a, b, ci, co] = sum over n, i, j of x[n, i*sh + a*dh - pt, j*sw + b*dw - pl, ci] * dy[n, i, j, co]
;; (taps outside the input contribute nothing). XNNPACK runs this as a convolution whose
;; reduction (batch x pixels) is far too long for its packed weights to stay in cache; here the
;; loops go over blocks of output rows outermost, so the x and dy rows of a block stay in cache,
;; and dW (taps x CiP x CoP floats, padded to 4 input and 8 output channels) is read and written
;; once per block. A thread takes a range of taps and of 4-channel input tiles.
;; The 4 x 8 tile (8 accumulators, 2 dy vectors, 1 x splat) fits the 16 SIMD registers V8 uses
;; on x86-64: 4 x 16 and 3 x 16 tiles spill and ran at 28 GFLOP/s a thread, 4 x 8 and 2 x 16 at 40.
;;
;; Reads past the last real channel land in padded rows and columns of dW only, which the
;; caller drops: x may be read up to 3 floats and dy up to 7 floats past their ends.
;; The build writes two binaries: this one (shared memory, for the threaded tfjs build) and one
;; whose memory import is not shared (the single-threaded build).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; A 4 x 8 tile of dW (rows cstride bytes apart) += the sum over rows x cols positions of
  ;; x[4 floats] (outer product) dy[8 floats]; x and dy advance xstep and dstep bytes a position
  ;; and xskip and dskip more at the end of a row.
  (func $tile (param $xp i32) (param $dp i32) (param $cp i32) (param $rows i32) (param $cols i32)
              (param $xstep i32) (param $dstep i32) (param $xskip i32) (param $dskip i32) (param $cstride i32)
    (local $count i32)
    (local $c0_0 v128)
    (local $c0_1 v128)
    (local $c1_0 v128)
    (local $c1_1 v128)
    (local $c2_0 v128)
    (local $c2_1 v128)
    (local $c3_0 v128)
    (local $c3_1 v128)
    (local $b0 v128)
    (local $b1 v128)
    (local $a v128)
    (local $r1 i32)
    (local $r2 i32)
    (local $r3 i32)
    (local.set $r1 (i32.add (local.get $cp) (local.get $cstride)))
    (local.set $r2 (i32.add (local.get $r1) (local.get $cstride)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $cstride)))
    (local.set $c0_0 (v128.load offset=0 (local.get $cp)))
    (local.set $c0_1 (v128.load offset=16 (local.get $cp)))
    (local.set $c1_0 (v128.load offset=0 (local.get $r1)))
    (local.set $c1_1 (v128.load offset=16 (local.get $r1)))
    (local.set $c2_0 (v128.load offset=0 (local.get $r2)))
    (local.set $c2_1 (v128.load offset=16 (local.get $r2)))
    (local.set $c3_0 (v128.load offset=0 (local.get $r3)))
    (local.set $c3_1 (v128.load offset=16 (local.get $r3)))
    (loop $rowLoop (local.set $count (local.get $cols)) (loop $positions
      (local.set $b0 (v128.load offset=0 (local.get $dp)))
      (local.set $b1 (v128.load offset=16 (local.get $dp)))
      (local.set $a (v128.load32_splat offset=0 (local.get $xp)))
      (local.set $c0_0 (f32x4.add (local.get $c0_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c0_1 (f32x4.add (local.get $c0_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=4 (local.get $xp)))
      (local.set $c1_0 (f32x4.add (local.get $c1_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c1_1 (f32x4.add (local.get $c1_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=8 (local.get $xp)))
      (local.set $c2_0 (f32x4.add (local.get $c2_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c2_1 (f32x4.add (local.get $c2_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=12 (local.get $xp)))
      (local.set $c3_0 (f32x4.add (local.get $c3_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c3_1 (f32x4.add (local.get $c3_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $xp (i32.add (local.get $xp) (local.get $xstep)))
      (local.set $dp (i32.add (local.get $dp) (local.get $dstep)))
      (br_if $positions (local.tee $count (i32.sub (local.get $count) (i32.const 1)))))
    (local.set $xp (i32.add (local.get $xp) (local.get $xskip)))
    (local.set $dp (i32.add (local.get $dp) (local.get $dskip)))
    (br_if $rowLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (v128.store offset=0 (local.get $cp) (local.get $c0_0))
    (v128.store offset=16 (local.get $cp) (local.get $c0_1))
    (v128.store offset=0 (local.get $r1) (local.get $c1_0))
    (v128.store offset=16 (local.get $r1) (local.get $c1_1))
    (v128.store offset=0 (local.get $r2) (local.get $c2_0))
    (v128.store offset=16 (local.get $r2) (local.get $c2_1))
    (v128.store offset=0 (local.get $r3) (local.get $c3_0))
    (v128.store offset=16 (local.get $r3) (local.get $c3_1))
  )

  ;; geometry block at $g (i32 words):
  ;; 0 x, 1 dy, 2 dW, 3 N, 4 H, 5 W, 6 Ci, 7 Ho, 8 Wo, 9 Co, 10 kh, 11 kw,
  ;; 12 sh, 13 sw, 14 dh, 15 dw, 16 pt, 17 pl, 18 CiP, 19 CoP, 20 rows per block
  ;; work: taps [tap0, tap1) x channel tiles [ct0, ct1), ct0 < ct1.
  ;; The output positions go by blocks of whole rows of one sample (their x and dy stay in
  ;; cache while every tap and tile of dW takes them); per tap, the positions of a block whose
  ;; tap falls inside the input form a rectangle [ilo, ihi) x [jlo, jhi), which a tile of dW
  ;; accumulates in registers in one $tile call.
  (func (export "filter_grad") (param $g i32) (param $tap0 i32) (param $tap1 i32) (param $ct0 i32) (param $ct1 i32)
    (local $n i32) (local $i0 i32) (local $i1 i32) (local $tap i32) (local $a i32) (local $b i32) (local $off i32)
    (local $ilo i32) (local $ihi i32) (local $jlo i32) (local $jhi i32) (local $ct i32) (local $ot i32)
    (local $N i32) (local $H i32) (local $W i32) (local $Ci i32) (local $Ho i32) (local $Wo i32) (local $Co i32)
    (local $kw i32) (local $sh i32) (local $sw i32) (local $dh i32) (local $dw i32) (local $pt i32) (local $pl i32)
    (local $CiP i32) (local $CoP i32) (local $coTiles i32) (local $block i32)
    (local $xSample i32) (local $dySample i32) (local $xs i32) (local $ds i32) (local $cTap i32) (local $cRow i32)
    (local $xstep i32) (local $dstep i32) (local $xskip i32) (local $dskip i32) (local $cstride i32)
    (local $rows i32) (local $cols i32)
    (local.set $N (i32.load offset=12 (local.get $g)))
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
    (local.set $CiP (i32.load offset=72 (local.get $g)))
    (local.set $CoP (i32.load offset=76 (local.get $g)))
    (local.set $block (i32.load offset=80 (local.get $g)))
    (local.set $coTiles (i32.shr_u (local.get $CoP) (i32.const 3)))
    (local.set $xstep (i32.shl (i32.mul (local.get $sw) (local.get $Ci)) (i32.const 2)))
    (local.set $dstep (i32.shl (local.get $Co) (i32.const 2)))
    (local.set $cstride (i32.shl (local.get $CoP) (i32.const 2)))
    (local.set $xSample (i32.load offset=0 (local.get $g)))
    (local.set $dySample (i32.load offset=4 (local.get $g)))
    (local.set $n (i32.const 0))
    (loop $samples
      (local.set $i0 (i32.const 0))
      (loop $blocks
        (local.set $i1 (i32.add (local.get $i0) (local.get $block)))
        (if (i32.gt_u (local.get $i1) (local.get $Ho)) (then (local.set $i1 (local.get $Ho))))
        (local.set $tap (local.get $tap0))
        (block $tapsDone
          (loop $taps
            (br_if $tapsDone (i32.ge_u (local.get $tap) (local.get $tap1)))
            (local.set $a (i32.div_u (local.get $tap) (local.get $kw)))
            (local.set $b (i32.rem_u (local.get $tap) (local.get $kw)))
            (block $skip
              ;; rows of the block with h = i*sh + off in [0, H)
              (local.set $off (i32.sub (i32.mul (local.get $a) (local.get $dh)) (local.get $pt)))
              (local.set $ilo (call $firstInside (local.get $off) (local.get $sh)))
              (if (i32.lt_s (local.get $ilo) (local.get $i0)) (then (local.set $ilo (local.get $i0))))
              (local.set $ihi (call $endInside (local.get $off) (local.get $sh) (local.get $H) (local.get $i1)))
              (br_if $skip (i32.ge_s (local.get $ilo) (local.get $ihi)))
              (local.set $xs (i32.mul (i32.add (i32.mul (local.get $ilo) (local.get $sh)) (local.get $off)) (local.get $W)))
              ;; columns with w = j*sw + off in [0, W)
              (local.set $off (i32.sub (i32.mul (local.get $b) (local.get $dw)) (local.get $pl)))
              (local.set $jlo (call $firstInside (local.get $off) (local.get $sw)))
              (local.set $jhi (call $endInside (local.get $off) (local.get $sw) (local.get $W) (local.get $Wo)))
              (br_if $skip (i32.ge_s (local.get $jlo) (local.get $jhi)))
              (local.set $rows (i32.sub (local.get $ihi) (local.get $ilo)))
              (local.set $cols (i32.sub (local.get $jhi) (local.get $jlo)))
              ;; the rectangle's first x pixel and first dy position, in bytes
              (local.set $xs (i32.add (local.get $xSample)
                (i32.shl (i32.mul (i32.add (local.get $xs) (i32.add (i32.mul (local.get $jlo) (local.get $sw)) (local.get $off))) (local.get $Ci)) (i32.const 2))))
              (local.set $ds (i32.add (local.get $dySample)
                (i32.shl (i32.mul (i32.add (i32.mul (local.get $ilo) (local.get $Wo)) (local.get $jlo)) (local.get $Co)) (i32.const 2))))
              (local.set $xskip (i32.sub (i32.shl (i32.mul (i32.mul (local.get $sh) (local.get $W)) (local.get $Ci)) (i32.const 2))
                                         (i32.mul (local.get $cols) (local.get $xstep))))
              (local.set $dskip (i32.sub (i32.shl (i32.mul (local.get $Wo) (local.get $Co)) (i32.const 2))
                                         (i32.mul (local.get $cols) (local.get $dstep))))
              (local.set $cTap (i32.add (i32.load offset=8 (local.get $g))
                (i32.shl (i32.mul (local.get $tap) (i32.mul (local.get $CiP) (local.get $CoP))) (i32.const 2))))
              (local.set $ct (local.get $ct0))
              (loop $ciTiles
                (local.set $cRow (i32.add (local.get $cTap) (i32.shl (i32.mul (local.get $ct) (local.get $CoP)) (i32.const 4))))
                (local.set $ot (i32.const 0))
                (loop $coTilesLoop
                  (call $tile
                    (i32.add (local.get $xs) (i32.shl (local.get $ct) (i32.const 4)))
                    (i32.add (local.get $ds) (i32.shl (local.get $ot) (i32.const 5)))
                    (i32.add (local.get $cRow) (i32.shl (local.get $ot) (i32.const 5)))
                    (local.get $rows) (local.get $cols) (local.get $xstep) (local.get $dstep)
                    (local.get $xskip) (local.get $dskip) (local.get $cstride))
                  (br_if $coTilesLoop (i32.lt_u (local.tee $ot (i32.add (local.get $ot) (i32.const 1))) (local.get $coTiles))))
                (br_if $ciTiles (i32.lt_u (local.tee $ct (i32.add (local.get $ct) (i32.const 1))) (local.get $ct1)))))
            (local.set $tap (i32.add (local.get $tap) (i32.const 1)))
            (br $taps)))
        (br_if $blocks (i32.lt_u (local.tee $i0 (local.get $i1)) (local.get $Ho))))
      (local.set $xSample (i32.add (local.get $xSample) (i32.shl (i32.mul (i32.mul (local.get $H) (local.get $W)) (local.get $Ci)) (i32.const 2))))
      (local.set $dySample (i32.add (local.get $dySample) (i32.shl (i32.mul (i32.mul (local.get $Ho) (local.get $Wo)) (local.get $Co)) (i32.const 2))))
      (br_if $samples (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $N)))))

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

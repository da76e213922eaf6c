;; The momentum update of one variable in one pass over its `count` elements, with the float32
;; operations of tfjs's MomentumOptimizer in its order (each a separate mul or add, never fused,
;; so every result is rounded as tfjs's Multiply and Add kernels round it):
;;   newAccumulation = momentum * accumulation + gradient
;;   newValue        = negativeRate * newAccumulation + value                          (momentum_update)
;;   newValue        = negativeRate * (gradient + newAccumulation * momentum) + value  (nesterov_update)
;; `momentum` and `negativeRate` (-learningRate) are read from the float32 scalar tensors the
;; optimizer holds them in. Outputs may be the inputs (an update in place): every element of the
;; three inputs is loaded before either output of that element is stored, so any aliasing
;; between inputs and outputs gives the same result as separate buffers.
;;
;; The build writes two binaries: this one (shared memory, for the threaded tfjs build) and one
;; whose memory import is not shared (the single-threaded build).
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "momentum_update")
    (param $gradient i32) (param $accumulation i32) (param $accumulationOut i32) (param $value i32) (param $valueOut i32)
    (param $count i32) (param $momentumAt i32) (param $negativeRateAt i32)
    (local $p i32) (local $end i32) (local $vectorEnd i32)
    (local $m v128) (local $c v128) (local $g v128) (local $a v128) (local $v v128)
    (local $ms f32) (local $cs f32) (local $gs f32) (local $as f32) (local $vs f32)
    (local.set $ms (f32.load (local.get $momentumAt)))
    (local.set $cs (f32.load (local.get $negativeRateAt)))
    (local.set $m (f32x4.splat (local.get $ms)))
    (local.set $c (f32x4.splat (local.get $cs)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (local.set $vectorEnd (i32.and (local.get $end) (i32.const -16)))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vectorEnd)))
        (local.set $g (v128.load (i32.add (local.get $gradient) (local.get $p))))
        (local.set $a (v128.load (i32.add (local.get $accumulation) (local.get $p))))
        (local.set $v (v128.load (i32.add (local.get $value) (local.get $p))))
        (local.set $a (f32x4.add (f32x4.mul (local.get $m) (local.get $a)) (local.get $g)))
        (local.set $v (f32x4.add (f32x4.mul (local.get $c) (local.get $a)) (local.get $v)))
        (v128.store (i32.add (local.get $accumulationOut) (local.get $p)) (local.get $a))
        (v128.store (i32.add (local.get $valueOut) (local.get $p)) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $singles
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $gradient) (local.get $p))))
        (local.set $as (f32.load (i32.add (local.get $accumulation) (local.get $p))))
        (local.set $vs (f32.load (i32.add (local.get $value) (local.get $p))))
        (local.set $as (f32.add (f32.mul (local.get $ms) (local.get $as)) (local.get $gs)))
        (local.set $vs (f32.add (f32.mul (local.get $cs) (local.get $as)) (local.get $vs)))
        (f32.store (i32.add (local.get $accumulationOut) (local.get $p)) (local.get $as))
        (f32.store (i32.add (local.get $valueOut) (local.get $p)) (local.get $vs))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $singles))))

  (func (export "nesterov_update")
    (param $gradient i32) (param $accumulation i32) (param $accumulationOut i32) (param $value i32) (param $valueOut i32)
    (param $count i32) (param $momentumAt i32) (param $negativeRateAt i32)
    (local $p i32) (local $end i32) (local $vectorEnd i32)
    (local $m v128) (local $c v128) (local $g v128) (local $a v128) (local $v v128)
    (local $ms f32) (local $cs f32) (local $gs f32) (local $as f32) (local $vs f32)
    (local.set $ms (f32.load (local.get $momentumAt)))
    (local.set $cs (f32.load (local.get $negativeRateAt)))
    (local.set $m (f32x4.splat (local.get $ms)))
    (local.set $c (f32x4.splat (local.get $cs)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (local.set $vectorEnd (i32.and (local.get $end) (i32.const -16)))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vectorEnd)))
        (local.set $g (v128.load (i32.add (local.get $gradient) (local.get $p))))
        (local.set $a (v128.load (i32.add (local.get $accumulation) (local.get $p))))
        (local.set $v (v128.load (i32.add (local.get $value) (local.get $p))))
        (local.set $a (f32x4.add (f32x4.mul (local.get $m) (local.get $a)) (local.get $g)))
        ;; negativeRate * (gradient + newAccumulation * momentum) + value
        (local.set $v
          (f32x4.add
            (f32x4.mul (local.get $c) (f32x4.add (local.get $g) (f32x4.mul (local.get $a) (local.get $m))))
            (local.get $v)))
        (v128.store (i32.add (local.get $accumulationOut) (local.get $p)) (local.get $a))
        (v128.store (i32.add (local.get $valueOut) (local.get $p)) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $singles
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $gradient) (local.get $p))))
        (local.set $as (f32.load (i32.add (local.get $accumulation) (local.get $p))))
        (local.set $vs (f32.load (i32.add (local.get $value) (local.get $p))))
        (local.set $as (f32.add (f32.mul (local.get $ms) (local.get $as)) (local.get $gs)))
        (local.set $vs
          (f32.add
            (f32.mul (local.get $cs) (f32.add (local.get $gs) (f32.mul (local.get $as) (local.get $ms))))
            (local.get $vs)))
        (f32.store (i32.add (local.get $accumulationOut) (local.get $p)) (local.get $as))
        (f32.store (i32.add (local.get $valueOut) (local.get $p)) (local.get $vs))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $singles))))
)

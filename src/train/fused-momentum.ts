import * as tf from '@tensorflow/tfjs';
import { renewDataNumber, type WasmBackend } from '../backend/wasm-internals.js';
import { runMomentumUpdate } from '../backend/wasm-kernels/momentum-update.js';

/**
 * The private state of tfjs's MomentumOptimizer (and of SGDOptimizer, its parent) the fused
 * update reads and fills, as tfjs-core 4.22.0 (PINNED_TFJS_VERSION) keeps it.
 */
interface MomentumState {
  /** The momentum as a float32 scalar, made once by the constructor. */
  m: tf.Scalar;
  /** -learningRate as a float32 scalar, renewed by setLearningRate. */
  c: tf.Scalar;
  useNesterov: boolean;
  /** One slot per position in applyGradients' list, named `${variable}/momentum` (getWeights and setWeights use them). */
  accumulations: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

/** One variable's update: its value, its accumulation slot, its gradient, and the optimizer's two scalars. */
interface VariableUpdate {
  value: tf.Variable;
  accumulation: tf.Variable;
  gradient: tf.Tensor;
  momentum: tf.Scalar;
  negativeRate: tf.Scalar;
  nesterov: boolean;
}

/**
 * tfjs's MomentumOptimizer whose update runs, on the wasm backend, as one kernel call per
 * variable (momentum.wat) on the heap instead of four Multiply/Add kernels and two assigns
 * through the engine. The kernel performs tfjs's float32 operations in tfjs's order, so the
 * weights and slots are bit for bit those of `tf.train.momentum`. Everything else (slots,
 * getWeights/setWeights, setLearningRate, dispose) is tfjs's own; on other backends, or when a
 * tensor is not on the wasm heap, tfjs's own update runs.
 *
 * Writing in place: a variable (value or slot) is overwritten in place only when no other tensor
 * shares its data (BackendWasm's refCount is 1). tfjs's assign hands the variable a new buffer
 * and leaves the old one to any other holder (a tensor it was made from or assigned from, as
 * `setWeights` and `loadCheckpoint` do, or a Reshape of it, which shares data on wasm): such a
 * variable is written to a new buffer and assigned it, as tfjs does, so the other holders keep
 * the old values. Outside the update nobody can tell: a Variable object is the same object
 * either way. After an in-place write the data gets a fresh number on the C++ side
 * (renewDataNumber): C++ work cached for the old values (MatMul's XNNPACK operator, which packs
 * its weights) is dropped, as it is when tfjs disposes the old buffer.
 */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(variableGradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    if (tf.getBackend() !== 'wasm') {
      super.applyGradients(variableGradients);
      return;
    }
    const backend = tf.backend() as WasmBackend;
    const state = this as unknown as MomentumState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((item) => item.name) : Object.keys(variableGradients);
    names.forEach((name, i) => {
      // As tfjs's applyGradients: a zero slot per position, made on first use, even without a gradient.
      const value = tf.engine().registeredVariables[name];
      state.accumulations[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient == null) return;
      const update = { value, accumulation: state.accumulations[i]!.variable, gradient, momentum: state.m, negativeRate: state.c, nesterov: state.useNesterov };
      if (!updateOnHeap(backend, update)) updateWithOps(update);
    });
    this.incrementIterations();
  }
}

/** Whether all five tensors are float32 data of this wasm backend, the three arrays of one size. */
function heapReady(backend: WasmBackend, { value, accumulation, gradient, momentum, negativeRate }: VariableUpdate): boolean {
  const tensors = [value, accumulation, gradient, momentum, negativeRate];
  if (!tensors.every((t) => t.dtype === 'float32' && backend.refCount(t.dataId) > 0)) return false;
  return accumulation.size === value.size && gradient.size === value.size && momentum.size === 1 && negativeRate.size === 1;
}

/** Where a variable's new data goes: its own buffer when nobody shares it, else a new one (see the class). */
function destinationOf(backend: WasmBackend, variable: tf.Variable): tf.TensorInfo | undefined {
  return backend.refCount(variable.dataId) === 1 ? undefined : backend.makeOutput(variable.shape, 'float32');
}

/** After the kernel: a new buffer is assigned to the variable; data written in place gets a fresh number. */
function settle(backend: WasmBackend, variable: tf.Variable, destination: tf.TensorInfo | undefined): void {
  if (!destination) {
    renewDataNumber(backend, variable.dataId);
    return;
  }
  const fresh = tf.engine().makeTensorFromTensorInfo(destination);
  variable.assign(fresh);
  fresh.dispose();
}

/** The update as one momentum.wat call on the heap; false (nothing done) when a tensor is not ready for it. */
function updateOnHeap(backend: WasmBackend, update: VariableUpdate): boolean {
  if (!heapReady(backend, update)) return false;
  const { value, accumulation, gradient, momentum, negativeRate, nesterov } = update;
  const accumulationOut = destinationOf(backend, accumulation);
  const valueOut = destinationOf(backend, value);
  const offset = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
  runMomentumUpdate(
    backend,
    {
      gradient: offset(gradient),
      accumulation: offset(accumulation),
      accumulationOut: offset(accumulationOut ?? accumulation),
      value: offset(value),
      valueOut: offset(valueOut ?? value),
      count: value.size,
      momentum: offset(momentum),
      negativeRate: offset(negativeRate),
    },
    nesterov,
  );
  settle(backend, accumulation, accumulationOut);
  settle(backend, value, valueOut);
  return true;
}

/** tfjs 4.22.0's MomentumOptimizer update of one variable, op for op (momentum_optimizer.js). */
function updateWithOps({ value, accumulation, gradient, momentum, negativeRate, nesterov }: VariableUpdate): void {
  tf.tidy(() => {
    const newAccumulation = tf.add(tf.mul(momentum, accumulation), gradient);
    const newValue = nesterov ? tf.add(tf.mul(negativeRate, tf.add(gradient, tf.mul(newAccumulation, momentum))), value) : tf.add(tf.mul(negativeRate, newAccumulation), value);
    accumulation.assign(newAccumulation);
    value.assign(newValue);
  });
}

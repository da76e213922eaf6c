import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
// The package registers its kernels when loaded: load it first, or it would overwrite our replacements.
import '@tensorflow/tfjs-backend-wasm';
import { shareData } from '../wasm-internals.js';
import { depthwiseFilterGradient, depthwiseInputGradient, makeDepthwiseKernel } from './depthwise.js';
import { withExplicitSamePadding } from './explicit-same-padding.js';
import { conv2DBackpropFilter } from './filter-gradients.js';
import { conv2DBackpropInput } from './input-gradients.js';
import { makeReductionKernel } from './reductions.js';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, batchNormTraining, batchNormTrainingGrad } from './simd-batch-norm.js';
import { makeConvolutionKernel } from './simd-convolution.js';
import { CLAMP_KERNELS, CLIP_GRAD, clipGrad, makeClampKernel } from './simd-clip.js';
import { RELU_GRAD, reluGrad } from './simd-relu-grad.js';
import { makeTileKernel } from './tile.js';

/**
 * Training kernels for the wasm backend. The first three are missing from tfjs-backend-wasm
 * 4.22 (all three our SIMD kernels: filter-gradient.wat, depthwise.wat); its own
 * Conv2DBackpropInput is an element loop, replaced by our SIMD kernel or forward convolutions;
 * the last four are our SIMD passes that fused-batch-norm.ts, relu-gradient.ts and
 * clip-gradient.ts call on wasm.
 */
export const WASM_TRAINING_KERNELS: Array<{ kernelName: string; kernelFunc: KernelFunc }> = [
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilter as unknown as KernelFunc },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', kernelFunc: depthwiseFilterGradient as unknown as KernelFunc },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', kernelFunc: depthwiseInputGradient as unknown as KernelFunc },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInput as unknown as KernelFunc },
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: batchNormTraining },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: batchNormTrainingGrad },
  { kernelName: RELU_GRAD, kernelFunc: reluGrad },
  { kernelName: CLIP_GRAD, kernelFunc: clipGrad },
];

let registered = false;

function makeIdentityKernel(copying: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return copying(args);
    shareData(args.backend, x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Registers a kernel for wasm in place of any existing one, keeping the existing one's setup (its wasm bindings). */
function replaceKernel(kernelName: string, kernelFunc: KernelFunc): void {
  const existing = getKernel(kernelName, 'wasm');
  if (existing != null) unregisterKernel(kernelName, 'wasm');
  const config: KernelConfig = { kernelName, backendName: 'wasm', kernelFunc, setupFunc: existing?.setupFunc };
  registerKernel(config);
}

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const { kernelName, kernelFunc } of WASM_TRAINING_KERNELS) replaceKernel(kernelName, kernelFunc);
  // Tile: BatchNormalization's gradient spends a third of a CNN step in wasm's element-loop Tile.
  const wasmTile = getKernel('Tile', 'wasm');
  if (wasmTile) replaceKernel('Tile', makeTileKernel(wasmTile.kernelFunc));
  // Identity: a new reference to the same data, as the cpu backend does (wasm's copies it; a
  // ResNet step makes 66 of them, 66 ms).
  const wasmIdentity = getKernel('Identity', 'wasm');
  if (wasmIdentity) replaceKernel('Identity', makeIdentityKernel(wasmIdentity.kernelFunc));
  // Convolutions whose channels fit convolution.wat's tiles; the rest go to XNNPACK with 'same'
  // padding made explicit (its own goes wrong for some shapes: explicit-same-padding.ts).
  for (const convolution of ['Conv2D', 'FusedConv2D'] as const) {
    const wasmKernel = getKernel(convolution, 'wasm');
    if (wasmKernel) replaceKernel(convolution, makeConvolutionKernel(withExplicitSamePadding(wasmKernel.kernelFunc, false)));
  }
  // FusedDepthwiseConv2D (tf.fused.depthwiseConv2d, graph models; not Keras layers) stays XNNPACK's, with the same fix.
  const wasmFusedDepthwise = getKernel('FusedDepthwiseConv2D', 'wasm');
  if (wasmFusedDepthwise) replaceKernel('FusedDepthwiseConv2D', withExplicitSamePadding(wasmFusedDepthwise.kernelFunc, true));
  // Relu, Relu6, ClipByValue (ReLU6 layers run a Relu and a clip): one threaded SIMD pass each.
  for (const clamp of CLAMP_KERNELS) {
    const wasmKernel = getKernel(clamp, 'wasm');
    if (wasmKernel) replaceKernel(clamp, makeClampKernel(clamp, wasmKernel.kernelFunc));
  }
  // Depthwise convolutions (NHWC): depthwise.wat, as their gradients.
  const wasmDepthwise = getKernel('DepthwiseConv2dNative', 'wasm');
  if (wasmDepthwise) replaceKernel('DepthwiseConv2dNative', makeDepthwiseKernel(wasmDepthwise.kernelFunc));
  // Sum and Mean over leading axes: BatchNormalization's statistics and gradient.
  for (const reduction of ['Sum', 'Mean'] as const) {
    const wasmKernel = getKernel(reduction, 'wasm');
    if (wasmKernel) replaceKernel(reduction, makeReductionKernel(reduction, wasmKernel.kernelFunc));
  }
  registered = true;
}

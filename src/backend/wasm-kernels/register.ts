import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs';
import { conv2DBackpropFilter, depthwiseConv2dNativeBackpropFilter } from './filter-gradients.js';
import { conv2DBackpropInput, depthwiseConv2dNativeBackpropInput } from './input-gradients.js';
import { makeReductionKernel } from './reductions.js';
import { makeConvolutionKernel } from './simd-convolution.js';
import { makeTileKernel } from './tile.js';
import { makeTransposeKernel } from './transpose.js';

/**
 * Training kernels for the wasm backend, as compositions of the XNNPACK convolutions it has.
 * The first three are missing from tfjs-backend-wasm 4.22; its own Conv2DBackpropInput is an
 * element loop, replaced here by a forward convolution.
 */
export const WASM_TRAINING_KERNELS: Array<{ kernelName: string; kernelFunc: KernelFunc }> = [
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilter as unknown as KernelFunc },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInput as unknown as KernelFunc },
];

let registered = false;

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
  // Transpose NHWC -> CHWN: the filter gradient's input.
  const wasmTranspose = getKernel('Transpose', 'wasm');
  if (wasmTranspose) replaceKernel('Transpose', makeTransposeKernel(wasmTranspose.kernelFunc));
  // Convolutions whose channels fit convolution.wat's tiles.
  for (const convolution of ['Conv2D', 'FusedConv2D'] as const) {
    const wasmKernel = getKernel(convolution, 'wasm');
    if (wasmKernel) replaceKernel(convolution, makeConvolutionKernel(wasmKernel.kernelFunc));
  }
  // Sum and Mean over leading axes: BatchNormalization's statistics and gradient.
  for (const reduction of ['Sum', 'Mean'] as const) {
    const wasmKernel = getKernel(reduction, 'wasm');
    if (wasmKernel) replaceKernel(reduction, makeReductionKernel(reduction, wasmKernel.kernelFunc));
  }
  registered = true;
}

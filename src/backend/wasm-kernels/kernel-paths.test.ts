import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../select.js';
import { VECTOR } from './depthwise-layout.js';
import { convolutionPath, DEPTHWISE_CHANNEL_VECTOR, widthClass, widthRulesFor } from './kernel-paths.js';
import { makeConvolutionKernel } from './simd-convolution.js';

describe('kernel paths by width', () => {
  it('a convolution: whole tiles of 8, padded tiles from 32 result channels, XNNPACK otherwise', () => {
    expect(convolutionPath(16, 8)).toEqual({ kernel: 'simd', computedChannels: 16 });
    expect(convolutionPath(24, 3)).toEqual({ kernel: 'xnnpack', computedChannels: 24 }); // reduction < 8
    expect(convolutionPath(31, 16)).toEqual({ kernel: 'xnnpack', computedChannels: 31 }); // unaligned below 32
    expect(convolutionPath(33, 16)).toEqual({ kernel: 'simd-padded', computedChannels: 40 }); // ceil(33 / 8) * 8
    expect(convolutionPath(40, 16)).toEqual({ kernel: 'simd', computedChannels: 40 });
  });

  it('classes per axis: result channels (three), reduction channels (two), depthwise channels (tiles of 4)', () => {
    expect([8, 12, 32, 33, 47, 48].map((w) => widthClass('conv-result', w))).toEqual([
      { name: 'simd', computedWidth: 8 },
      { name: 'xnnpack', computedWidth: 12 },
      { name: 'simd', computedWidth: 32 },
      { name: 'simd-padded', computedWidth: 40 },
      { name: 'simd-padded', computedWidth: 48 },
      { name: 'simd', computedWidth: 48 },
    ]);
    expect([7, 8, 13].map((w) => widthClass('conv-reduction', w).name)).toEqual(['xnnpack', 'simd', 'simd']);
    expect([6, 8].map((w) => widthClass('depthwise-channels', w))).toEqual([
      { name: 'simd-padded', computedWidth: 8 },
      { name: 'simd', computedWidth: 8 },
    ]);
    // With the other axis's width: a reduction below 8 makes every result XNNPACK, unpadded; an
    // unaligned result below 32 makes every reduction XNNPACK.
    expect(widthClass('conv-result', 33, 3)).toEqual({ name: 'xnnpack', computedWidth: 33 });
    expect(widthClass('conv-reduction', 16, 12).name).toBe('xnnpack');
    expect(widthClass('conv-reduction', 16, 33).name).toBe('simd');
    expect(widthClass(undefined, 37)).toEqual({ name: 'any', computedWidth: 37 });
    expect(DEPTHWISE_CHANNEL_VECTOR).toBe(VECTOR);
  });

  it('rules on wasm only, for Conv2D and DepthwiseConv2D', () => {
    expect(widthRulesFor('wasm', 'Conv2D')).toEqual({ input: 'conv-reduction', output: 'conv-result' });
    expect(widthRulesFor('wasm', 'DepthwiseConv2D')).toEqual({ input: 'depthwise-channels' });
    expect(widthRulesFor('wasm', 'Dense')).toEqual({});
    expect(widthRulesFor('tensorflow', 'Conv2D')).toEqual({});
  });
});

describe('the convolution kernel takes the path convolutionPath names', () => {
  beforeAll(async () => {
    await initBackend('wasm', 1);
  });

  /** Whether the kernel handed a 1x3x3xCi input and a 1x1xCixCo filter to XNNPACK. */
  function ranXnnpack(inChannels: number, outChannels: number): boolean {
    let called = false;
    const x = tf.zeros([1, 3, 3, inChannels]);
    const filter = tf.zeros([1, 1, inChannels, outChannels]);
    const xnnpack: KernelFunc = () => {
      called = true;
      return x as unknown as TensorInfo;
    };
    const backend = tf.backend();
    const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
    const result = makeConvolutionKernel(xnnpack)({ inputs: { x, filter }, backend, attrs }) as TensorInfo;
    if (!called) backend.disposeData(result.dataId);
    tf.dispose([x, filter]);
    return called;
  }

  it('at the widths around every boundary', () => {
    const widths = [
      [7, 8],
      [8, 8],
      [8, 12],
      [8, 31],
      [8, 32],
      [16, 33],
      [16, 40],
    ];
    // 7 reduction channels, 12 and 31 unaligned result channels below 32: XNNPACK; the rest convolution.wat.
    expect(widths.map(([ci, co]) => ranXnnpack(ci, co))).toEqual([true, false, true, true, false, false, false]);
    expect(widths.map(([ci, co]) => convolutionPath(co, ci).kernel === 'xnnpack')).toEqual([true, false, true, true, false, false, false]);
  });
});

import { describe, expect, it } from 'vitest';
import { BUILTIN_HARDWARE, type TableHardware } from '../cost/hardware.js';
import { classBoundariesAbove, costMayFallWithWidth } from './class-boundaries.js';

describe('class boundaries', () => {
  it('lists the multiples of 4 above a width up to the next multiple of 8', () => {
    expect(classBoundariesAbove(25)).toEqual([28, 32]);
    expect(classBoundariesAbove(31)).toEqual([32]);
    expect(classBoundariesAbove(32)).toEqual([36, 40]);
    expect(classBoundariesAbove(1)).toEqual([4, 8]);
  });

  it('only latency read from a measured table can fall with width', () => {
    const table = { name: 'wasm-2t', path: 'wasm-2t.json', table: {} } as TableHardware;
    expect(costMayFallWithWidth('latency', { hardware: table })).toBe(true);
    expect(costMayFallWithWidth('latency', { hardware: BUILTIN_HARDWARE.T4 })).toBe(false);
    expect(costMayFallWithWidth('flops', { hardware: table })).toBe(false);
    expect(costMayFallWithWidth('size')).toBe(false);
  });
});

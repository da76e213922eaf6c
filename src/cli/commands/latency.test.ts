import { describe, expect, it } from 'vitest';
import { handMadeLayer, handMadeTable } from '../../cost/latency-table-fixtures.js';
import type { TableCalibration } from '../../cost/latency-table.js';
import { renderLatencyTable } from './latency.js';

/** One dense layer: 2 ms at its 8 units, overhead 0.5 ms: whole 2.5 ms. */
const table = (calibration?: TableCalibration) => ({
  ...handMadeTable('f', [handMadeLayer('fc', 'Dense', [null, 4], [null, 8], [4], [4, 8], [[1, 2]])], 2, 0.5),
  ...(calibration ? { calibration } : {}),
});
const calibration: TableCalibration = { structure: 'every prunable group at 50% of its width, in multiples of 8', pairs: 31, measuredShare: 0.437, uncalibratedShare: 0.556, layerScale: 1.268, applied: true };

describe('morphnet latency: the table as printed', () => {
  it('the totals, then what the calibration measured and did', () => {
    const lines = renderLatencyTable(table(calibration), 'latency/t.json').split('\n');
    expect(lines[1]).toBe('whole model 2.50 ms (IQR 0.00); 1 layers sum to 2.00 ms; overhead 0.500 ms');
    expect(lines[2]).toBe(
      "calibrated on every prunable group at 50% of its width, in multiples of 8: it ran at 43.7% of the seed's time (31 pairs), the layers timed alone said 55.6%; every layer's time scaled by 1.268",
    );
  });

  it('says so when the factor was out of range, and nothing for a table from before calibration', () => {
    const lines = renderLatencyTable(table({ ...calibration, layerScale: 1, applied: false }), 'latency/t.json').split('\n');
    expect(lines[2]).toBe(
      "calibrated on every prunable group at 50% of its width, in multiples of 8: it ran at 43.7% of the seed's time (31 pairs), the layers timed alone said 55.6%; the factor that fits both was out of range, so the table is as measured",
    );
    expect(renderLatencyTable(table(), 'latency/t.json').split('\n')[2]).toBe("the 1 slowest layers at the seed's widths:");
  });
});

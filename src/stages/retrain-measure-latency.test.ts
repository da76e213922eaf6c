import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandStage } from './expand.js';
import { retrainStage } from './retrain.js';
import { shrinkStage } from './shrink.js';

describe('retrain.measureLatency', () => {
  it('false: the models are trained and saved, none is timed (no <model>/latency.json)', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'morphnet-retrain-no-latency-'));
    await shrinkStage({
      runDir,
      toolVersion: 'test',
      overrides: {
        backend: 'wasm',
        model: { zoo: 'cnn', options: { width: 0.25 } },
        data: { dataset: 'synthetic', samples: 64, validationSplit: 0, batchSize: 16 },
        shrink: { steps: 2, strength: 1e-6 },
        retrain: { steps: 2, baseline: 'uniform', measureLatency: false },
      },
    });
    // zoo:cnn at width 0.25: 1,016,704 FLOPs; expanded to 600k.
    await expandStage({ runDir, target: { resource: 'flops', value: 600e3 }, toolVersion: 'test' });
    const result = await retrainStage({ runDir, toolVersion: 'test' });
    expect(result.retrain?.steps).toBe(2);
    expect(result.baseline?.steps).toBe(2);
    for (const model of ['seed', 'retrain', 'baseline']) expect(existsSync(join(runDir, model, 'latency.json')), model).toBe(false);
    for (const model of ['retrain', 'baseline']) expect(existsSync(join(runDir, model, 'model', 'model.json')), model).toBe(true);
  });
});

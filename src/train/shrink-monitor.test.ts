import { describe, expect, it } from 'vitest';
import { ShrinkMonitor, type AliveSource, type ShrinkMonitorOptions } from './shrink-monitor.js';

const THRESHOLD = 0.01;
/** Per component: its cost while alive. Components 0-2 form group 1, 3-4 group 4; the seed costs 10 x 3 + 5 x 2 = 40. */
const COSTS = [10, 10, 10, 5, 5];

/** A regularizer stand-in whose scores the test sets. */
class FakeScores implements AliveSource {
  readonly groups = [{ group: { id: 1, components: [0, 1, 2] } }, { group: { id: 4, components: [3, 4] } }];
  scores = [1, 1, 1, 1, 1];
  private alive = new Float64Array(5).fill(1);
  updateAlive(): Float64Array {
    this.alive = Float64Array.from(this.scores, (s) => (s > THRESHOLD ? 1 : 0));
    return this.alive;
  }
  aliveComponents(): Float64Array {
    return this.alive;
  }
  cost(): number {
    return COSTS.reduce((sum, c, i) => sum + c * this.alive[i], 0);
  }
}

const losses = { loss: 1, taskLoss: 0.9, regLoss: 0.1 };
const monitorWith = (source: FakeScores, options: Partial<ShrinkMonitorOptions> = {}) =>
  new ShrinkMonitor(source, { totalSteps: 60, initialCost: 40, exportEvery: 5, target: 'flops', ...options });

describe('ShrinkMonitor', () => {
  it('counts alive channels per group and their cost from the scores', () => {
    const source = new FakeScores();
    source.scores = [0.5, 0.005, 0.2, 0.001, 0.3];
    const monitor = monitorWith(source);
    // alive 1, 0, 1 | 0, 1: group 1 keeps 2, group 4 keeps 1; cost 10 + 10 + 5 = 25
    expect(monitor.measure()).toEqual({ cost: 25, alive: { 1: 2, 4: 1 } });
    expect(monitor.totalChannels).toBe(5);
  });

  it('reports progress after each step and says when the structure is due for export', () => {
    const source = new FakeScores();
    const monitor = monitorWith(source);
    const measured = monitor.measure();
    expect(monitor.afterStep(losses, { step: 4, epoch: 0, batchInEpoch: 4 }, measured, 2e-3)).toBe(false);
    expect(monitor.afterStep(losses, { step: 5, epoch: 1, batchInEpoch: 0 }, measured, 2e-3)).toBe(true); // 5 % exportEvery 5
    expect(monitor.latest()).toEqual({ step: 5, totalSteps: 60, epoch: 1, ...losses, cost: 40, initialCost: 40, aliveChannels: 5, totalChannels: 5, lambda: 2e-3 });
    expect(monitor.epochProgress(0.75)?.valAccuracy).toBe(0.75);
  });

  it('hints to raise the strength when nothing has died by half of the run, not when a goal steers lambda', () => {
    const fixed = monitorWith(new FakeScores());
    fixed.afterStep(losses, { step: 30, epoch: 2, batchInEpoch: 0 }, fixed.measure(), 1e-3); // 30 = 60 / 2
    expect(fixed.hints).toEqual(['nothing has died by half of the run (step 30 of 60): raise shrink.strength x10 (now 0.00100)']);
    const steered = monitorWith(new FakeScores(), { goal: { text: '50%', cost: 20 } });
    steered.afterStep(losses, { step: 30, epoch: 2, batchInEpoch: 0 }, steered.measure(), 1e-3);
    expect(steered.hints).toEqual([]);
  });

  it('hints when the cost collapses under a fixed strength', () => {
    const monitor = monitorWith(new FakeScores());
    monitor.finish(0.6, 5e-2); // 0.6 / 40 = 1.5% <= 2%
    expect(monitor.hints).toEqual(["the flops cost collapsed to 1.5% of the seed's: lower shrink.strength (now 0.0500) or raise shrink.threshold"]);
  });

  it('hints when a goal is missed by more than 5%, and only then', () => {
    const heard: string[] = [];
    const monitor = monitorWith(new FakeScores(), { goal: { text: '50%', cost: 20 }, onHint: (m) => heard.push(m) });
    monitor.finish(20.9, 1e-3); // 20.9 / 20 = 1.045: within 5%
    expect(monitor.hints).toEqual([]);
    monitor.finish(22, 1e-3); // 22 / 20 = 1.1 (55% of the seed's 40)
    expect(heard).toEqual([
      "the flops cost ended at 22 (55.0% of the seed's), not within 5% of shrink.goal 50% (20); lambda ended at 1.00e-3: give more shrink.epochs so that lambda has time to steer",
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveConfig } from './load.js';
import { configProblems } from './test-problems.js';
import { configSchema } from './schema.js';
import { sweepSchema } from './sweep-schema.js';

/** The sweep section of a config, as the config loader resolves it. */
const parseSweep = (raw: unknown) => resolveConfig({ model: { zoo: 'cnn' }, sweep: raw }).sweep;

/** What the config loader says of a bad sweep section: `path: message` per problem. */
const problems = (raw: unknown) => configProblems(() => parseSweep(raw));

describe('the sweep: section', () => {
  it('fills defaults: a log grid of 5 strengths x3 apart around auto, seeds 1, 2, 3, every arm, pick closest', () => {
    expect(parseSweep({ budgets: [0.5] })).toEqual({
      strengths: { grid: 'log', around: 'auto', count: 5, factor: 3 },
      budgets: [0.5],
      seeds: [1, 2, 3],
      arms: ['morphnet', 'uniform', 'seed'],
      pick: 'closest',
    });
  });

  it('budgets: fractions, percentages and SI amounts, each to one number (<= 1 a fraction, > 1 an amount)', () => {
    expect(parseSweep({ budgets: [0.25, '50%', '7.5M', 2e6, '100%'] })!.budgets).toEqual([0.25, 0.5, 7.5e6, 2e6, 1]);
  });

  it('strengths: goal (one shrink per budget, seeking it) with pick closest; pick all is refused', () => {
    expect(parseSweep({ strengths: 'goal', budgets: ['25%', 0.5] })).toMatchObject({ strengths: 'goal', budgets: [0.25, 0.5], pick: 'closest' });
    expect(sweepSchema.parse(sweepSchema.parse({ strengths: 'goal', budgets: [0.5] }))).toMatchObject({ strengths: 'goal' });
    expect(problems({ strengths: 'goal', budgets: [0.5], pick: 'all' })).toEqual([
      'sweep.pick: expected closest with strengths: goal (each budget is served by the shrink that sought it); remove pick, or list strengths to compare every shrink at every budget, received "all"',
    ]);
    expect(problems({ strengths: 'goals', budgets: [0.5] })).toEqual([
      'sweep.strengths: expected a list of strengths ([1e-7, 3e-7]), a log grid ({grid: log, count: 5, factor: 3}), or goal (one shrink per budget, seeking it), received "goals"',
    ]);
  });

  it('resource: the budgets\' resource when it is not shrink.target; refused with strengths: goal', () => {
    expect(parseSweep({ strengths: [1e-7], budgets: ['50%'], resource: 'flops' })).toMatchObject({ resource: 'flops' });
    expect(parseSweep({ budgets: ['50%'] })!.resource).toBeUndefined();
    expect(problems({ strengths: 'goal', budgets: [0.5], resource: 'size' })).toEqual([
      'sweep.resource: expected no resource with strengths: goal (each shrink seeks its budget in shrink.target); remove resource, or list strengths, received "size"',
    ]);
    expect(problems({ budgets: [0.5], resource: 'memory' })[0]).toMatch(/^sweep\.resource: .*flops.*size.*latency.*activations.*received "memory"/);
  });

  it('its output parses to itself, so a resolved config stays valid', () => {
    const once = sweepSchema.parse({ strengths: { grid: 'log', count: 3 }, budgets: ['25%', '7.5M'], seeds: [3, 4], arms: ['uniform'], pick: 'all' });
    expect(sweepSchema.parse(once)).toEqual(once);
  });

  it('bad input as a new user writes it: every problem at once, with the key, the value and what is expected', () => {
    expect(problems({ budgets: ['half', '150%', 0], seeds: [], arms: ['morphnet', 'random'], pik: 'all' })).toEqual([
      'sweep.budgets.0: expected a fraction of the seed\'s cost (0.25, "50%") or an amount of the target resource with an optional SI suffix (7.5M, 45k), received "half"',
      "sweep.budgets.1: expected at most 100% (the seed's own cost), received \"150%\"",
      'sweep.budgets.2: expected a fraction of the seed\'s cost (0.25, "50%") or an amount of the target resource with an optional SI suffix (7.5M, 45k), received 0',
      'sweep.seeds: expected a list of at least 1 item, received []',
      'sweep.arms.1: expected one of "morphnet", "uniform", "seed", received "random"',
      'sweep.pik: unknown key; did you mean "pick"? (valid keys here: strengths, budgets, resource, seeds, arms, pick)',
    ]);
    expect(problems({})).toEqual(['sweep.budgets: required: expected array']);
    expect(problems({ budgets: [0.5, 0.5], seeds: [1, 1.5] })).toEqual(['sweep.budgets: expected distinct budgets, received [0.5,0.5]', 'sweep.seeds.1: expected int, received 1.5']);
  });

  it('is an optional section of the experiment config, with a JSON Schema for editors', () => {
    expect(configSchema.parse({ model: { zoo: 'cnn' } }).sweep).toBeUndefined();
    const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, { properties?: Record<string, unknown> }> };
    expect(Object.keys(schema.properties.sweep.properties!)).toEqual(['strengths', 'budgets', 'resource', 'seeds', 'arms', 'pick']);
  });
});

import { z } from 'zod';
import { parsePercent } from './percent.js';
import { parseSiNumber } from './si-number.js';
import { sweepSchema } from './sweep-schema.js';

/**
 * The experiment config (DESIGN.md "The config file"). Every key has a default except
 * `model`; unknown keys are errors. Numbers that count resources accept SI suffixes.
 */

const positiveInt = z.number().int().positive();

/**
 * An expand budget: an amount of the resource (a positive number; SI suffixes allowed where
 * `si`), or a percentage of the seed's own cost of it ("50%", kept as that text; above 100%
 * grows past the seed), which the expand stage resolves once the seed's cost is known.
 */
const expandBudget = (si: boolean) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const percent = parsePercent(value);
    if (percent !== undefined && percent > 0) return `${percent}%`;
    const amount = si || typeof value === 'number' ? parseSiNumber(value) : undefined;
    if (amount !== undefined && amount > 0) return amount;
    const example = si ? 'a positive number, optionally with an SI suffix (300M, 1.2G, 45k, 2e6)' : 'a positive number of ms (0.5)';
    ctx.addIssue({ code: 'custom', message: `expected ${example}, or a percentage of the seed's own cost (50%)` });
    return z.NEVER;
  });

/**
 * shrink.goal: a share of the seed's cost ("50%", kept as that text) or an amount of the target
 * resource (a number, SI suffixes allowed: "7.5M"). The output parses again as input.
 */
const shrinkGoal = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const percent = typeof value === 'string' ? /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$/.exec(value) : null;
    if (percent) {
      const share = Number(percent[1]);
      if (share > 0 && share < 100) return `${share}%`;
      ctx.addIssue({ code: 'custom', message: 'expected a share of the seed\'s cost between 0% and 100% (exclusive)' });
      return z.NEVER;
    }
    const amount = parseSiNumber(value);
    if (amount !== undefined && amount > 0) return amount;
    ctx.addIssue({ code: 'custom', message: "expected a share of the seed's cost such as 50%, or a positive amount of the target resource with an optional SI suffix (7.5M, 2e6)" });
    return z.NEVER;
  });

export const DATASET_KINDS = ['mnist', 'idx', 'npy', 'image-folder', 'csv', 'synthetic'] as const;
export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;
export const REGULARIZER_SOURCES = ['gamma', 'group-lasso', 'gates'] as const;
export const RESOURCE_TARGETS = ['flops', 'size', 'latency', 'activations'] as const;
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;
export const BACKEND_NAMES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

const optimizerSchema = z.strictObject({
  name: z.enum(OPTIMIZER_NAMES).default('momentum'),
  learningRate: z.number().positive().default(0.01),
  momentum: z.number().min(0).max(1).optional(),
  beta1: z.number().min(0).max(1).optional(),
  beta2: z.number().min(0).max(1).optional(),
  epsilon: z.number().positive().optional(),
  weightDecay: z.number().min(0).optional(),
});

const modelSchema = z
  .strictObject({
    zoo: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    options: z.record(z.string(), z.unknown()).default({}),
    /**
     * Train for N classes: a model file's classifier head (the Dense layer producing its output)
     * is replaced by a fresh N-class one, all other weights kept; a zoo model is built for N.
     * `auto` takes the data's class count. Without it the data must have as many classes as the
     * model has outputs.
     */
    classes: z.union([positiveInt, z.literal('auto')]).optional(),
  })
  .refine((model) => (model.zoo === undefined) !== (model.path === undefined), {
    message: 'expected exactly one of model.zoo (a built-in architecture) or model.path (a model file)',
  })
  .refine((model) => model.path === undefined || Object.keys(model.options).length === 0, {
    path: ['options'],
    message: "expected no options with model.path (options shape zoo models only; to train a model file for your own classes set model.classes: N, or auto for the data's class count)",
  });

const dataSchema = z.strictObject({
  dataset: z.enum(DATASET_KINDS).default('mnist'),
  path: z.string().nullable().default(null),
  validationSplit: z.number().min(0).lt(1).default(0.1),
  batchSize: positiveInt.default(64),
  /** Use at most this many training samples (handy for quick runs). */
  limit: positiveInt.optional(),
  /** Scale raw inputs: divide by 255 for 8-bit data, standardise, x / 127 - 1 (Teachable Machine's [-1, 1]), or leave as read. */
  normalize: z.enum(['auto', 'scale255', 'standardize', 'teachable-machine', 'none']).default('auto'),
  /** Training batches only, seeded per epoch and batch: random crop from the image zero-padded by `crop` pixels, left-right flips. */
  augment: z.strictObject({ crop: z.number().int().min(0).default(0), flip: z.boolean().default(false) }).optional(),
  /** csv: the column holding the class label (name or 0-based index). */
  labelColumn: z.union([z.string(), z.number().int().min(0)]).optional(),
  /** synthetic: sample count, class count and sample shape. */
  samples: positiveInt.optional(),
  classes: positiveInt.optional(),
  shape: z.array(positiveInt).min(1).optional(),
});

const shrinkSchema = z.strictObject({
  regularizer: z.enum(REGULARIZER_SOURCES).default('gamma'),
  target: z.enum(RESOURCE_TARGETS).default('flops'),
  hardware: z.string().nullable().default(null),
  /** lambda; 0 turns the regularizer off (a baseline with the same training). Absent: auto, unless `goal` is given. */
  strength: z.union([z.literal('auto'), z.number().min(0)]).optional(),
  /** Instead of a strength: lambda is steered toward this cost, then held (train/lambda-controller.ts). */
  goal: shrinkGoal.optional(),
  threshold: z.number().gt(0).lt(1).default(0.01),
  l1Fraction: z.number().min(0).max(1).default(0),
  epochs: positiveInt.default(3),
  steps: positiveInt.optional(),
  optimizer: optimizerSchema.default({ name: 'momentum', learningRate: 0.01, momentum: 0.9 }),
  exportEvery: positiveInt.default(100),
  checkpointEvery: positiveInt.default(200),
}).refine((shrink) => shrink.goal === undefined || shrink.strength === undefined, {
  message: 'expected either shrink.goal (lambda steered toward a cost) or shrink.strength (a fixed lambda), not both; remove one of the two keys',
});

const expandSchema = z.strictObject({
  /** Each a budget amount, or a percentage of the seed's cost of the resource ("50%"). */
  targetFlops: expandBudget(true).optional(),
  targetSize: expandBudget(true).optional(),
  targetLatency: expandBudget(false).optional(),
  targetActivations: expandBudget(true).optional(),
  multiplier: z.number().positive().optional(),
  hardware: z.string().nullable().default(null),
  maxWidth: positiveInt.optional(),
  /** After the multiplier, add single channels while the budget allows (false: the pure multiplier). */
  fill: z.boolean().default(true),
  /** Widths in multiples of N (structure/round-widths.ts), rounded down where the budget needs it. */
  roundTo: positiveInt.optional(),
  measureLatency: z
    .boolean()
    .default(true)
    .describe(
      "With a latency budget priced from a measured table, on the backend and threads it was measured with: the expanded structure is built and timed in pairs with the seed, and refitted (at most 3 fits) until its measured time, read at the table's speed, lands within 2% of the budget. false (--no-measure) fits by the table alone.",
    ),
});

const retrainSchema = z.strictObject({
  epochs: positiveInt.default(5),
  steps: positiveInt.optional(),
  optimizer: optimizerSchema.default({ name: 'momentum', learningRate: 0.05, momentum: 0.9 }),
  schedule: z.enum(SCHEDULES).default('cosine'),
  warmupEpochs: z.number().min(0).default(0),
  baseline: z.enum(['uniform']).nullable().default(null),
  init: z.enum(['scratch', 'pruned']).default('scratch'),
  checkpointEvery: positiveInt.default(200),
  /** After training, time the inference of the seed, the retrained model and the baseline (`<model>/latency.json`, the report's latency rows). */
  measureLatency: z
    .boolean()
    .default(true)
    .describe(
      "After training, time the inference of the seed, the retrained model and the baseline on the run's backend, at batch 1 and at data.batchSize (written to <model>/latency.json and shown by the report). false skips the timing, e.g. on a busy machine where the figures would mean little; the report then shows no measured latency.",
    ),
});

const evaluationSchema = z.strictObject({
  /**
   * Training samples over which every BatchNormalization layer's population mean and variance
   * are computed, exactly, for the final weights before a model is evaluated or saved.
   */
  batchNormSamples: positiveInt.default(4096),
});

/**
 * A hardware for the latency resource: a roofline (peakGflops and bandwidthGBps), or a latency
 * table measured by `morphnet latency` (`table`, relative to the config file), optionally with
 * the backend, threads and batch it must have been measured with.
 */
const hardwareSchema = z
  .strictObject({
    peakGflops: z.number().positive().optional(),
    bandwidthGBps: z.number().positive().optional(),
    table: z.string().min(1).optional(),
    backend: z.enum(['tensorflow', 'wasm', 'cpu']).optional(),
    threads: positiveInt.optional(),
    batch: positiveInt.optional(),
  })
  .refine(
    (h) =>
      h.table !== undefined
        ? h.peakGflops === undefined && h.bandwidthGBps === undefined
        : h.peakGflops !== undefined && h.bandwidthGBps !== undefined && h.backend === undefined && h.threads === undefined && h.batch === undefined,
    { message: 'expected either peakGflops and bandwidthGBps (a roofline), or table: PATH (measured by morphnet latency; optionally with backend, threads, batch)' },
  );

export const configSchema = z.strictObject({
  model: modelSchema,
  data: dataSchema.default(dataSchema.parse({})),
  seed: z.number().int().min(0).default(1),
  backend: z.enum(BACKEND_NAMES).default('auto'),
  threads: positiveInt.optional(),
  shrink: shrinkSchema.default(shrinkSchema.parse({})),
  expand: expandSchema.default(expandSchema.parse({})),
  retrain: retrainSchema.default(retrainSchema.parse({})),
  evaluation: evaluationSchema.default(evaluationSchema.parse({})),
  hardware: z.record(z.string(), hardwareSchema).default({}),
  /** `morphnet sweep`: strengths, budgets, seeds, arms, pick (config/sweep-schema.ts); other commands ignore it. */
  sweep: sweepSchema.optional(),
});

export type MorphnetConfig = z.output<typeof configSchema>;
export type OptimizerConfig = z.output<typeof optimizerSchema>;
export type DataConfig = z.output<typeof dataSchema>;
export type ShrinkConfig = z.output<typeof shrinkSchema>;

/** The JSON Schema editors use to complete and check config files (written to configs/schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'morphnet experiment config',
  };
}

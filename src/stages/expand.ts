import type { BackendChoice } from '../backend/select.js';
import { WASM_TABLE_ROUND_TO } from '../backend/wasm-kernels/kernel-paths.js';
import type { MorphnetConfig } from '../config/schema.js';
import type { CostOptions, Resource } from '../cost/cost-model.js';
import { hardwareReference, isTableHardware, resolveHardware, type Hardware } from '../cost/hardware.js';
import { parsePercent } from '../config/percent.js';
import { formatSi } from '../config/si-number.js';
import { MorphnetError, usageError } from '../errors.js';
import { landingTiming, landMeasured } from '../latency/measured-landing.js';
import type { PairedProtocol } from '../latency/timing.js';
import { writeJsonAtomic } from '../run-dir/atomic.js';
import { RunDir } from '../run-dir/run-dir.js';
import { RunState } from '../run-state/run-state.js';
import { StructureCosting } from '../structure/cost-of.js';
import { fitBudget, type FilledChannel } from '../structure/fill-budget.js';
import { structureFile, structureOfFile, type ExpandedStructure } from '../structure/structure-file.js';
import { seedStructure, widthsOf, withWidths } from '../structure/structure.js';
import { scaleWidths, type GroupWidths } from '../structure/width-multiplier.js';

/**
 * A budget in one resource (with `percentOfSeed` when it was asked for as that percentage of
 * the seed's cost, `value` being the resolved amount), or a fixed multiplier.
 */
export type ExpandTarget = { resource: Resource; value: number; percentOfSeed?: number } | { multiplier: number };

/** A target as asked for: an amount, a percentage of the seed's cost of the resource (resolved where the seed is known), or a multiplier. */
export type ExpandTargetRequest = ExpandTarget | { resource: Resource; percentOfSeed: number };

export interface ExpandRequest {
  runDir: string;
  /** From flags; falls back to the config's expand section. */
  target?: ExpandTargetRequest;
  hardware?: string;
  maxWidth?: number;
  /** false: the pure multiplier (--no-fill); by default the config's expand.fill. */
  fill?: boolean;
  /** Widths in multiples of this (--round-to N); by default the config's expand.roundTo, else defaultRoundTo. */
  roundTo?: number;
  /** false: a latency budget is fitted by the table alone (--no-measure); by default the config's expand.measureLatency. */
  measure?: boolean;
  /** How a structure is timed against the seed when it is (`landMeasured`); default CALIBRATION_PROTOCOL. */
  measureProtocol?: PairedProtocol;
  force?: boolean;
  toolVersion: string;
}

/** What expand tells the user besides its result; the CLI decides how to show it. */
export interface ExpandEvents {
  backend?(choice: BackendChoice): void;
  /** A budget that works but is probably not what was meant (above the seed's own cost). */
  warning?(message: string): void;
  /** Results of the previous expanded structure that were removed because they no longer match it. */
  removed?(paths: string[]): void;
  /** Before a fitted structure is timed against the seed (0-based; at most `maxFits`). */
  measuring?(attempt: number, maxFits: number): void;
}

/** The expand keys that set a budget, and the resource each one bounds (flags are their kebab-case forms). */
export const EXPAND_TARGET_KEYS = [
  ['targetFlops', 'flops'],
  ['targetSize', 'size'],
  ['targetLatency', 'latency'],
  ['targetActivations', 'activations'],
] as const satisfies ReadonlyArray<readonly [string, Resource]>;

/** A config's budget: an amount, or a percentage of the seed's cost ("50%", as the config schema keeps it). */
function budgetRequest(resource: Resource, value: number | string): ExpandTargetRequest {
  return typeof value === 'number' ? { resource, value } : { resource, percentOfSeed: parsePercent(value)! };
}

/** The expand target of a config: exactly one of targetFlops, targetSize, targetLatency, targetActivations, multiplier. */
export function targetFromConfig(config: MorphnetConfig): ExpandTargetRequest {
  const e = config.expand;
  const given: ExpandTargetRequest[] = EXPAND_TARGET_KEYS.flatMap(([key, resource]) => (e[key] !== undefined ? [budgetRequest(resource, e[key])] : []));
  if (e.multiplier !== undefined) given.push({ multiplier: e.multiplier });
  if (given.length !== 1) {
    throw usageError(
      `expand needs exactly one target, received ${given.length}`,
      'pass one of --target-flops, --target-size, --target-latency (with --hardware), --target-activations, --multiplier, or set one under expand: in the config',
    );
  }
  return given[0];
}

/** An amount of a resource with its unit: `14.9M FLOPs`, `94.2k params`, `3.5 ms`, `1.2k activations`. */
export function formatResourceAmount(resource: Resource, value: number): string {
  const unit: Record<Resource, string> = { flops: 'FLOPs', size: 'params', latency: 'ms', activations: 'activations' };
  return `${formatSi(value)} ${unit[resource]}`;
}

/** The target with a percentage of the seed's cost resolved to an amount of the resource (`percentOfSeed` kept beside it). */
export function resolveTarget(target: ExpandTargetRequest, seedCost: (resource: Resource) => number): ExpandTarget {
  if (!('resource' in target) || 'value' in target) return target;
  return { resource: target.resource, value: (target.percentOfSeed / 100) * seedCost(target.resource), percentOfSeed: target.percentOfSeed };
}

/**
 * A warning for a budget above what the seed itself costs: expand then grows layers past the
 * widths the seed started with, rarely what was meant (`--target-flops 1G` for `300M`). Names
 * the group that grows the most; undefined for a budget within the seed's cost.
 */
export function budgetAboveSeedWarning(
  target: { resource: Resource; value: number },
  seedCost: number,
  groups: Array<{ layers: string[]; original: number; width: number; fixed?: boolean }>,
  maxWidth: number | undefined,
): string | undefined {
  if (target.value <= seedCost) return undefined;
  const growing = groups.filter((g) => !g.fixed && g.original > 0 && g.width > g.original);
  const most = growing.sort((a, b) => b.width / b.original - a.width / a.original)[0];
  const growth = most ? ` (${most.layers[0]} grows from ${most.original} to ${most.width} channels)` : '';
  const fixes = [...(maxWidth === undefined ? ['cap the widths with expand.maxWidth (--max-width N)'] : []), `choose a target at most the seed's ${formatResourceAmount(target.resource, seedCost)}`];
  return `the expand target ${formatResourceAmount(target.resource, target.value)} is above the seed's own cost, ${formatResourceAmount(target.resource, seedCost)}: the expanded network is larger than the seed${growth}; if that is not what you meant, ${fixes.join(', or ')}`;
}

/** expand.roundTo when neither --round-to nor the config sets it: WASM_TABLE_ROUND_TO (8) for a latency budget priced from a table measured on wasm, nothing otherwise. */
export function defaultRoundTo(resource: Resource | undefined, hardware: Hardware | undefined): number | undefined {
  return resource === 'latency' && hardware && isTableHardware(hardware) && hardware.table.backend === 'wasm' ? WASM_TABLE_ROUND_TO : undefined;
}

/**
 * `morphnet expand`: the largest width multiplier whose structure fits the budget, by bisection
 * on the exact cost model; writes expand/structure.json. An unreachable budget exits 3 with the
 * reachable range. A new structure makes the retrained models, exports and the report stale:
 * they are removed, and `events.removed` names them.
 */
export async function expandStage(request: ExpandRequest, events: ExpandEvents = {}): Promise<ExpandedStructure> {
  const state = RunState.open(request.runDir, 'shrink');
  const config = state.config;
  const requested = request.target ?? targetFromConfig(config);
  const hardwareName = request.hardware ?? config.expand.hardware ?? config.shrink.hardware;
  if ('resource' in requested && requested.resource === 'latency' && !hardwareName) {
    throw usageError('--target-latency needs --hardware, received none', 'e.g. --hardware T4 (or K80, P4, P100, V100, TPUv2, or one defined in the config)');
  }
  const costOptions: CostOptions = { hardware: hardwareName ? resolveHardware(hardwareName, config.hardware) : undefined };
  const seed = await state.seed(events.backend);
  const { analysis } = seed;
  const learnedFile = state.shrunkFile(seed);
  const learnedStructure = structureOfFile(learnedFile);
  const learned = widthsOf(learnedStructure);
  const costing = new StructureCosting(analysis, costOptions);
  const seedCost = (resource: Resource) => costing.resource(resource, widthsOf(seedStructure(analysis)));
  const target = resolveTarget(requested, seedCost);
  const maxWidth = request.maxWidth ?? config.expand.maxWidth;

  let multiplier: number;
  let widths: GroupWidths;
  let filled: FilledChannel[] = [];
  let measured: ExpandedStructure['measured'];
  const roundTo = request.roundTo ?? config.expand.roundTo ?? defaultRoundTo('resource' in target ? target.resource : undefined, costOptions.hardware);
  // With roundTo the search prices the rounded widths and the fill moves in steps of roundTo, so the budget holds as built.
  const fill = 'resource' in target && (request.fill ?? config.expand.fill);
  if ('multiplier' in target) {
    multiplier = target.multiplier;
    widths = scaleWidths(analysis, learned, multiplier, { maxWidth, roundTo });
  } else {
    const fitAt = (budget: number) => fitBudget(costing.costModel, learned, target.resource, budget, { maxWidth, roundTo, costOptions, fill });
    const { fit, range } = fitAt(target.value);
    if (!fit) {
      const unit = target.resource === 'latency' ? ' ms' : '';
      const largest = Number.isFinite(range.largest) ? `${formatSi(range.largest)}${unit}` : 'unbounded';
      throw new MorphnetError(
        'budget',
        `--target-${target.resource} ${formatSi(target.value)}${unit}${target.percentOfSeed !== undefined ? ` (${target.percentOfSeed}% of the seed's)` : ''} is below the smallest reachable ${target.resource} ${formatSi(range.smallest)}${unit} (largest: ${largest})`,
        `raise the target, ${roundTo !== undefined ? `lower expand.roundTo (--round-to, now ${roundTo}: every group keeps at least that many channels), ` : ''}or shrink with a larger strength so more groups vanish`,
      );
    }
    ({ multiplier, widths, filled } = fit);
    const timing = landingTiming(costOptions.hardware, target.resource, request.measure ?? config.expand.measureLatency, request.measureProtocol);
    if (timing) {
      const landed = await landMeasured(fit, (aim) => fitAt(aim).fit, target.value, seedCost('latency'), seed, timing, events.measuring);
      ({ multiplier, widths, filled } = landed.fit);
      measured = landed.measured;
    }
  }

  const expanded = structureFile(costing, withWidths(learnedStructure, widths), { model: learnedFile.model, step: learnedFile.step });
  const resource: Resource = 'resource' in target ? target.resource : 'flops';
  const achieved = costing.resource(resource, widths);
  const result: ExpandedStructure = {
    ...expanded,
    multiplier,
    target,
    achieved,
    slack: 'resource' in target ? target.value - achieved : 0,
    fill,
    filled,
    ...(roundTo !== undefined ? { roundTo } : {}),
    ...(measured ? { measured } : {}),
    ...(hardwareName ? { budgetHardware: hardwareReference(hardwareName, config.hardware) } : {}),
  };
  const warning = 'resource' in target ? budgetAboveSeedWarning(target, seedCost(target.resource), result.groups, maxWidth) : undefined;

  const run = RunDir.open(request.runDir, request.toolVersion);
  try {
    run.assertStageWritable('expand', Boolean(request.force));
    // A new expanded structure makes the trained models, their exports and the report stale.
    const removed = run.resetFrom('expand');
    writeJsonAtomic(state.paths.expandStructure, result);
    run.markStage('expand', 'complete');
    if (removed.length > 0) events.removed?.(removed);
    if (warning) events.warning?.(warning);
  } finally {
    run.close();
  }
  return result;
}

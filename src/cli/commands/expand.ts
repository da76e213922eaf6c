import { parsePercent, signedPercent } from '../../config/percent.js';
import { formatSi, parseSiNumber } from '../../config/si-number.js';
import type { Resource } from '../../cost/cost-model.js';
import { positiveIntegerFlag } from '../integer-flag.js';
import { describeValue, usageError } from '../../errors.js';
import { EXPAND_TARGET_KEYS, expandStage, formatResourceAmount, type ExpandTarget, type ExpandTargetRequest } from '../../stages/expand.js';
import type { ExpandedStructure } from '../../structure/structure-file.js';
import { createOutput, measuringSpinner } from '../output.js';
import { toolVersion } from '../version.js';

export interface ExpandFlags {
  runDir: string;
  targetFlops?: string;
  targetSize?: string;
  targetLatency?: string;
  targetActivations?: string;
  multiplier?: string;
  hardware?: string;
  maxWidth?: string;
  /** false with --no-fill. */
  fill?: boolean;
  roundTo?: string;
  /** false with --no-measure. */
  measure?: boolean;
  force?: boolean;
  json?: boolean;
}

function positiveNumber(flag: string, text: string): number {
  const value = parseSiNumber(text);
  if (value === undefined || value <= 0) throw usageError(`${flag}: expected a positive number (SI suffixes allowed: 300M, 1.2G), received ${describeValue(text)}`, `e.g. ${flag} 5M`);
  return value;
}

/** A budget flag: an amount (`5M`), or a percentage of the seed's cost of the resource (`50%`; above 100% grows past the seed). */
function budgetFlag(flag: string, resource: Resource, text: string): ExpandTargetRequest {
  const percent = parsePercent(text);
  if (percent === undefined) return { resource, value: positiveNumber(flag, text) };
  if (percent > 0) return { resource, percentOfSeed: percent };
  throw usageError(`${flag}: expected a percentage of the seed's cost above 0%, received ${describeValue(text)}`, `e.g. ${flag} 50%`);
}

/** The target given on the command line, if any (the config's expand section is the fallback). */
export function targetFromFlags(flags: ExpandFlags): ExpandTargetRequest | undefined {
  const given: ExpandTargetRequest[] = [];
  for (const [key, resource] of EXPAND_TARGET_KEYS) {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (flags[key] !== undefined) given.push(budgetFlag(flag, resource, String(flags[key])));
  }
  if (flags.multiplier !== undefined) given.push({ multiplier: positiveNumber('--multiplier', flags.multiplier) });
  if (given.length > 1) throw usageError(`expand takes one target, received ${given.length}`, 'pass only one of --target-flops, --target-size, --target-latency, --target-activations, --multiplier');
  return given[0];
}

/** `latency <= 5 ms`, `flops <= 2M`, `flops <= 508k (50% of the seed's)`, or `multiplier 1.5`. */
function describeTarget(target: ExpandTarget): string {
  if (!('resource' in target)) return `multiplier ${target.multiplier}`;
  const share = target.percentOfSeed !== undefined ? ` (${target.percentOfSeed}% of the seed's)` : '';
  return `${target.resource} <= ${target.resource === 'latency' ? formatResourceAmount('latency', target.value) : formatSi(target.value)}${share}`;
}

/** What a budget left unused, in its unit for latency (`slack 0.12 ms`); nothing for a measured landing. */
function describeSlack(result: ExpandedStructure): string {
  // A measured landing met the budget as timed, not as the table priced it: its slack in the table's terms says nothing.
  if (!('resource' in result.target) || result.measured) return '';
  return `, slack ${result.target.resource === 'latency' ? formatResourceAmount('latency', result.slack) : formatSi(result.slack)}`;
}

/**
 * How the structure's latency was measured against the seed, one line per fit: `measured on
 * wasm, 2 threads, batch 1, in 31 pairs with the seed: 51.3% of its time, 0.41 ms at the table's
 * speed (+2.6%); refitted to 0.39 ms: 49.6%, 0.40 ms (-0.8%), taken`.
 */
export function describeMeasured(measured: NonNullable<ExpandedStructure['measured']>): string[] {
  const head = `  measured on ${measured.on}, in ${measured.protocol.pairs} pairs with the seed (its share of the seed's time x the table's seed: the machine's drift since the table taken out):`;
  return [
    head,
    ...measured.attempts.map((a, i) => {
      const fit = i === 0 ? 'fitted to the target' : `refitted to ${formatResourceAmount('latency', a.aimedMs)}`;
      return `    ${fit}: predicted ${formatResourceAmount('latency', a.predictedMs)}, measured ${(100 * a.measuredShare).toFixed(1)}% of the seed = ${formatResourceAmount('latency', a.landedMs)} (${signedPercent(a.error)})${i === measured.chosen ? ', taken' : ''}`;
    }),
  ];
}

export function renderExpand(result: ExpandedStructure): string {
  const latency = 'resource' in result.target && result.target.resource === 'latency' ? `, latency ${formatResourceAmount('latency', result.achieved)}` : '';
  return [
    `expanded to ${describeTarget(result.target)}: multiplier ${result.multiplier.toFixed(4)}, FLOPs ${formatSi(result.cost.flops)}, params ${formatSi(result.cost.params)}${latency}${describeSlack(result)}${result.filled.length ? ` (${result.filled.length} fill steps after the multiplier)` : ''}${result.roundTo ? `, widths in multiples of ${result.roundTo}` : ''}`,
    ...(result.measured ? describeMeasured(result.measured) : []),
    ...result.groups.filter((g) => !g.fixed).map((g) => `  ${g.layers[0].padEnd(24)} ${String(g.original).padStart(5)} -> ${String(g.width).padStart(5)}`),
  ].join('\n');
}

export async function expandCommand(flags: ExpandFlags): Promise<void> {
  const output = createOutput({ json: flags.json });
  const timing = measuringSpinner(output, 'the expanded structure');
  const result = await expandStage(
    {
      runDir: flags.runDir,
      target: targetFromFlags(flags),
      hardware: flags.hardware,
      maxWidth: flags.maxWidth !== undefined ? positiveNumber('--max-width', flags.maxWidth) : undefined,
      fill: flags.fill === false ? false : undefined,
      roundTo: flags.roundTo !== undefined ? positiveIntegerFlag('--round-to', flags.roundTo, '8', 'a positive whole number of channels') : undefined,
      measure: flags.measure === false ? false : undefined,
      force: flags.force,
      toolVersion: toolVersion(),
    },
    {
      backend: (choice) => output.backend(choice),
      warning: (message) => output.warn(message),
      removed: (paths) => output.removed('expand', paths),
      measuring: timing.measuring,
    },
  ).finally(timing.stop);
  output.result(renderExpand(result), result);
}

import { formatSi, parseSiNumber } from '../../config/si-number.js';
import { positiveIntegerFlag } from '../integer-flag.js';
import { describeValue, usageError } from '../../errors.js';
import { EXPAND_TARGET_KEYS, expandStage, formatResourceAmount, type ExpandTarget } from '../../stages/expand.js';
import type { ExpandedStructure } from '../../structure/structure-file.js';
import { createOutput } from '../output.js';
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
  force?: boolean;
  json?: boolean;
}

function positiveNumber(flag: string, text: string): number {
  const value = parseSiNumber(text);
  if (value === undefined || value <= 0) throw usageError(`${flag}: expected a positive number (SI suffixes allowed: 300M, 1.2G), received ${describeValue(text)}`, `e.g. ${flag} 5M`);
  return value;
}

/** The target given on the command line, if any (the config's expand section is the fallback). */
export function targetFromFlags(flags: ExpandFlags): ExpandTarget | undefined {
  const given: ExpandTarget[] = [];
  for (const [key, resource] of EXPAND_TARGET_KEYS) {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (flags[key] !== undefined) given.push({ resource, value: positiveNumber(flag, String(flags[key])) });
  }
  if (flags.multiplier !== undefined) given.push({ multiplier: positiveNumber('--multiplier', flags.multiplier) });
  if (given.length > 1) throw usageError(`expand takes one target, received ${given.length}`, 'pass only one of --target-flops, --target-size, --target-latency, --target-activations, --multiplier');
  return given[0];
}

/** `latency <= 5 ms`, `flops <= 2M`, or `multiplier 1.5`. */
function describeTarget(target: ExpandTarget): string {
  if (!('resource' in target)) return `multiplier ${target.multiplier}`;
  return `${target.resource} <= ${target.resource === 'latency' ? formatResourceAmount('latency', target.value) : formatSi(target.value)}`;
}

/** What a budget left unused, in its unit for latency (`slack 0.12 ms`). */
function describeSlack(result: ExpandedStructure): string {
  if (!('resource' in result.target)) return '';
  return `, slack ${result.target.resource === 'latency' ? formatResourceAmount('latency', result.slack) : formatSi(result.slack)}`;
}

export function renderExpand(result: ExpandedStructure): string {
  const latency = 'resource' in result.target && result.target.resource === 'latency' ? `, latency ${formatResourceAmount('latency', result.achieved)}` : '';
  return [
    `expanded to ${describeTarget(result.target)}: multiplier ${result.multiplier.toFixed(4)}, FLOPs ${formatSi(result.cost.flops)}, params ${formatSi(result.cost.params)}${latency}${describeSlack(result)}${result.filled.length ? ` (${result.filled.length} single channels added after the multiplier)` : ''}`,
    ...result.groups.filter((g) => !g.fixed).map((g) => `  ${g.layers[0].padEnd(24)} ${String(g.original).padStart(5)} -> ${String(g.width).padStart(5)}`),
  ].join('\n');
}

export async function expandCommand(flags: ExpandFlags): Promise<void> {
  const output = createOutput({ json: flags.json });
  const result = await expandStage(
    {
      runDir: flags.runDir,
      target: targetFromFlags(flags),
      hardware: flags.hardware,
      maxWidth: flags.maxWidth !== undefined ? positiveNumber('--max-width', flags.maxWidth) : undefined,
      fill: flags.fill === false ? false : undefined,
      roundTo: flags.roundTo !== undefined ? positiveIntegerFlag('--round-to', flags.roundTo, '8', 'a positive whole number of channels') : undefined,
      force: flags.force,
      toolVersion: toolVersion(),
    },
    {
      backend: (choice) => output.backend(choice),
      warning: (message) => output.warn(message),
      removed: (paths) => output.removed('expand', paths),
    },
  );
  output.result(renderExpand(result), result);
}

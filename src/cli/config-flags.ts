import { Option, type Command } from 'commander';
import type { ConfigOverrides } from '../config/load.js';
import { parseSiNumber } from '../config/si-number.js';

/** A command-line flag that overrides one config key (DESIGN: one kebab-case flag per camelCase key). */
interface ConfigFlag {
  flag: string;
  key: string;
  description: string;
  /** Turns the flag's text into the config value; anything unparseable is passed on for the schema to reject with its key. */
  parse: (text: string) => unknown;
}

const asNumber = (text: string) => parseSiNumber(text) ?? text;
const asNumberOrAuto = (text: string) => (text === 'auto' ? text : asNumber(text));
const asText = (text: string) => text;

export const SHRINK_FLAGS: ConfigFlag[] = [
  { flag: 'strength', key: 'shrink.strength', description: 'regularizer strength lambda, or auto', parse: asNumberOrAuto },
  { flag: 'goal', key: 'shrink.goal', description: "cost to steer lambda toward: a share of the seed's (50%) or an amount (7.5M), instead of --strength", parse: asNumber },
  { flag: 'threshold', key: 'shrink.threshold', description: 'score under which a channel is dead', parse: asNumber },
  { flag: 'target', key: 'shrink.target', description: 'resource: flops | size | latency | activations', parse: asText },
  { flag: 'regularizer', key: 'shrink.regularizer', description: 'channel scores: gamma | group-lasso | gates', parse: asText },
  { flag: 'hardware', key: 'shrink.hardware', description: 'hardware for the latency target', parse: asText },
  { flag: 'epochs', key: 'shrink.epochs', description: 'training epochs', parse: asNumber },
  { flag: 'steps', key: 'shrink.steps', description: 'training steps (instead of epochs)', parse: asNumber },
  { flag: 'batch-size', key: 'data.batchSize', description: 'batch size', parse: asNumber },
  { flag: 'seed', key: 'seed', description: 'random seed', parse: asNumber },
  { flag: 'backend', key: 'backend', description: 'auto | tensorflow | wasm | cpu', parse: asText },
  { flag: 'threads', key: 'threads', description: 'threads of the wasm backend (default: all cores)', parse: asNumber },
];

export function addConfigFlags(command: Command, flags: ConfigFlag[]): Command {
  for (const f of flags) command.addOption(new Option(`--${f.flag} <value>`, `${f.description} (config ${f.key})`));
  return command;
}

/** The config overrides given on the command line, keyed by config path. */
export function configOverrides(options: Record<string, unknown>, flags: ConfigFlag[]): ConfigOverrides {
  const overrides: ConfigOverrides = {};
  for (const f of flags) {
    const camel = f.flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    if (options[camel] !== undefined) overrides[f.key] = f.parse(String(options[camel]));
  }
  return overrides;
}

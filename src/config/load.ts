import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LineCounter, parseDocument, isMap, type Document } from 'yaml';
import type { z } from 'zod';
import { MorphnetError, describeValue } from '../errors.js';
import { closestKey } from './closest-key.js';
import { configSchema, type MorphnetConfig } from './schema.js';
import { resolveTablePaths } from './table-paths.js';

/** One problem found in a config, located in the file when it came from one. */
export interface ConfigProblem {
  path: string;
  location?: string;
  message: string;
}

/** Dotted config key -> value given on the command line (flags override config keys). */
export type ConfigOverrides = Record<string, unknown>;

export class ConfigInvalidError extends MorphnetError {
  readonly problems: ConfigProblem[];

  constructor(source: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  ${p.location ?? source} ${p.path}: ${p.message}`);
    super(
      'config',
      `${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
      'fix the keys above; configs/schema.json lists every key, and editors with YAML support complete them',
    );
    this.problems = problems;
  }
}

type SchemaNode = { def?: { type?: string; innerType?: SchemaNode; in?: SchemaNode; shape?: Record<string, SchemaNode> } };

/** Valid keys of the object schema at `path`, for "did you mean" suggestions. */
function validKeysAt(path: PropertyKey[]): string[] {
  let node: SchemaNode | undefined = configSchema as unknown as SchemaNode;
  const unwrap = () => {
    while (node?.def && ['default', 'optional', 'nullable', 'pipe', 'prefault'].includes(node.def.type ?? '')) {
      node = node.def.innerType ?? node.def.in;
    }
  };
  for (const key of path) {
    unwrap();
    node = node?.def?.shape?.[String(key)];
  }
  unwrap();
  return Object.keys(node?.def?.shape ?? {});
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let value = root;
  for (const key of path) value = value == null ? undefined : (value as Record<PropertyKey, unknown>)[key];
  return value;
}

function locate(document: Document | undefined, lineCounter: LineCounter, fileName: string, path: PropertyKey[], key?: string) {
  if (!document) return undefined;
  let node: unknown = document.getIn(path as unknown[], true);
  // For an unknown key, point at the key itself; for a missing one, at its parent.
  if (key !== undefined && isMap(node)) node = node.items.find((pair) => String((pair.key as { value?: unknown })?.value) === key)?.key;
  let parentPath = path;
  while (!(node as { range?: number[] })?.range && parentPath.length > 0) {
    parentPath = parentPath.slice(0, -1);
    node = parentPath.length ? document.getIn(parentPath as unknown[], true) : document.contents;
  }
  const range = (node as { range?: number[] } | undefined)?.range;
  if (!range) return undefined;
  const { line, col } = lineCounter.linePos(range[0]);
  return `${fileName}:${line}:${col}`;
}

function describeIssue(issue: z.core.$ZodIssue, received: unknown): string {
  const got = `received ${describeValue(received)}`;
  switch (issue.code) {
    case 'invalid_type':
      return received === undefined ? `required: expected ${issue.expected}` : `expected ${issue.expected}, ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${got}`;
    case 'too_big':
      return `expected a value ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, ${got}`;
    case 'too_small':
      if (issue.origin === 'array') return `expected a list of at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}, ${got}`;
      return `expected a value ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, ${got}`;
    case 'invalid_union':
      return `expected ${issue.message.replace(/^Invalid input:?\s*/, '') || 'a value of another type'}, ${got}`;
    default:
      return `${issue.message}, ${got}`;
  }
}

/** All problems of a parsed config object, in the order they appear. */
function collectProblems(error: z.ZodError, raw: unknown, fileName: string, document?: Document, lineCounter = new LineCounter()): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const suggestion = closestKey(key, validKeysAt(issue.path));
        const valid = validKeysAt(issue.path).join(', ');
        problems.push({
          path: [...issue.path, key].join('.'),
          location: locate(document, lineCounter, fileName, issue.path, key),
          message: `unknown key${suggestion ? `; did you mean "${suggestion}"?` : ''} (valid keys here: ${valid})`,
        });
      }
      continue;
    }
    problems.push({
      path: issue.path.join('.') || '(top level)',
      location: locate(document, lineCounter, fileName, issue.path),
      message: describeIssue(issue, valueAt(raw, issue.path)),
    });
  }
  return problems;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown) {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** Validates a raw config object (from YAML or built in code) with command-line overrides applied. */
export function resolveConfig(raw: unknown, overrides: ConfigOverrides = {}, source = 'config', document?: Document, lineCounter?: LineCounter): MorphnetConfig {
  const merged = structuredClone((raw ?? {}) as Record<string, unknown>);
  if (typeof merged !== 'object' || Array.isArray(merged)) {
    throw new ConfigInvalidError(source, [{ path: '(top level)', message: `expected a mapping of keys, received ${describeValue(raw)}` }]);
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) setPath(merged, key, value);
  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  throw new ConfigInvalidError(source, collectProblems(result.error, merged, source, document, lineCounter));
}

/** Reads and validates a YAML config file, reporting every problem with file:line:col. */
export function loadConfigFile(fileName: string, overrides: ConfigOverrides = {}): MorphnetConfig {
  let text: string;
  try {
    text = readFileSync(fileName, 'utf8');
  } catch (error) {
    throw new MorphnetError('config', `cannot read config file ${fileName}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check the path; configs/ holds examples such as configs/mnist-cnn.yaml');
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigInvalidError(
      fileName,
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: '(yaml syntax)', location: `${fileName}:${line}:${col}`, message: error.message.split('\n')[0] };
      }),
    );
  }
  return resolveTablePaths(resolveConfig(document.toJS(), overrides, fileName, document, lineCounter), dirname(fileName));
}

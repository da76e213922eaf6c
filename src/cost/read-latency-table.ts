import { readFileSync } from 'node:fs';
import { describeValue, usageError } from '../errors.js';
import { LATENCY_TABLE_FORMAT, type LatencyTable } from './latency-table.js';
import { remeasureCommand } from './table-latency.js';

/** A hardware entry of the config that names a measured table, with what the table must have been measured on. */
export interface TableHardwareEntry {
  table: string;
  backend?: string;
  threads?: number;
  batch?: number;
}

/** `morphnet latency ... -o PATH` with what the entry asks for: the fix for a missing or mismatched table. */
function measureHint(entry: TableHardwareEntry): string {
  const parts = ['morphnet latency -m MODEL', ...(entry.backend ? [`--backend ${entry.backend}`] : []), ...(entry.threads ? [`--threads ${entry.threads}`] : []), ...(entry.batch ? [`--batch ${entry.batch}`] : []), `-o ${entry.table}`];
  return `measure it: ${parts.join(' ')}`;
}

/** Tables before width classes: refused, with the command that measures them again. */
const FORMAT_WITHOUT_CLASSES = 'morphnet.latency/1';

function parseTable(text: string, name: string, entry: TableHardwareEntry): LatencyTable {
  let table: LatencyTable;
  try {
    table = JSON.parse(text) as LatencyTable;
  } catch (error) {
    throw usageError(`hardware ${name}: latency table ${entry.table} is not JSON (${(error as Error).message})`, measureHint(entry));
  }
  if ((table?.format as string) === FORMAT_WITHOUT_CLASSES) {
    throw usageError(
      `hardware ${name}: latency table ${entry.table} has format "${FORMAT_WITHOUT_CLASSES}", sampled without the kernels' width classes (a width off the kernels' tiles was priced as if on them); this morphnet reads "${LATENCY_TABLE_FORMAT}"`,
      `measure it again: ${remeasureCommand(table, entry.table)}`,
    );
  }
  if (table?.format !== LATENCY_TABLE_FORMAT || !Array.isArray(table.layers)) {
    throw usageError(`hardware ${name}: ${entry.table} is not a latency table: expected format "${LATENCY_TABLE_FORMAT}", received ${describeValue(table?.format)}`, measureHint(entry));
  }
  return table;
}

/** What the config's entry asks of the table (backend, threads, batch) that the table does not have, as `backend wasm (table: tensorflow)`. */
function mismatches(table: LatencyTable, entry: TableHardwareEntry): string[] {
  const keys = ['backend', 'threads', 'batch'] as const;
  return keys.filter((key) => entry[key] !== undefined && entry[key] !== table[key]).map((key) => `${key} ${entry[key]} (the table: ${describeValue(table[key])})`);
}

/** Reads the table a hardware entry names; a missing file, another format or another backend is an error naming it and the fix. */
export function readLatencyTable(name: string, entry: TableHardwareEntry): LatencyTable {
  let text: string;
  try {
    text = readFileSync(entry.table, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw usageError(`hardware ${name}: cannot read latency table ${entry.table} (${code})`, measureHint(entry));
  }
  const table = parseTable(text, name, entry);
  const differences = mismatches(table, entry);
  if (differences.length > 0) {
    throw usageError(`hardware ${name}: latency table ${entry.table} was measured for ${table.model} on ${table.backend}, not what the config asks: ${differences.join(', ')}`, measureHint(entry));
  }
  return table;
}

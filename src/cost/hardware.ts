import { basename, extname, resolve } from 'node:path';
import { describeValue, usageError } from '../errors.js';
import type { LatencyModel, LayerAtWidths } from './latency-model.js';
import type { LatencyTable } from './latency-table.js';
import { scaleForm } from './linear-form.js';
import { readLatencyTable, type TableHardwareEntry } from './read-latency-table.js';
import { TableLatency } from './table-latency.js';

/** A roofline accelerator: MorphNet's hardware table, or one defined under `hardware:`. */
export interface RooflineHardware {
  name: string;
  /** Peak compute, GFLOP/s. */
  peakGflops: number;
  /** Memory bandwidth, GB/s. */
  bandwidthGBps: number;
}

/** A backend whose layers were timed (`morphnet latency`), named under `hardware:` with `table:`. */
export interface TableHardware {
  name: string;
  /** The table's path, for messages. */
  path: string;
  table: LatencyTable;
}

export type Hardware = RooflineHardware | TableHardware;

/** A config `hardware:` entry: a roofline (peakGflops, bandwidthGBps) or a measured table. */
export type HardwareEntry = { peakGflops?: number; bandwidthGBps?: number } & Partial<TableHardwareEntry>;

/** MorphNet's hardware table (peak GFLOP/s, bandwidth GB/s). */
export const BUILTIN_HARDWARE: Record<string, RooflineHardware> = {
  K80: { name: 'K80', peakGflops: 8740, bandwidthGBps: 480 },
  P4: { name: 'P4', peakGflops: 5500, bandwidthGBps: 192 },
  T4: { name: 'T4', peakGflops: 8100, bandwidthGBps: 300 },
  P100: { name: 'P100', peakGflops: 9300, bandwidthGBps: 732 },
  V100: { name: 'V100', peakGflops: 125000, bandwidthGBps: 900 },
  TPUv2: { name: 'TPUv2', peakGflops: 22500, bandwidthGBps: 300 },
};

export const isTableHardware = (hardware: Hardware): hardware is TableHardware => 'table' in hardware;

/**
 * MorphNet's roofline per FLOP layer: max(FLOPs / peak, bytes / bandwidth); its regularizer is
 * the bound that holds (compute: the MAC form; memory: the bytes form), each in ms.
 */
function rooflineLatency(hardware: RooflineHardware): LatencyModel {
  const computeMs = (layer: LayerAtWidths) => (2 * layer.batchSize * layer.macs()) / (hardware.peakGflops * 1e6);
  const memoryMs = (layer: LayerAtWidths) => layer.bytes() / (hardware.bandwidthGBps * 1e6);
  return {
    description: 'roofline',
    overheadMs: 0,
    layerMs: (layer) => (layer.isFlopLayer ? Math.max(computeMs(layer), memoryMs(layer)) : 0),
    layerForm: (layer) => {
      if (!layer.isFlopLayer) return [];
      return computeMs(layer) >= memoryMs(layer)
        ? scaleForm(layer.macForm(), (2 * layer.batchSize) / (hardware.peakGflops * 1e6))
        : scaleForm(layer.bytesForm(), 1 / (hardware.bandwidthGBps * 1e6));
    },
  };
}

const latencyModels = new WeakMap<Hardware, LatencyModel>();

/** The latency model of a hardware: its roofline, or its measured table. */
export function latencyModelOf(hardware: Hardware): LatencyModel {
  let model = latencyModels.get(hardware);
  if (!model) {
    model = isTableHardware(hardware) ? new TableLatency(hardware.table, hardware.path) : rooflineLatency(hardware);
    latencyModels.set(hardware, model);
  }
  return model;
}

function tableHardware(name: string, entry: TableHardwareEntry): TableHardware {
  return { name, path: entry.table, table: readLatencyTable(name, entry) };
}

/**
 * A hardware as `resolveHardware` finds it again from any working directory: a name of the
 * config or a built-in as it is, a table file by its absolute path.
 */
export function hardwareReference(name: string, custom: Record<string, HardwareEntry> = {}): string {
  return custom[name] || BUILTIN_HARDWARE[name] || extname(name) !== '.json' ? name : resolve(name);
}

/**
 * Looks a hardware name up in the config's `hardware:` section and the built-in table; a name
 * ending in .json is a latency table file itself (`cost --hardware latency/wasm-2t.json`).
 */
export function resolveHardware(name: string, custom: Record<string, HardwareEntry> = {}): Hardware {
  const entry = custom[name];
  if (entry?.table !== undefined) return tableHardware(name, entry as TableHardwareEntry);
  if (entry) return { name, peakGflops: Number(entry.peakGflops), bandwidthGBps: Number(entry.bandwidthGBps) };
  if (BUILTIN_HARDWARE[name]) return BUILTIN_HARDWARE[name];
  if (extname(name) === '.json') return tableHardware(basename(name, '.json'), { table: name });
  const known = [...Object.keys(BUILTIN_HARDWARE), ...Object.keys(custom)].join(', ');
  throw usageError(
    `unknown hardware ${describeValue(name)}; known: ${known}`,
    'define it in the config under hardware: {NAME: {peakGflops: ..., bandwidthGBps: ...}} or {NAME: {table: latency/NAME.json}} (measured with morphnet latency), or pass a table file (.json)',
  );
}

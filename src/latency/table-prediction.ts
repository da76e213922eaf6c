import { isTableHardware, resolveHardware, type HardwareEntry, type TableHardware } from '../cost/hardware.js';
import { MorphnetError } from '../errors.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { StructureCosting } from '../structure/cost-of.js';
import type { GroupWidths } from '../structure/width-multiplier.js';
import type { LatencyPrediction } from './inference-latency-file.js';

/** A table entry read, or nothing when it cannot be (a missing or foreign file gives no prediction; the stages that use it report it). */
function readableTable(name: string, custom: Record<string, HardwareEntry>): TableHardware | undefined {
  try {
    const hardware = resolveHardware(name, custom);
    return isTableHardware(hardware) ? hardware : undefined;
  } catch (error) {
    if (error instanceof MorphnetError) return undefined;
    throw error;
  }
}

/**
 * The config's measured tables (`hardware:` entries with `table:`) measured on this backend and
 * threads: the only ones whose figures predict a time taken here. A roofline is for another
 * machine, so it predicts nothing here.
 */
export function tablesForBackend(custom: Record<string, HardwareEntry>, backend: string, threads?: number): TableHardware[] {
  return Object.keys(custom)
    .filter((name) => custom[name].table !== undefined)
    .flatMap((name) => readableTable(name, custom) ?? [])
    .filter(({ table }) => table.backend === backend && table.threads === threads);
}

/** A table's whole-model latency at these widths, or nothing when the table does not fit the model (a layer it lacks). */
function predictedMs(hardware: TableHardware, analysis: ChannelAnalysis, widths: GroupWidths): number | undefined {
  try {
    return new StructureCosting(analysis, { hardware, batchSize: hardware.table.batch }).resource('latency', widths);
  } catch (error) {
    if (error instanceof MorphnetError) return undefined;
    throw error;
  }
}

/**
 * A model's predicted inference at a batch: the first of `tables` measured at that batch that
 * fits the model (the seed's analysis, at these group widths), with its share of the same
 * table's prediction for the seed; nothing when none fits.
 */
export function tablePredictor(tables: TableHardware[], analysis: ChannelAnalysis, widths: GroupWidths): (batch: number) => LatencyPrediction | undefined {
  const seedWidths = analysis.groups.map((group) => group.width);
  return (batch) => {
    for (const hardware of tables.filter((h) => h.table.batch === batch)) {
      const ms = predictedMs(hardware, analysis, widths);
      const seedMs = predictedMs(hardware, analysis, seedWidths);
      if (ms !== undefined && seedMs !== undefined) return { hardware: hardware.name, table: hardware.path, ms, ofSeed: ms / seedMs };
    }
    return undefined;
  };
}

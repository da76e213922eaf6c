import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { initBackend, type BackendChoice, type BackendRequest } from '../backend/select.js';
import type { LatencyTable } from '../cost/latency-table.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { measureLatencyTable, type MeasureEvents } from '../latency/measure-model.js';
import { DEFAULT_PROTOCOL, type TimingProtocol } from '../latency/timing.js';
import { registerFileRouters } from '../model/file-io.js';
import { describeModelSource, loadModel, modelSourceFromSpec } from '../model/load.js';
import { writeJsonAtomic } from '../run-dir/atomic.js';

export interface LatencyRequest {
  model: string;
  backend?: BackendRequest;
  threads?: number;
  batch?: number;
  /** The table file; by default latency/<model>-<backend>[-<threads>t].json. */
  output?: string;
  /** Sampled widths per axis. */
  widthSamples?: number;
  protocol?: Partial<TimingProtocol>;
}

export interface LatencyEvents extends MeasureEvents {
  backend?(choice: BackendChoice): void;
}

export const DEFAULT_WIDTH_SAMPLES = 5;

/** latency/cnn-wasm-2t.json: the model's name (options kept, made file-safe), backend and threads. */
export function defaultTablePath(modelName: string, choice: BackendChoice): string {
  const model = modelName.replace(/^zoo:/, '').replace(/\.json$/, '').replace(/[^\w.-]+/g, '_');
  return join('latency', `${model}-${choice.name}${choice.threads ? `-${choice.threads}t` : ''}.json`);
}

/** `morphnet latency`: measures a model's latency table on a backend and writes it. */
export async function latencyStage(request: LatencyRequest, events: LatencyEvents = {}): Promise<{ path: string; table: LatencyTable }> {
  const choice = await initBackend(request.backend ?? 'auto', request.threads);
  events.backend?.(choice);
  registerFileRouters();
  const source = modelSourceFromSpec(request.model);
  const model = await loadModel(source);
  const analysis = analyzeChannels(buildLayerGraph(model));
  const modelName = describeModelSource(source);
  const table = await measureLatencyTable(
    model,
    analysis,
    {
      modelName,
      backend: choice.name,
      threads: choice.threads,
      batch: request.batch ?? 1,
      widthSamples: request.widthSamples ?? DEFAULT_WIDTH_SAMPLES,
      protocol: { ...DEFAULT_PROTOCOL, ...request.protocol },
    },
    events,
  );
  const path = request.output ?? defaultTablePath(modelName, choice);
  mkdirSync(dirname(path), { recursive: true });
  writeJsonAtomic(path, table);
  return { path, table };
}

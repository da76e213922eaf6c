import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { runDirError } from '../errors.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { registerFileRouters } from '../model/file-io.js';
import { describeModelSource, loadModel } from '../model/load.js';
import { stageCommand } from '../run-dir/stage-commands.js';
import type { Structure } from '../structure/structure.js';
import { loadGatedShrinkWeights } from '../surgery/insert-gates.js';
import { slicePrunedWeights } from '../surgery/slice-weights.js';
import { loadCheckpointWeights } from '../train/checkpoint.js';
import { modelSourceOf } from './experiment.js';
import type { RunSeed, RunState } from './run-state.js';

/** Initialises the config's backend and loads the seed model of a run dir (RunState.seed loads this module on first use). */
export async function loadRunSeed(seedDir: string, config: MorphnetConfig, onBackend?: (choice: BackendChoice) => void): Promise<RunSeed> {
  // Started first: an optional call would skip evaluating its argument without a listener.
  const backend = await initBackend(config.backend, config.threads);
  onBackend?.(backend);
  registerFileRouters();
  const model = await loadModel({ path: join(seedDir, 'model.json') });
  return { model, analysis: analyzeChannels(buildLayerGraph(model)), modelName: describeModelSource(modelSourceOf(config)) };
}

/**
 * The shrunk weights (the shrink checkpoint's, loaded into the seed), sliced into `model` at the
 * channels `structure` keeps; channels beyond them stay as `model` has them. `fallback` is the
 * other way to proceed when there is no checkpoint.
 */
export async function initFromShrink(state: RunState, model: tf.LayersModel, structure: Structure, fallback: string): Promise<void> {
  const { model: seed, analysis } = await state.seed();
  const checkpoint = state.paths.checkpoint('shrink');
  // A gates shrink checkpointed its gated model: read it through the same gates, folded into the kept channels.
  const gated = state.config.shrink.regularizer === 'gates';
  if (!(gated ? loadGatedShrinkWeights(checkpoint, seed, analysis, structure.groups.map((g) => g.kept)) : loadCheckpointWeights(checkpoint, seed))) {
    throw runDirError(
      `${state.root} has no shrink checkpoint to take pruned weights from`,
      `run ${stageCommand('shrink', state.root)} --force (CONFIG is the experiment config) to shrink again, or ${fallback}`,
    );
  }
  slicePrunedWeights(
    analysis,
    model,
    structure.groups.map((g) => g.width),
    structure.groups.map((g) => g.kept),
  );
}

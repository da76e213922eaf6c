import type * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '../backend/select.js';
import { resolveConfig } from '../config/load.js';
import type { MorphnetConfig } from '../config/schema.js';
import { resolveHardware, type Hardware } from '../cost/hardware.js';
import { runDirError } from '../errors.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { requireStage, runDirLayout, type Manifest, type Stage } from '../run-dir/run-dir.js';
import { stageCommand } from '../run-dir/stage-commands.js';
import { checkStructureModel, expandAgain, readStructureFile, shrinkAgain } from '../structure/read-structure.js';
import { structureOfFile, type ExpandedStructure, type StructureFile } from '../structure/structure-file.js';
import type { Structure } from '../structure/structure.js';

/** The seed model of a run dir, its channel analysis and the model's name as structure files record it. */
export interface RunSeed {
  model: tf.LayersModel;
  analysis: ChannelAnalysis;
  modelName: string;
}

/**
 * An open run dir as the stages after shrink read it: run.json's config validated with the
 * schema, the seed model loaded lazily (the only part that needs tfjs and a backend: opening a
 * run state and reading its files loads neither, so `report` starts at once), and the shrunk and
 * expanded structures read and checked. Reading takes no lock; stages that write open a RunDir.
 */
export class RunState {
  readonly paths: ReturnType<typeof runDirLayout>;
  private seedPromise?: Promise<RunSeed>;

  private constructor(
    readonly root: string,
    readonly manifest: Manifest,
    readonly config: MorphnetConfig,
  ) {
    this.paths = runDirLayout(root);
  }

  /** Opens `root`, which must have `stage` complete (the error names the command that makes it). */
  static open(root: string, stage: Stage): RunState {
    const manifest = requireStage(root, stage);
    let config: MorphnetConfig;
    try {
      config = resolveConfig(manifest.config, {}, runDirLayout(root).manifest);
    } catch (error) {
      throw runDirError(`${runDirLayout(root).manifest}: its config is not valid: ${(error as Error).message}`, `run.json was edited or written by another version; rerun ${stageCommand('shrink', root)} --force into a new run dir`);
    }
    return new RunState(root, manifest, config);
  }

  /** The hardware the report and the trained stages' latency use: expand's, else shrink's. */
  get hardware(): Hardware | undefined {
    const name = this.config.expand.hardware ?? this.config.shrink.hardware ?? undefined;
    return name ? resolveHardware(name, this.config.hardware) : undefined;
  }

  /** The seed model and its channel analysis; initialises the config's backend on first use. */
  seed(onBackend?: (choice: BackendChoice) => void): Promise<RunSeed> {
    this.seedPromise ??= import('./seed.js').then(({ loadRunSeed }) => loadRunSeed(this.paths.seedModel, this.config, onBackend));
    return this.seedPromise;
  }

  /** shrink/structure.json, checked for form; with the seed, also that it describes this model. */
  shrunkFile(seed?: RunSeed): StructureFile {
    return this.checked(this.paths.shrinkStructure, readStructureFile(this.paths.shrinkStructure, shrinkAgain(this.root)), shrinkAgain(this.root), seed);
  }

  /** expand/structure.json, checked for form; with the seed, also that it describes this model. */
  expandedFile(seed?: RunSeed): ExpandedStructure {
    const file = readStructureFile<ExpandedStructure>(this.paths.expandStructure, expandAgain(this.root));
    if (typeof file.multiplier !== 'number' || typeof file.target !== 'object' || file.target === null) {
      throw runDirError(`${this.paths.expandStructure} has no multiplier and target`, expandAgain(this.root));
    }
    return this.checked(this.paths.expandStructure, file, expandAgain(this.root), seed);
  }

  /** The structure shrink learned, checked against the seed's groups. */
  shrunk(seed: RunSeed): Structure {
    return structureOfFile(this.shrunkFile(seed));
  }

  private checked<T extends StructureFile>(path: string, file: T, redo: string, seed?: RunSeed): T {
    if (seed) checkStructureModel(path, file, seed.analysis, seed.modelName, redo);
    return file;
  }
}

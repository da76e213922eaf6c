import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runDirError } from '../errors.js';
import { writeJsonAtomic } from './atomic.js';
import { acquireLock } from './lock.js';
import { PREREQUISITES, stageCommand } from './stage-commands.js';

export const STAGES = ['shrink', 'expand', 'retrain', 'baseline', 'report'] as const;
export type Stage = (typeof STAGES)[number];
/**
 * `interrupted`: stopped by SIGINT/SIGTERM. Like `running` (a killed process) and `failed`, it
 * is unfinished: the next run of the stage resumes from its last checkpoint.
 */
export type StageStatus = 'running' | 'complete' | 'failed' | 'interrupted';

/** The model each stage's exports (`morphnet export` without -o) are made from, as export names it. */
const EXPORT_SOURCE: Partial<Record<Stage, string>> = { shrink: 'pruned', retrain: 'retrain', baseline: 'baseline' };

export interface StageRecord {
  status: StageStatus;
  startedAt: string;
  finishedAt?: string;
  error?: string;
}

/** run.json: what produced this run dir and how far it got. */
export interface Manifest {
  format: 'morphnet.run/1';
  tool: { name: 'morphnet'; version: string };
  createdAt: string;
  updatedAt: string;
  /** `fallback`: why `auto` ended on cpu (wasm failed), when it did. */
  backend?: { name: string; package: string; threads?: number; fallback?: string };
  seed?: number;
  config?: unknown;
  stages: Partial<Record<Stage, StageRecord>>;
}

/** The layout of DESIGN.md, in one place. */
export function runDirLayout(root: string) {
  return {
    root,
    manifest: join(root, 'run.json'),
    lock: join(root, 'run.lock'),
    resolvedConfig: join(root, 'config.resolved.yaml'),
    seedModel: join(root, 'seed'),
    stage: (stage: Stage) => join(root, stage),
    shrinkMetrics: join(root, 'shrink', 'metrics.jsonl'),
    shrinkStructures: join(root, 'shrink', 'structures'),
    shrinkStructure: join(root, 'shrink', 'structure.json'),
    checkpoint: (stage: Stage) => join(root, stage, 'checkpoint'),
    expandStructure: join(root, 'expand', 'structure.json'),
    stageModel: (stage: Stage) => join(root, stage, 'model'),
    stageMetrics: (stage: Stage) => join(root, stage, 'metrics.jsonl'),
    /** A finished stage's summary (cost, accuracy), which report reads. */
    stageResult: (stage: Stage) => join(root, stage, 'result.json'),
    /** The structure a trained stage builds, where it is not expand's (baseline/structure.json: the uniform baseline). */
    stageStructure: (stage: Stage) => join(root, stage, 'structure.json'),
    reportJson: join(root, 'report.json'),
    reportHtml: join(root, 'report.html'),
    /** Where `morphnet export` writes without -o: `retrain.keras`, `pruned.h5`, `baseline-tfjs/`, ... */
    exportDir: join(root, 'export'),
  };
}

/** The run dirs this process holds open, so an interrupt (Ctrl-C) can record itself and unlock them. */
const openRunDirs = new Set<RunDir>();

/**
 * An open, locked run directory. Create one only after the inputs are validated, so bad input
 * never leaves a half-made run dir behind.
 */
export class RunDir {
  readonly paths: ReturnType<typeof runDirLayout>;
  private manifest: Manifest;
  private readonly release: () => void;

  private constructor(root: string, manifest: Manifest, release: () => void) {
    this.paths = runDirLayout(root);
    this.manifest = manifest;
    this.release = release;
  }

  static open(root: string, toolVersion: string): RunDir {
    const absolute = resolve(root);
    mkdirSync(absolute, { recursive: true });
    const layout = runDirLayout(absolute);
    const release = acquireLock(layout.lock, absolute);
    try {
      const now = new Date().toISOString();
      const manifest: Manifest = existsSync(layout.manifest)
        ? readManifest(absolute)
        : { format: 'morphnet.run/1', tool: { name: 'morphnet', version: toolVersion }, createdAt: now, updatedAt: now, stages: {} };
      const run = new RunDir(absolute, manifest, release);
      openRunDirs.add(run);
      return run;
    } catch (error) {
      release();
      throw error;
    }
  }

  get root(): string {
    return this.paths.root;
  }

  get info(): Readonly<Manifest> {
    return this.manifest;
  }

  stageStatus(stage: Stage): StageStatus | undefined {
    return this.manifest.stages[stage]?.status;
  }

  /** Refuses to redo a finished stage unless forced. */
  assertStageWritable(stage: Stage, force: boolean): void {
    if (this.stageStatus(stage) === 'complete' && !force) {
      throw runDirError(`${stage} in ${this.root} is already complete`, `use --force to redo it, or another --run-dir`);
    }
  }

  update(patch: Partial<Omit<Manifest, 'stages'>>): void {
    this.manifest = { ...this.manifest, ...patch };
    this.save();
  }

  markStage(stage: Stage, status: StageStatus, error?: string): void {
    const now = new Date().toISOString();
    const previous = this.manifest.stages[stage];
    const record: StageRecord =
      status === 'running'
        ? { status, startedAt: previous?.status === 'running' ? previous.startedAt : now }
        : { status, startedAt: previous?.startedAt ?? now, finishedAt: now, ...(error ? { error } : {}) };
    this.manifest.stages[stage] = record;
    this.save();
  }

  /**
   * Records that a running stage stopped with `error`. Failing to record it (the full disk that
   * stopped the stage also refuses run.json) must not hide that error: the stage then stays
   * "running", which resumes just the same.
   */
  markFailed(stage: Stage, error: unknown): void {
    if (this.stageStatus(stage) !== 'running') return;
    try {
      this.markStage(stage, 'failed', error instanceof Error ? error.message : String(error));
    } catch {
      // The stage's own error is the one the user needs.
    }
  }

  /**
   * Forgets `stage` and every stage after it (their outputs depend on it): removes their folders,
   * statuses and exports, and the report. Redoing shrink also drops the saved seed model, which a
   * new config may change. Returns what it removed besides the stage's own outputs (which the
   * stage is about to write again): the later results the user is to be told about.
   */
  resetFrom(stage: Stage): string[] {
    const own = [this.paths.stage(stage), ...(stage === 'shrink' ? [this.paths.seedModel] : [])];
    removeIfPresent(own);
    const removed = this.forget(STAGES.slice(STAGES.indexOf(stage)));
    this.save();
    return removed;
  }

  /** Forgets `stage` alone (a retrain redone with --force), with its exports and the report; returns what it removed besides the stage's folder. */
  redo(stage: Stage): string[] {
    removeIfPresent([this.paths.stage(stage)]);
    const removed = this.forget([stage, 'report']);
    this.save();
    return removed;
  }

  /**
   * Records that the process is being stopped (SIGINT, SIGTERM): every running stage becomes
   * `interrupted`, with the reason; returns those stages. Failing to write run.json leaves them
   * `running`, which resumes the same.
   */
  markInterrupted(reason: string): Stage[] {
    const running = STAGES.filter((stage) => this.stageStatus(stage) === 'running');
    try {
      for (const stage of running) this.markStage(stage, 'interrupted', reason);
    } catch {
      // The interrupt is what the user needs to hear about.
    }
    return running;
  }

  close(): void {
    openRunDirs.delete(this);
    this.release();
  }

  /** Removes the folders of `stages`, their exports and (with 'report') the report files; returns what existed. */
  private forget(stages: readonly Stage[]): string[] {
    const paths = stages.flatMap((name) => [
      this.paths.stage(name),
      ...this.exportsOf(name),
      ...(name === 'report' ? [this.paths.reportJson, this.paths.reportHtml] : []),
    ]);
    for (const name of stages) delete this.manifest.stages[name];
    return removeIfPresent(paths);
  }

  /** The exports under export/ made from `stage`'s model (`retrain.keras`, `retrain.h5`, `retrain-tfjs`). */
  private exportsOf(stage: Stage): string[] {
    const source = EXPORT_SOURCE[stage];
    if (!source || !existsSync(this.paths.exportDir)) return [];
    return readdirSync(this.paths.exportDir)
      .filter((name) => name.startsWith(`${source}.`) || name === `${source}-tfjs`)
      .map((name) => join(this.paths.exportDir, name));
  }

  private save(): void {
    this.manifest.updatedAt = new Date().toISOString();
    writeJsonAtomic(this.paths.manifest, this.manifest);
  }
}

/** Removes each path that exists; returns those. */
function removeIfPresent(paths: string[]): string[] {
  const present = paths.filter((path) => existsSync(path));
  for (const path of present) rmSync(path, { recursive: true, force: true });
  return present;
}

/**
 * Marks the running stages of every run dir this process holds as interrupted and releases
 * their locks, for a process about to exit on a signal. Returns each run dir and its stages.
 */
export function interruptOpenRunDirs(reason: string): Array<{ root: string; stages: Stage[] }> {
  return [...openRunDirs].map((run) => {
    const stages = run.markInterrupted(reason);
    run.close();
    return { root: run.root, stages };
  });
}

export function readManifest(root: string): Manifest {
  const path = runDirLayout(root).manifest;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (error) {
    throw runDirError(`${path} cannot be read: ${(error as Error).message}`, 'this is not a morphnet run dir, or run.json was edited; use another --run-dir');
  }
}

/** What a placeholder in a stage's command stands for. */
const PLACEHOLDERS: Partial<Record<Stage, string>> = {
  shrink: 'CONFIG is your experiment config',
  expand: 'N is the FLOP budget, e.g. 5M',
};

/**
 * The complete command that brings `root` closer to having `stage` done: the first stage on the
 * way to it that is not complete (shrink for a run dir that does not exist yet).
 */
export function nextStageHint(root: string, stage: Stage, manifest?: Manifest): string {
  const missing = [...PREREQUISITES[stage], stage].find((name) => manifest?.stages[name]?.status !== 'complete') ?? stage;
  const started = manifest?.stages[missing] !== undefined;
  const placeholder = PLACEHOLDERS[missing] ? ` (${PLACEHOLDERS[missing]})` : '';
  return `run ${stageCommand(missing, root)}${placeholder} ${started ? `to resume ${missing} from its last checkpoint` : 'first'}`;
}

/** Whether `root` is a run dir whose `stage` is complete (a missing run dir has no complete stage). */
export function isStageComplete(root: string, stage: Stage): boolean {
  return existsSync(runDirLayout(root).manifest) && readManifest(root).stages[stage]?.status === 'complete';
}

/**
 * Whether `root` holds a run dir with `stage` complete (for commands that need an earlier stage).
 * Without a `hint` the error names the complete command to run next.
 */
export function requireStage(root: string, stage: Stage, hint?: string): Manifest {
  if (!existsSync(runDirLayout(root).manifest)) {
    throw runDirError(`${root} is not a morphnet run dir (no run.json)`, hint ?? nextStageHint(root, stage));
  }
  const manifest = readManifest(root);
  const record = manifest.stages[stage];
  if (record?.status !== 'complete') {
    const why = record?.error ? `: ${record.error}` : '';
    throw runDirError(`${root} has no completed ${stage} stage (status: ${record?.status ?? 'not started'}${why})`, hint ?? nextStageHint(root, stage, manifest));
  }
  return manifest;
}

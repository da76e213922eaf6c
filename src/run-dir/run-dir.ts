import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runDirError } from '../errors.js';
import { writeJsonAtomic } from './atomic.js';
import { acquireLock } from './lock.js';

export const STAGES = ['shrink', 'expand', 'retrain', 'baseline', 'report'] as const;
export type Stage = (typeof STAGES)[number];
export type StageStatus = 'running' | 'complete' | 'failed';

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
  backend?: { name: string; package: string; threads?: number };
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
    reportJson: join(root, 'report.json'),
    reportHtml: join(root, 'report.html'),
  };
}

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
      return new RunDir(absolute, manifest, release);
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
   * Forgets `stage` and every stage after it (their outputs depend on it): removes their folders
   * and statuses. Redoing shrink also drops the saved seed model, which a new config may change.
   */
  resetFrom(stage: Stage): void {
    const later = STAGES.slice(STAGES.indexOf(stage));
    for (const name of later) {
      rmSync(this.paths.stage(name), { recursive: true, force: true });
      delete this.manifest.stages[name];
    }
    if (later.includes('report')) {
      rmSync(this.paths.reportJson, { force: true });
      rmSync(this.paths.reportHtml, { force: true });
    }
    if (stage === 'shrink') rmSync(this.paths.seedModel, { recursive: true, force: true });
    this.save();
  }

  close(): void {
    this.release();
  }

  private save(): void {
    this.manifest.updatedAt = new Date().toISOString();
    writeJsonAtomic(this.paths.manifest, this.manifest);
  }
}

export function readManifest(root: string): Manifest {
  const path = runDirLayout(root).manifest;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (error) {
    throw runDirError(`${path} cannot be read: ${(error as Error).message}`, 'this is not a morphnet run dir, or run.json was edited; use another --run-dir');
  }
}

/** Whether `root` holds a run dir with `stage` complete (for commands that need an earlier stage). */
export function requireStage(root: string, stage: Stage, hint: string): Manifest {
  if (!existsSync(runDirLayout(root).manifest)) {
    throw runDirError(`${root} is not a morphnet run dir (no run.json)`, hint);
  }
  const manifest = readManifest(root);
  if (manifest.stages[stage]?.status !== 'complete') {
    throw runDirError(`${root} has no completed ${stage} stage (status: ${manifest.stages[stage]?.status ?? 'not started'})`, hint);
  }
  return manifest;
}

import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { decodeImageFile, undecodableError, type Rgba } from './decode.js';

/**
 * The worker: decodes the files of each request and posts their pixels back (transferred, not
 * copied). Runs as a CommonJS eval script with decodeImageFile's own source text.
 */
const workerSource = () => `
const { parentPort, workerData } = require('node:worker_threads');
const libraries = { readFileSync: require('node:fs').readFileSync, jpeg: require(workerData.jpeg), PNG: require(workerData.pngjs).PNG };
const decodeImageFile = ${decodeImageFile.toString()};
parentPort.on('message', ({ id, files }) => {
  const images = [];
  for (const file of files) {
    try {
      images.push(decodeImageFile(file, libraries));
    } catch (error) {
      parentPort.postMessage({ id, failed: { file, reason: error.message } });
      return;
    }
  }
  parentPort.postMessage({ id, images }, images.map((image) => image.data.buffer));
});`;

interface Reply {
  id: number;
  images?: Rgba[];
  failed?: { file: string; reason: string };
}

/**
 * Worker threads that decode image files while the main thread trains. A worker keeps the
 * process alive only while it has requests pending.
 */
export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (images: Rgba[]) => void; reject: (error: Error) => void; worker: Worker }>();
  private nextId = 0;

  constructor(size: number) {
    const resolve = createRequire(import.meta.url).resolve;
    const workerData = { jpeg: resolve('jpeg-js'), pngjs: resolve('pngjs') };
    for (let i = 0; i < size; i++) {
      // No execArgv: the parent's (say --input-type=module) would make the script an ES module.
      const worker = new Worker(workerSource(), { eval: true, execArgv: [], workerData });
      worker.on('message', (reply: Reply) => this.settle(reply));
      worker.on('error', (error) => this.failAll(worker, error));
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** The files' pixels, in order, the files split across the workers. */
  async decode(files: string[]): Promise<Rgba[]> {
    const share = Math.ceil(files.length / this.workers.length);
    const parts = this.workers.map((worker, w) => this.request(worker, files.slice(w * share, (w + 1) * share)));
    return (await Promise.all(parts)).flat();
  }

  private request(worker: Worker, files: string[]): Promise<Rgba[]> {
    if (files.length === 0) return Promise.resolve([]);
    const id = this.nextId++;
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ id, files });
    });
  }

  private settle(reply: Reply) {
    const request = this.pending.get(reply.id);
    if (!request) return;
    this.pending.delete(reply.id);
    if (![...this.pending.values()].some((other) => other.worker === request.worker)) request.worker.unref();
    if (reply.failed) request.reject(undecodableError(reply.failed.file, reply.failed.reason));
    else request.resolve(reply.images!);
  }

  private failAll(worker: Worker, error: Error) {
    // A worker that died (out of memory, say) takes no more requests: the next read starts a new pool.
    if (shared === this) shared = undefined;
    for (const [id, request] of this.pending) {
      if (request.worker !== worker) continue;
      this.pending.delete(id);
      request.reject(error);
    }
  }
}

let shared: DecodePool | undefined;

/** The process's decode pool: one worker per core beyond the one that trains (at least one). */
export function decodePool(): DecodePool {
  shared ??= new DecodePool(Math.max(1, availableParallelism() - 1));
  return shared;
}

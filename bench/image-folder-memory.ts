import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/**
 * Peak memory of a shrink over an image folder larger than memory would hold as float32
 * (20,000 224x224x3 pictures are 12 GB as float32). The folder is generated once under /tmp:
 * a few PNG encodes of gradients plus noise per class (PNG decodes about twice as fast as JPEG in
 * jpeg-js), each written under many names, so every file is decoded on its own when read. The
 * shrink runs in a child process (the CLI, as a user runs it) that records its own peak RSS
 * (VmHWM) as it exits. Every file is listed and labelled; a fixed number of steps decodes
 * steps x batch training files, plus the validation split and the BN-statistics samples.
 */
export interface ImageFolderMemoryOptions {
  images: number;
  classes: number;
  steps: number;
  batchSize: number;
  model: string;
  validationSplit: number;
  batchNormSamples: number;
  dir: string;
}

export interface ImageFolderMemoryResult {
  options: ImageFolderMemoryOptions;
  images: number;
  peakRssBytes: number;
  seconds: number;
  exitCode: number | null;
}

const SIDE = 224;
const VARIANTS_PER_CLASS = 8;

/** One PNG of class c: a colour gradient whose direction and hue depend on the class, plus seeded noise. */
function encodeVariant(c: number, variant: number): Uint8Array {
  const data = Buffer.alloc(SIDE * SIDE * 4);
  let state = (c * 7919 + variant * 104_729 + 1) >>> 0;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      const noise = (state >>> 24) % 8;
      const t = (c % 2 === 0 ? x : y) / SIDE;
      const at = (y * SIDE + x) * 4;
      data[at] = (t * 200 + c * 23 + noise) % 256;
      data[at + 1] = ((1 - t) * 180 + c * 41 + noise) % 256;
      data[at + 2] = (c * 67 + variant * 11 + noise) % 256;
      data[at + 3] = 255;
    }
  }
  return PNG.sync.write({ width: SIDE, height: SIDE, data } as PNG, { deflateLevel: 1 });
}

function countImages(root: string): number {
  if (!existsSync(root)) return 0;
  return readdirSync(root).reduce((sum, name) => sum + readdirSync(join(root, name)).length, 0);
}

/** The image folder, generated unless it is already there with the right count. */
export function generateImageFolder(root: string, images: number, classes: number): void {
  if (countImages(root) === images) return;
  rmSync(root, { recursive: true, force: true });
  for (let c = 0; c < classes; c++) {
    const dir = join(root, `class${String(c).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const variants = Array.from({ length: VARIANTS_PER_CLASS }, (_, v) => encodeVariant(c, v));
    const perClass = Math.floor(images / classes) + (c < images % classes ? 1 : 0);
    for (let k = 0; k < perClass; k++) writeFileSync(join(dir, `${String(k).padStart(5, '0')}.png`), variants[k % VARIANTS_PER_CLASS]);
  }
}

/** A preload that writes the process's /proc/self/status to `file` when the process exits. */
function peakRssRecorder(dir: string, file: string): string {
  const preload = join(dir, 'record-peak-rss.mjs');
  writeFileSync(
    preload,
    `import { readFileSync, writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(file)}, readFileSync('/proc/self/status', 'utf8')));\n`,
  );
  return preload;
}

export function benchImageFolderMemory(options: ImageFolderMemoryOptions): ImageFolderMemoryResult {
  const root = join(options.dir, 'images');
  generateImageFolder(root, options.images, options.classes);
  const config = join(options.dir, 'shrink.yaml');
  writeFileSync(
    config,
    `model: {zoo: ${options.model}, options: {width: 0.35, inputShape: [${SIDE}, ${SIDE}, 3], classes: ${options.classes}}}
data: {dataset: image-folder, path: ${root}, batchSize: ${options.batchSize}, validationSplit: ${options.validationSplit}, augment: {crop: 8, flip: true}}
evaluation: {batchNormSamples: ${options.batchNormSamples}}
backend: wasm
shrink: {steps: ${options.steps}, exportEvery: 1000, checkpointEvery: 1000}
`,
  );
  const statusFile = join(options.dir, 'status.txt');
  rmSync(statusFile, { force: true });
  const runDir = join(options.dir, 'run');
  rmSync(runDir, { recursive: true, force: true });
  const cli = join(import.meta.dirname, '../src/cli/main.js');
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--import', peakRssRecorder(options.dir, statusFile), cli, 'shrink', '-c', config, '-r', runDir], { stdio: ['ignore', 'inherit', 'inherit'] });
  const seconds = (performance.now() - started) / 1000;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(existsSync(statusFile) ? readFileSync(statusFile, 'utf8') : '');
  return { options, images: countImages(root), peakRssBytes: hwm ? Number(hwm[1]) * 1024 : NaN, seconds, exitCode: child.status };
}

// Assembles the hand-written SIMD kernels (src/backend/wasm-kernels/*.wat) into dist/wasm/:
// NAME.shared.wasm imports the shared memory of tfjs's threaded build, NAME.wasm the plain
// memory of its single-threaded build. Part of `npm run build`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import wabtModule from 'wabt';

const SOURCE_DIR = 'src/backend/wasm-kernels';
const OUT_DIR = 'dist/wasm';
const SHARED_MEMORY = '(import "env" "memory" (memory 1 65536 shared))';
const PLAIN_MEMORY = '(import "env" "memory" (memory 1))';

const wabt = await wabtModule();
mkdirSync(OUT_DIR, { recursive: true });
for (const file of readdirSync(SOURCE_DIR).filter((name) => name.endsWith('.wat'))) {
  const text = readFileSync(join(SOURCE_DIR, file), 'utf8');
  if (!text.includes(SHARED_MEMORY)) throw new Error(`${file}: expected the memory import ${SHARED_MEMORY}`);
  const name = basename(file, '.wat');
  for (const [suffix, source] of [['.shared.wasm', text], ['.wasm', text.replace(SHARED_MEMORY, PLAIN_MEMORY)]]) {
    const features = { simd: true, threads: true };
    const parsed = wabt.parseWat(file, source, features);
    parsed.validate(features);
    writeFileSync(join(OUT_DIR, name + suffix), parsed.toBinary({}).buffer);
    parsed.destroy();
  }
}

import * as tf from '@tensorflow/tfjs';
import { initBackend } from './dist/src/backend/select.js';
import { buildZooModel } from './dist/src/model/zoo/registry.js';
import { createOptimizer } from './dist/src/train/optimizer.js';
import { trainStep } from './dist/src/train/train-step.js';
const [model, batch, threads] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
await initBackend('wasm', threads);
const net = buildZooModel(model); const opt = createOptimizer({ name: 'momentum', learningRate: 0.01, momentum: 0.9 });
const shape = net.inputs[0].shape.slice(1);
const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 1); const y = tf.randomUniform([batch], 0, 10, 'int32', 2);
const o = { numClasses: 10, outputKind: 'probabilities' };
trainStep(net, opt, x, y, o);
// time each kernel by wrapping engine.runKernel? use the kernel registry: wrap kernelFunc of every wasm kernel
const totals = new Map();
const engine = tf.engine();
const orig = engine.runKernel.bind(engine);
const times = new Map();
for (const k of tf.getKernelsForBackend('wasm')) {
  const f = k.kernelFunc;
  k.kernelFunc = (args) => { const t = performance.now(); const r = f(args); const dt = performance.now() - t; const key = ['Sum','Mean','Multiply','Transpose','Conv2D','Concat'].includes(k.kernelName) && process.env.DETAIL ? k.kernelName + ' ' + Object.values(args.inputs).map(t => t.shape.join('x')).join(',') + ' ' + JSON.stringify(args.attrs?.axis ?? args.attrs?.perm ?? args.attrs?.strides ?? '') : k.kernelName; const e = times.get(key) ?? [0, 0]; e[0] += dt; e[1]++; times.set(key, e); return r; };
}
const steps = 3; const t0 = performance.now();
for (let i = 0; i < steps; i++) trainStep(net, opt, x, y, o);
const total = (performance.now() - t0) / steps;
const rows = [...times].map(([k, [ms, n]]) => [k, ms / steps, n / steps]).sort((a, b) => b[1] - a[1]);
console.log('ms/step', total.toFixed(1), 'kernel sum', rows.reduce((s, r) => s + r[1], 0).toFixed(1));
for (const [k, ms, n] of rows.slice(0, Number(process.env.TOP ?? 18))) console.log(k.padEnd(70), ms.toFixed(1).padStart(8), String(n).padStart(5));

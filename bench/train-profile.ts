/**
 * Where a training call's time goes (#3): one tf.profile of a shard (16 crops of 32x32, the shipped
 * UNet config) on the active backend, kernels grouped as weight-gradient convolutions (the SIMD
 * kernel of src/model/conv-weight-grad.ts, timed by itself since it runs outside tfjs, or on other
 * backends the "channels as batch" convolutions with output [C_in, k, k, C_out]), the other
 * convolutions (forward and input gradient), everything else by kernel name, and the wall time
 * outside kernels; beside it the time the call's convolution FLOPs would take at the plain conv2d
 * throughput measured in the same run.
 *
 *   npm run build && node dist/bench/train-profile.js
 */
import { tf, initBackend, readTidy, backendFingerprint } from '../src/model/backend.js';
import { layoutOf, flatten } from '../src/model/flat-params.js';
import { initParams, type UNetConfig } from '../src/model/unet.js';
import { lossAndGrads } from '../src/model/train-step.js';
import { NoiseSchedule, DDPM_LINEAR } from '../src/model/schedule.js';
import { convFlops } from './conv-flops.js';
import { machineInfo } from './machine.js';
import { weightGradTime } from '../src/model/conv-weight-grad.js';

async function main() {
  await initBackend('wasm');
  const c: UNetConfig = { imageChannels: 3, base: 32, mults: [1, 2, 2, 2], resBlocks: 1, midAttention: true, groups: 8 };
  const l = layoutOf(c);
  const flat = flatten(l, initParams(c, 1));
  const sch = new NoiseSchedule(DDPM_LINEAR);
  const n = 16;
  const crop = 32;
  const x0 = new Float32Array(n * crop * crop * 3).map((_, i) => Math.sin(i) * 0.5);
  const run = () => lossAndGrads(c, l, flat, sch, { x0, n, crop, seed: 1, step: 0, firstItem: 0 });
  for (let i = 0; i < 3; i++) run();
  const px = tf.randomNormal([32, 32, 32, 64]) as tf.Tensor4D;
  const pw = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const plainOnce = () => {
    const t0 = performance.now();
    readTidy(() => tf.conv2d(px, pw, 1, 'same'));
    return (2 * 32 * 32 * 32 * 64 * 64 * 9) / ((performance.now() - t0) / 1000) / 1e9;
  };
  plainOnce();
  const plainBefore = Math.max(plainOnce(), plainOnce(), plainOnce());
  const t0 = performance.now();
  run();
  const wallMs = performance.now() - t0;
  weightGradTime.calls = 0;
  weightGradTime.ms = 0;
  const info = await tf.profile(() => void run());
  const kernel = { ...weightGradTime };
  const plain = (plainBefore + Math.max(plainOnce(), plainOnce(), plainOnce())) / 2;
  // customGrad and fused-op wrappers are reported around the kernels they run: skip them
  const wrappers = new Set(['forward', 'fusedConv2d__op']);
  const groups = new Map<string, { ms: number; calls: number }>();
  const add = (k: string, ms: number) => {
    const g = groups.get(k) ?? { ms: 0, calls: 0 };
    g.ms += ms;
    g.calls++;
    groups.set(k, g);
  };
  let kernelMs = 0;
  for (const k of info.kernels) {
    if (wrappers.has(k.name)) continue;
    const ms = k.kernelTimeMs as number;
    kernelMs += ms;
    if (k.name === 'Conv2D' || k.name === 'FusedConv2D') {
      const out = k.outputShapes[0] as number[];
      const inp = k.inputShapes[0] as number[];
      add(out[1] <= 3 && out[1] === out[2] && inp[1] > out[1] ? 'conv: weight gradient' : 'conv: forward and input gradient', ms);
    } else add(k.name, ms);
  }
  if (kernel.calls) {
    groups.set('conv: weight gradient (SIMD kernel, outside tfjs)', kernel);
    kernelMs += kernel.ms;
  }
  const flops = 3 * n * convFlops(c, crop, crop);
  const atPlainMs = (flops / (plain * 1e9)) * 1000;
  const rows = [...groups].sort((a, b) => b[1].ms - a[1].ms).map(([name, g]) => ({ name, ms: g.ms, calls: g.calls }));
  const report = {
    machine: machineInfo(),
    backend: backendFingerprint(),
    shard: { crops: n, crop, config: c },
    wallMs,
    profiledKernelMs: kernelMs,
    convFlops: flops,
    plainConv2dGFLOPs: plain,
    convFlopsAtPlainMs: atPlainMs,
    ofPlain: atPlainMs / wallMs,
    rows,
  };
  for (const r of rows.slice(0, 14)) console.error(`${r.name.padEnd(34)} ${r.ms.toFixed(1).padStart(8)} ms  ${String(r.calls).padStart(4)} calls`);
  console.error(`wall ${wallMs.toFixed(0)} ms; kernels (profiled, the SIMD kernel included) ${kernelMs.toFixed(0)} ms; the conv FLOPs at plain conv2d speed (${plain.toFixed(1)} GFLOP/s) ${atPlainMs.toFixed(0)} ms = ${((100 * atPlainMs) / wallMs).toFixed(0)}% of the wall time`);
  console.log(JSON.stringify(report, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Where the network's time goes (#3): one tf.profile of a training shard (16 crops of 32x32, the
 * shipped UNet config) or, with `--forward SIZE`, of one SIZE x SIZE forward pass, on the active
 * backend. Kernels are grouped as: the project's own wasm kernels (weight gradient, GroupNorm+SiLU,
 * channel concat; timed by themselves since they run outside tfjs), tfjs convolutions (in forward
 * mode one row per layer shape with its GFLOP/s; in training mode forward/input-gradient
 * convolutions, and on backends without the weight-gradient kernel the "channels as batch"
 * convolutions with output [C_in, k, k, C_out]), everything else by kernel name, and the wall
 * time outside kernels; beside it the time the convolution FLOPs would take at the plain conv2d
 * throughput measured in the same run.
 *
 *   npm run build && node dist/bench/network-profile.js [--forward 64]
 */
import { tf, initBackend, readTidy, backendFingerprint } from '../src/model/backend.js';
import { layoutOf, flatten, toTensors } from '../src/model/flat-params.js';
import { initParams, unetForward, type UNetConfig } from '../src/model/unet.js';
import { lossAndGrads } from '../src/model/train-step.js';
import { NoiseSchedule, DDPM_LINEAR } from '../src/model/schedule.js';
import { kernelTime } from '../src/model/wasm-kernel.js';
import { convFlops } from './conv-flops.js';
import { machineInfo } from './machine.js';

async function main() {
  const args = process.argv.slice(2);
  const forwardSize = args.includes('--forward') ? Number(args[args.indexOf('--forward') + 1]) : 0;
  await initBackend('wasm');
  const c: UNetConfig = { imageChannels: 3, base: 32, mults: [1, 2, 2, 2], resBlocks: 1, midAttention: true, groups: 8 };
  const l = layoutOf(c);
  const flat = flatten(l, initParams(c, 1));
  const n = 16;
  const crop = 32;
  let run: () => void;
  let flops: number;
  if (forwardSize) {
    const p = toTensors(l, flat);
    const x = tf.randomNormal([1, forwardSize, forwardSize, 3]) as tf.Tensor4D;
    run = () => void readTidy(() => unetForward(c, p, x, [500]));
    flops = convFlops(c, forwardSize, forwardSize);
  } else {
    const sch = new NoiseSchedule(DDPM_LINEAR);
    const x0 = new Float32Array(n * crop * crop * 3).map((_, i) => Math.sin(i) * 0.5);
    run = () => void lossAndGrads(c, l, flat, sch, { x0, n, crop, seed: 1, step: 0, firstItem: 0 });
    flops = 3 * n * convFlops(c, crop, crop);
  }
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
  const reps = forwardSize && forwardSize <= 64 ? 5 : 1;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  const wallMs = (performance.now() - t0) / reps;
  kernelTime.clear();
  const info = await tf.profile(() => void run());
  const own = [...kernelTime];
  const plain = (plainBefore + Math.max(plainOnce(), plainOnce(), plainOnce())) / 2;
  // customGrad and fused-op wrappers are reported around the kernels they run: skip them
  const wrappers = new Set(['forward', 'fusedConv2d__op', 'unnamed scope']);
  const groups = new Map<string, { ms: number; calls: number; flops: number }>();
  const add = (k: string, ms: number, fl = 0) => {
    const g = groups.get(k) ?? { ms: 0, calls: 0, flops: 0 };
    g.ms += ms;
    g.calls++;
    g.flops += fl;
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
      const w = k.inputShapes[1] as number[];
      if (forwardSize) add(`conv ${inp.slice(1).join('x')} k${w[0]} -> ${w[3]}`, ms, 2 * inp[0] * inp[1] * inp[2] * w[0] * w[1] * w[2] * w[3]);
      else add(out[1] <= 3 && out[1] === out[2] && inp[1] > out[1] ? 'conv: weight gradient' : 'conv: forward and input gradient', ms);
    } else add(k.name, ms);
  }
  for (const [name, e] of own) {
    groups.set(`wasm kernel: ${name} (outside tfjs)`, { ...e, flops: 0 });
    kernelMs += e.ms;
  }
  const atPlainMs = (flops / (plain * 1e9)) * 1000;
  const rows = [...groups].sort((a, b) => b[1].ms - a[1].ms).map(([name, g]) => ({ name, ms: g.ms, calls: g.calls, ...(g.flops ? { GFLOPs: g.flops / g.ms / 1e6 } : {}) }));
  const report = {
    machine: machineInfo(),
    backend: backendFingerprint(),
    what: forwardSize ? { forward: forwardSize, config: c } : { shard: { crops: n, crop }, config: c },
    wallMs,
    profiledKernelMs: kernelMs,
    convFlops: flops,
    plainConv2dGFLOPs: plain,
    convFlopsAtPlainMs: atPlainMs,
    ofPlain: atPlainMs / wallMs,
    rows,
  };
  for (const r of rows.slice(0, 30)) console.error(`${r.name.padEnd(44)} ${r.ms.toFixed(2).padStart(8)} ms  ${String(r.calls).padStart(4)} calls${r.GFLOPs ? `  ${r.GFLOPs.toFixed(1)} GFLOP/s` : ''}`);
  console.error(`wall ${wallMs.toFixed(1)} ms; kernels (profiled, our wasm kernels included) ${kernelMs.toFixed(1)} ms; the conv FLOPs at plain conv2d speed (${plain.toFixed(1)} GFLOP/s) ${atPlainMs.toFixed(1)} ms = ${((100 * atPlainMs) / wallMs).toFixed(0)}% of the wall time`);
  console.log(JSON.stringify(report, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

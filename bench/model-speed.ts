/**
 * Network speed on the active backend: forward evaluations per second at 64x64 and 256x256 and
 * training images per second (forward + custom-gradient backward), with achieved GFLOP/s of the
 * convolutions and their fraction of a plain 3x3 conv2d's throughput (measured in alternation), for
 * a few UNet sizes. Training uses 16 crops of 32x32 per call: one worker's shard of a batch of 32.
 *
 *   npm run build && node dist/bench/model-speed.js [--backend wasm|auto] [--quick]
 */
import { tf, readTidy, initBackend, backendFingerprint, type BackendName } from '../src/model/backend.js';
import { unetForward, initParams, countParams, type UNetConfig } from '../src/model/unet.js';
import { layoutOf, flatten, toTensors } from '../src/model/flat-params.js';
import { lossAndGrads } from '../src/model/train-step.js';
import { NoiseSchedule, DDPM_LINEAR } from '../src/model/schedule.js';
import { machineInfo } from './machine.js';
import { convFlops } from './conv-flops.js';

function timeIt(f: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps / 1000;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Seconds per call of `f`, and the plain-conv2d GFLOP/s measured in alternation with it. This VM's
 * speed drifts by 10–30% within minutes, so each sample of f is paired with a sample of the
 * reference and the ratio is the median of the per-pair ratios.
 */
function paired(f: () => void, reps: number, rounds: number, plain: () => number): { sec: number; plain: number; ratios: number[] } {
  f();
  const secs: number[] = [];
  const plains: number[] = [];
  for (let r = 0; r < rounds; r++) {
    plains.push(plain());
    secs.push(timeIt(f, reps));
  }
  return { sec: median(secs), plain: median(plains), ratios: secs.map((s, i) => plains[i] * s) };
}

async function main() {
  const args = process.argv.slice(2);
  const backend = (args[args.indexOf('--backend') + 1] ?? 'wasm') as BackendName;
  const quick = args.includes('--quick');
  await initBackend(args.includes('--backend') ? backend : 'wasm');
  const configs: Record<string, UNetConfig> = {
    'base16-[1,2,2]': { imageChannels: 3, base: 16, mults: [1, 2, 2], resBlocks: 1, midAttention: false, groups: 8 },
    'base32-[1,2,2,2]': { imageChannels: 3, base: 32, mults: [1, 2, 2, 2], resBlocks: 1, midAttention: true, groups: 8 },
    'base48-[1,2,2,2]': { imageChannels: 3, base: 48, mults: [1, 2, 2, 2], resBlocks: 2, midAttention: true, groups: 8 },
  };
  const sch = new NoiseSchedule(DDPM_LINEAR);
  const results: Record<string, unknown> = { machine: machineInfo(), backend: backendFingerprint() };
  // reference: plain conv2d, 3x3, batch 32, 32x32, 64→64 (the ../shared/README.md measurement)
  const px = tf.randomNormal([32, 32, 32, 64]) as tf.Tensor4D;
  const pw = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const plainFlops = 2 * 32 * 32 * 32 * 64 * 64 * 9;
  const plain = () => plainFlops / timeIt(() => readTidy(() => tf.conv2d(px, pw, 1, 'same')), 3) / 1e9;
  plain();
  const plainAll: number[] = [];
  const rounds = quick ? 3 : 5;
  for (const [name, c] of Object.entries(configs)) {
    const l = layoutOf(c);
    const flat = flatten(l, initParams(c, 1));
    const p = toTensors(l, flat);
    const r: Record<string, number> = { params: countParams(c) };
    const record = (key: string, flops: number, m: { sec: number; plain: number; ratios: number[] }) => {
      r[`${key}_GFLOPs`] = flops / m.sec / 1e9;
      r[`${key}_plainConv2d_GFLOPs`] = m.plain;
      // fraction of the plain conv2d throughput, median over paired samples
      r[`${key}_ofPlain`] = median(m.ratios.map((x) => flops / 1e9 / x));
      plainAll.push(m.plain);
    };
    for (const size of quick ? [64] : [64, 256]) {
      const x = tf.randomNormal([1, size, size, 3]) as tf.Tensor4D;
      const m = paired(() => readTidy(() => unetForward(c, p, x, [500])), size === 256 ? 1 : 4, rounds, plain);
      r[`forward${size}_evalsPerSec`] = 1 / m.sec;
      record(`forward${size}`, convFlops(c, size, size), m);
      x.dispose();
    }
    const batch = 16;
    const crop = 32;
    const x0 = new Float32Array(batch * crop * crop * 3).map((_, i) => Math.sin(i) * 0.5);
    const m = paired(() => lossAndGrads(c, l, flat, sch, { x0, n: batch, crop, seed: 1, step: 0, firstItem: 0 }), 1, rounds, plain);
    r.train32_imagesPerSec = batch / m.sec;
    record('train32', 3 * batch * convFlops(c, crop, crop), m);
    tf.dispose([...p.values()]);
    results[name] = r;
    console.error(name, JSON.stringify(r));
  }
  results.plainConv2d_GFLOPs = median(plainAll);
  tf.dispose([px, pw]);
  console.log(JSON.stringify(results, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

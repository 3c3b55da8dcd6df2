/**
 * Network speed of this build against another build of the project, in one process, alternating
 * sample by sample — on this VM (speed drifting 10–30% within minutes) the only comparison that
 * resolves a few percent. The other build is a checkout with `npm run build` done, e.g.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && ln -s $PWD/node_modules . && npm run build)
 *   node dist/bench/build-ab.js /tmp/before [--rounds 15]
 *
 * Both builds share this process's TensorFlow.js (node_modules resolve to the same files), so
 * only the project's own layer code differs. Reports median time per call and the median of the
 * per-round time ratios (this build / other) for a 64x64 and a 256x256 forward pass and a 16-crop
 * 32x32 training call of the shipped UNet configuration.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf, readTidy, initBackend, backendFingerprint } from '../src/model/backend.js';
import * as here from '../src/model/unet.js';
import * as hereTrain from '../src/model/train-step.js';
import { layoutOf, flatten, toTensors } from '../src/model/flat-params.js';
import { NoiseSchedule, DDPM_LINEAR } from '../src/model/schedule.js';
import { machineInfo } from './machine.js';

type Unet = typeof here;
type Train = typeof hereTrain;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function ms(f: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

async function main() {
  const args = process.argv.slice(2);
  const otherDir = args[0];
  if (!otherDir || otherDir.startsWith('--')) throw new Error('usage: node dist/bench/build-ab.js <other checkout, built> [--rounds N]');
  const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 15;
  const url = (p: string) => pathToFileURL(resolve(otherDir, 'dist/src/model', p)).href;
  const other = (await import(url('unet.js'))) as Unet;
  const otherTrain = (await import(url('train-step.js'))) as Train;
  await initBackend('wasm');
  const c = { imageChannels: 3, base: 32, mults: [1, 2, 2, 2], resBlocks: 1, midAttention: true, groups: 8 };
  const l = layoutOf(c);
  const flat = flatten(l, here.initParams(c, 1));
  const p = toTensors(l, flat);
  const sch = new NoiseSchedule(DDPM_LINEAR);
  const x0 = new Float32Array(16 * 32 * 32 * 3).map((_, i) => Math.sin(i) * 0.5);
  const results: Record<string, unknown> = { machine: machineInfo(), backend: backendFingerprint(), other: resolve(otherDir), rounds };
  const cases: Array<[string, (u: Unet, tr: Train) => () => void, number]> = [];
  for (const size of [64, 256]) {
    const x = tf.randomNormal([1, size, size, 3]) as tf.Tensor4D;
    cases.push([`forward${size}`, (u) => () => void readTidy(() => u.unetForward(c, p, x, [500])), size === 64 ? 5 : 1]);
  }
  cases.push(['train32x16', (_u, tr) => () => void tr.lossAndGrads(c, l, flat, sch, { x0, n: 16, crop: 32, seed: 1, step: 0, firstItem: 0 }), 1]);
  for (const [name, make, reps] of cases) {
    const fHere = make(here, hereTrain);
    const fOther = make(other, otherTrain);
    fHere();
    fOther();
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      b.push(ms(fOther, reps));
      a.push(ms(fHere, reps));
      process.stderr.write(`\r${name}: round ${r + 1}/${rounds}`);
    }
    process.stderr.write('\n');
    results[name] = { thisMs: median(a), otherMs: median(b), ratio: median(a.map((v, i) => v / b[i])) };
  }
  console.log(JSON.stringify(results, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Data-parallel training on worker threads (one wasm backend per core). Each step, every worker
 * computes the gradient of its shard of the batch; the main thread averages them, applies Adam and
 * the EMA, and sends the new weights back. Checkpoints hold weights, EMA, Adam moments and the
 * step, and batches are a pure function of (seed, step), so a resumed run continues exactly.
 */
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync, writeFileSync, renameSync, appendFileSync } from 'node:fs';
import { pack, unpack } from 'msgpackr';
import { type ModelConfig, saveModelFile, modelHash, loadModelFile } from './model-file.js';
import { initParams, countParams } from './unet.js';
import { layoutOf, flatten, unflatten, toTensors } from './flat-params.js';
import { newAdam, adamUpdate, emaUpdate, type AdamState } from './adam.js';
import { initBackend, tf, type BackendName } from './backend.js';
import { NoiseSchedule } from './schedule.js';
import { PhotoPool } from './photo-pool.js';
import { variationalBound, fullBoundSteps, unetPredictor } from './bound.js';
import { T_SAMPLINGS, type TSampling } from './train-step.js';
import { DdpmError } from '../bitstream/errors.js';
import { float32FromBytes, bytesOfFloat32 } from './float-bytes.js';
import { workerOptions } from './worker-options.js';

export interface TrainOptions {
  config: ModelConfig;
  photos: string[];
  valPhotos: string[];
  /** model file written from the EMA weights */
  out: string;
  /** resumable checkpoint (weights, EMA, Adam, step) */
  checkpoint: string;
  steps: number;
  batch: number;
  crop: number;
  lr: number;
  warmup: number;
  emaDecay: number;
  workers: number;
  seed: number;
  backend: BackendName;
  saveEvery: number;
  valEvery: number;
  log?: string;
  id: string;
  /** start a new run from these weights (params and EMA) instead of a fresh initialisation */
  initFrom?: string;
  /** timestep law; default: the checkpoint's when resuming, else 'uniform' */
  tSampling?: TSampling;
  quiet?: boolean;
}

interface Checkpoint {
  config: ModelConfig;
  step: number;
  seed: number;
  params: Float32Array;
  ema: Float32Array;
  adam: AdamState;
  history: Array<Record<string, number>>;
  seconds: number;
  /** absent in checkpoints written before the option existed: those trained with 'uniform' */
  tSampling?: TSampling;
}

function saveCheckpoint(path: string, c: Checkpoint): void {
  const tmp = `${path}.tmp-${process.pid}`;
  // float arrays go in as explicit bytes: msgpackr's own Float32Array encoding does not round-trip
  const b = bytesOfFloat32;
  writeFileSync(tmp, pack({ ...c, params: b(c.params), ema: b(c.ema), adam: { ...c.adam, m: b(c.adam.m), v: b(c.adam.v) } }));
  renameSync(tmp, path);
}

function loadCheckpoint(path: string): Checkpoint {
  const c = unpack(readFileSync(path)) as Checkpoint;
  const f32 = (a: unknown) => (a instanceof Float32Array ? a : float32FromBytes(a as Uint8Array));
  return { ...c, params: f32(c.params), ema: f32(c.ema), adam: { ...c.adam, m: f32(c.adam.m), v: f32(c.adam.v) } };
}

function loadWeightsFor(path: string, config: ModelConfig): Map<string, Float32Array> {
  const m = loadModelFile(path);
  if (JSON.stringify(m.config) !== JSON.stringify(config)) throw new DdpmError('BAD_ARGUMENT', `${path} has another model config`);
  return m.weights;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

export async function train(o: TrainOptions): Promise<Checkpoint> {
  const layout = layoutOf(o.config.unet);
  let ck: Checkpoint;
  if (existsSync(o.checkpoint)) {
    ck = loadCheckpoint(o.checkpoint);
    if (JSON.stringify(ck.config) !== JSON.stringify(o.config)) throw new DdpmError('BAD_ARGUMENT', `${o.checkpoint} was trained with another model config; remove it or pass the same config`);
    if (!o.quiet) console.error(`resuming from ${o.checkpoint} at step ${ck.step}`);
  } else {
    const params = flatten(layout, o.initFrom ? loadWeightsFor(o.initFrom, o.config) : initParams(o.config.unet, o.seed));
    ck = { config: o.config, step: 0, seed: o.seed, params, ema: params.slice(), adam: newAdam(layout.total), history: [], seconds: 0 };
  }
  const previous = ck.step > 0 ? (ck.tSampling ?? 'uniform') : undefined;
  ck.tSampling = o.tSampling ?? previous ?? 'uniform';
  const say = (line: string) => {
    if (!o.quiet) console.error(line);
    if (o.log) appendFileSync(o.log, line + '\n');
  };
  say(`model: ${countParams(o.config.unet)} parameters, ${JSON.stringify(o.config.unet)}; batch ${o.batch} of ${o.crop}x${o.crop} on ${o.workers} worker(s); timesteps ${ck.tSampling}`);
  if (previous && previous !== ck.tSampling) {
    say(`  timestep law changes from ${previous} to ${ck.tSampling} at step ${ck.step}`);
    ck.history.push({ step: ck.step, tSamplingChange: T_SAMPLINGS.indexOf(ck.tSampling) });
  }

  const workerUrl = new URL('./train-worker.js', import.meta.url);
  const workers = Array.from({ length: o.workers }, () => new Worker(workerUrl, workerOptions({ workerData: { config: o.config, photos: o.photos, crop: o.crop, backend: o.backend } })));
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((res, rej) => {
          w.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? res() : rej(new Error(m.error))));
          w.once('error', rej);
        }),
    ),
  );

  await initBackend(o.backend);
  const sch = new NoiseSchedule(o.config.schedule);
  const valPool = o.valPhotos.length ? await PhotoPool.load(o.valPhotos, o.crop) : null;
  const nVal = 16;
  const valImages = new Uint8Array(nVal * o.crop * o.crop * o.config.unet.imageChannels);
  if (valPool) {
    const tmp = new Float32Array(valImages.length);
    valPool.crops(tmp, nVal, o.crop, 12345, 0);
    for (let i = 0; i < tmp.length; i++) valImages[i] = Math.round((tmp[i] + 1) * 127.5);
  }
  const validate = () => {
    const p = toTensors(layout, ck.ema);
    const { steps, weights } = fullBoundSteps(sch.T, 24);
    const D = o.crop * o.crop * o.config.unet.imageChannels;
    const r = variationalBound(unetPredictor(o.config.unet, p, o.crop, o.crop), sch, valImages, nVal, D, steps, { variance: 'upper', weights, singleStep: true, batch: 16 });
    tf.dispose([...p.values()]);
    return r;
  };

  const shard = (w: Worker, step: number, first: number, n: number) =>
    new Promise<{ loss: number; grads: Float32Array }>((res, rej) => {
      w.once('message', (m: { loss: number; grads: Float32Array; error?: string }) => (m.error ? rej(new Error(m.error)) : res(m)));
      w.postMessage({ step, seed: ck.seed, firstItem: first, n, params: ck.params, tSampling: ck.tSampling });
    });

  const startSec = ck.seconds;
  const runStart = ck.step;
  const t0 = Date.now();
  let smooth = NaN;
  const per = Math.ceil(o.batch / o.workers);
  try {
    while (ck.step < o.steps) {
      const parts = await Promise.all(workers.map((w, i) => shard(w, ck.step, i * per, Math.min(per, o.batch - i * per))));
      const grads = parts[0].grads;
      for (let i = 1; i < parts.length; i++) for (let j = 0; j < grads.length; j++) grads[j] += parts[i].grads[j];
      for (let j = 0; j < grads.length; j++) grads[j] /= parts.length;
      const loss = parts.reduce((a, p) => a + p.loss, 0) / parts.length;
      const lr = o.lr * Math.min(1, (ck.step + 1) / o.warmup);
      const gnorm = adamUpdate(ck.params, grads, ck.adam, lr);
      emaUpdate(ck.ema, ck.params, Math.min(o.emaDecay, (1 + ck.step) / (10 + ck.step)));
      ck.step++;
      smooth = Number.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
      ck.seconds = startSec + (Date.now() - t0) / 1000;
      if (ck.step % 10 === 0 || ck.step === o.steps) {
        const done = ck.step;
        const elapsed = (Date.now() - t0) / 1000;
        const imgs = (o.batch * (done - runStart)) / elapsed;
        const eta = ((o.steps - done) * elapsed) / Math.max(1, done - runStart);
        say(`step ${done}/${o.steps}  loss ${smooth.toFixed(5)}  |g| ${gnorm.toFixed(3)}  lr ${lr.toExponential(2)}  ${imgs.toFixed(1)} img/s  ETA ${formatDuration(eta)}`);
      }
      if (ck.step % o.valEvery === 0 && valPool) {
        const r = validate();
        ck.history.push({ step: ck.step, loss: smooth, boundBitsPerDim: r.totalBits, l0: r.l0Bits, seconds: ck.seconds });
        say(`  validation @${ck.step}: bound ${r.totalBits.toFixed(4)} bits/dim (L_0 ${r.l0Bits.toFixed(4)}, prior ${r.priorBits.toExponential(2)})`);
      }
      if (ck.step % o.saveEvery === 0 || ck.step === o.steps) {
        saveCheckpoint(o.checkpoint, ck);
        const weights = unflatten(layout, ck.ema);
        const m = { id: o.id, config: o.config, gammaT: [], gamma: [], weights, info: { steps: ck.step, batch: o.batch, crop: o.crop, cpuSeconds: ck.seconds * o.workers, history: ck.history } };
        saveModelFile(o.out, m);
        say(`  saved ${o.checkpoint} and ${o.out} (sha256 ${modelHash(m).slice(0, 12)})`);
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return ck;
}

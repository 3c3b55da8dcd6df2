/**
 * `ddpm bound` (variational bound of a model on a folder of images, optional Γ calibration),
 * `ddpm schedule` (the encoder's coding candidates by DP over measured step costs) and `ddpm sample`.
 */
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../codec/api.js';
import { listPhotos } from '../model/photo-pool.js';
import { variationalBound, fullBoundSteps, type BoundResult } from '../model/bound.js';
import { estimateGamma, gammaGrid } from '../model/calibrate.js';
import { gammaFunction, saveModelFile, loadModelFile } from '../model/model-file.js';
import { logSnrSchedule, DEFAULT_STEPS } from '../codec/coding-schedule.js';
import { reconstruct } from '../codec/reconstruct.js';
import { searchSchedule, DEFAULT_SCHEDULE_SEARCH } from '../codec/schedule-search.js';
import { unetFactor } from '../codec/encoder.js';
import { initialState } from '../codec/step-math.js';
import { stateToImage, makeLayout } from '../codec/layout.js';
import { DdpmError } from '../bitstream/errors.js';
import { checkOutput, num, progress } from './io.js';
import type { VarianceKind } from '../model/diffusion.js';

export const MODEL_HELP = `  ddpm bound --data DIR [--model FILE] [--size 64] [--limit N] [--strata 32] [--steps K] [--calibrate] [--json]
        variational bound (bits/dim) on centre crops of the images: full T (stratified) and the
        K-step coding schedule, for each reverse-variance choice; --calibrate estimates Γ_t for the
        analytic variance and stores it in the --model file, which must be named
  ddpm schedule --data DIR [--model FILE] [--size 64] [--limit 16] [--grid 200] [--penalty 32] [--dry-run]
        the encoder's default coding candidates: the cheapest path (estimated file size + penalty
        bits per step) over a log-SNR grid of timesteps, by dynamic programming over costs measured
        on centre crops of the images; stored in the --model file, which must be named (its hash
        does not change)
  ddpm sample -o grid.png [--model FILE] [--n 16] [--size 64] [--steps 50] [--mode flow|sample] [--seed N] [--force]`;

/** A command that rewrites a model file writes only one the user named (never the default model). */
function namedModel(model: string | undefined, what: string): string {
  if (model === undefined) throw new DdpmError('BAD_ARGUMENT', `${what}: name it with --model FILE`);
  return model;
}

async function centreCrops(dir: string, size: number, limit: number): Promise<{ data: Uint8Array; n: number }> {
  const files = listPhotos(dir).slice(0, limit);
  if (!files.length) throw new DdpmError('BAD_ARGUMENT', `no images in ${dir}`);
  const out = new Uint8Array(files.length * size * size * 3);
  for (let i = 0; i < files.length; i++) {
    const img = sharp(files[i]);
    const { width = 0, height = 0 } = await img.metadata();
    const s = Math.min(width, height);
    const buf = await sharp(files[i]).extract({ left: (width - s) >> 1, top: (height - s) >> 1, width: s, height: s }).removeAlpha().toColourspace('srgb').resize(size, size, { kernel: 'lanczos3' }).raw().toBuffer();
    out.set(buf, i * size * size * 3);
  }
  return { data: out, n: files.length };
}

export async function boundCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, model: { type: 'string' }, size: { type: 'string', default: '64' }, limit: { type: 'string', default: '1000' }, strata: { type: 'string', default: '32' }, steps: { type: 'string' }, calibrate: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  if (!values.data) throw new DdpmError('BAD_ARGUMENT', 'bound needs --data DIR');
  const target = values.calibrate ? namedModel(values.model, '--calibrate stores Γ in the model file') : null;
  const size = num('size', values.size, 8, 1024, true) as number;
  const den = await loadDenoiser(values.model);
  const { data, n } = await centreCrops(values.data, size, num('limit', values.limit, 1, 1e6, true) as number);
  const D = size * size * 3;
  const predict = den.predictor(size, size);
  const sch = den.schedule;
  let model = den.model;
  if (target) {
    const ts = gammaGrid(sch.T);
    const gamma = estimateGamma(predict, sch, data, n, D, ts);
    const file = loadModelFile(target);
    saveModelFile(target, { ...file, gammaT: ts, gamma, info: { ...file.info, gammaFrom: `${n} centre crops ${size}x${size} of ${values.data}` } });
    model = { ...model, gammaT: ts, gamma };
    console.error(`stored Γ_t at ${ts.length} timesteps in ${target} (the model hash changes)`);
  }
  const gamma = gammaFunction(model);
  const kinds: VarianceKind[] = gamma ? ['upper', 'lower', 'analytic'] : ['upper', 'lower'];
  const full = fullBoundSteps(sch.T, num('strata', values.strata, 2, 1000, true) as number);
  const coding = logSnrSchedule(sch, num('steps', values.steps, 1, 1000, true) ?? DEFAULT_STEPS);
  const report: Record<string, unknown> = { model: model.id, images: n, size, dims: D };
  for (const v of kinds) {
    const f: BoundResult = variationalBound(predict, sch, data, n, D, full.steps, { variance: v, gamma, weights: full.weights, singleStep: true });
    const c: BoundResult = variationalBound(predict, sch, data, n, D, coding, { variance: v, gamma });
    report[v] = { fullT: { bitsPerDim: f.totalBits, l0: f.l0Bits }, coding: { steps: coding, bitsPerDim: c.totalBits, l0: c.l0Bits, perStep: c.perStep, rmse: c.rmse } };
    if (!values.json) console.log(`${v.padEnd(8)}  full T: ${f.totalBits.toFixed(4)} bits/dim (L_0 ${f.l0Bits.toFixed(4)})   ${coding.length}-step schedule: ${c.totalBits.toFixed(4)} bits/dim (L_0 ${c.l0Bits.toFixed(4)})`);
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
}

export async function scheduleCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, model: { type: 'string' }, size: { type: 'string', default: '64' }, limit: { type: 'string', default: '16' }, grid: { type: 'string', default: String(DEFAULT_SCHEDULE_SEARCH.gridSize) }, penalty: { type: 'string', default: String(DEFAULT_SCHEDULE_SEARCH.penaltyBits) }, 'dry-run': { type: 'boolean', default: false } },
  });
  if (!values.data) throw new DdpmError('BAD_ARGUMENT', 'schedule needs --data DIR');
  const target = values['dry-run'] ? null : namedModel(values.model, 'schedule stores its result in the model file (--dry-run only prints it)');
  const size = num('size', values.size, 8, 1024, true) as number;
  const gridSize = num('grid', values.grid, 2, 1000, true) as number;
  const penaltyBits = num('penalty', values.penalty, 0, 1e9, false) as number;
  const den = await loadDenoiser(values.model);
  const factor = unetFactor(den);
  if (size % factor) throw new DdpmError('BAD_ARGUMENT', `--size must be a multiple of ${factor} for this model`);
  const { data, n } = await centreCrops(values.data, size, num('limit', values.limit, 1, 1e6, true) as number);
  const images = Array.from({ length: n }, (_, i) => ({ width: size, height: size, channels: 3 as const, data: data.subarray(i * size * size * 3, (i + 1) * size * size * 3) }));
  const r = searchSchedule(den, images, { gridSize, penaltyBits }, progress('schedule: network evaluation'));
  console.log(`cheapest path (${r.path.length - 1} steps, estimated ${(r.meanBits / (size * size)).toFixed(3)} bpp lossless on ${n} crops of ${size}x${size}): ${r.path.join(' ')}`);
  console.log(`coding candidates: ${r.schedule.join(' ')}`);
  if (!target) return;
  const file = loadModelFile(target);
  saveModelFile(target, { ...file, codingSchedule: r.schedule, info: { ...file.info, scheduleFrom: `${n} centre crops ${size}x${size} of ${values.data}, grid ${gridSize}, penalty ${penaltyBits} bits/step` } });
  console.error(`stored the coding schedule in ${target} (the model hash is unchanged)`);
}

export async function sampleCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string', short: 'o' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, n: { type: 'string', default: '16' }, size: { type: 'string', default: '64' }, steps: { type: 'string', default: '50' }, mode: { type: 'string', default: 'flow' }, seed: { type: 'string', default: '1' }, force: { type: 'boolean', default: false } },
  });
  const out = checkOutput(values.out, values.force);
  const n = num('n', values.n, 1, 256, true) as number;
  const size = num('size', values.size, 8, 512, true) as number;
  if (values.mode !== 'flow' && values.mode !== 'sample') throw new DdpmError('BAD_ARGUMENT', '--mode must be flow or sample');
  const den = await loadDenoiser(values.model);
  const seed = num('seed', values.seed, 0, 2 ** 32 - 1, true) as number;
  const l = makeLayout(size, size, 3, 1);
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const grid = new Uint8Array(cols * size * rows * size * 3).fill(255);
  for (let i = 0; i < n; i++) {
    const x = initialState([seed, i], l.n);
    const img = stateToImage(reconstruct(den, x, den.schedule.T, size, size, { mode: values.mode, steps: num('steps', values.steps, 1, 1000, true), seed: seed + i }), l);
    const ox = (i % cols) * size;
    const oy = Math.floor(i / cols) * size;
    for (let y = 0; y < size; y++) grid.set(img.data.subarray(y * size * 3, (y + 1) * size * 3), ((oy + y) * cols * size + ox) * 3);
    process.stderr.write(`\rsample ${i + 1}/${n}`);
  }
  process.stderr.write('\n');
  await sharp(grid, { raw: { width: cols * size, height: rows * size, channels: 3 } }).png().toFile(out);
}

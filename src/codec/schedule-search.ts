/**
 * The coding schedule by dynamic programming over measured per-step costs (Watson et al. 2021 did
 * this for the variational bound; here the cost is what the codec spends).
 *
 * For a step t → s the REC channel spends about REC_COST_SLACK · KL + REC_SIDE_BITS, and the KL against the
 * model's Gaussian with the image's measured error variance is closed-form:
 *   μ_q − μ_p = cx0 · (x_0 − x̂_0(x_t)), so KL(s | t) = D/2 · log2(1 + cx0² · mse(t) / σ̃²(s, t)),
 * with mse(t) = E‖x_0 − x̂_0(x_t)‖²/D. One network evaluation per timestep of a grid gives mse(t)
 * and the estimated size of the lossless ending from t (the encoder's own x0Plan, with the default
 * x0 ladder since session 15), hence the cost
 * of every step between grid points. The DP then finds the path T → … → t_end minimising the
 * estimated file size (steps + ending) plus a penalty per step (compute: each step is a network
 * evaluation and a REC search).
 */
import { type RawImage } from './image-io.js';
import { type Denoiser } from './denoiser.js';
import { makeLayout, imageToState, meansForSamples } from './layout.js';
import { predictX0, stepGeometry } from './step-math.js';
import { x0Plan, DEFAULT_X0_SHIFTS } from './x0-coder.js';
import { logSnrSchedule } from './coding-schedule.js';
import { unetFactor } from './encoder.js';
import { PhiloxStream } from '../bitstream/philox.js';
import { type NoiseSchedule } from '../model/schedule.js';
import { DdpmError } from '../bitstream/errors.js';

/**
 * REC's cost over the KL this model prices (that of an exact-sample chain: x_t is drawn from
 * q(x_t | x_0)), and its side information per step, in bits. Format 7 measured on 8 training photos
 * at 64x64 (`node dist/bench/rec-chain.js --images data/train --limit 8 --steps 1000,727,…,8`):
 * coded 3.013 bpp against the exact chain's 2.621 — 1.15, index overhead and the REC chain's drift
 * together (format 6's 1.06 counted the index overhead over REC's own chain only).
 */
export const REC_COST_SLACK = 1.15;
export const REC_SIDE_BITS = 4;

/** What one image's coding costs look like at the timesteps of a grid. */
export interface StepCosts {
  /** coded dimensions */
  D: number;
  /** E‖x_0 − x̂_0(x_t)‖²/D, x_t drawn from q(x_t | x_0) */
  mse: Map<number, number>;
  /** estimated bits of the lossless ending from x̂_0(x_t) */
  endBits: Map<number, number>;
}

/** KL(q(x_s | x_t, x_0) ‖ p(x_s | x_t)) in bits, p with the image's error variance (closed form). */
export function stepKl(sch: NoiseSchedule, c: Pick<StepCosts, 'D' | 'mse'>, t: number, s: number): number {
  const g = stepGeometry(sch, t, s);
  const mse = c.mse.get(t);
  if (mse === undefined) throw new DdpmError('BAD_ARGUMENT', `no measurement at t = ${t}`);
  return (c.D / 2) * Math.log2(1 + (g.cx0 * g.cx0 * mse) / g.variance);
}

/** Estimated bits of a step on the REC channel. */
export const stepBits = (klBits: number) => REC_COST_SLACK * klBits + REC_SIDE_BITS;

/** Measures mse(t) and the ending's size at every grid timestep for one image (one network evaluation each). */
export function measureStepCosts(den: Denoiser, img: RawImage, grid: readonly number[], seed: number, onEval?: () => void): StepCosts {
  const sch = den.schedule;
  const l = makeLayout(img.width, img.height, img.channels, unetFactor(den));
  const x0 = imageToState(img, l);
  const c: StepCosts = { D: img.width * img.height * 3, mse: new Map(), endBits: new Map() };
  const z = new Float64Array(l.n);
  const xt = new Float64Array(l.n);
  for (const t of grid) {
    new PhiloxStream([0x53434844, seed], [t, 0, 0]).normals(z);
    const a = Math.sqrt(sch.alphaBar[t]);
    const b = Math.sqrt(1 - sch.alphaBar[t]);
    for (let i = 0; i < l.n; i++) xt[i] = a * x0[i] + b * z[i];
    const x0hat = predictX0(sch, t, xt, den.eps(xt, l.paddedHeight, l.paddedWidth, t));
    let se = 0;
    for (let i = 0; i < l.n; i++) if (l.coded[i]) se += (x0[i] - x0hat[i]) ** 2;
    c.mse.set(t, se / c.D);
    c.endBits.set(t, 8 * x0Plan(img.data, meansForSamples(x0hat, l), img, DEFAULT_X0_SHIFTS).ladderBytes);
    onEval?.();
  }
  return c;
}

/**
 * Minimum-cost path over `grid` (descending, grid[0] = T) from T to the best ending: Σ cost(t, s)
 * over its steps + end(last). O(n²) in the grid size.
 */
export function cheapestPath(grid: readonly number[], cost: (t: number, s: number) => number, end: (t: number) => number): { path: number[]; bits: number } {
  const n = grid.length;
  const f = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n).fill(-1);
  f[0] = 0;
  for (let j = 1; j < n; j++) {
    for (let i = 0; i < j; i++) {
      const v = f[i] + cost(grid[i], grid[j]);
      if (v < f[j]) {
        f[j] = v;
        from[j] = i;
      }
    }
  }
  let best = 0;
  for (let j = 1; j < n; j++) if (f[j] + end(grid[j]) < f[best] + end(grid[best])) best = j;
  const path: number[] = [];
  for (let j = best; j >= 0; j = from[j]) path.unshift(grid[j]);
  return { path, bits: f[best] + end(grid[best]) };
}

export interface ScheduleSearch {
  /** timesteps of the measurement grid (log-SNR spaced, T included) */
  gridSize: number;
  /** bits charged per step on top of its estimated size (compute) */
  penaltyBits: number;
}

export const DEFAULT_SCHEDULE_SEARCH: ScheduleSearch = { gridSize: 200, penaltyBits: 32 };

/**
 * The coding candidates for a model: the cheapest path for the mean costs of `images`, then the
 * log-SNR grid below its end, so that the encoder (which merges small steps and picks its own
 * ending per image) can still go further on images that favour it. `meanBits`: the estimated size
 * of the path's files (steps + ending, without the penalty), averaged over the images.
 */
export function searchSchedule(den: Denoiser, images: readonly RawImage[], o: ScheduleSearch = DEFAULT_SCHEDULE_SEARCH, onProgress?: (done: number, total: number) => void): { schedule: number[]; path: number[]; meanBits: number } {
  if (!images.length) throw new DdpmError('BAD_ARGUMENT', 'schedule search needs at least one image');
  const sch = den.schedule;
  const grid = logSnrSchedule(sch, o.gridSize);
  let done = 0;
  const total = images.length * grid.length;
  const costs = images.map((img, i) => measureStepCosts(den, img, grid, i, () => onProgress?.(++done, total)));
  const meanKl = (t: number, s: number) => costs.reduce((a, c) => a + stepKl(sch, c, t, s), 0) / costs.length;
  const meanEnd = (t: number) => costs.reduce((a, c) => a + (c.endBits.get(t) as number), 0) / costs.length;
  const { path, bits } = cheapestPath(grid, (t, s) => stepBits(meanKl(t, s)) + o.penaltyBits, meanEnd);
  const last = path[path.length - 1];
  // the estimated file size, without the compute penalty
  return { schedule: [...path, ...grid.filter((t) => t < last)], path, meanBits: bits - o.penaltyBits * (path.length - 1) };
}

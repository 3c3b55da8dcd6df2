/**
 * Reconstructions of x_0 from the decoder's current state x_t:
 *  - mean:   x̂_0 from one network evaluation (DDPM eq. 15);
 *  - flow:   deterministic DDIM (probability-flow) integration from t to 0;
 *  - sample: ancestral sampling of the remaining steps with a seed (a plausible image, not the mean);
 *  - auto:   flow while the state is still nearly noise (t > AUTO_FLOW_ABOVE), mean after that.
 */
import { Denoiser } from './denoiser.js';
import { predictX0, stepGeometry, modelMean, ddimState } from './step-math.js';
import { PhiloxStream } from '../bitstream/philox.js';
import { DdpmError } from '../bitstream/errors.js';

export type ReconMode = 'auto' | 'mean' | 'flow' | 'sample';
export const RECON_MODES: readonly ReconMode[] = ['auto', 'mean', 'flow', 'sample'];

export interface ReconOptions {
  mode: ReconMode;
  /** sub-steps for flow/sample (default 20) */
  steps?: number;
  seed?: number;
}

/**
 * Where `auto` switches from flow to mean. Measured with format 7 and photo-s on training photos at
 * 64x64 and 128x128 (PSNR of mean minus flow at each truncation point, scratch script, numbers in
 * the README's decode paragraph): flow wins by 3–11 dB on the header-only state (t = 1000); at
 * t = 112–260 the sign varies (+0.12, +0.29, +0.32, +0.20, −0.48 dB); at t ≤ 88 mean won on 72 of
 * the 80 points recorded (by up to 0.48 dB; 7 losses of ≤ 0.12 dB, 6 of them on one image) — and
 * costs one network evaluation instead of 10.
 */
export const AUTO_FLOW_ABOVE = 150;

/**
 * The default for `decode`: auto (see AUTO_FLOW_ABOVE; with format 6 flow had been the best at
 * every truncation point but the first, bench/results/2026-11-23-276db86.md); mean stays the
 * default for the per-chunk previews of `decodeProgressive` (one network evaluation each).
 */
export const DEFAULT_RECON: ReconOptions = { mode: 'auto', steps: 10 };

/** The mode `auto` stands for at timestep t (other modes stand for themselves). */
export function resolveRecon(mode: ReconMode, t: number): Exclude<ReconMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return t > AUTO_FLOW_ABOVE ? 'flow' : 'mean';
}

/** Timesteps from t down to 0 for the remaining integration. */
function subSteps(t: number, n: number): number[] {
  const k = Math.max(1, Math.min(n, t));
  const out: number[] = [];
  for (let i = 0; i <= k; i++) out.push(Math.round(t - (t * i) / k));
  return [...new Set(out)];
}

/** x̂_0 estimate in [-1, 1] over the state. `eps` at (x, t) may be passed if already computed. */
export function reconstruct(den: Denoiser, x: Float64Array, t: number, h: number, w: number, o: ReconOptions, eps?: Float64Array): Float64Array {
  const sch = den.schedule;
  if (t === 0) return x;
  if (!RECON_MODES.includes(o.mode)) throw new DdpmError('BAD_ARGUMENT', `unknown reconstruction ${String(o.mode)}`);
  const mode = resolveRecon(o.mode, t);
  const e0 = eps ?? den.eps(x, h, w, t);
  if (mode === 'mean') return predictX0(sch, t, x, e0);
  const ts = subSteps(t, o.steps ?? 20);
  let cur = x;
  let e = e0;
  const z = new Float64Array(x.length);
  for (let i = 0; i + 1 < ts.length; i++) {
    const tt = ts[i];
    const s = ts[i + 1];
    const x0 = predictX0(sch, tt, cur, e);
    if (s === 0) return x0;
    let next: Float64Array;
    if (mode === 'flow') next = ddimState(sch, s, x0, e);
    else {
      next = new Float64Array(x.length);
      const g = stepGeometry(sch, tt, s);
      const mu = modelMean(g, cur, x0);
      new PhiloxStream([o.seed ?? 0, 0x53414d50], [tt, s, 0]).normals(z);
      const sd = Math.sqrt(g.variance);
      for (let j = 0; j < x.length; j++) next[j] = mu[j] + sd * z[j];
    }
    cur = next;
    e = den.eps(cur, h, w, s);
  }
  return predictX0(sch, ts[ts.length - 1] || 1, cur, e);
}

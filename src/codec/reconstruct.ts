/**
 * Reconstructions of x_0 from the decoder's current state x_t:
 *  - mean:   x̂_0 from one network evaluation (DDPM eq. 15);
 *  - flow:   deterministic DDIM (probability-flow) integration from t to 0;
 *  - sample: ancestral sampling of the remaining steps with a seed (a plausible image, not the mean);
 *  - auto:   flow with AUTO_FLOW_STEPS sub-steps, except on a state that is still nearly noise
 *            (t > AUTO_LONG_FLOW_ABOVE), where it integrates with DEFAULT_RECON.steps.
 */
import { Denoiser } from './denoiser.js';
import { predictX0, stepGeometry, modelMean, ddimState } from './step-math.js';
import { PhiloxStream } from '../bitstream/philox.js';
import { DdpmError } from '../bitstream/errors.js';

export type ReconMode = 'auto' | 'mean' | 'flow' | 'sample';
export const RECON_MODES: readonly ReconMode[] = ['auto', 'mean', 'flow', 'sample'];

export interface ReconOptions {
  mode: ReconMode;
  /** sub-steps for flow/sample (default 20; auto chooses its own) */
  steps?: number;
  seed?: number;
}

/**
 * What `auto` integrates with below AUTO_LONG_FLOW_ABOVE: one DDIM step from t to t/2, then x̂_0
 * there (two network evaluations). Measured with the step-20400 model on the 8 dev-eval photos at
 * 64x64, the files cut at 14 rates from 0.15 to 3 bpp (README, "Session 17: reconstruction"):
 * flow with 2 sub-steps had the best mean PSNR at every rate — ahead of mean by +0.01 … +0.13 dB
 * and of flow with 10 sub-steps by +0.12 … +0.23; 3, 5 and 10 sub-steps fall off in that order
 * (our reading: more sub-steps carry the deterministic state further from the conditional mean).
 * `node dist/bench/recon-modes.js --kind cut|state` reruns the comparison.
 */
export const AUTO_FLOW_STEPS = 2;

/**
 * Above this timestep `auto` integrates with DEFAULT_RECON.steps sub-steps: near pure noise x̂_0 is
 * the ε-prediction divided by √ᾱ_t (≈ 0.006 at t = 1000), and the longer integration wins. Measured
 * on states drawn from q(x_t | x_0) for the same 8 photos at 64x64 (README "Session 17:
 * reconstruction"), mean PSNR of flow with 2 and with 10 sub-steps: t = 1000 9.84 / 10.35 dB,
 * 900 10.40 / 10.95, 850 11.27 / 11.32, 759 12.49 / 12.27, 629 14.37 / 13.98.
 */
export const AUTO_LONG_FLOW_ABOVE = 800;

/**
 * The default for `decode`: auto (see AUTO_FLOW_STEPS); mean stays the default for the per-chunk
 * previews of `decodeProgressive` (one network evaluation each).
 */
export const DEFAULT_RECON: ReconOptions = { mode: 'auto', steps: 10 };

/** What `auto` stands for at timestep t (other modes stand for themselves, with their options). */
export function resolveRecon(o: ReconOptions, t: number): ReconOptions & { mode: Exclude<ReconMode, 'auto'> } {
  if (o.mode !== 'auto') return o as ReconOptions & { mode: Exclude<ReconMode, 'auto'> };
  return { mode: 'flow', steps: t > AUTO_LONG_FLOW_ABOVE ? (DEFAULT_RECON.steps ?? 10) : AUTO_FLOW_STEPS };
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
  const r = resolveRecon(o, t);
  const mode = r.mode;
  const e0 = eps ?? den.eps(x, h, w, t);
  if (mode === 'mean') return predictX0(sch, t, x, e0);
  const ts = subSteps(t, r.steps ?? 20);
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
      new PhiloxStream([r.seed ?? 0, 0x53414d50], [tt, s, 0]).normals(z);
      const sd = Math.sqrt(g.variance);
      for (let j = 0; j < x.length; j++) next[j] = mu[j] + sd * z[j];
    }
    cur = next;
    e = den.eps(cur, h, w, s);
  }
  return predictX0(sch, ts[ts.length - 1] || 1, cur, e);
}

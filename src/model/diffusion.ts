/**
 * Diffusion math for any pair of timesteps s < t (respaced schedules), per dimension, in float64:
 * forward marginals, Gaussian posteriors q(x_s | x_t, x_0), the model's p_θ(x_s | x_t) with its
 * variance choices, Gaussian KL, and the discretised decoder's negative log-likelihood. See
 * ../shared/ddpm-reference.md for the formulas.
 */
import { NoiseSchedule } from './schedule.js';
import { normalCdf } from '../bitstream/deterministic-math.js';

export type VarianceKind = 'upper' | 'lower' | 'analytic';

export interface PosteriorCoefs {
  /** coefficient of x_0 in the posterior mean */
  cx0: number;
  /** coefficient of x_t in the posterior mean */
  cxt: number;
  /** posterior variance σ̃² */
  variance: number;
}

export function posteriorCoefs(sch: NoiseSchedule, s: number, t: number): PosteriorCoefs {
  const abS = sch.alphaBar[s];
  const abT = sch.alphaBar[t];
  const abTS = abT / abS;
  return {
    cx0: (Math.sqrt(abS) * (1 - abTS)) / (1 - abT),
    cxt: (Math.sqrt(abTS) * (1 - abS)) / (1 - abT),
    variance: ((1 - abS) * (1 - abTS)) / (1 - abT),
  };
}

/**
 * Variance of p_θ(x_s | x_t).
 * - upper: 1 − ᾱ_t/ᾱ_s;  lower: σ̃²;
 * - analytic (Bao et al. 2022): σ̃² + cx0² · (1 − ᾱ_t)/ᾱ_t · (1 − Γ_t), where
 *   Γ_t = E‖ε_θ(x_t, t)‖²/D estimated from data. This is E‖x_0 − x̂_0‖² carried through the
 *   posterior mean: the expected variance of x_0 given x_t, by Tweedie's formula.
 */
export function reverseVariance(sch: NoiseSchedule, s: number, t: number, kind: VarianceKind, gamma?: (t: number) => number): number {
  const pc = posteriorCoefs(sch, s, t);
  if (kind === 'upper') return 1 - sch.alphaBar[t] / sch.alphaBar[s];
  if (kind === 'lower' || !gamma) return pc.variance;
  const g = Math.min(1, Math.max(0, gamma(t)));
  return pc.variance + pc.cx0 * pc.cx0 * ((1 - sch.alphaBar[t]) / sch.alphaBar[t]) * (1 - g);
}

/** Expected per-dimension MSE of x̂_0 given x_t under the analytic estimate (for the L_0 decoder). */
export function x0Variance(sch: NoiseSchedule, t: number, gamma: (t: number) => number): number {
  const g = Math.min(1, Math.max(0, gamma(t)));
  return ((1 - sch.alphaBar[t]) / sch.alphaBar[t]) * (1 - g);
}

/** KL(N(mq, vq) ‖ N(mp, vp)) in nats for one dimension. */
export function gaussianKl(mq: number, vq: number, mp: number, vp: number): number {
  const d = mq - mp;
  return 0.5 * (vq / vp - 1 + Math.log(vp / vq) + (d * d) / vp);
}

/** −log p(x_0) in nats of one 8-bit value (level v) under the discretised Gaussian N(mean, std²). */
export function discretizedNll(v: number, mean: number, std: number): number {
  const hi = v === 255 ? 1 : normalCdf(((2 * v + 1) / 255 - 1 - mean) / std);
  const lo = v === 0 ? 0 : normalCdf(((2 * v - 1) / 255 - 1 - mean) / std);
  return -Math.log(Math.max(hi - lo, 1e-12));
}

/** Predicted x_0 from x_t and ε (DDPM eq. 15), clipped to [-1, 1]. */
export function predictX0(sch: NoiseSchedule, t: number, xt: number, eps: number): number {
  const ab = sch.alphaBar[t];
  const x0 = (xt - Math.sqrt(1 - ab) * eps) / Math.sqrt(ab);
  return x0 < -1 ? -1 : x0 > 1 ? 1 : x0;
}

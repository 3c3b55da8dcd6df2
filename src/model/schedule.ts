/**
 * Noise schedules: DDPM's linear β (T = 1000, 1e-4 → 0.02) and the cosine schedule of Nichol &
 * Dhariwal 2021. ᾱ_t is computed in float64 with deterministic arithmetic (products, and the
 * deterministic cosine), so encoder and decoder agree on every coefficient.
 */
import { cosSin2Pi } from '../bitstream/deterministic-math.js';
import { DdpmError } from '../bitstream/errors.js';

export interface ScheduleConfig {
  kind: 'linear' | 'cosine';
  T: number;
  betaStart?: number;
  betaEnd?: number;
}

/**
 * Whether `steps` is a run of timesteps a coding schedule can take: integers ≥ 1, strictly
 * descending (the model file, the .ddpm header and the encoder's options all hold such runs).
 */
export function descendingTimesteps(steps: readonly unknown[]): boolean {
  for (let i = 0; i < steps.length; i++) {
    const t = steps[i];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || (i > 0 && t >= (steps[i - 1] as number))) return false;
  }
  return true;
}

export const DDPM_LINEAR: ScheduleConfig = { kind: 'linear', T: 1000, betaStart: 1e-4, betaEnd: 0.02 };

export class NoiseSchedule {
  readonly config: ScheduleConfig;
  readonly T: number;
  /** ᾱ_t for t = 0..T, ᾱ_0 = 1 */
  readonly alphaBar: Float64Array;

  constructor(config: ScheduleConfig) {
    if (!(Number.isInteger(config.T) && config.T >= 2 && config.T <= 100000)) throw new DdpmError('BAD_ARGUMENT', 'schedule: T must be an integer in [2, 100000]');
    this.config = config;
    this.T = config.T;
    const ab = new Float64Array(config.T + 1);
    ab[0] = 1;
    if (config.kind === 'linear') {
      const b0 = config.betaStart ?? 1e-4;
      const b1 = config.betaEnd ?? 0.02;
      for (let t = 1; t <= config.T; t++) ab[t] = ab[t - 1] * (1 - (b0 + ((b1 - b0) * (t - 1)) / (config.T - 1)));
    } else if (config.kind === 'cosine') {
      const s = 0.008;
      const cs = new Float64Array(2);
      const f = (t: number) => {
        cosSin2Pi(((t / config.T + s) / (1 + s)) * 0.25, cs);
        return cs[0] * cs[0];
      };
      const f0 = f(0);
      for (let t = 1; t <= config.T; t++) {
        const beta = Math.min(1 - f(t) / f0 / (f(t - 1) / f0), 0.999);
        ab[t] = ab[t - 1] * (1 - beta);
      }
    } else throw new DdpmError('BAD_ARGUMENT', `unknown schedule kind ${String((config as ScheduleConfig).kind)}`);
    this.alphaBar = ab;
  }

  /** Evenly respaced subsequence of K timesteps from T down to 1 (descending, ends at 1). */
  respace(K: number): number[] {
    if (!(Number.isInteger(K) && K >= 1 && K <= this.T)) throw new DdpmError('BAD_ARGUMENT', `cannot respace to ${K} steps`);
    const steps: number[] = [];
    for (let k = 0; k < K; k++) steps.push(Math.round(this.T - (k * (this.T - 1)) / Math.max(1, K - 1)));
    return [...new Set(steps)];
  }
}

/**
 * Coding schedules: which timesteps the stream visits. The default spaces K steps evenly in
 * log-SNR between t = T and t = 1, so steps carry comparable information at high SNR instead of
 * spending most of them where the image is still pure noise.
 */
import { NoiseSchedule } from '../model/schedule.js';
import { DdpmError } from '../bitstream/errors.js';

export const DEFAULT_STEPS = 24;

export function logSnrSchedule(sch: NoiseSchedule, K: number, tMin = 1): number[] {
  if (!(Number.isInteger(K) && K >= 1 && K <= Math.min(sch.T, 1000))) throw new DdpmError('BAD_ARGUMENT', `number of coding steps must be in [1, ${Math.min(sch.T, 1000)}]`);
  const snr = (t: number) => Math.log(sch.alphaBar[t] / (1 - sch.alphaBar[t]));
  const hi = snr(tMin);
  const lo = snr(sch.T);
  const steps: number[] = [sch.T];
  for (let k = 1; k < K; k++) {
    const target = lo + ((hi - lo) * k) / (K - 1);
    let t = sch.T;
    while (t > tMin && snr(t) < target) t--;
    if (t < steps[steps.length - 1]) steps.push(t);
  }
  return steps;
}

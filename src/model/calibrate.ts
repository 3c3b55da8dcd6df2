/**
 * Estimates Γ_t = E‖ε_θ(x_t, t)‖²/D on held-out images at a grid of timesteps: the data term of the
 * analytic-optimal reverse variance (Bao et al. 2022). Stored with the model; interpolated between
 * grid points.
 */
import { NoiseSchedule } from './schedule.js';
import type { EpsPredictor } from './bound.js';
import { PhiloxStream } from '../bitstream/philox.js';

export function gammaGrid(T: number, n = 24): number[] {
  const ts = new Set<number>();
  for (let i = 0; i < n; i++) ts.add(Math.max(1, Math.round(T ** (i / (n - 1)))));
  return [...ts].sort((a, b) => a - b);
}

export function estimateGamma(predict: EpsPredictor, sch: NoiseSchedule, images: Uint8Array, n: number, D: number, ts: number[], batch = 8, seed = 1): number[] {
  const x0 = Float64Array.from(images, (v) => v / 127.5 - 1);
  const z = new Float64Array(D);
  return ts.map((t) => {
    const ab = sch.alphaBar[t];
    let acc = 0;
    for (let b0 = 0; b0 < n; b0 += batch) {
      const nb = Math.min(batch, n - b0);
      const xt = new Float32Array(nb * D);
      for (let i = 0; i < nb; i++) {
        new PhiloxStream([seed, 0x47414d4d], [t, b0 + i, 0]).normals(z);
        for (let j = 0; j < D; j++) xt[i * D + j] = Math.sqrt(ab) * x0[(b0 + i) * D + j] + Math.sqrt(1 - ab) * z[j];
      }
      const e = predict(xt, nb, t);
      for (let j = 0; j < nb * D; j++) acc += e[j] * e[j];
    }
    return acc / (n * D);
  });
}

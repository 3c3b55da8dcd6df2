/**
 * The model's x̂_0 from a noisy state of a photo, as the x0-coder benchmarks use it: x_t drawn from
 * q(x_t | x_0) with the normals of Philox stream [3, t] (the same draw in every benchmark), then one
 * network evaluation. t = 0 stands for no model: x̂_0 = 0.
 */
import { predictX0, ddimState } from '../src/codec/step-math.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import type { Denoiser } from '../src/codec/denoiser.js';
import type { EvalImage } from './eval-images.js';

/** The state x_t ~ q(x_t | x_0) of `img` (t ≥ 1), drawn with the normals of Philox stream [3, t]. */
export function noisyState(den: Denoiser, img: EvalImage, t: number): Float64Array {
  const z = new Float64Array(img.data.length);
  new PhiloxStream([3, t], [0, 0, 0]).normals(z);
  return ddimState(den.schedule, t, Float64Array.from(img.data, (v) => v / 127.5 - 1), z);
}

/** x̂_0 in [−1, 1], one value per sample of `img`. */
export function meansFromNoisyState(den: Denoiser, img: EvalImage, t: number): Float64Array {
  if (t === 0) return new Float64Array(img.data.length);
  const xt = noisyState(den, img, t);
  return predictX0(den.schedule, t, xt, den.eps(xt, img.height, img.width, t));
}

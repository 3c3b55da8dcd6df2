/** Shared test helpers: a tiny deterministic model and image utilities. */
import { createHash } from 'node:crypto';
import { TINY_UNET, initParams } from '../src/model/unet.js';
import { DDPM_LINEAR } from '../src/model/schedule.js';
import { serializeModel, parseModel, type LoadedModel } from '../src/model/model-file.js';
import type { RawImage } from '../src/codec/image-io.js';
import { PhiloxStream } from '../src/bitstream/philox.js';

/**
 * An untrained tiny model (deterministic from the seed); the codec must be exact with any model.
 * The output convolution starts at zero in a fresh model (so every fresh model predicts ε̂ = 0);
 * it is randomised here so that models with different seeds really differ.
 */
export function tinyModel(seed = 1, id = 'tiny'): LoadedModel {
  const weights = initParams(TINY_UNET, seed);
  const out = weights.get('out.w') as Float32Array;
  const z = new Float64Array(out.length);
  new PhiloxStream([seed, 99], [0, 0, 0]).normals(z);
  for (let i = 0; i < out.length; i++) out[i] = 0.05 * z[i];
  return parseModel(serializeModel({ id, config: { unet: TINY_UNET, schedule: DDPM_LINEAR }, gammaT: [], gamma: [], weights, info: {} }));
}

export function psnr(a: RawImage, b: RawImage): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i] - b.data[i]) ** 2;
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

export function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Mean, second and fourth raw moments of a sample (for checks of normal generators). */
export function rawMoments(x: ArrayLike<number>): { mean: number; m2: number; m4: number } {
  let m = 0;
  let v = 0;
  let k4 = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    m += a;
    v += a * a;
    k4 += a ** 4;
  }
  return { mean: m / x.length, m2: v / x.length, m4: k4 / x.length };
}

/**
 * The Gaussian bound of a coding schedule on one image: along the steps t → s an encoder sends,
 * a chain of exact posterior samples x_s ~ q(x_s | x_t, x_0) (what an ideal channel would send),
 * and per step KL(q ‖ p) against the model's Gaussian with the image's error variance — the ideal
 * the codec's steps are measured against. (The encoder's own per-step KL follows its own, REC-made
 * chain, whose approximate samples leave later steps more to send; this chain does not.)
 */
import type { Denoiser } from '../src/codec/denoiser.js';
import { makeLayout, imageToState, meansForSamples, type Layout } from '../src/codec/layout.js';
import { predictX0, stepGeometry, modelMean, initialState } from '../src/codec/step-math.js';
import { unetFactor, stepKlBits } from '../src/codec/encoder.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import type { RawImage } from '../src/codec/image-io.js';

export interface ExactChain {
  /** KL of each step t → s in bits, in order */
  stepBits: number[];
  layout: Layout;
  /** the model's x̂_0 at the last step's end, as image-layout means (for estimating an ending) */
  finalMeans: () => Float64Array;
}

/** `path`: the timesteps t_0 > t_1 > … the steps go through; `seed` fixes x_T and the samples. */
export function exactChain(den: Denoiser, img: RawImage, path: readonly number[], seed: [number, number] = [0x6464706d, 1], sampleSeed = 0): ExactChain {
  const sch = den.schedule;
  const l = makeLayout(img.width, img.height, img.channels, unetFactor(den));
  const x0 = imageToState(img, l);
  let x = initialState(seed, l.n);
  const z = new Float64Array(l.n);
  const stepBits: number[] = [];
  for (let k = 0; k + 1 < path.length; k++) {
    const [t, s] = [path[k], path[k + 1]];
    const x0hat = predictX0(sch, t, x, den.eps(x, l.paddedHeight, l.paddedWidth, t));
    const g = stepGeometry(sch, t, s);
    const muP = modelMean(g, x, x0hat);
    const muQ = modelMean(g, x, x0);
    stepBits.push(stepKlBits(g, l, muP, muQ));
    new PhiloxStream([0x45584354, sampleSeed], [k, 0, 0]).normals(z);
    const sd = Math.sqrt(g.variance);
    x = Float64Array.from(muQ, (m, i) => m + sd * z[i]);
  }
  const tl = path[path.length - 1];
  const last = x;
  return { stepBits, layout: l, finalMeans: () => meansForSamples(predictX0(sch, tl, last, den.eps(last, l.paddedHeight, l.paddedWidth, tl)), l) };
}

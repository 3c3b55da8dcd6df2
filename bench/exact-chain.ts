/**
 * Chains of coding steps on one image, for measuring the channels. `runChain` walks a schedule
 * t_0 > t_1 > … from x_T: at each step t → s it evaluates the model, forms μ_p and μ_q, records
 * KL(q ‖ p) against the model's Gaussian with the image's error variance, and lets the caller's
 * channel choose x_s. `exactChain` is the chain of exact posterior samples x_s ~ q(x_s | x_t, x_0)
 * (what an ideal channel would send): its per-step KL is the Gaussian bound of a schedule's steps,
 * the ideal the codec's steps are measured against. (The encoder's own per-step KL follows its own,
 * REC-made chain, whose approximate samples leave later steps more to send; this chain does not.)
 */
import type { Denoiser } from '../src/codec/denoiser.js';
import { makeLayout, imageToState, meansForSamples, type Layout } from '../src/codec/layout.js';
import { predictX0, stepGeometry, modelMean, initialState, type StepGeometry } from '../src/codec/step-math.js';
import { unetFactor, stepKlBits } from '../src/codec/encoder.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import type { RawImage } from '../src/codec/image-io.js';

export interface Chain {
  /** KL of each step t → s in bits, in order */
  stepBits: number[];
  layout: Layout;
  /** the model's x̂_0 at the last step's end, as image-layout means (for estimating an ending) */
  finalMeans: () => Float64Array;
}

/** A channel: x_s for step k (t → s) given the model's and the posterior's means. */
export type ChainStep = (k: number, g: StepGeometry, muP: Float64Array, muQ: Float64Array, l: Layout) => Float64Array;

/** `path`: the timesteps t_0 > t_1 > … the steps go through; `seed` fixes x_T. */
export function runChain(den: Denoiser, img: RawImage, path: readonly number[], seed: [number, number], step: ChainStep): Chain {
  const sch = den.schedule;
  const l = makeLayout(img.width, img.height, img.channels, unetFactor(den));
  const x0 = imageToState(img, l);
  let x = initialState(seed, l.n);
  const stepBits: number[] = [];
  for (let k = 0; k + 1 < path.length; k++) {
    const [t, s] = [path[k], path[k + 1]];
    const x0hat = predictX0(sch, t, x, den.eps(x, l.paddedHeight, l.paddedWidth, t));
    const g = stepGeometry(sch, t, s);
    const muP = modelMean(g, x, x0hat);
    const muQ = modelMean(g, x, x0);
    stepBits.push(stepKlBits(g, l, muP, muQ));
    x = step(k, g, muP, muQ, l);
  }
  const tl = path[path.length - 1];
  const last = x;
  return { stepBits, layout: l, finalMeans: () => meansForSamples(predictX0(sch, tl, last, den.eps(last, l.paddedHeight, l.paddedWidth, tl)), l) };
}

/** The exact posterior sample μ_q + σ̃ z of step k (normals from stream `sampleSeed`). */
export function exactPosteriorSample(k: number, g: StepGeometry, muQ: Float64Array, sampleSeed = 0): Float64Array {
  const z = new Float64Array(muQ.length);
  new PhiloxStream([0x45584354, sampleSeed], [k, 0, 0]).normals(z);
  const sd = Math.sqrt(g.variance);
  return Float64Array.from(muQ, (m, i) => m + sd * z[i]);
}

/** The chain of exact posterior samples (normals from stream `sampleSeed`). */
export function exactChain(den: Denoiser, img: RawImage, path: readonly number[], seed: [number, number] = [0x6464706d, 1], sampleSeed = 0): Chain {
  return runChain(den, img, path, seed, (k, g, _muP, muQ) => exactPosteriorSample(k, g, muQ, sampleSeed));
}

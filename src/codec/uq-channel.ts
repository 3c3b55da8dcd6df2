/**
 * The universal-quantisation channel for one diffusion step (Ziv 1985; UQDM, Yang et al. 2025).
 *
 * Per dimension, with y = (μ_q − μ_p)/Δ the posterior mean's offset from the model's mean in units
 * of the quantiser step Δ = √12 σ̃, and a dither u shared through the PRNG:
 *   k = round(y + u),   x_s = μ_p + (k − u) Δ   on both sides,
 * so x_s − μ_q is uniform on ±Δ/2, independent of y: the sample has the posterior's mean and
 * variance. k is coded under P(k | u) = P(k − ½ − u ≤ y < k + ½ − u) for y from the causal context
 * model of `causal-context.ts` on the decoded offsets k − u: the model's errors are smooth and vary
 * across the image, so neighbours predict both the offset and its spread (8 bytes of side
 * information per step, fitted by the encoder on this image, at the head of the step's symbols).
 */
import { type SymbolSink, type RangeDecoder, untilLost } from '../bitstream/range-coder.js';
import { gridLawCdf, gridLawBits, encodeGrid, decodeGrid } from '../bitstream/cdf.js';
import { DdpmError } from '../bitstream/errors.js';
import { type StepGeometry, ditherValue } from './step-math.js';
import { fitContext, scanContext, lawOf, writeContext, readContext, contextBytes, type Grid } from './causal-context.js';

/** one weight set for all channels (a step's side information stays small) */
const CONTEXT_BYTES = contextBytes(1);

export interface UqEncoded {
  next: Float64Array;
}

const TAILS = 10;

/** `coded[i]` is 0 for padding dimensions: they take k = 0 without bits on both sides. */
/** Writes one step's symbols (context side information first) to `out`. */
export function uqEncode(g: StepGeometry, grid: Grid, muP: Float64Array, muQ: Float64Array, dither: Uint8Array, coded: Uint8Array, out: SymbolSink): UqEncoded {
  const n = muP.length;
  const k = new Int32Array(n);
  const r = new Float64Array(n);
  let sumY2 = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!coded[i]) continue;
    const u = ditherValue(dither[i]);
    const y = (muQ[i] - muP[i]) / g.delta;
    sumY2 += y * y;
    count++;
    k[i] = Math.round(y + u);
    r[i] = k[i] - u;
  }
  const stride = n > 40000 ? 4 : n > 8000 ? 2 : 1;
  const p = fitContext(grid, r, coded, null, (i, off, scale, law) => gridLawBits(law, k[i], off, scale, -ditherValue(dither[i])), Math.max(1e-3, Math.sqrt(sumY2 / Math.max(1, count))), stride);
  const { law, k: f } = lawOf(p);
  for (const b of writeContext(p)) out.encodeBits(b, 8);
  scanContext(grid, p, coded, null, (i, off, scale) => {
    encodeGrid(out, gridLawCdf({ law, center: off, scale: scale * f, offset: -ditherValue(dither[i]), tails: TAILS }), k[i]);
  }, (i) => r[i]);
  const next = new Float64Array(n);
  for (let i = 0; i < n; i++) next[i] = muP[i] + (k[i] - ditherValue(dither[i])) * g.delta;
  return { next };
}

/** Reads one step's symbols from a whole stream `dec` (the caller checks the stream's end). */
export function uqDecode(g: StepGeometry, grid: Grid, muP: Float64Array, dither: Uint8Array, coded: Uint8Array, dec: RangeDecoder): Float64Array {
  return uqDecodeCut(g, grid, muP, dither, coded, dec) as Float64Array;
}

/**
 * `uqDecode` for a stream that may be cut (`dec.lost` may be set): it stops at the first symbol
 * the bytes do not determine (null if that is the side information); the dims not reached take
 * k = 0, x_s = μ_p − uΔ (uniform around μ_p with the step's variance σ̃²).
 */
export function uqDecodeCut(g: StepGeometry, grid: Grid, muP: Float64Array, dither: Uint8Array, coded: Uint8Array, dec: RangeDecoder): Float64Array | null {
  const side = untilLost(dec, () => Uint8Array.from({ length: CONTEXT_BYTES }, () => dec.decodeBits(8)));
  if (!side) return null;
  const p = readContext(side, 1);
  const { law, k: f } = lawOf(p);
  const n = muP.length;
  const k = new Int32Array(n);
  scanContext(grid, p, coded, null, (i, off, scale) => {
    const v = untilLost(dec, () => decodeGrid(dec, gridLawCdf({ law, center: off, scale: scale * f, offset: -ditherValue(dither[i]), tails: TAILS })));
    if (v === null) return false;
    if (!Number.isSafeInteger(v)) throw new DdpmError('CORRUPT', 'step chunk: value out of range');
    k[i] = v;
    return true;
  }, (i) => k[i] - ditherValue(dither[i]));
  const next = new Float64Array(n);
  for (let i = 0; i < n; i++) next[i] = muP[i] + (k[i] - ditherValue(dither[i])) * g.delta;
  return next;
}

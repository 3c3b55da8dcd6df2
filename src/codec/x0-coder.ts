/**
 * The lossless end of the stream: every 8-bit sample coded given the last diffusion state.
 *
 * The model gives a mean m (x̂_0 in level units) for every sample. Its errors are spatially
 * correlated and vary in size across the image, so the samples are coded with the causal context
 * model of `causal-context.ts` on the residuals r = v − m: the mean becomes m + Σ w r_neighbour and
 * the scale follows the neighbours' errors, as lossless image coders do. Side information: 8 bytes;
 * the chunk ends with a CRC-32 of the samples, so the decoder verifies the lossless result.
 */
import { RangeEncoder, RangeDecoder } from '../bitstream/range-coder.js';
import { pixelLawCdf, pixelLawBits } from '../bitstream/cdf.js';
import { DdpmError } from '../bitstream/errors.js';
import { crc32 } from '../bitstream/crc32.js';
import { fitContext, scanContext, lawOf, writeContext, readContext, contextBytes, type Grid, type ContextParams } from './causal-context.js';

const PIXEL_CRC = 4;
const clampMean = (m: number) => (m < -64 ? -64 : m > 319 ? 319 : m);
/** parameter search prices one sample in `stride` (the prediction itself runs on all) */
const strideFor = (n: number) => (n > 40000 ? 4 : n > 8000 ? 2 : 1);

export interface X0Plan {
  params: ContextParams;
  /** estimated chunk size in bytes (from the parameter search) */
  estimatedBytes: number;
}

/** Fits the context parameters and estimates the size of the x0 chunk without coding it. */
export function x0Plan(samples: Uint8Array, means: Float64Array, g: Grid): X0Plan {
  const m = Float64Array.from(means, (x) => (x + 1) * 127.5);
  const r = Float64Array.from(samples, (v, i) => v - m[i]);
  const p = fitContext(g, r, null, m, (i, off, scale, law) => pixelLawBits(law, samples[i], clampMean(m[i] + off), scale), undefined, strideFor(samples.length), g.channels);
  return { params: p, estimatedBytes: contextBytes(g.channels) + PIXEL_CRC + p.estimatedBits / 8 };
}

/** samples: the 8-bit levels (image order, channels interleaved); means: x̂_0 in [-1, 1]. */
export function x0Encode(samples: Uint8Array, means: Float64Array, g: Grid, plan: X0Plan = x0Plan(samples, means, g)): Uint8Array {
  const m = Float64Array.from(means, (x) => (x + 1) * 127.5);
  const r = Float64Array.from(samples, (v, i) => v - m[i]);
  const p = plan.params;
  const { law, k } = lawOf(p);
  const enc = new RangeEncoder();
  const table = new Uint32Array(257);
  scanContext(g, p, null, m, (i, off, scale) => enc.encode(pixelLawCdf(law, clampMean(m[i] + off), scale * k, table), samples[i]), (i) => r[i]);
  const body = enc.finish();
  const side = writeContext(p);
  const out = new Uint8Array(side.length + body.length + PIXEL_CRC);
  out.set(side, 0);
  out.set(body, side.length);
  new DataView(out.buffer).setUint32(side.length + body.length, crc32(samples));
  return out;
}

export function x0Decode(payload: Uint8Array, means: Float64Array, g: Grid): Uint8Array {
  const sideBytes = contextBytes(g.channels);
  if (payload.length < sideBytes + PIXEL_CRC) throw new DdpmError('CORRUPT', 'x0 chunk too short');
  const p = readContext(payload, g.channels);
  const { law, k } = lawOf(p);
  const m = Float64Array.from(means, (x) => (x + 1) * 127.5);
  const end = payload.length - PIXEL_CRC;
  const dec = new RangeDecoder(payload.subarray(sideBytes, end));
  const v = new Uint8Array(means.length);
  const table = new Uint32Array(257);
  scanContext(g, p, null, m, (i, off, scale) => {
    v[i] = dec.decode(pixelLawCdf(law, clampMean(m[i] + off), scale * k, table));
  }, (i) => v[i] - m[i]);
  if (dec.overrun > 8) throw new DdpmError('CORRUPT', 'x0 chunk ended early (corrupt or desynchronised)');
  if (crc32(v) !== new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(end)) {
    throw new DdpmError('DESYNC', 'the decoded pixels fail the lossless check: the decoder state differs from the encoder\'s (different model weights, TensorFlow.js backend or build) or the file is corrupt');
  }
  return v;
}

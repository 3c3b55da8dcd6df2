/**
 * The lossless end of the stream: every 8-bit sample coded under the model's discretised Gaussian
 * N(x̂_0, σ²) over the 256 levels (edge bins open), given the last diffusion state. σ (in levels) is
 * chosen by the encoder for this image and sent as one byte. Means are snapped to 1/64 of a level
 * so tables can be cached.
 */
import { RangeEncoder, RangeDecoder } from '../bitstream/range-coder.js';
import { pixelGaussianCdf } from '../bitstream/cdf.js';
import { DdpmError } from '../bitstream/errors.js';
import { toIndex, fromIndex, type LogGrid } from './log-scale.js';

const SIGMA_GRID: LogGrid = { perOctave: 16, offset: 96 };
const MEAN_SNAP = 64; // sub-level resolution of the mean

class PixelTables {
  private readonly cache = new Map<number, Uint32Array>();
  constructor(private readonly std: number) {}
  get(meanLevels: number): Uint32Array {
    const key = Math.round(meanLevels * MEAN_SNAP);
    let t = this.cache.get(key);
    if (!t) {
      t = pixelGaussianCdf(key / MEAN_SNAP / 127.5 - 1, this.std);
      this.cache.set(key, t);
    }
    return t;
  }
}

/** samples: the levels to code; means: x̂_0 in [-1, 1] for the same samples. */
export function x0Encode(samples: Uint8Array, means: Float64Array): Uint8Array {
  // σ: root mean square error in levels, then the best of a few grid points around it by exact cost
  let se = 0;
  for (let i = 0; i < samples.length; i++) {
    const d = samples[i] - (means[i] + 1) * 127.5;
    se += d * d;
  }
  const q0 = toIndex(Math.max(0.05, Math.sqrt(se / Math.max(1, samples.length))), SIGMA_GRID);
  let best: Uint8Array | null = null;
  for (const q of [q0 - 4, q0 - 2, q0, q0 + 2]) {
    if (q < 0 || q > 255) continue;
    const body = encodeWith(samples, means, q);
    if (!best || body.length < best.length) best = body;
  }
  return best as Uint8Array;
}

function encodeWith(samples: Uint8Array, means: Float64Array, q: number): Uint8Array {
  const tables = new PixelTables((fromIndex(q, SIGMA_GRID) * 2) / 255);
  const enc = new RangeEncoder();
  for (let i = 0; i < samples.length; i++) enc.encode(tables.get((means[i] + 1) * 127.5), samples[i]);
  const body = enc.finish();
  const out = new Uint8Array(1 + body.length);
  out[0] = q;
  out.set(body, 1);
  return out;
}

export function x0Decode(payload: Uint8Array, means: Float64Array): Uint8Array {
  if (payload.length < 1) throw new DdpmError('CORRUPT', 'x0 chunk is empty');
  const tables = new PixelTables((fromIndex(payload[0], SIGMA_GRID) * 2) / 255);
  const dec = new RangeDecoder(payload.subarray(1));
  const out = new Uint8Array(means.length);
  for (let i = 0; i < means.length; i++) out[i] = dec.decode(tables.get((means[i] + 1) * 127.5));
  if (dec.overrun > 8) throw new DdpmError('CORRUPT', 'x0 chunk ended early (corrupt or desynchronised)');
  return out;
}

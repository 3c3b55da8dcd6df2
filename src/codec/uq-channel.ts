/**
 * The universal-quantisation channel for one diffusion step (Ziv 1985; UQDM, Yang et al. 2025).
 *
 * Per dimension, with y = (μ_q − μ_p)/Δ the posterior mean's offset from the model's mean in units
 * of the quantiser step Δ = √12 σ̃, and a dither u shared through the PRNG:
 *   k = round(y + u)   is coded under P(k | u) = P_{y ~ N(0, v)}(k − ½ − u ≤ y < k + ½ − u),
 *   x_s = μ_p + (k − u) Δ  on both sides,
 * so x_s − μ_q is uniform on ±Δ/2, independent of y: the sample has the posterior's mean and
 * variance. v, the variance of y, is measured by the encoder on this image and sent as one byte
 * (log grid), so the code adapts to how well the model predicted this image at this step.
 */
import { RangeEncoder, RangeDecoder } from '../bitstream/range-coder.js';
import { gridLawCdf, encodeGrid, decodeGrid, type GridTable } from '../bitstream/cdf.js';
import { DdpmError } from '../bitstream/errors.js';
import { type StepGeometry, ditherValue, DITHER_LEVELS } from './step-math.js';
import { toIndex, fromIndex, type LogGrid } from './log-scale.js';

const VAR_GRID: LogGrid = { perOctave: 8, offset: 128 };

class TableCache {
  private readonly tables: Array<GridTable | undefined> = new Array(DITHER_LEVELS);
  constructor(private readonly scale: number) {}
  get(j: number): GridTable {
    let t = this.tables[j];
    if (!t) {
      t = gridLawCdf({ law: 'gaussian', center: 0, scale: this.scale, offset: -ditherValue(j), tails: 10 });
      this.tables[j] = t;
    }
    return t;
  }
}

export interface UqEncoded {
  payload: Uint8Array;
  next: Float64Array;
}

/** `coded[i]` is false for padding dimensions: they are set without bits on both sides. */
export function uqEncode(g: StepGeometry, muP: Float64Array, muQ: Float64Array, dither: Uint8Array, coded: Uint8Array): UqEncoded {
  const n = muP.length;
  const y = new Float64Array(n);
  let sum = 0;
  let cnt = 0;
  for (let i = 0; i < n; i++) {
    if (!coded[i]) continue;
    y[i] = (muQ[i] - muP[i]) / g.delta;
    sum += y[i] * y[i];
    cnt++;
  }
  const q = toIndex(cnt ? sum / cnt : 1, VAR_GRID);
  const cache = new TableCache(Math.sqrt(fromIndex(q, VAR_GRID)));
  const enc = new RangeEncoder();
  const next = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = ditherValue(dither[i]);
    let k = 0;
    if (coded[i]) {
      k = Math.round(y[i] + u);
      encodeGrid(enc, cache.get(dither[i]), k);
    }
    next[i] = muP[i] + (k - u) * g.delta;
  }
  const body = enc.finish();
  const payload = new Uint8Array(1 + body.length);
  payload[0] = q;
  payload.set(body, 1);
  return { payload, next };
}

export function uqDecode(g: StepGeometry, muP: Float64Array, dither: Uint8Array, coded: Uint8Array, payload: Uint8Array): Float64Array {
  if (payload.length < 1) throw new DdpmError('CORRUPT', 'step chunk is empty');
  const cache = new TableCache(Math.sqrt(fromIndex(payload[0], VAR_GRID)));
  const dec = new RangeDecoder(payload.subarray(1));
  const n = muP.length;
  const next = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = ditherValue(dither[i]);
    const k = coded[i] ? decodeGrid(dec, cache.get(dither[i])) : 0;
    next[i] = muP[i] + (k - u) * g.delta;
  }
  if (dec.overrun > 8) throw new DdpmError('CORRUPT', 'step chunk ended early (corrupt or desynchronised)');
  return next;
}

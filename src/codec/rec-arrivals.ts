/**
 * The arrival times of the REC search's Poisson process (encoder-private: they never leave the
 * encoder, only have to be reproducible): T_j = Σ_{i≤j} E_i with E_i ~ Exp(1), the E_i from the
 * 32-bit words of a xoshiro128+ generator keyed by a Philox block of (seed, step, chunk).
 *
 * Exp(1) by the ziggurat method (Marsaglia & Tsang 2000) with 256 layers of equal area V under
 * e^−x: word w picks layer w & 255 and the abscissa x = u·X[layer], u = ((w >>> 8) + ½)/2^24. When
 * x < X[layer + 1] (≈ 98.9% of words) the point lies under the curve whatever its height and x is
 * the draw: one multiply and a compare where −log(u) cost ~15 ns of the search's ~30 per candidate.
 * Otherwise the attempt is finished exactly (wedge test; beyond R the tail R + Exp(1)) and, if
 * rejected, repeated with uniforms from a second Philox key addressed by (chunk, j, attempt), so
 * T stays a pure function of (seed, step, chunk) and every increment is an exact Exp(1) draw.
 */
import { philox4x32, uniform53 } from '../bitstream/philox.js';

const LAYERS = 256;
/** start of the tail and area of each layer, 256 layers */
const R = 7.69711747013105;
const V = 3.949659822581572e-3;
/** X[0] = V / e^−R (the base layer's width), X[1] = R > X[2] > … > X[256] = 0 */
export const ARRIVAL_X = new Float64Array(LAYERS + 1);
{
  ARRIVAL_X[0] = V / Math.exp(-R);
  ARRIVAL_X[1] = R;
  for (let i = 1; i < LAYERS - 1; i++) ARRIVAL_X[i + 1] = -Math.log(V / ARRIVAL_X[i] + Math.exp(-ARRIVAL_X[i]));
  ARRIVAL_X[LAYERS] = 0;
}
const STREAM = 0x52454333;

/** The abscissa of a word: layer w & 255, u from its top 24 bits. */
export function arrivalAbscissa(w: number): number {
  return ((w >>> 8) + 0.5) * 5.9604644775390625e-8 * ARRIVAL_X[w & 255];
}

/**
 * Finishes the draw whose first attempt, word `w`, left its layer's core: wedge or tail, then
 * fresh attempts from Philox (seed, step, chunk, j).
 */
export function arrivalSlowPath(w: number, seed: readonly [number, number], step: number, chunk: number, j: number): number {
  const block = new Uint32Array(4);
  let attempt = 0;
  let word = 4;
  const uniform = (): number => {
    if (word >= 4) {
      philox4x32(attempt++ >>> 0, STREAM, step, chunk, seed[0], (seed[1] ^ j) >>> 0, block);
      word = 0;
    }
    const u = uniform53(block[word], block[word + 1]);
    word += 2;
    return u;
  };
  for (;;) {
    const layer = w & 255;
    const x = arrivalAbscissa(w);
    if (x < ARRIVAL_X[layer + 1]) return x;
    if (layer === 0) return R - Math.log(uniform());
    const lo = Math.exp(-ARRIVAL_X[layer]);
    const hi = Math.exp(-ARRIVAL_X[layer + 1]);
    if (lo + uniform() * (hi - lo) < Math.exp(-x)) return x;
    w = Math.floor(uniform() * 4294967296) >>> 0;
  }
}

/**
 * The state of the arrival generator of one chunk (xoshiro128+, keyed by a Philox block of
 * (seed, step, chunk), so a chunk's arrivals depend on nothing else).
 */
export function arrivalKey(seed: readonly [number, number], step: number, chunk: number, streamId: number): Uint32Array {
  const key = new Uint32Array(4);
  philox4x32(0, streamId, step, chunk, seed[0], seed[1], key);
  key[0] |= 1; // xoshiro's state must not be all zero
  return key;
}

/**
 * The first K arrival times of a chunk, plainly (tests and tools; the search inlines the same
 * arithmetic in its loop).
 */
export function arrivalTimes(seed: readonly [number, number], step: number, chunk: number, streamId: number, K: number): Float64Array {
  const st = arrivalKey(seed, step, chunk, streamId);
  const T = new Float64Array(K);
  let acc = 0;
  for (let j = 0; j < K; j++) {
    const w = (st[0] + st[3]) >>> 0;
    const x = st[1] << 9;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= x;
    st[3] = (st[3] << 11) | (st[3] >>> 21);
    const e = arrivalAbscissa(w);
    acc += e < ARRIVAL_X[(w & 255) + 1] ? e : arrivalSlowPath(w, seed, step, chunk, j);
    T[j] = acc;
  }
  return T;
}

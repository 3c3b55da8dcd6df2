/**
 * The arrival times of the REC search's Poisson process (encoder-private: they never leave the
 * encoder, only have to be reproducible): T_j = Σ_{i≤j} E_i with E_i ~ Exp(1), the E_i from the
 * 32-bit words of a xoshiro128+ generator keyed by a Philox block of (seed, step, chunk).
 *
 * Exp(1) by the ziggurat method (Marsaglia & Tsang 2000) with 256 layers of equal area V under
 * e^−x: word w picks layer w & 255 and the abscissa x = u·X[layer], u = ((w >>> 8) + ½)/2^24. When
 * x < X[layer + 1] (≈ 97.8% of words) the point lies under the curve whatever its height and x is
 * the draw: one multiply and a compare where −log(u) cost ~7 ns of the JavaScript search's ~29 per
 * candidate (`node dist/bench/rec-search-speed.js`).
 * Otherwise the attempt is finished exactly (wedge test; beyond R the tail R + Exp(1)) and, if
 * rejected, repeated, with uniforms hashed from (the chunk's key, j, a counter), so T stays a pure
 * function of (seed, step, chunk) and every increment is a ziggurat draw of Exp(1).
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

/** The abscissa of a word: layer w & 255, u from its top 24 bits. */
export function arrivalAbscissa(w: number): number {
  return ((w >>> 8) + 0.5) * 5.9604644775390625e-8 * ARRIVAL_X[w & 255];
}

/** A 32-bit integer hash (xor-shift-multiply rounds; every output bit depends on every input bit). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Finishes the draw whose first attempt, word `w`, left its layer's core: wedge or tail, then
 * fresh attempts. Its uniforms hash (key, j, counter) — `key` a word of the chunk's generator key
 * — so they cost a few multiplies, not a Philox block (this path runs for ~2% of the draws).
 */
export function arrivalSlowPath(w: number, key: number, j: number): number {
  slowKey = key;
  slowJ = j;
  slowN = 0;
  for (;;) {
    const layer = w & 255;
    const x = arrivalAbscissa(w);
    if (x < ARRIVAL_X[layer + 1]) return x;
    if (layer === 0) return R - Math.log(slowUniform());
    const lo = Math.exp(-ARRIVAL_X[layer]);
    const hi = Math.exp(-ARRIVAL_X[layer + 1]);
    if (lo + slowUniform() * (hi - lo) < Math.exp(-x)) return x;
    w = slowWord();
  }
}

// the slow path's counter-based uniforms (module state, not closures: this path is hot enough)
let slowKey = 0;
let slowJ = 0;
let slowN = 0;

function slowWord(): number {
  return mix32((slowKey ^ mix32((slowJ + Math.imul(++slowN, 0x9e3779b9)) >>> 0)) >>> 0);
}

function slowUniform(): number {
  const a = slowWord();
  return uniform53(a, slowWord());
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
 * The first K arrival times of a chunk, plainly (tests and tools; the search runs the same
 * arithmetic in wasm, `wasm/rec-search.as.ts`).
 */
export function arrivalTimes(seed: readonly [number, number], step: number, chunk: number, streamId: number, K: number): Float64Array {
  const st = arrivalKey(seed, step, chunk, streamId);
  const key = st[0];
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
    acc += e < ARRIVAL_X[(w & 255) + 1] ? e : arrivalSlowPath(w, key, j);
    T[j] = acc;
  }
  return T;
}

/**
 * Standard normals by the ziggurat method (Marsaglia & Tsang 2000, in Doornik's 2005 form with
 * separate bits for the layer and the abscissa), addressable like every other draw: normal m of a
 * stream is made from 32-bit word m mod 4 of Philox block ⌊m/4⌋ — 7 bits choose one of 128
 * layers, 25 bits the abscissa u ∈ (−1, 1). About 98.8% of draws end there (u inside the layer's
 * core rectangle): one quarter of a Philox block and one multiply, against half a block, a log, a
 * square root and a sine/cosine pair for Box–Muller. The rest finish the same attempt (wedge test
 * or tail) and, if it is rejected, make fresh attempts with uniforms from a second Philox key
 * addressed by (m, attempt), so the output is an exact ziggurat draw and still a pure function of
 * (seed, stream id, m). Tables and the rare exp/log use the deterministic math module: the same
 * numbers on every platform.
 */
import { philox4x32, uniform53 } from './philox.js';
import { detExp, detLog } from './deterministic-math.js';

const LAYERS = 128;
/** start of the tail and area of each layer for 128 layers (Marsaglia & Tsang) */
const R = 3.442619855899;
const V = 9.91256303526217e-3;
const X = new Float64Array(LAYERS + 1);
const RATIO = new Float64Array(LAYERS);
{
  let f = detExp(-0.5 * R * R);
  X[0] = V / f;
  X[1] = R;
  for (let i = 2; i < LAYERS; i++) {
    X[i] = Math.sqrt(-2 * detLog(V / X[i - 1] + f));
    f = detExp(-0.5 * X[i] * X[i]);
  }
  X[LAYERS] = 0;
  for (let i = 0; i < LAYERS; i++) RATIO[i] = X[i + 1] / X[i];
}
/** second key word for the slow path's uniforms */
const SLOW_KEY = 0x7a696767;
/** attempts addressed per normal in the slow path; beyond (probability < 1e-28) the last repeats */
const MAX_ATTEMPTS = 16;

/** Uniforms of the slow path of normal m: attempt a uses Philox block m·16 + a of the second key. */
class SlowUniforms {
  private readonly block = new Uint32Array(4);
  private word = 4;
  private attempt = 0;
  constructor(private readonly m: number, private readonly id: readonly number[], private readonly k0: number, private readonly k1: number) {}
  next(): number {
    if (this.word >= 4) {
      const a = Math.min(this.attempt++, MAX_ATTEMPTS - 1);
      philox4x32((this.m * MAX_ATTEMPTS + a) >>> 0, this.id[0], this.id[1], this.id[2], this.k0, (this.k1 ^ SLOW_KEY) >>> 0, this.block);
      this.word = 0;
    }
    // two words per uniform: 53 bits
    const u = uniform53(this.block[this.word], this.block[this.word + 1]);
    this.word += 2;
    return u;
  }
}

/** The tail beyond R (Marsaglia 1964), signed. */
function tail(negative: boolean, s: SlowUniforms): number {
  for (;;) {
    const x = detLog(s.next()) / R; // ≤ 0
    const y = detLog(s.next());
    if (-2 * y >= x * x) return negative ? x - R : R - x;
  }
}

/** The abscissa u ∈ (−1, 1) of a 32-bit word; its low 7 bits are the layer. */
function abscissa(w: number): number {
  return ((w >>> 7) + 0.5) * 2 ** -24 - 1;
}

/** Finishes an attempt that left the core: wedge test or tail, then fresh attempts. */
function slowPath(layer: number, u: number, s: SlowUniforms): number {
  for (;;) {
    if (layer === 0) return tail(u < 0, s);
    const x = u * X[layer];
    const f0 = detExp(-0.5 * (X[layer] * X[layer] - x * x));
    const f1 = detExp(-0.5 * (X[layer + 1] * X[layer + 1] - x * x));
    if (f1 + s.next() * (f0 - f1) < 1) return x;
    // a fresh attempt
    const w = Math.floor(s.next() * 2 ** 32);
    layer = w & (LAYERS - 1);
    u = abscissa(w);
    if (Math.abs(u) < RATIO[layer]) return u * X[layer];
  }
}

/**
 * Fills `out` with normals start, start+1, … of the stream (key seed, id). Normal m depends on m
 * alone, so any range can be drawn on its own.
 */
export function zigguratNormals(seed: readonly [number, number], id: readonly [number, number, number], out: Float64Array, start = 0): void {
  const k0 = seed[0] >>> 0;
  const k1 = seed[1] >>> 0;
  const ids = [id[0] >>> 0, id[1] >>> 0, id[2] >>> 0];
  const block = new Uint32Array(4);
  const end = start + out.length;
  for (let b = Math.floor(start / 4); b * 4 < end; b++) {
    philox4x32(b >>> 0, ids[0], ids[1], ids[2], k0, k1, block);
    const lo = Math.max(start, b * 4);
    const hi = Math.min(end, b * 4 + 4);
    for (let m = lo; m < hi; m++) {
      const w = block[m & 3];
      const layer = w & (LAYERS - 1);
      const u = abscissa(w);
      out[m - start] = Math.abs(u) < RATIO[layer] ? u * X[layer] : slowPath(layer, u, new SlowUniforms(m, ids, k0, k1));
    }
  }
}

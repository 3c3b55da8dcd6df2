/**
 * Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): a
 * counter-based generator. Every draw is a pure function of (key, counter), so encoder and decoder
 * can address any draw directly — (seed, step, chunk, candidate index) — with no shared state and
 * no dependence on the order in which draws are made. Integer arithmetic only: bit-identical on
 * every platform.
 */
import { detLog, cosSin2Pi } from './deterministic-math.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 (exact, via 16-bit halves). */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  const carry = ((lolo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/** One Philox4x32-10 block: writes 4 uint32 outputs for counter (c0..c3) and key (k0, k1). */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array | number[], at = 0): void {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[at] = c0;
  out[at + 1] = c1;
  out[at + 2] = c2;
  out[at + 3] = c3;
}

/** A 53-bit uniform in (0, 1) from two uint32 (never 0, never 1). */
export function uniform53(a: number, b: number): number {
  return ((a >>> 5) * 67108864 + (b >>> 6) + 0.5) / 9007199254740992;
}

/**
 * A stream of draws addressed by a 64-bit key (the file seed) and a 3-word stream id
 * (e.g. [purpose, step, chunk]); draw i of the stream uses counter (i, id0, id1, id2).
 */
export class PhiloxStream {
  private readonly k0: number;
  private readonly k1: number;
  private readonly id: [number, number, number];
  private readonly block = new Uint32Array(4);
  private readonly cs = new Float64Array(2);

  constructor(seed: readonly [number, number], id: readonly [number, number, number]) {
    this.k0 = seed[0] >>> 0;
    this.k1 = seed[1] >>> 0;
    this.id = [id[0] >>> 0, id[1] >>> 0, id[2] >>> 0];
  }

  /** Four uint32 of block i. */
  raw(i: number, out: Uint32Array, at = 0): void {
    philox4x32(i >>> 0, this.id[0], this.id[1], this.id[2], this.k0, this.k1, out, at);
  }

  /** Fills `out` with uniforms in (0,1): two per block, draw j from block floor(j/2) + start. */
  uniforms(out: Float64Array, start = 0): void {
    const b = this.block;
    for (let j = 0; j < out.length; j += 2) {
      philox4x32((start + (j >>> 1)) >>> 0, this.id[0], this.id[1], this.id[2], this.k0, this.k1, b);
      out[j] = uniform53(b[0], b[1]);
      if (j + 1 < out.length) out[j + 1] = uniform53(b[2], b[3]);
    }
  }

  /** Fills `out` with standard normals (Box–Muller, two per block), block index from `start`. */
  normals(out: Float64Array, start = 0): void {
    const b = this.block;
    const cs = this.cs;
    for (let j = 0; j < out.length; j += 2) {
      philox4x32((start + (j >>> 1)) >>> 0, this.id[0], this.id[1], this.id[2], this.k0, this.k1, b);
      const r = Math.sqrt(-2 * detLog(uniform53(b[0], b[1])));
      cosSin2Pi(uniform53(b[2], b[3]) , cs);
      out[j] = r * cs[0];
      if (j + 1 < out.length) out[j + 1] = r * cs[1];
    }
  }
}

/**
 * What encoder and decoder compute identically at every step from the shared state x_t and the
 * snapped network output: x̂_0, the model's mean μ_p for x_s, the quantiser step Δ, and the shared
 * dither. Everything here is float64 arithmetic on identical inputs, so both sides agree bit for bit.
 */
import { NoiseSchedule } from '../model/schedule.js';
import { posteriorCoefs } from '../model/diffusion.js';
import { PhiloxStream } from '../bitstream/philox.js';
import { crc32 } from '../bitstream/crc32.js';

/** x̂_0 = clip((x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t, −1, 1). */
export function predictX0(sch: NoiseSchedule, t: number, x: Float64Array, eps: Float64Array): Float64Array {
  const ab = sch.alphaBar[t];
  const a = Math.sqrt(ab);
  const b = Math.sqrt(1 - ab);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = (x[i] - b * eps[i]) / a;
    out[i] = v < -1 ? -1 : v > 1 ? 1 : v;
  }
  return out;
}

/**
 * The deterministic (DDIM, η = 0) state at s: √ᾱ_s x̂_0 + √(1−ᾱ_s) ε̂ — with the true x_0 and fresh
 * normals in place of x̂_0 and ε̂, a draw from q(x_s | x_0).
 */
export function ddimState(sch: NoiseSchedule, s: number, x0hat: Float64Array, eps: Float64Array): Float64Array {
  const a = Math.sqrt(sch.alphaBar[s]);
  const b = Math.sqrt(1 - sch.alphaBar[s]);
  const out = new Float64Array(x0hat.length);
  for (let i = 0; i < x0hat.length; i++) out[i] = a * x0hat[i] + b * eps[i];
  return out;
}

export interface StepGeometry {
  t: number;
  s: number;
  cx0: number;
  cxt: number;
  /** posterior variance σ̃² */
  variance: number;
  /** uniform quantiser step, √12 σ̃ (the uniform noise then has the posterior's variance) */
  delta: number;
}

export function stepGeometry(sch: NoiseSchedule, t: number, s: number): StepGeometry {
  const pc = posteriorCoefs(sch, s, t);
  return { t, s, ...pc, delta: Math.sqrt(12 * pc.variance) };
}

/** μ_p = cx0 · x̂_0 + cxt · x_t */
export function modelMean(g: StepGeometry, x: Float64Array, x0hat: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = g.cx0 * x0hat[i] + g.cxt * x[i];
  return out;
}

export const DITHER_LEVELS = 256;

/** Dither indices j ∈ [0, 256) for step k; the dither is u = (j + ½)/256 − ½. */
export function ditherIndices(seed: readonly [number, number], step: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const g = new PhiloxStream(seed, [0x44495448, step, 0]);
  const b = new Uint32Array(4);
  for (let i = 0; i < n; i += 16) {
    g.raw(i / 16, b);
    for (let w = 0; w < 4; w++) for (let k = 0; k < 4 && i + w * 4 + k < n; k++) out[i + w * 4 + k] = (b[w] >>> (8 * k)) & 0xff;
  }
  return out;
}

export function ditherValue(j: number): number {
  return (j + 0.5) / DITHER_LEVELS - 0.5;
}

/** x_T ~ N(0, I) from the file seed (both sides). */
export function initialState(seed: readonly [number, number], n: number): Float64Array {
  const x = new Float64Array(n);
  new PhiloxStream(seed, [0x5354_4152, 0, 0]).normals(x);
  return x;
}

/**
 * Checksum of the decoder state a chunk expects: CRC-32 of μ_p or x̂_0 as float64 bytes (or of the
 * x0 passes' bins), folded to 16 bits.
 */
export function stateChecksum(v: Float64Array | Uint8Array): number {
  const c = crc32(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return (c ^ (c >>> 16)) & 0xffff;
}

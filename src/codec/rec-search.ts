/**
 * The candidates of reverse channel coding and the encoder's search among them.
 *
 * Candidate family (format 7). A chunk of n coded dims has candidates ξ_j ∈ R^n, j = 0 … K−1. With
 * P = the smallest power of two above n, candidate j = (block k = ⌊j/16P⌋, shift r = ⌊j/P⌋ mod 16,
 * row i = j mod P) is ξ_j[m] = g_k[(m + r) mod n] · (−1)^popcount(i & (m+1)), g_k the block's n
 * ziggurat normals from the shared stream (seed, step, chunk). A permutation and sign flip of i.i.d.
 * normals is i.i.d. normal, so every candidate is exactly N(0, I) — the prior's shape — and the
 * decoder rebuilds the chosen one from n normals. The encoder needs each candidate's log-weight,
 * whose ξ-dependent part is c2‖ξ‖² + b·ξ: within a block ‖ξ‖² = ‖g_k‖² is shared, and b·ξ_j for the
 * P rows of a shift is one fast Walsh–Hadamard transform of b ⊙ (shifted g_k) (Walsh positions
 * 1 … n; position 0, common to every row, is left empty). A candidate then costs 11–14 ns for
 * n = 16 … 8000 with the loop in wasm (`wasm/rec-search.as.ts`; `node dist/bench/rec-search-speed.js`) where an independent one costs n normals
 * (~14 M/s per core) and n multiply-adds — which buys chunks of more bits (less index overhead per
 * bit) and more candidates per chunk (samples closer to the posterior). Rows of one block are not independent —
 * their projections on b correlate through the Walsh spectrum of b² ⊙ g², ~1/√n for a spread-out b
 * (the channel shuffles dims so b is) — measured with 8-bit chunks and K = 2^10 on 4 dev photos
 * (bench/rec-chain.ts), against independent candidates: estimated file 15.07 vs 14.96 bpp, mean
 * correction carried 0.84 vs 0.85; the 16 shifts did not hurt (16-bit chunks, 8 photos:
 * 14.21 with them, 14.27 without).
 *
 * Search: Poisson functional representation over the K candidates, j* = argmin_j (log T_j − λ log w_j),
 * T_j the arrival times of an encoder-private Poisson process (`rec-arrivals.ts`: they never
 * leave the encoder, only have to be reproducible). λ = 1 targets q itself; λ > 1 targets the
 * tempered q^λ p^(1−λ) (for the step's Gaussians: the mean correction stretched by λ, see
 * REC_TEMPER in rec-channel.ts). Encoder-side only: the decoder rebuilds whichever index it reads. Plain arrays in and out, so worker threads can
 * run disjoint ranges of chunks (`rec-parallel.ts`) with results identical to one thread.
 */
import { zigguratNormals } from '../bitstream/ziggurat.js';
import { ARRIVAL_X, arrivalKey, arrivalSlowPath } from './rec-arrivals.js';
import { wasmKernel, reserveKernelMemory, KERNEL_BASE } from '../model/wasm-kernel.js';

export const REC_STREAM = 0x52454331;

/**
 * First coded dim of chunk c when D dims are split into nChunks chunks whose sizes differ by at
 * most one (exact integer arithmetic: D · nChunks stays far below 2^53).
 */
export function chunkStart(D: number, nChunks: number, c: number): number {
  return Math.floor((c * D) / nChunks);
}

/** A bound on any chunk's size (buffers), safe even if a quotient rounded across an integer. */
export function maxChunkDims(D: number, nChunks: number): number {
  return Math.ceil(D / nChunks) + 1;
}

/** Rows per block for a chunk of n dims: the smallest power of two > n (Walsh positions 1 … n). */
export function walshSize(n: number): number {
  let P = 2;
  while (P <= n) P *= 2;
  return P;
}

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** cyclic shifts of a block's normals, each with its P Walsh rows */
export const REC_SHIFTS = 16;

/** The block normals g_k of a chunk (shared by encoder and decoder). */
function blockNormals(seed: readonly [number, number], step: number, chunk: number, n: number, k: number, out: Float64Array): void {
  zigguratNormals(seed, [REC_STREAM, step, chunk], out.subarray(0, n), k * n);
}

/** out[m] = g[(m + r) mod n] for m < n */
function shifted(g: Float64Array, n: number, r: number, out: Float64Array): void {
  const s = r % n;
  for (let m = 0; m < n - s; m++) out[m] = g[m + s];
  for (let m = n - s; m < n; m++) out[m] = g[m + s - n];
}

/** Candidate j of a chunk of n dims into out[0 … n). */
export function recCandidate(seed: readonly [number, number], step: number, chunk: number, n: number, j: number, out: Float64Array): void {
  const P = walshSize(n);
  const block = REC_SHIFTS * P;
  const g = new Float64Array(n);
  blockNormals(seed, step, chunk, n, Math.floor(j / block), g);
  const r = Math.floor((j % block) / P);
  const i = j % P;
  shifted(g, n, r, out);
  for (let m = 0; m < n; m++) if (parity(i & (m + 1))) out[m] = -out[m];
}

/** In-place fast Walsh–Hadamard transform, natural (Hadamard) order: v[i] ← Σ_m v[m] (−1)^popcount(i&m). */
export function fwht(v: Float64Array): void {
  const P = v.length;
  for (let h = 1; h < P; h *= 2) {
    for (let i = 0; i < P; i += 2 * h) {
      for (let m = i; m < i + h; m++) {
        const a = v[m];
        const c = v[m + h];
        v[m] = a + c;
        v[m + h] = a - c;
      }
    }
  }
}

export interface RecSearch {
  seed: [number, number];
  step: number;
  /** chunks of the step (balanced, see chunkStart) */
  nChunks: number;
  /** coded dims */
  D: number;
  /** candidates per chunk */
  K: number;
  /** log w(ξ) = c2 Σ ξ² + Σ b_m ξ_m + const */
  c2: number;
  /** b_m = σ_p (μ_q − μ_p)_m / σ_q², in the step's coded order (length D) */
  b: Float64Array;
  /** λ, the weight on log w (1: plain PFR) */
  temper: number;
}

/**
 * Chunks [from, to): best[c] = argmin_j (log T_j − λ log w_j). `done[0]` counts finished chunks
 * (for a waiting thread).
 */
export function searchChunks(s: RecSearch, from: number, to: number, best: Int32Array, done?: Int32Array): void {
  const { K, nChunks, D, b } = s;
  // λ log w = λ c2 ‖ξ‖² + (λ b)·ξ: scaling c2 and b is the whole tempering
  const lam = s.temper;
  if (!(lam > 0 && lam < 16)) throw new RangeError(`rec search: temper ${lam} outside (0, 16)`);
  if (!(Number.isInteger(K) && K >= 1 && K <= 2 ** 30)) throw new RangeError(`rec search: K = ${K}`);
  const k = searchKernel();
  // the ziggurat table at the base, once: growing the memory keeps it
  reserveKernelMemory(k.memory, KERNEL_BASE + 8 * ARRIVAL_X.length, 'rec search');
  new Float64Array(k.memory.buffer, KERNEL_BASE, ARRIVAL_X.length).set(ARRIVAL_X);
  for (let c = from; c < to; c++) {
    const lo = chunkStart(D, nChunks, c);
    const n = chunkStart(D, nChunks, c + 1) - lo;
    const P = walshSize(n);
    const blocks = Math.ceil(K / (P * REC_SHIFTS));
    // the chunk's blocks of normals are consecutive draws of its stream (blockNormals)
    const gP = KERNEL_BASE + 8 * ARRIVAL_X.length;
    const bP = gP + 8 * blocks * n;
    const vP = bP + 8 * n;
    const stP = vP + 8 * P;
    reserveKernelMemory(k.memory, stP + 16, 'rec search');
    const heap = k.memory.buffer;
    zigguratNormals(s.seed, [REC_STREAM, s.step, c], new Float64Array(heap, gP, blocks * n));
    const lb = new Float64Array(heap, bP, n);
    for (let m = 0; m < n; m++) lb[m] = lam * b[lo + m];
    const key = arrivalKey(s.seed, s.step, c, REC_STREAM + 1);
    new Uint32Array(heap, stP, 4).set(key);
    best[c] = k.searchChunk(KERNEL_BASE, gP, bP, vP, stP, n, P, K, lam * s.c2, key[0]);
    if (done) Atomics.add(done, 0, 1);
  }
}

interface SearchKernel {
  searchChunk: (xTab: number, g: number, b: number, v: number, st: number, n: number, P: number, K: number, c2: number, slowKey: number) => number;
}

/** The search's inner loop (`wasm/rec-search.as.ts`), its slow arrivals calling back here. */
function searchKernel(): SearchKernel & { memory: WebAssembly.Memory } {
  return wasmKernel<SearchKernel>('rec-search', new URL('./wasm/rec-search.wasm', import.meta.url), {
    slowArrival: (w: number, key: number, j: number) => arrivalSlowPath(w >>> 0, key >>> 0, j),
  });
}

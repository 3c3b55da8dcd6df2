/**
 * The encoder's half of reverse channel coding: for each chunk of a step, the candidate the
 * Poisson functional representation selects. Plain arrays in and out, so worker threads can run
 * disjoint ranges of chunks (`rec-parallel.ts`) with results identical to one thread.
 */
import { PhiloxStream } from '../bitstream/philox.js';
import { zigguratNormals } from '../bitstream/ziggurat.js';

export const REC_STREAM = 0x52454331;

/**
 * Candidates j0 … j0+count−1 of a chunk of n dims: candidate j is normals j·n … j·n+n−1 of the
 * chunk's ziggurat stream, so any single candidate can be drawn on its own.
 */
export function recCandidates(seed: readonly [number, number], step: number, chunk: number, n: number, j0: number, count: number, out: Float64Array): void {
  zigguratNormals(seed, [REC_STREAM, step, chunk], out.subarray(0, n * count), j0 * n);
}

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
  /** b_m = σ_p (μ_q − μ_p)_m / σ_q², in coded order (length D) */
  b: Float64Array;
}

/**
 * Chunks [from, to): best[c] = argmin_j (log T_j − log w_j), T_j the arrival times of the
 * encoder's private Poisson process. `done[0]` counts finished chunks (for a waiting thread).
 */
export function searchChunks(s: RecSearch, from: number, to: number, best: Int32Array, done?: Int32Array): void {
  const { K, nChunks, D, c2, b } = s;
  const z = new Float64Array(K * maxChunkDims(D, nChunks));
  const arrivals = new Float64Array(K);
  for (let c = from; c < to; c++) {
    const lo = chunkStart(D, nChunks, c);
    const n = chunkStart(D, nChunks, c + 1) - lo;
    recCandidates(s.seed, s.step, c, n, 0, K, z);
    // encoder-private arrival times (deterministic, so encoding is reproducible)
    new PhiloxStream(s.seed, [REC_STREAM + 1, s.step, c]).uniforms(arrivals);
    let T = 0;
    let bestJ = 0;
    let bestScore = Infinity;
    for (let j = 0; j < K; j++) {
      T += -Math.log(arrivals[j]);
      let sq = 0;
      let lin = 0;
      for (let m = 0, at = j * n; m < n; m++, at++) {
        const xi = z[at];
        sq += xi * xi;
        lin += b[lo + m] * xi;
      }
      const score = Math.log(T) - (c2 * sq + lin);
      if (score < bestScore) {
        bestScore = score;
        bestJ = j;
      }
    }
    best[c] = bestJ;
    if (done) Atomics.add(done, 0, 1);
  }
}

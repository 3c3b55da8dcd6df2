/**
 * Speed of the encoder's REC candidate search (rec-search.ts) on one thread: nanoseconds per
 * candidate scored, for chunks of n dims (Walsh blocks of the next power of two above n) with
 * K = 2^18 candidates each, b ~ N(0, 0.35²) per dim — the work of one chunk of ≈ 16 bits.
 *
 *   npm run build && node dist/bench/rec-search-speed.js
 */
import { searchChunks } from '../src/codec/rec-search.js';
import { REC_TEMPER } from '../src/codec/rec-channel.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { machineInfo } from './machine.js';

const K = 2 ** 18;
const rows: Array<{ n: number; chunks: number; K: number; nsPerCandidate: number }> = [];
for (const n of [16, 100, 1000, 8000]) {
  const nChunks = 64;
  const D = n * nChunks;
  const b = new Float64Array(D);
  new PhiloxStream([1, 2], [3, 4, n]).normals(b);
  for (let i = 0; i < D; i++) b[i] *= 0.35;
  const best = new Int32Array(nChunks);
  let ns = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    searchChunks({ seed: [1, 2], step: rep, nChunks, D, K, c2: -0.05, b, temper: REC_TEMPER }, 0, nChunks, best);
    ns = Math.min(ns, ((performance.now() - t0) * 1e6) / (nChunks * K));
  }
  rows.push({ n, chunks: nChunks, K, nsPerCandidate: Number(ns.toFixed(1)) });
  console.error(`n=${n}: ${ns.toFixed(1)} ns per candidate (best of 3 runs of ${nChunks} chunks of 2^18)`);
}
console.log(JSON.stringify({ machine: machineInfo(), rows }, null, 1));

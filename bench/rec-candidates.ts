/**
 * How the REC candidate count K trades coded bits against sample fidelity, on a synthetic step
 * (D dims, σ̃² = 0.01, mean mismatch ~ N(0, 0.002), chunks of ≈ 8 bits of KL): for K = 2^8 … 2^11,
 * the Zipf-coded index bits per chunk against the KL per chunk, and E‖x_s − μ_q‖²/σ̃² of the sent
 * sample (1 for an exact posterior sample; D = 20000 gives ±0.01 sampling noise).
 *
 *   npm run build && node dist/bench/rec-candidates.js
 */
import { searchChunks } from '../src/codec/rec-search.js';
import { ZipfCoder } from '../src/bitstream/cdf.js';
import { zipfExponent, chosenState } from '../src/codec/rec-channel.js';
import { gaussianKl } from '../src/model/diffusion.js';
import { SymbolRecorder } from '../src/bitstream/symbol-recorder.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { machineInfo } from './machine.js';

const D = 20000;
const vq = 0.01;
const e2 = 0.002;
const z = new Float64Array(D);
new PhiloxStream([3, 4], [1, 2, 3]).normals(z);
const vp = vq + e2;
const sp = Math.sqrt(vp);
const d = z.map((v) => v * Math.sqrt(e2)); // μ_q − μ_p
let kl = 0;
for (const x of d) kl += gaussianKl(x, vq, 0, vp);
kl /= Math.LN2;
const nChunks = Math.round(kl / 8);
const kbar = kl / nChunks;
const b = Float64Array.from(d, (x) => (sp * x) / vq);
const rows = [];
for (const log2K of [8, 9, 10, 11]) {
  const K = 2 ** log2K;
  const best = new Int32Array(nChunks);
  searchChunks({ seed: [1, 2], step: 5, nChunks, D, K, c2: 0.5 - vp / (2 * vq), b }, 0, nChunks, best);
  const zipf = new ZipfCoder(zipfExponent(kbar), K);
  const rec = new SymbolRecorder();
  for (const j of best) zipf.encode(rec, j + 1);
  // the sent sample with μ_p = 0, so x_s − μ_q = x_s − d
  const xs = chosenState(new Float64Array(D), Int32Array.from({ length: D }, (_, i) => i), sp, [1, 2], 5, best);
  let ss = 0;
  for (let m = 0; m < D; m++) ss += (xs[m] - d[m]) ** 2;
  const row = { log2K, klPerChunk: kbar, bitsPerChunk: rec.bits / nChunks, varianceRatio: ss / D / vq };
  console.error(JSON.stringify(row));
  rows.push(row);
}
console.log(JSON.stringify({ machine: machineInfo(), D, nChunks, rows }, null, 2));

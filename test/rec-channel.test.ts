import test from 'ava';
import { execFileSync } from 'node:child_process';
import { recEncode, recDecode, codedOrder } from '../src/codec/rec-channel.js';
import { configureRecParallelism } from '../src/codec/rec-parallel.js';
import { chunkStart, recCandidate, searchChunks, walshSize, fwht, REC_STREAM, REC_SHIFTS } from '../src/codec/rec-search.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { arrivalTimes, ARRIVAL_X } from '../src/codec/rec-arrivals.js';
import { RangeEncoder, RangeDecoder } from '../src/bitstream/range-coder.js';
import { SymbolRecorder } from '../src/bitstream/symbol-recorder.js';
import type { StepGeometry } from '../src/codec/step-math.js';

const geom = (variance: number): StepGeometry => ({ t: 10, s: 9, cx0: 0.1, cxt: 0.9, variance, delta: Math.sqrt(12 * variance) });

function problem(n: number, seed: number, spread: number) {
  const z = new Float64Array(2 * n);
  new PhiloxStream([seed, 2], [0, 0, 0]).normals(z);
  const muP = Float64Array.from({ length: n }, (_, i) => z[i]);
  const muQ = Float64Array.from({ length: n }, (_, i) => z[i] + spread * z[n + i]);
  return { muP, muQ };
}

test('rec: decoder reproduces the encoder state exactly; padding dims take μ_p', (t) => {
  const n = 600;
  const g = geom(0.01);
  const { muP, muQ } = problem(n, 1, 0.05);
  const coded = Uint8Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : 1));
  const rc = new RangeEncoder();
  const enc = recEncode(g, muP, muQ, coded, [9, 9], 4, rc, null);
  // a second step, its side information coded as a change from the first's
  const enc2 = recEncode(g, enc.next, muQ, coded, [9, 9], 5, rc, enc.side);
  rc.encodeBits(0x5a5a, 16); // whatever follows in the chunk's stream
  const rd = new RangeDecoder(rc.finish());
  const first = recDecode(g, muP, coded, [9, 9], 4, rd, null);
  t.deepEqual(Array.from(first.next), Array.from(enc.next));
  t.deepEqual(first.side, enc.side);
  const second = recDecode(g, first.next, coded, [9, 9], 5, rd, first.side);
  t.deepEqual(Array.from(second.next), Array.from(enc2.next));
  const dec = first.next;
  t.is(rd.decodeBits(16), 0x5a5a, 'the decoder stops exactly at the end of the step');
  for (let i = 0; i < n; i++) if (!coded[i]) t.is(dec[i], muP[i]);
});

test('rec: costs close to the KL and sends samples with the posterior statistics', (t) => {
  const n = 3000;
  const vq = 0.01;
  const g = geom(vq);
  const { muP, muQ } = problem(n, 2, 0.08);
  const coded = new Uint8Array(n).fill(1);
  const symbols = new SymbolRecorder();
  const enc = recEncode(g, muP, muQ, coded, [1, 2], 7, symbols, null);
  const bits = symbols.bits; // side information included
  const rc = new RangeEncoder();
  symbols.replay(rc);
  t.true(Math.abs(rc.finish().length * 8 - symbols.bits) < 16, 'the recorder prices what the range coder spends');
  t.true(bits < enc.klBits * 1.15 + 16, `${bits} bits vs KL ${enc.klBits.toFixed(1)}`);
  t.true(bits > enc.klBits * 0.85 - 16, `${bits} bits vs KL ${enc.klBits.toFixed(1)}`);
  // x_s − μ_q should look like N(0, σ̃²)
  let m = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = enc.next[i] - muQ[i];
    m += d;
    v += d * d;
  }
  m /= n;
  v = v / n - m * m;
  t.true(Math.abs(m) < 0.1 * Math.sqrt(vq), `mean ${m}`);
  t.true(Math.abs(v / vq - 1) < 0.2, `variance ratio ${v / vq}`);
});

test('rec: the candidate search split across worker threads gives the same stream', (t) => {
  const n = 4000;
  const g = geom(0.01);
  const { muP, muQ } = problem(n, 3, 0.06);
  const coded = new Uint8Array(n).fill(1);
  const run = () => {
    const rc = new RangeEncoder();
    const r = recEncode(g, muP, muQ, coded, [5, 6], 2, rc, null);
    return { bytes: Array.from(rc.finish()), next: Array.from(r.next) };
  };
  const saved = configureRecParallelism({ threads: 1 });
  try {
    const one = run();
    configureRecParallelism({ threads: 3, minCandidates: 0 });
    const three = run();
    t.deepEqual(three.bytes, one.bytes);
    t.deepEqual(three.next, one.next);
    t.true(one.bytes.length > 100);
  } finally {
    configureRecParallelism(saved);
  }
});

test('rec: the worker threads also start under `node --input-type=module -e` (they do not inherit --input-type)', (t) => {
  const code = `
    import { configureRecParallelism, searchAllChunks } from ${JSON.stringify(new URL('../src/codec/rec-parallel.js', import.meta.url).href)};
    configureRecParallelism({ threads: 2, minCandidates: 0, stallMs: 20000 });
    const best = searchAllChunks({ seed: [1, 2], step: 3, nChunks: 8, D: 64, K: 16, c2: 0, b: new Float64Array(64).fill(0.5), temper: 1 });
    console.log(best.length);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60000 });
  t.is(out.trim(), '8');
});

test('rec: a step\'s chunks are balanced — sizes differ by at most one dim and cover every coded dim', (t) => {
  for (const [D, n] of [[12288, 9], [12288, 10], [7, 7], [1000, 1], [196608, 1234]]) {
    const sizes = Array.from({ length: n }, (_, c) => chunkStart(D, n, c + 1) - chunkStart(D, n, c));
    t.is(chunkStart(D, n, 0), 0);
    t.is(sizes.reduce((a, b) => a + b, 0), D);
    t.true(Math.max(...sizes) - Math.min(...sizes) <= 1, `${D}/${n}: ${Math.min(...sizes)}..${Math.max(...sizes)}`);
  }
});

test('rec: a tile\'s first step codes e² against the prediction from its geometry (cx0² · E‖x0 − x̂0‖²)', (t) => {
  const n = 2000;
  const g = geom(0.01);
  // μ_q − μ_p = cx0 · (x0 − x̂0) with E(x0 − x̂0)² = 1.1, the start-of-schedule error the prediction assumes
  const { muP, muQ } = problem(n, 4, g.cx0 * Math.sqrt(1.1));
  const coded = new Uint8Array(n).fill(1);
  const bitsWith = (prev: { qv: number } | null) => {
    const s = new SymbolRecorder();
    const r = recEncode(g, muP, muQ, coded, [3, 4], 1, s, prev);
    return { bits: s.bits, qv: r.side.qv };
  };
  const first = bitsWith(null);
  // the same step with its own e² as the prediction (delta 0) and with a prediction 40 grid units off
  const exact = bitsWith({ qv: first.qv });
  const off = bitsWith({ qv: first.qv + 40 });
  t.true(first.bits - exact.bits < 2, `predicted start costs ${(first.bits - exact.bits).toFixed(2)} bits over an exact prediction`);
  t.true(off.bits - exact.bits > 10, 'a far-off prediction costs more');
});

test('rec arrivals: the ziggurat increments are Exp(1) (Kolmogorov–Smirnov, moments, tail), reproducible', (t) => {
  const n = 300000;
  const T = arrivalTimes([5, 6], 7, 8, REC_STREAM + 1, n);
  const e = new Float64Array(n);
  let prev = 0;
  let slow = 0;
  for (let j = 0; j < n; j++) {
    e[j] = T[j] - prev;
    prev = T[j];
  }
  // the draws that left their layer's core (wedge, tail or a fresh attempt): ~2% must occur
  for (let i = 0; i < 256; i++) slow += 1 - ARRIVAL_X[i + 1] / ARRIVAL_X[i];
  t.true(slow / 256 > 0.015 && slow / 256 < 0.03);
  const sorted = Float64Array.from(e).sort();
  let d = 0;
  for (let j = 0; j < n; j++) {
    const cdf = 1 - Math.exp(-sorted[j]);
    d = Math.max(d, Math.abs(cdf - j / n), Math.abs(cdf - (j + 1) / n));
  }
  t.true(d < 1.95 / Math.sqrt(n), `KS distance ${d}`); // 0.1% level
  const mean = e.reduce((a, b) => a + b, 0) / n;
  const v = e.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  t.true(Math.abs(mean - 1) < 0.01 && Math.abs(v - 1) < 0.03, `mean ${mean} variance ${v}`);
  const beyond = (x: number) => e.filter((y) => y > x).length / n;
  t.true(Math.abs(beyond(ARRIVAL_X[1]) / Math.exp(-ARRIVAL_X[1]) - 1) < 0.5, 'the tail beyond R');
  t.true(Math.abs(beyond(4) / Math.exp(-4) - 1) < 0.05);
  t.deepEqual(arrivalTimes([5, 6], 7, 8, REC_STREAM + 1, 1000), T.subarray(0, 1000));
  t.notDeepEqual(arrivalTimes([5, 6], 7, 9, REC_STREAM + 1, 1000), T.subarray(0, 1000));
});

test('rec search: the fast Walsh search picks the argmin over the very candidates the decoder rebuilds', (t) => {
  const seed: [number, number] = [11, 12];
  const step = 3;
  for (const [D, nChunks, K, temper] of [[90, 3, 2000, 1], [37, 1, 5000, 1], [640, 4, 3000, 1], [90, 3, 2000, 1.2], [640, 4, 3000, 1.7]]) {
    const b = new Float64Array(D);
    new PhiloxStream(seed, [D, 0, 0]).normals(b);
    for (let i = 0; i < D; i++) b[i] *= 0.35;
    const c2 = -0.04;
    const best = new Int32Array(nChunks);
    searchChunks({ seed, step, nChunks, D, K, c2, b, temper }, 0, nChunks, best);
    for (let c = 0; c < nChunks; c++) {
      const lo = chunkStart(D, nChunks, c);
      const n = chunkStart(D, nChunks, c + 1) - lo;
      const T = arrivalTimes(seed, step, c, REC_STREAM + 1, K);
      const xi = new Float64Array(n);
      let ref = 0;
      let refScore = Infinity;
      for (let j = 0; j < K; j++) {
        recCandidate(seed, step, c, n, j, xi);
        let lw = 0;
        for (let m = 0; m < n; m++) lw += c2 * xi[m] * xi[m] + b[lo + m] * xi[m];
        const score = Math.log(T[j]) - temper * lw;
        if (score < refScore) {
          refScore = score;
          ref = j;
        }
      }
      t.is(best[c], ref, `D=${D} chunk ${c} λ=${temper}`);
    }
  }
});

test('rec search: every candidate is N(0, I) — block, shift and Walsh row alike; FWHT matches its definition', (t) => {
  const n = 24;
  const P = walshSize(n);
  t.is(P, 32);
  const count = 4 * REC_SHIFTS * P; // four blocks of normals
  const xi = new Float64Array(n);
  const sum = new Float64Array(n);
  const sq = new Float64Array(n);
  const distinct = new Set<string>();
  for (let j = 0; j < count; j++) {
    recCandidate([1, 1], 2, 0, n, j, xi);
    distinct.add(xi.join(','));
    for (let m = 0; m < n; m++) {
      sum[m] += xi[m];
      sq[m] += xi[m] * xi[m];
    }
  }
  t.is(distinct.size, count, 'no two candidates coincide');
  // sign flips keep |ξ_m| from the block's normals: the per-coordinate mean averages out over rows
  for (let m = 0; m < n; m++) t.true(Math.abs(sum[m] / count) < 0.15, `mean of coordinate ${m}: ${sum[m] / count}`);
  const v = sq.reduce((a, x) => a + x, 0) / (n * count);
  t.true(Math.abs(v - 1) < 0.2, `variance ${v}`);
  const x = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
  const y = Float64Array.from(x);
  fwht(y);
  for (let i = 0; i < 16; i++) {
    let s = 0;
    for (let m = 0; m < 16; m++) {
      let p = i & m;
      let par = 0;
      while (p) {
        par ^= p & 1;
        p >>>= 1;
      }
      s += par ? -x[m] : x[m];
    }
    t.true(Math.abs(y[i] - s) < 1e-12);
  }
});

test('rec: a step codes its dims in a shuffled order — a permutation of the coded dims, fixed by seed and step', (t) => {
  const coded = Uint8Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? 0 : 1));
  const a = codedOrder(coded, [1, 2], 3);
  t.deepEqual(Array.from(a), Array.from(codedOrder(coded, [1, 2], 3)));
  t.notDeepEqual(Array.from(a), Array.from(codedOrder(coded, [1, 2], 4)));
  const sorted = Array.from(a).sort((x, y) => x - y);
  t.deepEqual(sorted, Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 5 !== 0));
  let inPlace = 0;
  for (let k = 0; k < a.length; k++) if (a[k] === sorted[k]) inPlace++;
  t.true(inPlace < 10, `${inPlace} dims left in raster position`);
});

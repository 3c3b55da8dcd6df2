import test from 'ava';
import { convWeightGrad } from '../src/model/conv-weight-grad.js';
import { PhiloxStream } from '../src/bitstream/philox.js';

function randn(n: number, seed: number): Float32Array {
  const x = new Float64Array(n);
  new PhiloxStream([seed, 7], [0, 0, 0]).normals(x);
  return Float32Array.from(x);
}

/** the definition, in float64 */
function reference(x: Float32Array, dy: Float32Array, n: number, H: number, W: number, Ci: number, Co: number, k: number): Float64Array {
  const p = (k - 1) / 2;
  const out = new Float64Array(k * k * Ci * Co);
  for (let b = 0; b < n; b++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let kh = 0; kh < k; kh++)
          for (let kw = 0; kw < k; kw++) {
            const hh = h + kh - p;
            const ww = w + kw - p;
            if (hh < 0 || hh >= H || ww < 0 || ww >= W) continue;
            for (let c = 0; c < Ci; c++) {
              const xv = x[((b * H + hh) * W + ww) * Ci + c];
              for (let o = 0; o < Co; o++) out[((kh * k + kw) * Ci + c) * Co + o] += xv * dy[((b * H + h) * W + w) * Co + o];
            }
          }
  return out;
}

test('conv weight-gradient kernel equals the definition: odd channel counts, several row bands, 1x1 to 5x5', (t) => {
  // [n, H, W, Ci, Co, k]: W = 16 gives bands of 16 rows, so H = 40 runs three bands (16, 16, 8)
  for (const [n, H, W, Ci, Co, k] of [[2, 40, 16, 3, 5, 3], [1, 7, 5, 9, 17, 1], [3, 6, 4, 4, 8, 5], [1, 1, 1, 1, 1, 3], [2, 33, 2, 6, 10, 3]]) {
    const x = randn(n * H * W * Ci, 1 + k);
    const dy = randn(n * H * W * Co, 2 + Ci);
    const got = convWeightGrad(x, dy, n, H, W, Ci, Co, k);
    const ref = reference(x, dy, n, H, W, Ci, Co, k);
    t.is(got.length, ref.length);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / Math.sqrt(n * H * W));
    t.true(worst < 1e-5, `[${n}, ${H}, ${W}, ${Ci}→${Co}, k ${k}]: worst error ${worst} (per √terms)`);
    // deterministic: the same call gives the same bits
    t.deepEqual(convWeightGrad(x, dy, n, H, W, Ci, Co, k), got);
  }
  t.throws(() => convWeightGrad(new Float32Array(5), new Float32Array(5), 1, 1, 5, 1, 1, 2), { message: /shapes/ });
});

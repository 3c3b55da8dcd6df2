/**
 * AssemblyScript source (compiled by `asc` to dist/src/codec/wasm/rec-search.wasm; not TypeScript
 * for tsc): the inner loop of the encoder's REC search (rec-search.ts) for one chunk — for every
 * block of normals and each of its 16 cyclic shifts, the log-weights of the P Walsh rows by one fast
 * Walsh–Hadamard transform (f64x2 SIMD), then the Poisson arrival times of those rows (xoshiro128+
 * words, the exponential ziggurat of rec-arrivals.ts; its rare slow path calls back into JS so the
 * draws are the very ones of `arrivalTimes`) and the running argmin of log T − λ log w.
 *
 * Memory (f64 unless noted): X the ziggurat table [257] at xTab; g the chunk's block normals
 * [blocks][n]; b the chunk's λ·b [n]; v scratch [P]; state (4 × u32) at st.
 */

@external("env", "slowArrival")
declare function slowArrival(w: u32, key: u32, j: i32): f64;

/** In-place fast Walsh–Hadamard transform of v[0 … P), P a power of two ≥ 2. */
function fwht(v: usize, P: i32): void {
  // h = 1: neighbours within one vector
  for (let m = 0; m < P; m += 2) {
    const p = v + (<usize>m << 3);
    const x = v128.load(p);
    const sw = v128.shuffle<f64>(x, x, 1, 0);
    // s = (a + b, a + b), d = (b − a, a − b): keep s[0] and d[1]
    const s = f64x2.add(x, sw);
    const d = f64x2.sub(sw, x);
    v128.store(p, v128.shuffle<f64>(s, d, 0, 3));
  }
  for (let h = 2; h < P; h <<= 1) {
    for (let i = 0; i < P; i += h << 1) {
      for (let m = i; m < i + h; m += 2) {
        const p = v + (<usize>m << 3);
        const q = p + (<usize>h << 3);
        const a = v128.load(p);
        const c = v128.load(q);
        v128.store(p, f64x2.add(a, c));
        v128.store(q, f64x2.sub(a, c));
      }
    }
  }
}

/**
 * Searches K candidates of one chunk; returns the best index. `slowKey` keys the slow path's
 * uniforms; xTab, g, b, v, st as above; blocks = ⌈K / (16P)⌉ blocks of normals in g.
 */
export function searchChunk(xTab: usize, g: usize, b: usize, v: usize, st: usize, n: i32, P: i32, K: i32, c2: f64, slowKey: u32): i32 {
  let xa = load<u32>(st);
  let xb = load<u32>(st, 4);
  let xc = load<u32>(st, 8);
  let xd = load<u32>(st, 12);
  let T: f64 = 0;
  let bestJ = 0;
  let bestScore: f64 = Infinity;
  let sq: f64 = 0;
  for (let j0 = 0; j0 < K; j0 += P) {
    const r = (j0 / P) % 16;
    const gk = g + (<usize>(j0 / (P * 16)) * n << 3);
    if (r == 0) {
      sq = 0;
      for (let m = 0; m < n; m++) {
        const x = load<f64>(gk + (<usize>m << 3));
        sq += x * x;
      }
    }
    // v[m + 1] = λb[m] · g[(m + r) mod n], v[0] = 0 and v beyond n zero
    memory.fill(v, 0, <usize>P << 3);
    const s = r % n;
    for (let m = 0; m < n; m++) {
      let k = m + s;
      if (k >= n) k -= n;
      store<f64>(v + (<usize>(m + 1) << 3), load<f64>(b + (<usize>m << 3)) * load<f64>(gk + (<usize>k << 3)));
    }
    fwht(v, P);
    const base = c2 * sq;
    const rows = min(P, K - j0);
    const logT0 = T > 0 ? Math.log(T) : -Infinity;
    let floor = logT0 - bestScore;
    for (let i = 0; i < rows; i++) {
      const w = xa + xd;
      const t = xb << 9;
      xc ^= xa;
      xd ^= xb;
      xb ^= xc;
      xa ^= xd;
      xc ^= t;
      xd = rotl<u32>(xd, 11);
      const layer = w & 255;
      const e = (<f64>(w >>> 8) + 0.5) * 5.9604644775390625e-8 * load<f64>(xTab + (<usize>layer << 3));
      T += e < load<f64>(xTab + (<usize>(layer + 1) << 3)) ? e : slowArrival(w, slowKey, j0 + i);
      const lw = base + load<f64>(v + (<usize>i << 3));
      if (lw <= floor) continue;
      const score = Math.log(T) - lw;
      if (score < bestScore) {
        bestScore = score;
        bestJ = j0 + i;
        floor = logT0 - bestScore;
      }
    }
  }
  return bestJ;
}

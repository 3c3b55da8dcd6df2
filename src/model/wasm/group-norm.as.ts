/**
 * AssemblyScript source (compiled by `asc` to dist/src/model/wasm/group-norm.wasm; not TypeScript
 * for tsc): GroupNorm with per-channel affine, optionally followed by SiLU, forward and backward,
 * on 128-bit SIMD — one kernel call where the tfjs op chain ran ~10 full-size passes.
 *
 * Layout: x, y, dy, dx are [n][HW][C] f32 (NHWC with the spatial axes flattened), γ, β [C];
 * per-(item, group) statistics [n][G] mean then [n][G] rstd (f32) at sPtr; `work` is scratch of
 * 48·C bytes. C must be a multiple of 4 (the caller falls back otherwise); channels per group need
 * not be: per-channel arrays carry the group's values.
 *
 * Forward, per item: the group means (f64 sums of f32 data), then the group variances as mean
 * squared deviations from them (two passes: no cancellation), rstd = 1/√(var + eps); then
 * z = x·scale + shift with scale = rstd·γ, shift = β − mean·scale (f32), y = z or z·sigmoid(z).
 * Backward: dz = dy (or dy·s·(1 + z(1 − s)), s = sigmoid(z)), x̂ = (x − mean)·rstd,
 * dβ = Σ dz, dγ = Σ dz·x̂, dx = rstd·(γ·dz − mean_g(γ·dz) − x̂·mean_g(γ·dz·x̂)).
 *
 * Every operation is a plain IEEE add/sub/mul/div/sqrt/convert/bitwise op in a fixed order (no fused
 * multiply-add, no relaxed SIMD, no host Math), so the results are the same bits on every machine
 * — what the codec's encoder and decoder need. sigmoid uses exp by range reduction
 * (a = n·ln2 + r, |r| ≤ ln2/2) and a degree-6 Taylor polynomial of e^r (SiLU within 1e-6 relative of
 * the exact value over |z| ≤ 69: test/layers.test.ts),
 * every lane computed the same way whatever its value.
 */

/**
 * The constants, each splatted to four lanes, read from memory where the loops use them: V8 builds
 * a v128.const from immediates in several instructions on every iteration, a load is one.
 */
const K: usize = memory.data<f32>([
  -87.0, -87.0, -87.0, -87.0, // 0: clamp
  1.4426950408889634, 1.4426950408889634, 1.4426950408889634, 1.4426950408889634, // 1: log2 e
  12583039.0, 12583039.0, 12583039.0, 12583039.0, // 2: 1.5·2^23 + 127
  0.693145751953125, 0.693145751953125, 0.693145751953125, 0.693145751953125, // 3: ln 2, high part (n·it exact)
  1.4286068203094172e-6, 1.4286068203094172e-6, 1.4286068203094172e-6, 1.4286068203094172e-6, // 4: ln 2, low part
  1.0, 1.0, 1.0, 1.0, // 5
  0.5, 0.5, 0.5, 0.5, // 6
  <f32>(1.0 / 6.0), <f32>(1.0 / 6.0), <f32>(1.0 / 6.0), <f32>(1.0 / 6.0), // 7
  <f32>(1.0 / 24.0), <f32>(1.0 / 24.0), <f32>(1.0 / 24.0), <f32>(1.0 / 24.0), // 8
  <f32>(1.0 / 120.0), <f32>(1.0 / 120.0), <f32>(1.0 / 120.0), <f32>(1.0 / 120.0), // 9
  <f32>(1.0 / 720.0), <f32>(1.0 / 720.0), <f32>(1.0 / 720.0), <f32>(1.0 / 720.0), // 10
  0.0, 0.0, 0.0, 0.0, // 11
  -0.0, -0.0, -0.0, -0.0, // 12: the sign bits
], 16);

// @ts-ignore: decorator
@inline function k(i: i32): v128 {
  return v128.load(K + (<usize>i << 4));
}

/**
 * e^a for a ≤ 0 (a clamped at −87, where e^a ≈ 1.6e-38 is still a normal float). n = round(a/ln2)
 * by adding 1.5·2^23 (the float's rounding does it; its low bits then hold n + 127, which shifted
 * into the exponent field give 2^n); e^r by Estrin's scheme (short dependency chains).
 */
// @ts-ignore: decorator
@inline function expNonPositive(a: v128): v128 {
  const x = f32x4.pmax(a, k(0)); // a is never NaN here: pmax is one instruction, max several
  const shifted = f32x4.add(f32x4.mul(x, k(1)), k(2));
  const n = f32x4.sub(shifted, k(2));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, k(3))), f32x4.mul(n, k(4)));
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const a01 = f32x4.add(k(5), r);
  const a23 = f32x4.add(k(6), f32x4.mul(r, k(7)));
  const a45 = f32x4.add(k(8), f32x4.mul(r, k(9)));
  const a456 = f32x4.add(a45, f32x4.mul(r2, k(10)));
  const p = f32x4.add(f32x4.add(a01, f32x4.mul(r2, a23)), f32x4.mul(r4, a456));
  // 2^n for n in [−126, 0]: exponent bits
  return f32x4.mul(p, i32x4.shl(shifted, 23));
}

/** sigmoid(z) = 1/(1 + e^−z), from e^−|z| so nothing overflows */
// @ts-ignore: decorator
@inline function sigmoid(z: v128): v128 {
  const e = expNonPositive(v128.or(z, k(12))); // −|z|: the sign bit set
  const low = f32x4.div(e, f32x4.add(k(5), e)); // sigmoid(−|z|) ≤ 1/2
  return v128.bitselect(f32x4.sub(k(5), low), low, f32x4.ge(z, k(11)));
}

/** f64 accumulation of four f32 lanes into acc[0..1] (two f64x2 at p) */
// @ts-ignore: decorator
@inline function addWide(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
  v128.store(p, f64x2.add(v128.load(p, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
}

/**
 * Per-item statistics into sPtr and the per-channel scale and shift into work: sums at work
 * (f64 [C]), scale at work + 8C, shift at work + 12C, per-channel mean at work + 16C, rstd at
 * work + 20C (f32 [C] each).
 */
function itemStats(x: usize, gPtr: usize, bPtr: usize, sPtr: usize, work: usize, b: i32, n: i32, HW: i32, C: i32, G: i32, eps: f64): void {
  const sum = work;
  const meanC = work + 16 * <usize>C;
  const rstdC = work + 20 * <usize>C;
  const cpg = C / G;
  const count = <f64>HW * <f64>cpg;
  const rowBytes = <usize>C << 2;
  for (let pass = 0; pass < 2; pass++) {
    memory.fill(sum, 0, 8 * <usize>C);
    let p = x;
    for (let i = 0; i < HW; i++) {
      for (let c = 0; c < C; c += 4) {
        let v = v128.load(p + (<usize>c << 2));
        if (pass == 1) {
          v = f32x4.sub(v, v128.load(meanC + (<usize>c << 2)));
          v = f32x4.mul(v, v);
        }
        addWide(sum + (<usize>c << 3), v);
      }
      p += rowBytes;
    }
    for (let g = 0; g < G; g++) {
      let s: f64 = 0;
      for (let c = g * cpg; c < (g + 1) * cpg; c++) s += load<f64>(sum + (<usize>c << 3));
      const m = s / count;
      if (pass == 0) {
        const mf = <f32>m;
        store<f32>(sPtr + (<usize>(b * G + g) << 2), mf);
        for (let c = g * cpg; c < (g + 1) * cpg; c++) store<f32>(meanC + (<usize>c << 2), mf);
      } else {
        const rf = <f32>(1.0 / Math.sqrt(m + eps));
        store<f32>(sPtr + (<usize>((n + b) * G + g) << 2), rf);
        for (let c = g * cpg; c < (g + 1) * cpg; c++) store<f32>(rstdC + (<usize>c << 2), rf);
      }
    }
  }
  affine(gPtr, bPtr, work, C);
}

/** scale = rstd·γ, shift = β − mean·scale per channel, from the per-channel mean and rstd in work */
function affine(gPtr: usize, bPtr: usize, work: usize, C: i32): void {
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const sc = load<f32>(work + 20 * <usize>C + o) * load<f32>(gPtr + o);
    store<f32>(work + 8 * <usize>C + o, sc);
    store<f32>(work + 12 * <usize>C + o, load<f32>(bPtr + o) - load<f32>(work + 16 * <usize>C + o) * sc);
  }
}

export function forward(xPtr: usize, yPtr: usize, gPtr: usize, bPtr: usize, sPtr: usize, work: usize, n: i32, HW: i32, C: i32, G: i32, eps: f64, silu: i32): void {
  const rowBytes = <usize>C << 2;
  const scale = work + 8 * <usize>C;
  const shift = work + 12 * <usize>C;
  for (let b = 0; b < n; b++) {
    const x0 = xPtr + <usize>b * HW * rowBytes;
    const y0 = yPtr + <usize>b * HW * rowBytes;
    itemStats(x0, gPtr, bPtr, sPtr, work, b, n, HW, C, G, eps);
    affineInto(x0, y0, scale, shift, HW, C);
    if (silu) siluInPlace(y0, y0 + <usize>HW * rowBytes);
  }
}

/** y = x·scale + shift per channel over one item's [HW][C] */
function affineInto(x0: usize, y0: usize, scale: usize, shift: usize, HW: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  for (let i = 0; i < HW; i++) {
    const px = x0 + <usize>i * rowBytes;
    const py = y0 + <usize>i * rowBytes;
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      v128.store(py + o, f32x4.add(f32x4.mul(v128.load(px + o), v128.load(scale + o)), v128.load(shift + o)));
    }
  }
}

/** z ← dy·d(z·sigmoid(z))/dz = dy·s·(1 + z(1 − s)) over [from, to), dy from dy0 on; two vectors per iteration */
function siluGradInPlace(from: usize, dy0: usize, to: usize): void {
  let p = from;
  let d = dy0;
  const one = k(5);
  for (; p + 32 <= to; p += 32) {
    const z0 = v128.load(p);
    const z1 = v128.load(p, 16);
    const s0 = sigmoid(z0);
    const s1 = sigmoid(z1);
    v128.store(p, f32x4.mul(v128.load(d), f32x4.mul(s0, f32x4.add(one, f32x4.mul(z0, f32x4.sub(one, s0))))));
    v128.store(p, f32x4.mul(v128.load(d, 16), f32x4.mul(s1, f32x4.add(one, f32x4.mul(z1, f32x4.sub(one, s1))))), 16);
    d += 32;
  }
  for (; p < to; p += 16) {
    const z = v128.load(p);
    const s = sigmoid(z);
    v128.store(p, f32x4.mul(v128.load(d), f32x4.mul(s, f32x4.add(one, f32x4.mul(z, f32x4.sub(one, s))))));
    d += 16;
  }
}

/** y ← y·sigmoid(y) over [from, to) (a multiple of 16 bytes), four vectors per iteration */
function siluInPlace(from: usize, to: usize): void {
  let p = from;
  for (; p + 64 <= to; p += 64) {
    const z0 = v128.load(p);
    const z1 = v128.load(p, 16);
    const z2 = v128.load(p, 32);
    const z3 = v128.load(p, 48);
    const s0 = sigmoid(z0);
    const s1 = sigmoid(z1);
    const s2 = sigmoid(z2);
    const s3 = sigmoid(z3);
    v128.store(p, f32x4.mul(z0, s0));
    v128.store(p, f32x4.mul(z1, s1), 16);
    v128.store(p, f32x4.mul(z2, s2), 32);
    v128.store(p, f32x4.mul(z3, s3), 48);
  }
  for (; p < to; p += 16) {
    const z = v128.load(p);
    v128.store(p, f32x4.mul(z, sigmoid(z)));
  }
}

/**
 * dx (at dxPtr), dγ and dβ (f32 [C] at dgPtr, dbPtr, summed over the items) from x, dy and the
 * statistics forward wrote at sPtr. dx's memory holds dz between the two passes (it may not alias
 * x or dy).
 */
export function backward(xPtr: usize, dyPtr: usize, dxPtr: usize, gPtr: usize, bPtr: usize, sPtr: usize, dgPtr: usize, dbPtr: usize, work: usize, n: i32, HW: i32, C: i32, G: i32, silu: i32): void {
  const rowBytes = <usize>C << 2;
  const sumDz = work; // f64 [C]
  const sumDzXh = work + 24 * <usize>C; // f64 [C]
  const scale = work + 8 * <usize>C;
  const shift = work + 12 * <usize>C;
  const meanC = work + 16 * <usize>C;
  const rstdC = work + 20 * <usize>C;
  const m1C = work + 40 * <usize>C; // f32 [C]: mean_g(γ·dz)
  const m2C = work + 44 * <usize>C; // f32 [C]: mean_g(γ·dz·x̂)
  const cpg = C / G;
  const count = <f64>HW * <f64>cpg;
  memory.fill(dgPtr, 0, <usize>C << 2);
  memory.fill(dbPtr, 0, <usize>C << 2);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < G; g++) {
      const mf = load<f32>(sPtr + (<usize>(b * G + g) << 2));
      const rf = load<f32>(sPtr + (<usize>((n + b) * G + g) << 2));
      for (let c = g * cpg; c < (g + 1) * cpg; c++) {
        store<f32>(meanC + (<usize>c << 2), mf);
        store<f32>(rstdC + (<usize>c << 2), rf);
      }
    }
    affine(gPtr, bPtr, work, C);
    memory.fill(sumDz, 0, 8 * <usize>C);
    memory.fill(sumDzXh, 0, 8 * <usize>C);
    const x0 = xPtr + <usize>b * HW * rowBytes;
    const d0 = dyPtr + <usize>b * HW * rowBytes;
    const o0 = dxPtr + <usize>b * HW * rowBytes;
    const end = o0 + <usize>HW * rowBytes;
    if (silu) {
      affineInto(x0, o0, scale, shift, HW, C);
      siluGradInPlace(o0, d0, end);
    } else {
      memory.copy(o0, d0, end - o0);
    }
    for (let i = 0; i < HW; i++) {
      const row = <usize>i * rowBytes;
      for (let c = 0; c < C; c += 4) {
        const o = <usize>c << 2;
        const xv = v128.load(x0 + row + o);
        const dz = v128.load(o0 + row + o);
        const xh = f32x4.mul(f32x4.sub(xv, v128.load(meanC + o)), v128.load(rstdC + o));
        addWide(sumDz + (<usize>c << 3), dz);
        addWide(sumDzXh + (<usize>c << 3), f32x4.mul(dz, xh));
      }
    }
    for (let g = 0; g < G; g++) {
      let s1: f64 = 0;
      let s2: f64 = 0;
      for (let c = g * cpg; c < (g + 1) * cpg; c++) {
        const gm = <f64>load<f32>(gPtr + (<usize>c << 2));
        const a = load<f64>(sumDz + (<usize>c << 3));
        const bb = load<f64>(sumDzXh + (<usize>c << 3));
        s1 += gm * a;
        s2 += gm * bb;
        store<f32>(dbPtr + (<usize>c << 2), load<f32>(dbPtr + (<usize>c << 2)) + <f32>a);
        store<f32>(dgPtr + (<usize>c << 2), load<f32>(dgPtr + (<usize>c << 2)) + <f32>bb);
      }
      const m1 = <f32>(s1 / count);
      const m2 = <f32>(s2 / count);
      for (let c = g * cpg; c < (g + 1) * cpg; c++) {
        store<f32>(m1C + (<usize>c << 2), m1);
        store<f32>(m2C + (<usize>c << 2), m2);
      }
    }
    for (let i = 0; i < HW; i++) {
      const row = <usize>i * rowBytes;
      for (let c = 0; c < C; c += 4) {
        const o = <usize>c << 2;
        const r = v128.load(rstdC + o);
        const xh = f32x4.mul(f32x4.sub(v128.load(x0 + row + o), v128.load(meanC + o)), r);
        const dxh = f32x4.mul(v128.load(o0 + row + o), v128.load(gPtr + o));
        const v = f32x4.sub(f32x4.sub(dxh, v128.load(m1C + o)), f32x4.mul(xh, v128.load(m2C + o)));
        v128.store(o0 + row + o, f32x4.mul(r, v));
      }
    }
  }
}

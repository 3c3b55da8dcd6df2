/**
 * AssemblyScript source (compiled by `asc` to dist/src/model/wasm/channel-concat.wasm; not
 * TypeScript for tsc): concatenation along the innermost (channel) axis and its inverse, for
 * [rows][ca] and [rows][cb] f32 arrays ↔ [rows][ca + cb]. tfjs's wasm Concat and SplitV copy one
 * short row per JS call (~0.45 ms for a 64x64x96 result); these are one call, vector copies.
 */

/** copies `count` floats from src to dst, four at a time while it can */
// @ts-ignore: decorator
@inline function copyRow(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

export function concat(a: usize, b: usize, out: usize, rows: i32, ca: i32, cb: i32): void {
  const c = ca + cb;
  for (let r = 0; r < rows; r++) {
    const o = out + (<usize>r * c << 2);
    copyRow(o, a + (<usize>r * ca << 2), ca);
    copyRow(o + (<usize>ca << 2), b + (<usize>r * cb << 2), cb);
  }
}

export function split(d: usize, a: usize, b: usize, rows: i32, ca: i32, cb: i32): void {
  const c = ca + cb;
  for (let r = 0; r < rows; r++) {
    const s = d + (<usize>r * c << 2);
    copyRow(a + (<usize>r * ca << 2), s, ca);
    copyRow(b + (<usize>r * cb << 2), s + (<usize>ca << 2), cb);
  }
}

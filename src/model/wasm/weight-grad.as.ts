/**
 * AssemblyScript source (compiled by `asc` to dist/src/model/wasm/weight-grad.wasm; not TypeScript
 * for tsc): the weight gradient of a stride-1 'same' k×k convolution (k odd) on 128-bit SIMD,
 *
 *   dW[kh][kw][ci][co] = Σ_{b,h,w} x[b][h+kh−p][w+kw−p][ci] · dy[b][h][w][co]   (x zero outside, p = (k−1)/2)
 *
 * x [n][H][W][Ci] at xPtr, dy [n][H][W][Co] at dPtr, result [k][k][Ci][Co] at oPtr (all f32).
 * Both operands are first packed into channel blocks — x into 4-channel blocks of the zero-padded
 * image, [Ci/4][n][H+2p][W+2p][4] at xs, dy into 8-channel blocks, [Co/8][n][H][W][8] at ds — so a
 * 4×8 tile of dW (eight f32x4 accumulators) streams two contiguous arrays: per pixel one load of
 * four x values, two of eight dy values, and 32 multiply-adds. Bands of rows (~256 pixels) are the
 * outer loop, so one band's data stays in cache while every tile passes over it; the tiles'
 * partial sums wait at ds + |ds| in [k][k][Ci/4][Co/8][4][8] between bands. The summation order is
 * fixed, so the result is the same on every run.
 */

export function weightGrad(xPtr: usize, dPtr: usize, oPtr: usize, xs: usize, ds: usize, n: i32, H: i32, W: i32, Ci: i32, Co: i32, k: i32): void {
  const p = (k - 1) >> 1;
  const Hp = H + 2 * p;
  const Wp = W + 2 * p;
  const C4 = (Ci + 3) >> 2;
  const O8 = (Co + 7) >> 3;
  const xsBlock = <usize>n * Hp * Wp * 16; // bytes of one 4-channel block of x
  memory.fill(xs, 0, xsBlock * C4);
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        const src = xPtr + ((<usize>(b * H + h) * W + w) * Ci << 2);
        const dst = xs + ((<usize>(b * Hp + h + p) * Wp + w + p) << 4);
        if ((Ci & 3) == 0) {
          for (let c = 0; c < Ci; c += 4) v128.store(dst + <usize>(c >> 2) * xsBlock, v128.load(src + (c << 2)));
        } else {
          for (let c = 0; c < Ci; c++) store<f32>(dst + <usize>(c >> 2) * xsBlock + ((c & 3) << 2), load<f32>(src + (c << 2)));
        }
      }
    }
  }
  const dsBlock = <usize>n * H * W * 32; // bytes of one 8-channel block of dy
  memory.fill(ds, 0, dsBlock * O8);
  const px = n * H * W;
  for (let i = 0; i < px; i++) {
    const src = dPtr + (<usize>i * Co << 2);
    const dst = ds + (<usize>i << 5);
    if ((Co & 7) == 0) {
      for (let c = 0; c < Co; c += 8) {
        v128.store(dst + <usize>(c >> 3) * dsBlock, v128.load(src + (c << 2)));
        v128.store(dst + <usize>(c >> 3) * dsBlock, v128.load(src + (c << 2), 16), 16);
      }
    } else {
      for (let c = 0; c < Co; c++) store<f32>(dst + <usize>(c >> 3) * dsBlock + ((c & 7) << 2), load<f32>(src + (c << 2)));
    }
  }
  const acc = ds + dsBlock * O8;
  memory.fill(acc, 0, <usize>(k * k * C4 * O8) * 128);
  let R = 256 / W;
  if (R < 1) R = 1;
  if (R > H) R = H;
  for (let b = 0; b < n; b++) {
    for (let h0 = 0; h0 < H; h0 += R) {
      const h1 = min(H, h0 + R);
      for (let kh = 0; kh < k; kh++) {
        for (let kw = 0; kw < k; kw++) {
          for (let cb = 0; cb < C4; cb++) {
            const xb = xs + <usize>cb * xsBlock;
            for (let ob = 0; ob < O8; ob++) {
              const db = ds + <usize>ob * dsBlock;
              const ap = acc + (<usize>(((kh * k + kw) * C4 + cb) * O8 + ob) << 7);
              let a00 = v128.load(ap);
              let a01 = v128.load(ap, 16);
              let a10 = v128.load(ap, 32);
              let a11 = v128.load(ap, 48);
              let a20 = v128.load(ap, 64);
              let a21 = v128.load(ap, 80);
              let a30 = v128.load(ap, 96);
              let a31 = v128.load(ap, 112);
              for (let h = h0; h < h1; h++) {
                let xp = xb + ((<usize>(b * Hp + h + kh) * Wp + kw) << 4);
                let dp = db + ((<usize>(b * H + h) * W) << 5);
                const dEnd = dp + (<usize>W << 5);
                while (dp < dEnd) {
                  const xv = v128.load(xp);
                  const d0 = v128.load(dp);
                  const d1 = v128.load(dp, 16);
                  const x0 = v128.shuffle<f32>(xv, xv, 0, 0, 0, 0);
                  const x1 = v128.shuffle<f32>(xv, xv, 1, 1, 1, 1);
                  const x2 = v128.shuffle<f32>(xv, xv, 2, 2, 2, 2);
                  const x3 = v128.shuffle<f32>(xv, xv, 3, 3, 3, 3);
                  a00 = f32x4.add(a00, f32x4.mul(x0, d0));
                  a01 = f32x4.add(a01, f32x4.mul(x0, d1));
                  a10 = f32x4.add(a10, f32x4.mul(x1, d0));
                  a11 = f32x4.add(a11, f32x4.mul(x1, d1));
                  a20 = f32x4.add(a20, f32x4.mul(x2, d0));
                  a21 = f32x4.add(a21, f32x4.mul(x2, d1));
                  a30 = f32x4.add(a30, f32x4.mul(x3, d0));
                  a31 = f32x4.add(a31, f32x4.mul(x3, d1));
                  xp += 16;
                  dp += 32;
                }
              }
              v128.store(ap, a00);
              v128.store(ap, a01, 16);
              v128.store(ap, a10, 32);
              v128.store(ap, a11, 48);
              v128.store(ap, a20, 64);
              v128.store(ap, a21, 80);
              v128.store(ap, a30, 96);
              v128.store(ap, a31, 112);
            }
          }
        }
      }
    }
  }
  for (let kh = 0; kh < k; kh++) {
    for (let kw = 0; kw < k; kw++) {
      for (let c = 0; c < Ci; c++) {
        for (let o = 0; o < Co; o++) {
          const ap = acc + (<usize>(((kh * k + kw) * C4 + (c >> 2)) * O8 + (o >> 3)) << 7) + (((c & 3) * 8 + (o & 7)) << 2);
          store<f32>(oPtr + ((<usize>((kh * k + kw) * Ci + c) * Co + o) << 2), load<f32>(ap));
        }
      }
    }
  }
}

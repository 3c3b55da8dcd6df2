/**
 * GroupNorm (+ optional SiLU) forward and backward by the SIMD kernel of `wasm/group-norm.as.ts`
 * (AssemblyScript, built by `npm run build`): one call per layer instead of the ~10 full-size
 * passes (pools, squares, scale, shift, sigmoid, multiply) of the tfjs op chain, and the same bits
 * on every machine. Arrays are NHWC with the spatial axes flattened: [n][HW][C], C a multiple of 4.
 */
import { DdpmError } from '../bitstream/errors.js';
import { wasmKernel, timedKernel, placeOperands, kernelPut, kernelView } from './wasm-kernel.js';

interface KernelExports {
  forward: (x: number, y: number, g: number, b: number, s: number, work: number, n: number, HW: number, C: number, G: number, eps: number, silu: number) => void;
  backward: (x: number, dy: number, dx: number, g: number, b: number, s: number, dg: number, db: number, work: number, n: number, HW: number, C: number, G: number, silu: number) => void;
}

export interface GroupNormShape {
  n: number;
  /** pixels per item (H·W) */
  hw: number;
  c: number;
  groups: number;
}

/** whether the kernel handles this many channels and groups */
export function groupNormKernelFits(c: number, groups: number): boolean {
  return c % 4 === 0 && groups >= 1 && c % groups === 0;
}

function check(s: GroupNormShape, arrays: Array<[Float32Array, number]>): void {
  const ok = groupNormKernelFits(s.c, s.groups) && arrays.every(([a, len]) => a.length === len);
  if (!ok) throw new DdpmError('BAD_ARGUMENT', 'groupNorm kernel: shapes do not match');
}

/**
 * y = GroupNorm(x)·γ + β, then SiLU when `silu`; `stats` = per-(item, group) mean then rstd, for
 * the backward pass. The results are views of the kernel's memory, valid until its next call.
 */
export function groupNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, s: GroupNormShape, eps: number, silu: boolean): { y: Float32Array; stats: Float32Array } {
  const size = s.n * s.hw * s.c;
  check(s, [[x, size], [gamma, s.c], [beta, s.c]]);
  return timedKernel('group-norm', () => {
    const m = wasmKernel<KernelExports>('group-norm');
    const [xP, yP, gP, bP, sP, wP] = placeOperands(m.memory, [size, size, s.c, s.c, 2 * s.n * s.groups, 12 * s.c], 'groupNorm');
    kernelPut(m.memory, xP, x);
    kernelPut(m.memory, gP, gamma);
    kernelPut(m.memory, bP, beta);
    m.forward(xP, yP, gP, bP, sP, wP, s.n, s.hw, s.c, s.groups, eps, silu ? 1 : 0);
    return { y: kernelView(m.memory, yP, size), stats: kernelView(m.memory, sP, 2 * s.n * s.groups) };
  });
}

/**
 * Gradients of groupNormForward with respect to x, γ and β given dy and the forward's stats
 * (views of the kernel's memory, valid until its next call).
 */
export function groupNormBackward(
  x: Float32Array,
  dy: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  stats: Float32Array,
  s: GroupNormShape,
  silu: boolean,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const size = s.n * s.hw * s.c;
  check(s, [[x, size], [dy, size], [gamma, s.c], [beta, s.c], [stats, 2 * s.n * s.groups]]);
  return timedKernel('group-norm', () => {
    const m = wasmKernel<KernelExports>('group-norm');
    const [xP, dP, oP, gP, bP, sP, dgP, dbP, wP] = placeOperands(m.memory, [size, size, size, s.c, s.c, 2 * s.n * s.groups, s.c, s.c, 12 * s.c], 'groupNorm gradient');
    kernelPut(m.memory, xP, x);
    kernelPut(m.memory, dP, dy);
    kernelPut(m.memory, gP, gamma);
    kernelPut(m.memory, bP, beta);
    kernelPut(m.memory, sP, stats);
    m.backward(xP, dP, oP, gP, bP, sP, dgP, dbP, wP, s.n, s.hw, s.c, s.groups, silu ? 1 : 0);
    return { dx: kernelView(m.memory, oP, size), dgamma: kernelView(m.memory, dgP, s.c), dbeta: kernelView(m.memory, dbP, s.c) };
  });
}

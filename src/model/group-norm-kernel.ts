/**
 * GroupNorm (+ optional SiLU) forward and backward by the SIMD kernel of `wasm/group-norm.as.ts`
 * (AssemblyScript, built by `npm run build`): one call per layer instead of the ~10 full-size
 * passes (pools, squares, scale, shift, sigmoid, multiply) of the tfjs op chain, and the same bits
 * on every machine. Arrays are NHWC with the spatial axes flattened: [n][HW][C], C a multiple of 4.
 */
import { DdpmError } from '../bitstream/errors.js';
import { wasmKernel, reserveKernelMemory, timedKernel, align16, KERNEL_BASE } from './wasm-kernel.js';

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

/** Lays out arrays one after another above the kernel's base; returns their byte offsets. */
function place(m: KernelExports & { memory: WebAssembly.Memory }, sizes: number[], what: string): number[] {
  const offsets: number[] = [];
  let at = KERNEL_BASE;
  for (const s of sizes) {
    offsets.push(at);
    at += align16(4 * s);
  }
  reserveKernelMemory(m.memory, at, what);
  return offsets;
}

function put(m: { memory: WebAssembly.Memory }, at: number, a: Float32Array): void {
  new Float32Array(m.memory.buffer, at, a.length).set(a);
}

/** views of the kernel's memory: read them before the next kernel call */
function view(m: { memory: WebAssembly.Memory }, at: number, length: number): Float32Array {
  return new Float32Array(m.memory.buffer, at, length);
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
    const [xP, yP, gP, bP, sP, wP] = place(m, [size, size, s.c, s.c, 2 * s.n * s.groups, 12 * s.c], 'groupNorm');
    put(m, xP, x);
    put(m, gP, gamma);
    put(m, bP, beta);
    m.forward(xP, yP, gP, bP, sP, wP, s.n, s.hw, s.c, s.groups, eps, silu ? 1 : 0);
    return { y: view(m, yP, size), stats: view(m, sP, 2 * s.n * s.groups) };
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
    const [xP, dP, oP, gP, bP, sP, dgP, dbP, wP] = place(m, [size, size, size, s.c, s.c, 2 * s.n * s.groups, s.c, s.c, 12 * s.c], 'groupNorm gradient');
    put(m, xP, x);
    put(m, dP, dy);
    put(m, gP, gamma);
    put(m, bP, beta);
    put(m, sP, stats);
    m.backward(xP, dP, oP, gP, bP, sP, dgP, dbP, wP, s.n, s.hw, s.c, s.groups, silu ? 1 : 0);
    return { dx: view(m, oP, size), dgamma: view(m, dgP, s.c), dbeta: view(m, dbP, s.c) };
  });
}

/**
 * Loading the project's own WebAssembly kernels (AssemblyScript sources in `wasm/`, compiled by
 * `npm run build:wasm` next to this file's output). Each thread that calls a kernel instantiates
 * its own copy; a kernel's memory grows to the largest call and stays. Operands are copied in
 * above BASE (the kernel's own static data lies below) and results are read out of the memory.
 */
import { readFileSync } from 'node:fs';
import { DdpmError } from '../bitstream/errors.js';

/** where the operands start in a kernel's memory */
export const KERNEL_BASE = 65536;
/** wasm32 addresses: keep a call's working set below 2 GiB */
const MAX_BYTES = 2 ** 31;

const instances = new Map<string, WebAssembly.Exports>();

/**
 * The instance of a kernel on this thread (compiled on first use): `wasm/<name>.wasm` beside this
 * module, or the file at `url`; `imports` are the functions it calls back (module "env").
 */
export function wasmKernel<T>(name: string, url?: URL, imports: Record<string, (...a: number[]) => number> = {}): T & { memory: WebAssembly.Memory } {
  let k = instances.get(name);
  if (!k) {
    const bytes = readFileSync(url ?? new URL(`./wasm/${name}.wasm`, import.meta.url));
    const abort = () => {
      throw new DdpmError('INTERNAL', `wasm kernel ${name} aborted`);
    };
    k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort, ...imports } }).exports;
    instances.set(name, k);
  }
  return k as unknown as T & { memory: WebAssembly.Memory };
}

/** Grows `memory` to at least `need` bytes, refusing working sets a 32-bit address cannot reach. */
export function reserveKernelMemory(memory: WebAssembly.Memory, need: number, what: string): void {
  if (need > MAX_BYTES) throw new DdpmError('BAD_ARGUMENT', `${what}: ${need} bytes of working memory, over the kernel's 2 GiB`);
  const have = memory.buffer.byteLength;
  if (have < need) memory.grow(Math.ceil((need - have) / 65536));
}

/** wall time per kernel module, copies included (bench/network-profile.ts reads and resets it) */
export const kernelTime = new Map<string, { calls: number; ms: number }>();

/** Runs `f` and adds its wall time to kernelTime[name]. */
export function timedKernel<T>(name: string, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  const e = kernelTime.get(name) ?? { calls: 0, ms: 0 };
  e.calls++;
  e.ms += performance.now() - t0;
  kernelTime.set(name, e);
  return out;
}

/** `bytes` rounded up to a multiple of 16 (one v128) */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * Lays out f32 arrays of the given lengths one after another above KERNEL_BASE (each 16-byte
 * aligned), grows the memory to hold them and returns their byte offsets.
 */
export function placeOperands(memory: WebAssembly.Memory, lengths: number[], what: string): number[] {
  const offsets: number[] = [];
  let at = KERNEL_BASE;
  for (const n of lengths) {
    offsets.push(at);
    at += align16(4 * n);
  }
  reserveKernelMemory(memory, at, what);
  return offsets;
}

/** Copies `a` into a kernel's memory at byte offset `at`. */
export function kernelPut(memory: WebAssembly.Memory, at: number, a: Float32Array): void {
  new Float32Array(memory.buffer, at, a.length).set(a);
}

/** A view of `length` floats of a kernel's memory at `at`: read it before the kernel's next call. */
export function kernelView(memory: WebAssembly.Memory, at: number, length: number): Float32Array {
  return new Float32Array(memory.buffer, at, length);
}

/**
 * Channel concatenation [rows][ca] ⊕ [rows][cb] → [rows][ca + cb] and its inverse by the wasm
 * kernel of `wasm/channel-concat.as.ts` (built by `npm run build`). Results are views of the
 * kernel's memory, valid until its next call.
 */
import { DdpmError } from '../bitstream/errors.js';
import { wasmKernel, reserveKernelMemory, timedKernel, align16, KERNEL_BASE } from './wasm-kernel.js';

interface KernelExports {
  concat: (a: number, b: number, out: number, rows: number, ca: number, cb: number) => void;
  split: (d: number, a: number, b: number, rows: number, ca: number, cb: number) => void;
}

function layout(rows: number, ca: number, cb: number, what: string): { m: KernelExports & { memory: WebAssembly.Memory }; aP: number; bP: number; cP: number } {
  const m = wasmKernel<KernelExports>('channel-concat');
  const aP = KERNEL_BASE;
  const bP = aP + align16(4 * rows * ca);
  const cP = bP + align16(4 * rows * cb);
  reserveKernelMemory(m.memory, cP + 4 * rows * (ca + cb), what);
  return { m, aP, bP, cP };
}

export function concatRows(a: Float32Array, b: Float32Array, rows: number, ca: number, cb: number): Float32Array {
  if (a.length !== rows * ca || b.length !== rows * cb) throw new DdpmError('BAD_ARGUMENT', 'concatRows: shapes do not match');
  return timedKernel('channel-concat', () => {
    const { m, aP, bP, cP } = layout(rows, ca, cb, 'channel concat');
    new Float32Array(m.memory.buffer, aP, a.length).set(a);
    new Float32Array(m.memory.buffer, bP, b.length).set(b);
    m.concat(aP, bP, cP, rows, ca, cb);
    return new Float32Array(m.memory.buffer, cP, rows * (ca + cb));
  });
}

export function splitRows(d: Float32Array, rows: number, ca: number, cb: number): { a: Float32Array; b: Float32Array } {
  if (d.length !== rows * (ca + cb)) throw new DdpmError('BAD_ARGUMENT', 'splitRows: shapes do not match');
  return timedKernel('channel-concat', () => {
    const { m, aP, bP, cP } = layout(rows, ca, cb, 'channel split');
    new Float32Array(m.memory.buffer, cP, d.length).set(d);
    m.split(cP, aP, bP, rows, ca, cb);
    return { a: new Float32Array(m.memory.buffer, aP, rows * ca), b: new Float32Array(m.memory.buffer, bP, rows * cb) };
  });
}

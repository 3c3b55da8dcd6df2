/**
 * Channel concatenation [rows][ca] ⊕ [rows][cb] → [rows][ca + cb] and its inverse by the wasm
 * kernel of `wasm/channel-concat.as.ts` (built by `npm run build`). Results are views of the
 * kernel's memory, valid until its next call.
 */
import { DdpmError } from '../bitstream/errors.js';
import { wasmKernel, timedKernel, placeOperands, kernelPut, kernelView } from './wasm-kernel.js';

interface KernelExports {
  concat: (a: number, b: number, out: number, rows: number, ca: number, cb: number) => void;
  split: (d: number, a: number, b: number, rows: number, ca: number, cb: number) => void;
}

function layout(rows: number, ca: number, cb: number, what: string): { m: KernelExports & { memory: WebAssembly.Memory }; aP: number; bP: number; cP: number } {
  const m = wasmKernel<KernelExports>('channel-concat');
  const [aP, bP, cP] = placeOperands(m.memory, [rows * ca, rows * cb, rows * (ca + cb)], what);
  return { m, aP, bP, cP };
}

export function concatRows(a: Float32Array, b: Float32Array, rows: number, ca: number, cb: number): Float32Array {
  if (a.length !== rows * ca || b.length !== rows * cb) throw new DdpmError('BAD_ARGUMENT', 'concatRows: shapes do not match');
  return timedKernel('channel-concat', () => {
    const { m, aP, bP, cP } = layout(rows, ca, cb, 'channel concat');
    kernelPut(m.memory, aP, a);
    kernelPut(m.memory, bP, b);
    m.concat(aP, bP, cP, rows, ca, cb);
    return kernelView(m.memory, cP, rows * (ca + cb));
  });
}

export function splitRows(d: Float32Array, rows: number, ca: number, cb: number): { a: Float32Array; b: Float32Array } {
  if (d.length !== rows * (ca + cb)) throw new DdpmError('BAD_ARGUMENT', 'splitRows: shapes do not match');
  return timedKernel('channel-concat', () => {
    const { m, aP, bP, cP } = layout(rows, ca, cb, 'channel split');
    kernelPut(m.memory, cP, d);
    m.split(cP, aP, bP, rows, ca, cb);
    return { a: kernelView(m.memory, aP, rows * ca), b: kernelView(m.memory, bP, rows * cb) };
  });
}

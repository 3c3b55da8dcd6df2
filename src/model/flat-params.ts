/** Parameters as one flat float32 buffer in spec order (for optimisers, EMA and worker transfer). */
import { type UNetConfig, paramSpecs } from './unet.js';
import { tf } from './backend.js';
import type { Params } from './unet.js';

export interface Layout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  total: number;
}

export function layoutOf(c: UNetConfig): Layout {
  const names: string[] = [];
  const shapes: number[][] = [];
  const offsets: number[] = [];
  let total = 0;
  for (const s of paramSpecs(c)) {
    names.push(s.name);
    shapes.push(s.shape);
    offsets.push(total);
    total += s.shape.reduce((a, b) => a * b, 1);
  }
  return { names, shapes, offsets, total };
}

export function flatten(l: Layout, weights: Map<string, Float32Array>): Float32Array {
  const out = new Float32Array(l.total);
  l.names.forEach((n, i) => out.set(weights.get(n) as Float32Array, l.offsets[i]));
  return out;
}

export function unflatten(l: Layout, flat: Float32Array): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  l.names.forEach((n, i) => {
    const size = l.shapes[i].reduce((a, b) => a * b, 1);
    m.set(n, flat.slice(l.offsets[i], l.offsets[i] + size));
  });
  return m;
}

/** Tensors for every parameter (caller disposes). */
export function toTensors(l: Layout, flat: Float32Array): Params {
  const p: Params = new Map();
  l.names.forEach((n, i) => {
    const size = l.shapes[i].reduce((a, b) => a * b, 1);
    p.set(n, tf.tensor(flat.subarray(l.offsets[i], l.offsets[i] + size), l.shapes[i]));
  });
  return p;
}

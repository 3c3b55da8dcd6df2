/**
 * Float32 arrays to and from the raw bytes stored in msgpack files. Reading copies into a fresh,
 * aligned ArrayBuffer: a Node Buffer from msgpackr is a view into a larger buffer (at any offset),
 * and even Buffer#slice / TypedArray#slice on it can return a pooled view, so `.buffer` must never
 * be reinterpreted directly.
 */
export function float32FromBytes(b: Uint8Array): Float32Array {
  if (b.length % 4) throw new RangeError('float32 data length is not a multiple of 4');
  const copy = new Uint8Array(new ArrayBuffer(b.length));
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export function bytesOfFloat32(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

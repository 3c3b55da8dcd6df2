import test from 'ava';
import { writeContainer, readContainer, truncateContainer, writeHeader, type ContainerHeader } from '../src/bitstream/container.js';
import { DdpmError } from '../src/bitstream/errors.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { createHash } from 'node:crypto';

const header: ContainerHeader = {
  model: { id: 'test-model', sha256: 'ab'.repeat(32) },
  image: { width: 64, height: 48, channels: 3 },
  codec: { schedule: [1000, 500, 1], channel: 'uq', seed: [1, 2] },
};
const chunks = [0, 1, 2, 3].map((i) => ({ kind: 1, index: i, state: 0xbeef ^ i, payload: new Uint8Array(10 + i * 7).fill(i + 1) }));

test('round-trip, every chunk-boundary prefix is a valid file', (t) => {
  const bytes = writeContainer(header, chunks);
  const p = readContainer(bytes);
  // the file records the first 8 bytes of the weights hash
  t.deepEqual(p.header, { ...header, model: { ...header.model, sha256: 'ab'.repeat(8) } });
  t.is(p.chunks.length, 4);
  t.deepEqual(Array.from(p.chunks[2].payload), Array.from(chunks[2].payload));
  t.is(p.chunks[3].state, 0xbeef ^ 3);
  t.is(p.chunks[3].index, 3);
  for (let k = 0; k < p.offsets.length; k++) {
    const q = readContainer(bytes.subarray(0, p.offsets[k]));
    t.is(q.chunks.length, k);
    t.deepEqual(Array.from(truncateContainer(bytes, p.offsets[k])), Array.from(bytes.subarray(0, p.offsets[k])));
  }
  // a cut inside a chunk is an error unless explicitly allowed
  const cut = bytes.subarray(0, p.offsets[2] + 5);
  t.throws(() => readContainer(cut), { instanceOf: DdpmError, message: /truncated/ });
  t.is(readContainer(cut, { allowPartialTail: true }).chunks.length, 2);
  t.is(truncateContainer(bytes, p.offsets[3] - 1).length, p.offsets[2]);
});

test('a cut inside a chunk: its kind, state and the payload bytes present, once its frame and state are', (t) => {
  const bytes = writeContainer(header, chunks);
  const p = readContainer(bytes);
  const c = chunks[2];
  for (let at = p.offsets[2]; at < p.offsets[3]; at++) {
    const q = readContainer(bytes.subarray(0, at), { allowPartialTail: true });
    t.is(q.chunks.length, 2);
    t.is(q.partialTail, at - p.offsets[2]);
    // frame varint (1 byte here) and state (2 bytes) first
    if (at - p.offsets[2] < 3) {
      t.is(q.cut, null);
      continue;
    }
    const cutChunk = q.cut!;
    t.is(cutChunk.kind, c.kind);
    t.is(cutChunk.index, 2);
    t.is(cutChunk.state, c.state);
    t.is(cutChunk.length, c.payload.length);
    t.deepEqual(Array.from(cutChunk.payload), Array.from(c.payload.subarray(0, Math.min(c.payload.length, at - p.offsets[2] - 3))));
  }
  t.is(p.cut, null);
});

test('chunk lengths at varint boundaries round-trip; framing is 5-7 bytes; overlong lengths are corruption', (t) => {
  for (const n of [0, 1, 31, 32, 4095, 4096, 70000]) {
    for (const kind of [0, 3]) {
      const c = { kind, index: 0, state: 0xffff, payload: new Uint8Array(n).fill(7) };
      const bytes = writeContainer(header, [c]);
      const p = readContainer(bytes);
      t.is(p.chunks[0].payload.length, n);
      t.is(p.chunks[0].kind, kind);
      t.is(p.chunks[0].state, 0xffff);
      t.is(bytes.length - p.offsets[0] - n, n < 32 ? 5 : n < 4096 ? 6 : 7);
    }
  }
  const bytes = writeContainer(header, [{ kind: 1, index: 0, state: 1, payload: new Uint8Array(5) }]);
  const start = readContainer(bytes).offsets[0];
  // re-encode the frame 4·5 + 1 = 21 as the overlong varint 95 00
  t.is(bytes[start], 21);
  const over = new Uint8Array([...bytes.subarray(0, start), 0x95, 0x00, ...bytes.subarray(start + 1)]);
  t.throws(() => readContainer(over), { instanceOf: DdpmError, message: /overlong/ });
  t.throws(() => writeContainer(header, [{ kind: 1, index: 0, state: 65536, payload: new Uint8Array(1) }]), { instanceOf: DdpmError });
  t.throws(() => writeContainer(header, [{ kind: 4, index: 0, state: 1, payload: new Uint8Array(1) }]), { instanceOf: DdpmError, message: /kind/ });
});

test('golden bytes of a container', (t) => {
  const bytes = writeContainer(header, chunks);
  t.snapshot({ length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
});

test('foreign, corrupt and absurd inputs give typed errors', (t) => {
  const bytes = writeContainer(header, chunks);
  t.throws(() => readContainer(new TextEncoder().encode('GIF89a......')), { instanceOf: DdpmError, message: /not a \.ddpm/ });
  const v = bytes.slice();
  v[9] = 9;
  t.throws(() => readContainer(v), { message: /version/ });
  const c = bytes.slice();
  c[c.length - 10] ^= 0x40;
  t.throws(() => readContainer(c), { message: /checksum/ });
  t.throws(() => writeHeader({ ...header, image: { width: 100000, height: 100000, channels: 3 } }), { message: /exceeds the limit/ });
  t.throws(() => writeHeader({ ...header, image: { width: 10, height: 10, channels: 4 as 3 } }), { message: /channel/ });
});

test('fuzz: thousands of mutations and truncations never crash, hang or throw untyped', (t) => {
  const bytes = writeContainer(header, chunks);
  const u = new Float64Array(4);
  const s = new PhiloxStream([77, 1], [0, 0, 0]);
  let typed = 0;
  let ok = 0;
  for (let i = 0; i < 5000; i++) {
    s.uniforms(u, i * 2);
    let m = bytes.slice(0, 1 + Math.floor(u[0] * bytes.length));
    const flips = 1 + Math.floor(u[1] * 4);
    for (let f = 0; f < flips; f++) {
      s.uniforms(u, 100000 + i * 8 + f * 2);
      if (m.length) m[Math.floor(u[0] * m.length)] = Math.floor(u[1] * 256);
    }
    if (u[2] < 0.1) m = new Uint8Array([...bytes.subarray(0, 12), ...m.subarray(12, 40)]); // mangled header length
    try {
      readContainer(m, { allowPartialTail: u[3] < 0.5 });
      ok++;
    } catch (e) {
      if (!(e instanceof DdpmError)) t.fail(`untyped error: ${(e as Error).message}`);
      typed++;
    }
  }
  t.true(typed > 1000);
  t.log(`${ok} parsed, ${typed} rejected with typed errors`);
});

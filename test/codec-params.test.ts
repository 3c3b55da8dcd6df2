import test from 'ava';
import { pack } from 'msgpackr';
import { packCodecParams, readCodecParams, CODEC_VERSION, DEFAULT_SEED, type CodecParams } from '../src/codec/codec-params.js';
import { DEFAULT_TILE_SIZE } from '../src/codec/tile-grid.js';

test('codec parameters: the default seed and tile size are recorded as nil, others as given; a spelled-out default is refused', (t) => {
  const base: CodecParams = { version: CODEC_VERSION, channel: 'auto', seed: [...DEFAULT_SEED] as [number, number], snapBits: 16, factor: 8, tileSize: DEFAULT_TILE_SIZE, tiles: [{ steps: [1000, 500, 1] }] };
  const image = { width: 64, height: 48 };
  const packed = packCodecParams(base);
  t.is(packed[2], null);
  t.is(packed[5], null);
  t.deepEqual(readCodecParams(packed, image), base);
  t.is(pack(packed).length + 8, pack([...packed.slice(0, 2), base.seed, ...packed.slice(3, 5), base.tileSize, packed[6]]).length);
  const other: CodecParams = { ...base, seed: [7, 9], tileSize: 64 };
  const packedOther = packCodecParams(other);
  t.deepEqual(packedOther[2], [7, 9]);
  t.is(packedOther[5], 64);
  t.deepEqual(readCodecParams(packedOther, image), other);
  for (const [at, v] of [[2, [...DEFAULT_SEED]], [5, DEFAULT_TILE_SIZE]] as const) {
    const spelled = [...packed];
    spelled[at] = v;
    t.throws(() => readCodecParams(spelled, image), { message: /malformed/ });
  }
});

/**
 * Tile-parallel encoding and decoding: the tiles of a large image are independent streams, so
 * worker threads code disjoint sets of tiles (round-robin by tile number) while the calling thread
 * codes its own share, and the file — or the decoded image — is the same bytes as one thread's.
 * Each worker loads the model from its file (one copy of the weights per thread) on the wasm
 * backend; within a tile-parallel run the REC search stays on its tile's thread.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { DdpmError, type DdpmErrorCode } from '../bitstream/errors.js';
import type { ParsedContainer } from '../bitstream/container.js';
import type { Denoiser } from './denoiser.js';
import type { RawImage } from './image-io.js';
import type { ReconOptions } from './reconstruct.js';
import { planEncode, encodePlannedTile, assembleEncode, type EncodeOptions, type EncodeResult, type EncodedTile } from './encoder.js';
import { ProgressiveDecoder, chunksByTile, cutOfTile, decodeOneTile } from './decoder.js';
import { pasteTile } from './tile-grid.js';
import { configureRecParallelism } from './rec-parallel.js';
import { workerOptions } from '../model/worker-options.js';

/** the default thread count: the machine's cores, at most 8 */
export function defaultThreads(): number {
  return Math.min(8, availableParallelism());
}

/** What a tile worker is asked to do. */
export type TileTask =
  | { kind: 'encode'; modelPath: string; sha256: string; image: RawImage; options: Omit<EncodeOptions, 'onProgress'>; tiles: number[] }
  | { kind: 'decode'; modelPath: string; sha256: string; bytes: Uint8Array; chunks: number; recon: ReconOptions; tiles: number[] };

/** What a tile worker reports, one message per tile and a last one. */
export type TileMessage =
  | { kind: 'progress'; tile: number; done: number; total: number }
  | { kind: 'encoded'; tile: number; encoded: EncodedTile; evals: number }
  | { kind: 'decoded'; tile: number; image: RawImage }
  | { kind: 'error'; code: DdpmErrorCode | null; message: string }
  | { kind: 'done' };

/** tiles of thread `t` of `threads` (thread 0 is the caller) */
function share(tiles: number, t: number, threads: number): number[] {
  const out: number[] = [];
  for (let j = t; j < tiles; j += threads) out.push(j);
  return out;
}

/**
 * Starts `threads − 1` workers on their shares of the tiles, runs `local` on the caller's share,
 * then waits for the workers; `onMessage` sees every worker message. A worker's error (or a
 * worker that exits without finishing) rejects with that error, after all workers have stopped.
 */
async function runShared(task: (tiles: number[]) => TileTask, tiles: number, threads: number, local: (mine: number[]) => void, onMessage: (m: TileMessage) => void): Promise<void> {
  const workers: Worker[] = [];
  const finished: Array<Promise<void>> = [];
  let failure: Error | null = null;
  for (let t = 1; t < threads; t++) {
    const w = new Worker(new URL('./tile-worker.js', import.meta.url), workerOptions());
    workers.push(w);
    finished.push(
      new Promise<void>((resolve) => {
        let done = false;
        w.on('message', (m: TileMessage) => {
          if (m.kind === 'done') {
            done = true;
            resolve();
          } else if (m.kind === 'error') {
            failure ??= m.code ? new DdpmError(m.code, m.message) : new DdpmError('INTERNAL', `tile worker: ${m.message}`);
            done = true;
            resolve();
          } else onMessage(m);
        });
        w.on('error', (e: Error) => {
          failure ??= new DdpmError('INTERNAL', `tile worker failed: ${e.message}`);
          resolve();
        });
        w.on('exit', () => {
          if (!done) failure ??= new DdpmError('INTERNAL', 'a tile worker exited before finishing');
          resolve();
        });
      }),
    );
    w.postMessage(task(share(tiles, t, threads)));
  }
  try {
    local(share(tiles, 0, threads));
  } catch (e) {
    failure ??= e as Error;
    for (const w of workers) void w.terminate();
  }
  await Promise.all(finished);
  await Promise.all(workers.map((w) => w.terminate()));
  if (failure) throw failure;
}

/**
 * encodeImage on `threads` threads (tiles in parallel); the same bytes as one thread's. `den` is
 * the model loaded from `modelPath`.
 */
export async function encodeTilesInParallel(img: RawImage, den: Denoiser, modelPath: string, o: EncodeOptions, threads: number): Promise<EncodeResult> {
  const plan = planEncode(img, den, o);
  const n = plan.rects.length;
  const used = Math.max(1, Math.min(threads, n));
  const perTile: Array<EncodedTile | undefined> = new Array(n);
  const progress = new Float64Array(n);
  let total = 0;
  const report = (j: number, done: number, of: number) => {
    progress[j] = done;
    total = of;
    o.onProgress?.(progress.reduce((a, b) => a + b, 0), n * total);
  };
  let evals = 0;
  const options: Omit<EncodeOptions, 'onProgress'> = { ...o };
  delete (options as EncodeOptions).onProgress;
  const rec = configureRecParallelism({});
  if (used > 1) configureRecParallelism({ threads: 1 });
  try {
    await runShared(
      (tiles) => ({ kind: 'encode', modelPath, sha256: den.model.sha256, image: img, options, tiles }),
      n,
      used,
      (mine) => {
        for (const j of mine) {
          const e0 = den.evals;
          perTile[j] = encodePlannedTile(img, den, plan, j, o, (done, of) => report(j, done, of));
          evals += den.evals - e0;
        }
      },
      (m) => {
        if (m.kind === 'progress') report(m.tile, m.done, m.total);
        else if (m.kind === 'encoded') {
          perTile[m.tile] = m.encoded;
          evals += m.evals;
        }
      },
    );
  } finally {
    configureRecParallelism({ threads: rec.threads });
  }
  if (perTile.some((t) => !t)) throw new DdpmError('INTERNAL', 'a tile was not encoded');
  return assembleEncode(img, den, plan, perTile as EncodedTile[], o, evals);
}

/**
 * decodeTileByTile on `threads` threads (tiles in parallel); the same pixels as one thread's.
 * `bytes`: the file as `parsed` read it (the workers parse it again, a cut chunk included).
 */
export async function decodeTilesInParallel(parsed: ParsedContainer, bytes: Uint8Array, den: Denoiser, modelPath: string, n: number, recon: ReconOptions, threads: number, onProgress?: (done: number, total: number) => void): Promise<RawImage> {
  const file = new ProgressiveDecoder(parsed, den);
  const byTile = chunksByTile(file, parsed, n);
  const cut = cutOfTile(file, parsed, n);
  const used = Math.max(1, Math.min(threads, file.rects.length));
  const { width, height, channels } = file.geometry;
  const out: RawImage = { width, height, channels, data: new Uint8Array(width * height * channels) };
  let done = 0;
  await runShared(
    (tiles) => ({ kind: 'decode', modelPath, sha256: den.model.sha256, bytes, chunks: n, recon, tiles }),
    file.rects.length,
    used,
    (mine) => {
      for (const j of mine) pasteTile(out, file.rects[j], decodeOneTile(file, j, byTile[j], recon, () => onProgress?.(++done, n), cut?.tile === j ? cut.cut : null));
    },
    (m) => {
      if (m.kind === 'progress') onProgress?.((done += m.done), n);
      else if (m.kind === 'decoded') pasteTile(out, file.rects[m.tile], m.image);
    },
  );
  return out;
}

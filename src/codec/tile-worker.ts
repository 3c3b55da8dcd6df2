/** A worker thread of `tile-parallel.ts`: codes the tiles it is sent with the model it loads. */
import { parentPort } from 'node:worker_threads';
import { DdpmError } from '../bitstream/errors.js';
import { readContainer } from '../bitstream/container.js';
import { initBackend } from '../model/backend.js';
import { loadModelFile } from '../model/model-file.js';
import { Denoiser } from './denoiser.js';
import { planEncode, encodePlannedTile } from './encoder.js';
import { ProgressiveDecoder, chunksByTile, cutOfTile, decodeOneTile } from './decoder.js';
import { configureRecParallelism } from './rec-parallel.js';
import type { TileTask, TileMessage } from './tile-parallel.js';

const send = (m: TileMessage) => parentPort?.postMessage(m);

parentPort?.on('message', (task: TileTask) => {
  void (async () => {
    try {
      await initBackend('wasm');
      configureRecParallelism({ threads: 1 });
      const den = new Denoiser(loadModelFile(task.modelPath));
      // the file may have changed since the calling thread loaded it: a tile coded with other
      // weights than the header names would not decode
      if (den.model.sha256 !== task.sha256) throw new DdpmError('MODEL_MISMATCH', `${task.modelPath} changed while coding (sha256 ${den.model.sha256.slice(0, 12)}…, the calling thread loaded ${task.sha256.slice(0, 12)}…)`);
      if (task.kind === 'encode') {
        const plan = planEncode(task.image, den, task.options);
        for (const j of task.tiles) {
          const e0 = den.evals;
          const encoded = encodePlannedTile(task.image, den, plan, j, task.options, (done, total) => send({ kind: 'progress', tile: j, done, total }));
          send({ kind: 'encoded', tile: j, encoded, evals: den.evals - e0 });
        }
      } else {
        const parsed = readContainer(task.bytes, { allowPartialTail: true });
        const file = new ProgressiveDecoder(parsed, den);
        const byTile = chunksByTile(file, parsed, task.chunks);
        const cut = cutOfTile(file, parsed, task.chunks);
        for (const j of task.tiles) {
          const image = decodeOneTile(file, j, byTile[j], task.recon, () => send({ kind: 'progress', tile: j, done: 1, total: task.chunks }), cut?.tile === j ? cut.cut : null);
          send({ kind: 'decoded', tile: j, image });
        }
      }
      send({ kind: 'done' });
    } catch (e) {
      send({ kind: 'error', code: e instanceof DdpmError ? e.code : null, message: e instanceof Error ? e.message : String(e) });
    }
  })();
});

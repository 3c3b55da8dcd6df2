/** A worker thread of `rec-parallel.ts`: searches the chunk ranges it is sent. */
import { parentPort } from 'node:worker_threads';
import { searchChunks } from './rec-search.js';
import type { RecWorkerTask } from './rec-parallel.js';

parentPort?.on('message', (t: RecWorkerTask) => {
  const status = new Int32Array(t.status);
  try {
    searchChunks({ ...t.job, b: new Float64Array(t.job.b) }, t.from, t.to, new Int32Array(t.best), status);
  } catch (e) {
    Atomics.store(status, 2, 1);
    console.error('REC search worker:', e);
  }
  Atomics.add(status, 1, 1);
  Atomics.notify(status, 1);
});

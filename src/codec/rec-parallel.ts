/**
 * The REC candidate search on every core: the chunks of a step are independent, so worker threads
 * take disjoint ranges while the calling thread does its own share, and the result is identical to
 * one thread's. The caller stays synchronous (it blocks on a shared counter), so the encoder's
 * API does not change. Workers are started on first use and do not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { DdpmError } from '../bitstream/errors.js';
import { searchChunks, type RecSearch } from './rec-search.js';
import { workerOptions } from '../model/worker-options.js';

export interface RecParallelism {
  /** threads in all, the calling one included (default: the machine's cores, at most 8) */
  threads: number;
  /** steps scoring fewer candidates than this (chunks × K) run on the calling thread alone */
  minCandidates: number;
  /** give up when no chunk finishes for this long (a dead worker must not hang the encoder) */
  stallMs: number;
}

const settings: RecParallelism = { threads: Math.min(8, availableParallelism()), minCandidates: 2 ** 20, stallMs: 120_000 };
let pool: Worker[] = [];

export function configureRecParallelism(o: Partial<RecParallelism>): RecParallelism {
  Object.assign(settings, o);
  return { ...settings };
}

/** Worker messages: the job, its chunk range and the shared result and status arrays. */
export interface RecWorkerTask {
  job: Omit<RecSearch, 'b'> & { b: SharedArrayBuffer };
  from: number;
  to: number;
  best: SharedArrayBuffer;
  /** Int32 [chunks done, workers finished, failures] */
  status: SharedArrayBuffer;
}

function workers(n: number): Worker[] {
  while (pool.length < n) {
    const w = new Worker(new URL('./rec-worker.js', import.meta.url), workerOptions());
    w.unref();
    w.on('exit', () => (pool = pool.filter((x) => x !== w)));
    pool.push(w);
  }
  return pool.slice(0, n);
}

/** best[c] for every chunk of the step (see `searchChunks`). */
export function searchAllChunks(s: RecSearch): Int32Array {
  const { nChunks } = s;
  const helpers = s.K * nChunks >= settings.minCandidates ? Math.max(0, Math.min(settings.threads - 1, nChunks - 1)) : 0;
  if (helpers === 0) {
    const best = new Int32Array(nChunks);
    searchChunks(s, 0, nChunks, best);
    return best;
  }
  const ws = workers(helpers);
  const best = new SharedArrayBuffer(4 * nChunks);
  const statusBuf = new SharedArrayBuffer(12);
  const status = new Int32Array(statusBuf);
  const b = new SharedArrayBuffer(8 * s.b.length);
  new Float64Array(b).set(s.b);
  const cut = (i: number) => Math.round((i * nChunks) / (helpers + 1));
  ws.forEach((w, i) => {
    const task: RecWorkerTask = { job: { ...s, b }, from: cut(i + 1), to: cut(i + 2), best, status: statusBuf };
    w.postMessage(task);
  });
  searchChunks(s, 0, cut(1), new Int32Array(best), status);
  let seen = Atomics.load(status, 0);
  let since = Date.now();
  for (;;) {
    const finished = Atomics.load(status, 1);
    if (Atomics.load(status, 2)) throw new DdpmError('INTERNAL', 'a REC search worker failed');
    if (finished >= helpers) break;
    Atomics.wait(status, 1, finished, 1000);
    const done = Atomics.load(status, 0);
    if (done !== seen) {
      seen = done;
      since = Date.now();
    } else if (Date.now() - since > settings.stallMs) throw new DdpmError('INTERNAL', `REC search workers made no progress for ${settings.stallMs / 1000} s`);
  }
  return Int32Array.from(new Int32Array(best));
}

/** Options every worker thread of the project is started with. */
import type { WorkerOptions } from 'node:worker_threads';

/**
 * A worker inherits the parent's Node flags, but `--input-type` (set by `node --input-type=module
 * -e …`) makes a worker with a file of its own fail at startup ("--input-type can only be used with
 * string input"): the REC search then stalled until its 120-s watchdog. It is dropped; every other
 * flag (memory limits, source maps) is kept.
 */
export function workerOptions<T extends WorkerOptions>(o: T = {} as T): T & { execArgv: string[] } {
  return { ...o, execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) };
}

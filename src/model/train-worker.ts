/** Worker thread of data-parallel training: holds the photo pool, computes one shard per request. */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendName } from './backend.js';
import { PhotoPool } from './photo-pool.js';
import { layoutOf } from './flat-params.js';
import { lossAndGrads, type TSampling } from './train-step.js';
import { NoiseSchedule } from './schedule.js';
import type { ModelConfig } from './model-file.js';

interface Init {
  config: ModelConfig;
  photos: string[];
  crop: number;
  backend: BackendName;
}

export interface ShardRequest {
  step: number;
  seed: number;
  firstItem: number;
  n: number;
  params: Float32Array;
  tSampling: TSampling;
}

const init = workerData as Init;
const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');

(async () => {
  await initBackend(init.backend);
  const pool = await PhotoPool.load(init.photos, init.crop);
  const layout = layoutOf(init.config.unet);
  const sch = new NoiseSchedule(init.config.schedule);
  port.postMessage({ ready: true });
  port.on('message', (req: ShardRequest) => {
    const x0 = new Float32Array(req.n * init.crop * init.crop * init.config.unet.imageChannels);
    pool.crops(x0, req.n, init.crop, req.seed, req.step, req.firstItem);
    const { loss, grads } = lossAndGrads(init.config.unet, layout, req.params, sch, { x0, n: req.n, crop: init.crop, seed: req.seed, step: req.step, firstItem: req.firstItem, tSampling: req.tSampling });
    port.postMessage({ loss, grads }, [grads.buffer as ArrayBuffer]);
  });
})().catch((e) => {
  port.postMessage({ error: String((e as Error).stack ?? e) });
});

import { tf, initBackend } from './dist/src/model/backend.js';
await initBackend('wasm');
const w = tf.randomNormal([3, 3, 64, 64]);
for (const [b, h] of [[1, 32], [4, 32], [8, 32], [16, 32], [32, 32], [1, 64], [1, 128]]) {
  const x = tf.randomNormal([b, h, h, 64]);
  tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync());
  const t0 = performance.now(); for (let r = 0; r < 3; r++) tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync());
  const ms = (performance.now() - t0) / 3;
  console.log(`b${b} ${h}x${h}: ${ms.toFixed(1)} ms, ${(2*b*h*h*64*64*9/ms/1e6).toFixed(1)} GFLOP/s`);
  x.dispose();
}

/**
 * Backend selection. The codec's default is `@tensorflow/tfjs-backend-wasm`: it ships its binary in
 * the npm package and computes deterministic IEEE float32, so an encoder and a decoder on different
 * machines get identical network outputs. `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node`
 * are optional accelerators (training, benchmarks): used when installed, never required.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { DdpmError } from '../bitstream/errors.js';

export type BackendName = 'wasm' | 'tensorflow' | 'cpu' | 'auto';

let initialised: string | null = null;

async function tryImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Initialises TensorFlow.js. 'auto' picks tfjs-node-gpu, then tfjs-node, then wasm. The wasm build
 * is forced to its non-threaded variant (Node runs it on one thread anyway); SIMD is kept, and the
 * codec records the backend and SIMD flag in every file it writes.
 */
export async function initBackend(requested: BackendName = 'wasm'): Promise<string> {
  if (initialised && (requested === 'auto' || requested === initialised) && tf.getBackend() === initialised) return initialised;
  let name: string = requested;
  if (requested === 'auto' || requested === 'tensorflow') {
    const ok = (await tryImport('@tensorflow/tfjs-node-gpu')) || (await tryImport('@tensorflow/tfjs-node'));
    if (ok) name = 'tensorflow';
    else if (requested === 'tensorflow') throw new DdpmError('BAD_ARGUMENT', 'backend "tensorflow" requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed');
    else name = 'wasm';
  }
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  const ok = await tf.setBackend(name);
  if (!ok) throw new DdpmError('BAD_ARGUMENT', `could not initialise the TensorFlow.js backend "${name}"`);
  await tf.ready();
  initialised = name;
  return name;
}

/** A string identifying the numeric behaviour of the active backend (recorded in .ddpm files). */
export function backendFingerprint(): string {
  const b = tf.getBackend();
  if (b === 'wasm') return `wasm-${tf.version_core}-${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'simd' : 'scalar'}`;
  return `${b}-${tf.version_core}`;
}

/**
 * Runs `f` in a tidy scope and reads its tensor result out. Returning a typed array from tf.tidy
 * makes tfjs walk every element looking for tensors (measured: ~100 ms for 262k floats, more than
 * a 512x512 matmul), so the read happens outside the scope.
 */
export function readTidy(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

export { tf };

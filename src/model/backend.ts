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
  if (name === 'wasm') shareUnchangedData();
  initialised = name;
  return name;
}

let shared = false;

/**
 * The wasm backend's Identity and same-dtype Cast copy their input; autodiff runs one Identity per
 * tensor it saves for the backward pass and one Cast per gradient of those (~800 copies in a
 * training call of the shipped UNet: 33 ms of 1230). Tensors are immutable and the backend counts
 * references (its Reshape already shares the input's memory), so these two share it too — what
 * the cpu backend's Identity does. Numbers are unchanged: a copy is the identity.
 */
function shareUnchangedData(): void {
  if (shared) return;
  shared = true;
  type Info = { dataId: object; shape: number[]; dtype: tf.DataType };
  type Args = { inputs: { x: Info }; backend: { incRef(id: object): void }; attrs?: { dtype?: tf.DataType } };
  const share = ({ inputs: { x }, backend }: Args): Info => {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  const cast = tf.getKernel('Cast', 'wasm');
  if (!cast) return;
  const copyCast = cast.kernelFunc;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: share as unknown as tf.KernelFunc });
  tf.unregisterKernel('Cast', 'wasm');
  tf.registerKernel({
    kernelName: 'Cast',
    backendName: 'wasm',
    kernelFunc: ((a: Args) => (a.attrs?.dtype === a.inputs.x.dtype ? share(a) : copyCast(a as unknown as Parameters<tf.KernelFunc>[0]))) as unknown as tf.KernelFunc,
  });
}

/**
 * A float32 tensor's values without a copy when the backend is wasm (a view of its heap: use it
 * before anything allocates a tensor, which may move the heap), else dataSync's.
 */
export function float32Values(t: tf.Tensor): Float32Array {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array }; dataIdMap?: { get(id: object): { memoryOffset?: number } | undefined } };
  const offset = b.wasm && t.dtype === 'float32' ? b.dataIdMap?.get(t.dataId)?.memoryOffset : undefined;
  if (b.wasm && typeof offset === 'number') return new Float32Array(b.wasm.HEAPU8.buffer, offset, t.size);
  return t.dataSync() as Float32Array;
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

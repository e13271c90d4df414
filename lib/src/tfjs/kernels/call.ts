/**
 * Composing kernels from a backend's own kernels, the way tfjs's backends do internally: call another
 * registered kernel's function on TensorInfos and free the intermediates. Serves the kernels in this folder.
 */
import * as tf from "@tensorflow/tfjs";

/** Runs the kernel `name` registered for `backendName` on `backend` and returns its single output. */
export function callKernel(
  name: string,
  backendName: string,
  backend: tf.KernelBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (kernel === undefined) throw new Error(`reti kernels: the ${backendName} backend has no ${name} kernel to build on`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`reti kernels: ${name} returned ${out.length} outputs where one was expected`);
  return out;
}

/** Frees intermediate results made by `callKernel`. */
export function disposeAll(backend: tf.KernelBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** The parts of tfjs-backend-wasm's BackendWasm that direct kernels use: tensors live in its heap. */
export interface HeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Whether `backend` keeps its tensors in a heap the kernels can view (wasm's, not the threaded build's). */
export function isHeapBackend(backend: tf.KernelBackend): backend is HeapBackend {
  return typeof (backend as Partial<HeapBackend>).typedArrayFromHeap === "function";
}

/**
 * The float32 values of `info` without a copy where the backend allows it (a view of the wasm heap; cpu's own
 * array). Views of the wasm heap go stale when it grows: take them after every allocation of the kernel.
 */
export function values(backend: tf.KernelBackend, info: tf.TensorInfo): Float32Array {
  return isHeapBackend(backend) ? (backend.typedArrayFromHeap(info) as Float32Array) : (backend.readSync(info.dataId) as Float32Array);
}

/**
 * A new float32 output of `shape`: in the wasm heap (uninitialised; `fill` zeros it) or, on other backends, a
 * JavaScript array written once. Returns the TensorInfo and a function giving its values (call it after the
 * kernel's last allocation).
 */
export function output(backend: tf.KernelBackend, shape: number[], fill = true): { info: tf.TensorInfo; values: () => Float32Array } {
  if (isHeapBackend(backend)) {
    const info = backend.makeOutput(shape, "float32");
    if (fill) backend.typedArrayFromHeap(info).fill(0);
    return { info, values: () => backend.typedArrayFromHeap(info) as Float32Array };
  }
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const info = { dataId: backend.write(data, shape, "float32"), shape, dtype: "float32" as const };
  return { info, values: () => data };
}


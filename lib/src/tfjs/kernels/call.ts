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

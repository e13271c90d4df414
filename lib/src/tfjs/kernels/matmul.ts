/**
 * BatchMatMul with transposed operands on wasm: the stock kernel multiplies a transposed operand in a slow
 * scalar loop (≈20× slower for the x^T·dY of a dense layer's weight gradient), while a Transpose followed
 * by the plain product runs on XNNPACK. Lecture 001 (backpropagation, gradients of a dense layer).
 */
import * as tf from "@tensorflow/tfjs";
import { callKernel, disposeAll } from "./call";

/** Swaps the last two axes of a rank ≥ 2 TensorInfo with the backend's Transpose kernel. */
function transposeLast(backendName: string, backend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return callKernel("Transpose", backendName, backend, { x }, { perm });
}

/** The BatchMatMul kernel for `backendName`: transposes explicitly, then calls `stock` without transposes. */
export function makeBatchMatMul(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return stock.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const made: tf.TensorInfo[] = [];
    const plain = (x: tf.TensorInfo, transposed: boolean) => {
      if (!transposed) return x;
      const t = transposeLast(backendName, backend, x);
      made.push(t);
      return t;
    };
    const out = stock.kernelFunc({
      inputs: { a: plain(a, transposeA), b: plain(b, transposeB) },
      backend,
      attrs: { transposeA: false, transposeB: false },
    });
    disposeAll(backend, ...made);
    return out;
  };
  return { kernelName: "BatchMatMul", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

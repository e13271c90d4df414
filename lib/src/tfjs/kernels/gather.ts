/**
 * GatherV2 on wasm as row copies in the backend's heap. The stock wasm kernel copies element by element through
 * strided index arithmetic, ≈17 ns per value: it was most of the time of an embedding classifier's training step
 * (the lookup of 128 × 80 ids of 32 numbers) and of `fit`'s per-epoch shuffle of a 4000 × 2000 bag-of-words matrix
 * (0.56 s a time), and tfjs's `model.fit` gathers every mini-batch. Here each gathered slice is one
 * `TypedArray.set`. Lecture 004 (embeddings as lookups) and lecture 003 (mini-batch training).
 */
import * as tf from "@tensorflow/tfjs";
import { isHeapBackend } from "./call";

/**
 * The GatherV2 kernel for the wasm backend: float32, int32 and bool tensors with batchDims 0 gathered by row
 * copies (x seen as [outer, dim, inner], out [outer, indices, inner]); anything else goes to `stock`. Indices
 * outside [0, dim) throw, as the stock kernels do.
 */
export function makeGatherV2(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const backend = args.backend as tf.KernelBackend;
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
    if (!isHeapBackend(backend) || (batchDims ?? 0) !== 0 || x.dtype === "string" || x.dtype === "complex64" || indices.dtype !== "int32" || tf.util.sizeFromShape(x.shape) === 0 || tf.util.sizeFromShape(indices.shape) === 0) {
      return stock.kernelFunc(args);
    }
    const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const dim = x.shape[a]!;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, a));
    const inner = tf.util.sizeFromShape(x.shape.slice(a + 1));
    const n = tf.util.sizeFromShape(indices.shape);
    const outShape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    for (let i = 0; i < n; i++) {
      const k = ids[i]!;
      if (!(k >= 0 && k < dim)) throw new Error(`GatherV2: the index value ${k} is not in [0, ${dim - 1}]`);
    }
    const out = backend.makeOutput(outShape, x.dtype);
    // Views after the allocation (it may grow the heap and detach earlier views).
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    if (inner === 1) {
      for (let o = 0; o < outer; o++) for (let i = 0; i < n; i++) dst[o * n + i] = src[o * dim + idx[i]!]!;
    } else {
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < n; i++) {
          const from = (o * dim + idx[i]!) * inner;
          dst.set(src.subarray(from, from + inner), (o * n + i) * inner);
        }
      }
    }
    return out;
  };
  return { kernelName: "GatherV2", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

/**
 * UnsortedSegmentSum, the gradient of a gather (an embedding lookup): out[k, …] = Σ_{i: ids[i] = k} x[i, …].
 * A scatter-add loop over the values; ids outside [0, numSegments) are dropped, as on the cpu backend.
 * Lecture 004 (RNN/NLP, word embeddings).
 */
import * as tf from "@tensorflow/tfjs";

/** The UnsortedSegmentSum kernel for `backendName`, reading and writing through the backend's data API. */
export function makeUnsortedSegmentSum(backendName: string): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend: b, attrs }) => {
    const backend = b as tf.KernelBackend;
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
    const values = backend.readSync(x.dataId) as Float32Array | Int32Array;
    const ids = backend.readSync(segmentIds.dataId) as Int32Array;
    const inner = tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
    const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
    const out = x.dtype === "int32" ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
    for (let i = 0; i < ids.length; i++) {
      const k = ids[i]!;
      if (k < 0 || k >= numSegments) continue;
      const src = i * inner;
      const dst = k * inner;
      for (let j = 0; j < inner; j++) out[dst + j]! += values[src + j]!;
    }
    return { dataId: backend.write(out, outShape, x.dtype), shape: outShape, dtype: x.dtype };
  };
  return { kernelName: "UnsortedSegmentSum", backendName, kernelFunc };
}

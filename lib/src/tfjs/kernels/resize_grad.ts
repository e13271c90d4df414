/**
 * ResizeNearestNeighborGrad, nearest-neighbour upsampling's backward pass: each output pixel's gradient goes
 * back to the input pixel it was copied from (the forward pass's index rule, including alignCorners and
 * halfPixelCenters). Replaces tfjs 4.22's cpu kernel, which offsets dY by the image's batch stride instead of
 * dY's own and so returns wrong gradients for every batch element after the first, and the wasm one, which is
 * wrong with halfPixelCenters (checked against finite differences in test/conv-grad.test.ts).
 * Notebook 09 (lecture 003, upsampling in convolutional autoencoders).
 */
import * as tf from "@tensorflow/tfjs";

/** The ResizeNearestNeighborGrad kernel for `backendName`. */
export function makeResizeNearestNeighborGrad(backendName: string): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend: b, attrs }) => {
    const backend = b as tf.KernelBackend;
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners, halfPixelCenters } = attrs as unknown as tf.ResizeNearestNeighborGradAttrs;
    const [batch, inH, inW, depth] = images.shape as [number, number, number, number];
    const [, outH, outW] = dy.shape as [number, number, number, number];
    const g = backend.readSync(dy.dataId) as Float32Array;
    const dx = new Float32Array(batch * inH * inW * depth);
    const ratio = (input: number, output: number) => (alignCorners && output > 1 ? input - 1 : input) / (alignCorners && output > 1 ? output - 1 : output);
    const source = (i: number, r: number, size: number) => {
      const frac = halfPixelCenters ? r * (i + 0.5) : r * i;
      const nearest = Math.min(size - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
      return halfPixelCenters ? Math.max(0, nearest) : nearest;
    };
    const rowRatio = ratio(inH, outH);
    const colRatio = ratio(inW, outW);
    const srcCols = Int32Array.from({ length: outW }, (_, c) => source(c, colRatio, inW));
    for (let n = 0; n < batch; n++) {
      for (let r = 0; r < outH; r++) {
        const sr = source(r, rowRatio, inH);
        const gRow = ((n * outH + r) * outW) * depth;
        const xRow = ((n * inH + sr) * inW) * depth;
        for (let c = 0; c < outW; c++) {
          const gi = gRow + c * depth;
          const xi = xRow + srcCols[c]! * depth;
          for (let d = 0; d < depth; d++) dx[xi + d]! += g[gi + d]!;
        }
      }
    }
    return { dataId: backend.write(dx, images.shape, "float32"), shape: images.shape, dtype: "float32" };
  };
  return { kernelName: "ResizeNearestNeighborGrad", backendName, kernelFunc };
}

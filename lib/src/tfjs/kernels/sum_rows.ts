/**
 * Sum on wasm over every axis but the last (a layer's bias gradient: Σ over examples and positions of dY). The
 * stock kernel first transposes the whole tensor so that the summed axes come last; XNNPACK's average pooling
 * reads it as it is ([1, rows, 1, C] with one window of rows × 1), and the mean times the row count is the sum
 * (≈ 6× faster for LeNet-5's first layer; float32 like the stock kernel, rounding differs by a few ulps).
 * Lecture 001 (backpropagation, the gradient of a bias).
 */
import * as tf from "@tensorflow/tfjs";
import { callKernel, disposeAll, output, values } from "./call";

/** The stock kernel is as fast on small tensors: below MIN_SIZE values, or below BIG with fewer than MIN_ROWS rows; one row is a copy. */
const MIN_SIZE = 4096;
const MIN_ROWS = 256;
const BIG = 16384;

/** The Sum kernel for `backendName`: sums over all leading axes by average pooling, others to `stock`. */
export function makeSum(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length === rank - 1 && axes.every((a, i) => a === i);
    const size = tf.util.sizeFromShape(x.shape);
    const c = x.shape[rank - 1]!;
    const rows = size / c;
    if (x.dtype !== "float32" || rank < 2 || !leading || size < MIN_SIZE || rows < 2 || (rows < MIN_ROWS && size < BIG)) return stock.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const column = callKernel("Reshape", backendName, backend, { x }, { shape: [1, rows, 1, c] });
    const mean = callKernel("AvgPool", backendName, backend, { x: column }, { filterSize: [rows, 1], strides: [rows, 1], pad: "valid", dimRoundingMode: undefined as unknown as string });
    const out = output(backend, keepDims ? x.shape.map((d, i) => (i < rank - 1 ? 1 : d)) : [c], false);
    const m = values(backend, mean);
    const o = out.values();
    for (let i = 0; i < c; i++) o[i] = m[i]! * rows;
    disposeAll(backend, column, mean);
    return out.info;
  };
  return { kernelName: "Sum", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

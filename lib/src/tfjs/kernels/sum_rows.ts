/**
 * Sum on wasm over every axis but the last (a layer's bias gradient: Σ over examples and positions of dY). The
 * stock kernel first transposes the whole tensor so that the summed axes come last. Here XNNPACK's average
 * pooling reads the tensor as it is ([1, rows, 1, C]) in windows of p rows, p the largest power of two dividing
 * the row count: a window's mean times p is then exactly its float32 sum (the scale 1/p is exact), and the rows/p
 * window sums are added in float64. Counts stay exact (a one-hot matrix's column sums are integers, which one
 * window of all rows did not give: 1/rows is rounded). With fewer than MIN_WINDOW rows in p, one pass of
 * JavaScript sums the rows in blocks. ≈ 6× faster than the stock kernel for LeNet-5's first layer.
 * Lecture 001 (backpropagation, the gradient of a bias).
 */
import * as tf from "@tensorflow/tfjs";
import { callKernel, disposeAll, output, values } from "./call";

/** The stock kernel is as fast on small tensors: below MIN_SIZE values, or below BIG with fewer than MIN_ROWS rows; one row is a copy. */
const MIN_SIZE = 4096;
const MIN_ROWS = 256;
const BIG = 16384;
/** Pooling windows shorter than this gain little over the JavaScript pass. */
const MIN_WINDOW = 32;
/** Values the JavaScript pass sums side by side: whole rows, about this many. */
const BLOCK = 1024;

/** Σ over rows of `v` ([rows, c] in memory order) into `o`, in float64, blocks of rows at a time (long inner loops). */
function sumRows(v: Float32Array, rows: number, c: number, scale: number, o: Float32Array): void {
  const k = Math.max(1, Math.floor(BLOCK / c));
  const width = k * c;
  const acc = new Float64Array(width);
  const whole = Math.floor(rows / k) * width;
  for (let base = 0; base < whole; base += width) for (let j = 0; j < width; j++) acc[j]! += v[base + j]!;
  for (let i = whole; i < rows * c; i++) acc[i - whole]! += v[i]!;
  for (let j = 0; j < c; j++) {
    let total = 0;
    for (let t = j; t < width; t += c) total += acc[t]!;
    o[j] = total * scale;
  }
}

/** The Sum kernel for `backendName`: sums over all leading axes by exact pooling windows, others to `stock`. */
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
    const shape = keepDims ? x.shape.map((d, i) => (i < rank - 1 ? 1 : d)) : [c];
    const window = rows & -rows; // the largest power of two dividing rows
    if (window < MIN_WINDOW) {
      const out = output(backend, shape, false);
      const v = values(backend, x);
      sumRows(v, rows, c, 1, out.values());
      return out.info;
    }
    const column = callKernel("Reshape", backendName, backend, { x }, { shape: [1, rows, 1, c] });
    const means = callKernel("AvgPool", backendName, backend, { x: column }, { filterSize: [window, 1], strides: [window, 1], pad: "valid", dimRoundingMode: undefined as unknown as string });
    const out = output(backend, shape, false);
    sumRows(values(backend, means), rows / window, c, window, out.values());
    disposeAll(backend, column, means);
    return out.info;
  };
  return { kernelName: "Sum", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

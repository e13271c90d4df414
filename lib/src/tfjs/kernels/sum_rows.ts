/**
 * Sum on wasm over every axis but the last (a layer's bias gradient: Σ over examples and positions of dY). The
 * stock kernel first transposes the whole tensor so that the summed axes come last; here one pass reads the
 * rows in memory order, blocks of rows at a time, into float64 accumulators (faster than the transpose alone on LeNet-5's first layer, and
 * exact for counts: a one-hot matrix's column sums stay integers, which an average pooling times the row count
 * did not). Lecture 001 (backpropagation, the gradient of a bias).
 */
import * as tf from "@tensorflow/tfjs";
import { output, values } from "./call";

/** The stock kernel is as fast on small tensors: below MIN_SIZE values, or below BIG with fewer than MIN_ROWS rows; one row is a copy. */
const MIN_SIZE = 4096;
const MIN_ROWS = 256;
const BIG = 16384;
/** Values summed side by side in one pass: whole rows, about this many. */
const BLOCK = 1024;

/** The Sum kernel for `backendName`: sums over all leading axes in one pass, others to `stock`. */
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
    const out = output(backend, keepDims ? x.shape.map((d, i) => (i < rank - 1 ? 1 : d)) : [c], false);
    const v = values(backend, x);
    // Blocks of k rows (≈ BLOCK values) keep the inner loop long; the rows past the last whole block start a new one.
    const k = Math.max(1, Math.floor(BLOCK / c));
    const width = k * c;
    const acc = new Float64Array(width);
    const whole = Math.floor(rows / k) * width;
    for (let base = 0; base < whole; base += width) for (let j = 0; j < width; j++) acc[j]! += v[base + j]!;
    for (let i = whole; i < size; i++) acc[i - whole]! += v[i]!;
    const o = out.values();
    for (let j = 0; j < c; j++) {
      let total = 0;
      for (let t = j; t < width; t += c) total += acc[t]!;
      o[j] = total;
    }
    return out.info;
  };
  return { kernelName: "Sum", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

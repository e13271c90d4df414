/**
 * Add of a bias vector on wasm: `x[..., C] + b[C]`, which every convolution layer computes on its output while
 * training (tfjs fuses bias and activation into the convolution only outside gradient recording). The stock
 * kernel broadcasts row by row, C values at a time (≈ 1.5 ms for LeNet-5's first layer, 5× the time of a
 * same-shape Add); here x is viewed as rows of k·C values and b repeated k times, so the same kernel runs on
 * long rows. Lecture 001 (CNN, a convolution layer's bias).
 */
import * as tf from "@tensorflow/tfjs";
import { callKernel, disposeAll, output, values } from "./call";

/** Length of the rows the repeated bias covers: long enough for the vector loop, short enough to stay cheap. */
const ROW = 1024;
/** Below this size, or with rows of at least WIDE values (a dense layer's bias), the stock kernel is as fast. */
const MIN_SIZE = 4096;
const WIDE = 32;

/** The largest k ≤ ROW / c that divides `rows`. */
function repeats(rows: number, c: number): number {
  for (let k = Math.floor(ROW / c); k > 1; k--) if (rows % k === 0) return k;
  return 1;
}

/** The Add kernel for `backendName`: bias additions on long rows, everything else to `stock`. */
export function makeAdd(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const [x, bias] = b.shape.length === 1 ? [a, b] : [b, a];
    const c = bias.shape[0]!;
    const size = tf.util.sizeFromShape(x.shape);
    if (bias.shape.length !== 1 || x.shape.length < 2 || x.shape[x.shape.length - 1] !== c || a.dtype !== "float32" || b.dtype !== "float32" || size < MIN_SIZE || c >= WIDE) {
      return stock.kernelFunc(args);
    }
    const rows = size / c;
    const k = repeats(rows, c);
    if (k === 1) return stock.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const tiled = output(backend, [k * c], false);
    const bv = values(backend, bias);
    const tv = tiled.values();
    for (let i = 0; i < k; i++) tv.set(bv, i * c);
    const x2 = callKernel("Reshape", backendName, backend, { x }, { shape: [rows / k, k * c] });
    const sum = stock.kernelFunc({ inputs: x === a ? { a: x2, b: tiled.info } : { a: tiled.info, b: x2 }, backend, attrs: {} }) as tf.TensorInfo;
    const out = callKernel("Reshape", backendName, backend, { x: sum }, { shape: x.shape });
    disposeAll(backend, x2, tiled.info, sum);
    return out;
  };
  return { kernelName: "Add", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

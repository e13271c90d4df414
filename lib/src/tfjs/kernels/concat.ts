/**
 * Concat and SplitV on wasm with plain loops for short rows. Both stock kernels see the tensors as rows
 * ([outer, inner]) and copy each row with `subarray` + `set`, ≈ 50 ns a row whatever its length: a U-Net's skip
 * connection (concatenating two [32, 28, 28, 8] feature maps along the channels, 50,000 rows of 8 values) took
 * 2.7 ms forward and as long again for its gradient (SplitV), more than the network's largest convolution. Rows of
 * up to `SHORT_ROW` values are now copied value by value; longer ones as before. Notebooks 09 (U-Net skip
 * connections) and 07 (the attention's [state; context]); lecture 003 (autoencoders, encoder–decoder).
 */
import * as tf from "@tensorflow/tfjs";
import { isHeapBackend, type HeapBackend } from "./call";

/** Rows up to this long are copied value by value (a `subarray` + `set` pair costs about as much as 64 values). */
const SHORT_ROW = 64;

/** Copies `rows` rows of `width` values from `src` (row stride `srcStride`, first at `srcAt`) to `dst` (likewise). */
function copyRows(src: Float32Array | Int32Array | Uint8Array, srcAt: number, srcStride: number, dst: Float32Array | Int32Array | Uint8Array, dstAt: number, dstStride: number, rows: number, width: number): void {
  if (width > SHORT_ROW) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(srcAt + r * srcStride, srcAt + r * srcStride + width), dstAt + r * dstStride);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = srcAt + r * srcStride;
    const d = dstAt + r * dstStride;
    for (let j = 0; j < width; j++) dst[d + j] = src[s + j]!;
  }
}

/** Whether these kernels handle the tensors (numbers in the wasm heap); otherwise the stock kernel does. */
function onHeap(backend: tf.KernelBackend, tensors: tf.TensorInfo[]): backend is HeapBackend {
  return isHeapBackend(backend) && tensors.every((t) => t.dtype === "float32" || t.dtype === "int32" || t.dtype === "bool");
}

/** The Concat kernel for the wasm backend: the inputs as rows [outer, inner_i] interleaved into [outer, Σ inner_i]. */
export function makeConcat(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const backend = args.backend as tf.KernelBackend;
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length < 2 || !onHeap(backend, nonEmpty) || nonEmpty.some((t) => t.dtype !== nonEmpty[0]!.dtype)) return stock.kernelFunc(args);
    const axis = tf.util.parseAxisParam((args.attrs as unknown as tf.ConcatAttrs).axis, inputs[0]!.shape)[0]!;
    tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const outer = tf.util.sizeFromShape(nonEmpty[0]!.shape.slice(0, axis));
    const widths = nonEmpty.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const total = widths.reduce((a, b) => a + b, 0);
    const out = backend.makeOutput(outShape, nonEmpty[0]!.dtype);
    // Views after the allocation (it may grow the heap and detach earlier views).
    const dst = backend.typedArrayFromHeap(out);
    let at = 0;
    nonEmpty.forEach((t, i) => {
      copyRows(backend.typedArrayFromHeap(t), 0, widths[i]!, dst, at, total, outer, widths[i]!);
      at += widths[i]!;
    });
    return out;
  };
  return { kernelName: "Concat", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

/** The SplitV kernel for the wasm backend (a concatenation's gradient): x as rows [outer, Σ size_i], cut into [outer, size_i]. */
export function makeSplitV(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const backend = args.backend as tf.KernelBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!onHeap(backend, [x]) || tf.util.sizeFromShape(x.shape) === 0) return stock.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
    const outer = tf.util.sizeFromShape(x.shape.slice(0, a));
    const inner = tf.util.sizeFromShape(x.shape.slice(a + 1));
    const total = x.shape[a]! * inner;
    const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === a ? s : d)), x.dtype));
    // Views after every allocation (each may grow the heap and detach earlier views).
    const src = backend.typedArrayFromHeap(x);
    let at = 0;
    outs.forEach((out, i) => {
      const width = sizes[i]! * inner;
      copyRows(src, at, total, backend.typedArrayFromHeap(out), 0, width, outer, width);
      at += width;
    });
    return outs;
  };
  return { kernelName: "SplitV", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

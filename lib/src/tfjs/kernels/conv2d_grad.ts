/**
 * The gradients of a 2-D convolution written as convolutions, so they run on the backend's fast Conv2D
 * (XNNPACK on wasm). Lecture 001 (CNN, backpropagation through a convolution).
 */
import * as tf from "@tensorflow/tfjs";
import { callKernel, disposeAll } from "./call";

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

function convInfo(
  name: string,
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== "channelsLast") throw new Error(`reti ${name}: only NHWC (channelsLast) data is supported, got ${dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
}

/**
 * The filter gradient ∂L/∂W[i,j,c,o] = Σ_{b,y,x} X[b, y·s_h + i − p_t, x·s_w + j − p_l, c] · dY[b,y,x,o],
 * computed as one convolution: the input transposed to [C, H, W, B] is convolved with the output gradient
 * transposed to [oh, ow, B, O] used as a filter dilated by the stride, giving [C, fh, fw, O].
 */
export function makeConv2DBackpropFilter(backendName: string): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend: b, attrs }) => {
    const backend = b as tf.KernelBackend;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = (attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape;
    const info = convInfo("Conv2DBackpropFilter", x.shape, filterShape, attrs!);
    const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    // Rows/columns of the padded input past the last window are unused: crop them (negative bottom/right pad).
    const bottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - top;
    const right = filterWidth + (outWidth - 1) * strideWidth - inWidth - left;
    const call = (name: string, ins: tf.NamedTensorInfoMap, at: tf.NamedAttrMap) => callKernel(name, backendName, backend, ins, at);

    let xT = call("Transpose", { x }, { perm: [3, 1, 2, 0] }); // [C, H, W, B]
    if (bottom < 0 || right < 0) {
      const cropped = call("Slice", { x: xT }, {
        begin: [0, 0, 0, 0],
        size: [xT.shape[0]!, inHeight + Math.min(bottom, 0), inWidth + Math.min(right, 0), xT.shape[3]!],
      });
      disposeAll(backend, xT);
      xT = cropped;
    }
    const dyT = call("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, B, O]
    const pad: Pad4 = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
    const grad = call("Conv2D", { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad,
      dataFormat: "NHWC",
      dilations: [strideHeight, strideWidth],
      dimRoundingMode: undefined as unknown as string,
    }); // [C, fh, fw, O]
    const dW = call("Transpose", { x: grad }, { perm: [1, 2, 0, 3] }); // [fh, fw, C, O]
    disposeAll(backend, xT, dyT, grad);
    return dW;
  };
  return { kernelName: "Conv2DBackpropFilter", backendName, kernelFunc };
}

/**
 * The input gradient of a stride-1 convolution, ∂L/∂X = dY ⊛ rot180(W) with input and output channels
 * swapped and "full" padding (fh − 1 − p_t above, …), as one forward convolution. Strided or over-padded
 * convolutions fall back to `stock`, the backend's own kernel (whose setup still runs).
 */
export function makeConv2DBackpropInput(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const fallback = stock.kernelFunc;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as tf.KernelBackend;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const inputShape = (attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape;
    const info = convInfo("Conv2DBackpropInput", inputShape, filter.shape, attrs!);
    const { filterHeight: fh, filterWidth: fw, strideHeight, strideWidth, padInfo } = info;
    const pads = [fh - 1 - padInfo.top, fh - 1 - padInfo.bottom, fw - 1 - padInfo.left, fw - 1 - padInfo.right];
    if (strideHeight !== 1 || strideWidth !== 1 || pads.some((p) => p < 0)) return fallback(args);
    const call = (name: string, ins: tf.NamedTensorInfoMap, at: tf.NamedAttrMap) => callKernel(name, backendName, backend, ins, at);

    const flipped = call("Reverse", { x: filter }, { dims: [0, 1] });
    const swapped = call("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] }); // [fh, fw, O, C]
    const dx = call("Conv2D", { x: dy, filter: swapped }, {
      strides: [1, 1],
      pad: [[0, 0], [pads[0]!, pads[1]!], [pads[2]!, pads[3]!], [0, 0]] as Pad4,
      dataFormat: "NHWC",
      dilations: [1, 1],
      dimRoundingMode: undefined as unknown as string,
    });
    disposeAll(backend, flipped, swapped);
    return dx;
  };
  return { kernelName: "Conv2DBackpropInput", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

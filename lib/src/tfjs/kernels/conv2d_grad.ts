/**
 * The gradients of a 2-D convolution written as convolutions, so they run on the backend's fast Conv2D
 * (XNNPACK on wasm). Lecture 001 (CNN, backpropagation through a convolution).
 */
import * as tf from "@tensorflow/tfjs";
import { callKernel, disposeAll } from "./call";
import { batchToInnerWasm } from "./transpose_wasm";

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
 * transposed to [oh, ow, B, O] used as a filter dilated by the stride, giving [C, fh, fw, O]. On wasm with one
 * input channel and stride 1 (LeNet-5's first layer) the same filter goes to a depthwise convolution instead
 * (channel b, multiplier O: one partial gradient per example, then summed over b), ≈ 1.3 ms less per LeNet-5
 * step: XNNPACK packs the large dY filter faster for it. On wasm dY's transpose is a WebAssembly block copy
 * (transpose_wasm.ts).
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
    const dyT = batchToInnerWasm(backend, dy) ?? call("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, B, O]
    const pad: Pad4 = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
    if (backendName === "wasm" && info.inChannels === 1 && strideHeight === 1 && strideWidth === 1) {
      const [batch, , , outC] = dy.shape as [number, number, number, number];
      const perExample = call("DepthwiseConv2dNative", { x: xT, filter: dyT }, {
        strides: [1, 1],
        pad,
        dataFormat: "NHWC",
        dilations: [1, 1],
        dimRoundingMode: undefined as unknown as string,
      }); // [1, fh, fw, B·O]
      const split = call("Reshape", { x: perExample }, { shape: [filterHeight * filterWidth, batch, outC] });
      const summed = call("Sum", { x: split }, { axis: [1], keepDims: false });
      const dW = call("Reshape", { x: summed }, { shape: filterShape });
      disposeAll(backend, xT, dyT, perExample, split, summed);
      return dW;
    }
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
 * The input gradient ∂L/∂X of a convolution (also the forward pass of a transposed convolution), as one
 * forward convolution on the backend's fast Conv2D: dY ⊛ rot180(W) with input and output channels swapped and
 * "full" padding (fh − 1 − p_t above, …). For a stride s > 1, dY is first spread out to s× the size with
 * s − 1 zeros between its values (the positions the strided forward pass skipped), which costs s² more
 * multiply–adds than needed but runs in XNNPACK instead of the stock scalar loop (≈ 5× slower on the
 * autoencoders of notebook 09). Over-padded convolutions (p_t > fh − 1) fall back to `stock`, the backend's
 * own kernel (whose setup still runs). Lecture: CNN (001), backpropagation through a strided convolution;
 * notebook 09 (lecture 003, transposed convolutions in autoencoders).
 */
export function makeConv2DBackpropInput(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const fallback = stock.kernelFunc;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as tf.KernelBackend;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const inputShape = (attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape;
    const info = convInfo("Conv2DBackpropInput", inputShape, filter.shape, attrs!);
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, padInfo, inHeight, inWidth } = info;
    const [batch, outH, outW, outC] = dy.shape as [number, number, number, number];
    // The zero-spread dY has length L = out·s along each axis (the trailing s − 1 zeros are harmless).
    const [lh, lw] = [outH * sh, outW * sw];
    const top = fh - 1 - padInfo.top;
    const left = fw - 1 - padInfo.left;
    const bottom = inHeight + fh - 1 - lh - top;
    const right = inWidth + fw - 1 - lw - left;
    if (top < 0 || left < 0) return fallback(args);
    const call = (name: string, ins: tf.NamedTensorInfoMap, at: tf.NamedAttrMap) => callKernel(name, backendName, backend, ins, at);
    const temps: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo) => (temps.push(t), t);

    let src = dy;
    if (sh > 1 || sw > 1) {
      // [B, oh, ow, C] → [B·oh, ow, 1, C] → pad → [B·oh, ow, sw, C] → [B, oh, 1, ow·sw·C] → pad → [B, oh, sh, ow·sw·C] → [B, oh·sh, ow·sw, C].
      const a = keep(call("Reshape", { x: dy }, { shape: [batch * outH, outW, 1, outC] }));
      const b = keep(call("PadV2", { x: a }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }));
      const c = keep(call("Reshape", { x: b }, { shape: [batch, outH, 1, outW * sw * outC] }));
      const d = keep(call("PadV2", { x: c }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 }));
      src = keep(call("Reshape", { x: d }, { shape: [batch, lh, lw, outC] }));
    }
    if (bottom < 0 || right < 0) {
      src = keep(call("Slice", { x: src }, { begin: [0, 0, 0, 0], size: [batch, lh + Math.min(bottom, 0), lw + Math.min(right, 0), outC] }));
    }
    const flipped = keep(call("Reverse", { x: filter }, { dims: [0, 1] }));
    const swapped = keep(call("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] })); // [fh, fw, O, C]
    const dx = call("Conv2D", { x: src, filter: swapped }, {
      strides: [1, 1],
      pad: [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]] as Pad4,
      dataFormat: "NHWC",
      dilations: [1, 1],
      dimRoundingMode: undefined as unknown as string,
    });
    disposeAll(backend, ...temps);
    return dx;
  };
  return { kernelName: "Conv2DBackpropInput", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

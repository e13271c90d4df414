/**
 * Conv2D on wasm for one input channel (the first layer of a CNN on grey images: LeNet-5's conv1), as the same
 * convolution on column pairs: the image [B, H, W, 1] viewed as [B, H, W/2, 2] is convolved with a filter that
 * computes two neighbouring output columns at once, [fh, ⌊fw/2⌋+1, 2, 2·O], and the result [B, oh, ow/2, 2·O]
 * is the output [B, oh, ow, O] in the same memory. XNNPACK's matrix tiles are 8 channels wide, so O = 6 filters
 * over 25 taps leave them a quarter empty and short; the pair form fills them (≈ 30 % faster on LeNet-5's conv1
 * at batch 64, despite the filter's zeros). Other convolutions go to the stock kernel.
 * Lecture 001 (CNN, the convolution as a matrix product).
 */
import * as tf from "@tensorflow/tfjs";
import { callKernel, disposeAll, output, values } from "./call";

/** The Conv2D kernel for `backendName`: single-channel, stride-1 convolutions with few filters on column pairs. */
export function makeConv2D(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs;
    if (x.dtype !== "float32" || filter.dtype !== "float32" || dataFormat !== "NHWC") return stock.kernelFunc(args);
    const [batch, height, width, channels] = x.shape as [number, number, number, number];
    const [fh, fw, , outC] = filter.shape as [number, number, number, number];
    if (channels !== 1 || outC >= 8 || width % 2 !== 0) return stock.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode);
    const { outHeight, outWidth, padInfo } = info;
    const unit = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
    const groups = Math.floor(fw / 2) + 1; // column pairs a pair of outputs reads
    const left = padInfo.left / 2;
    const right = outWidth / 2 - 1 + groups - width / 2 - left;
    if (!unit || outWidth % 2 !== 0 || padInfo.left % 2 !== 0 || right < 0) return stock.kernelFunc(args);

    const backend = args.backend as tf.KernelBackend;
    // pairFilter[a, g, s, t·O + o] = W[a, 2g + s − t, 0, o]: input column 2(X + g − left) + s, output column 2X + t.
    const pairs = output(backend, [fh, groups, 2, 2 * outC]);
    const w = values(backend, filter);
    const p = pairs.values();
    for (let a = 0; a < fh; a++)
      for (let g = 0; g < groups; g++)
        for (let s = 0; s < 2; s++)
          for (let t = 0; t < 2; t++) {
            const j = 2 * g + s - t;
            if (j < 0 || j >= fw) continue;
            const to = (((a * groups + g) * 2 + s) * 2 + t) * outC;
            const from = (a * fw + j) * outC;
            for (let o = 0; o < outC; o++) p[to + o] = w[from + o]!;
          }
    const xPairs = callKernel("Reshape", backendName, backend, { x }, { shape: [batch, height, width / 2, 2] });
    const y = stock.kernelFunc({
      inputs: { x: xPairs, filter: pairs.info },
      backend,
      attrs: { strides: [1, 1], pad: [[0, 0], [padInfo.top, padInfo.bottom], [left, right], [0, 0]], dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: dimRoundingMode as string },
    }) as tf.TensorInfo; // [B, oh, ow/2, 2·O]
    const out = callKernel("Reshape", backendName, backend, { x: y }, { shape: [batch, outHeight, outWidth, outC] });
    disposeAll(backend, xPairs, pairs.info, y);
    return out;
  };
  return { kernelName: "Conv2D", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

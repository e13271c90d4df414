/**
 * Kernels that tfjs 4.22 lacks or runs slowly, registered once when `reti` loads tf (measured on LeNet-5,
 * batch 64; see bench/lenet.ts):
 * - wasm Conv2DBackpropFilter: missing, so CNN training throws; on cpu the stock loop is ≈30× slower than
 *   the same convolution trick, so cpu gets it too;
 * - wasm Conv2DBackpropInput (strided convolutions' input gradient, transposed convolutions' forward pass): one
 *   XNNPACK convolution (on the zero-spread dY when strided) instead of the stock scalar loop;
 * - wasm BatchMatMul with transposed operands (dense layers' gradients): explicit Transpose, then XNNPACK;
 * - MaxPoolGrad on wasm and cpu: a direct loop, ≈10× faster than either stock kernel (on wasm, LeNet-5's 2×2
 *   case as a small WebAssembly function in the backend's memory, ≈ 2.5× faster again);
 * - wasm UnsortedSegmentSum: missing, so embedding gradients throw;
 * - ResizeNearestNeighborGrad (upsampling's gradient): cpu's is wrong for every batch element after the first,
 *   wasm's with halfPixelCenters; one direct loop for both.
 * - wasm Identity and same-type Cast: share their input's memory instead of copying it (the engine clones every
 *   tensor kept for the backward pass; ReLU's gradient casts float32 to float32);
 * - RetiFusedAdam on wasm and cpu: Adam's update of a variable in one kernel, used by every `tf.train.adam`
 *   (the stock update is ≈ 14 dispatched operations per variable); on wasm a SIMD loop (adam_wasm.ts).
 * - wasm Add of a bias vector (a convolution layer's bias while training): on long rows of the repeated bias
 *   instead of the stock row-by-row broadcast (≈ 5× faster on LeNet-5's first layer);
 * - wasm Conv2D with one input channel (a grey image's first layer): on column pairs, which fill XNNPACK's tiles;
 * - wasm Sum over every axis but the last (bias gradients): average pooling in power-of-two windows (exact) instead of a transpose and a sum;
 * - wasm GatherV2: one copy per gathered row instead of the stock element-by-element loop (≈ 17 ns a value), which
 *   dominated embedding lookups, `fit`'s per-epoch shuffle and tfjs's mini-batch slicing;
 * - wasm Concat and SplitV (a concatenation and its gradient): short rows copied value by value instead of one
 *   `subarray` + `set` a row (a U-Net's channel concatenation: 50,000 rows of 8 values).
 * Lecture 001 (CNN, backpropagation through convolution and pooling).
 */
import * as tf from "@tensorflow/tfjs";
import { makeConv2DBackpropFilter, makeConv2DBackpropInput } from "./conv2d_grad";
import { makeBatchMatMul } from "./matmul";
import { makeMaxPoolGrad } from "./pool_grad";
import { makeUnsortedSegmentSum } from "./segment_sum";
import { makeResizeNearestNeighborGrad } from "./resize_grad";
import { makeFusedAdam, useFusedAdam } from "./adam";
import { makeCast, makeIdentity } from "./identity";
import { makeGatherV2 } from "./gather";
import { makeAdd } from "./bias_add";
import { makeConv2D } from "./conv2d_pairs";
import { makeSum } from "./sum_rows";
import { makeConcat, makeSplitV } from "./concat";

let registered = false;

/** Registers `config`, replacing the stock kernel of the same name and backend if there is one. */
function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/** The stock kernel `name` on `backend`, which a replacement wraps. */
function stock(name: string, backend: string): tf.KernelConfig {
  const config = tf.getKernel(name, backend);
  if (config === undefined) throw new Error(`reti kernels: tfjs has no ${name} kernel on ${backend} to wrap (is @tensorflow/tfjs exactly 4.22.0?)`);
  return config;
}

/** Registers the lib's kernels (idempotent); runs when the tf module loads, before any backend starts. */
export function registerKernels(): void {
  if (registered) return;
  registered = true;
  for (const backend of ["wasm", "cpu"]) {
    replace(makeConv2DBackpropFilter(backend));
    replace(makeMaxPoolGrad(backend));
    replace(makeResizeNearestNeighborGrad(backend));
    replace(makeFusedAdam(backend));
  }
  useFusedAdam();
  replace(makeConv2DBackpropInput("wasm", stock("Conv2DBackpropInput", "wasm")));
  replace(makeBatchMatMul("wasm", stock("BatchMatMul", "wasm")));
  replace(makeUnsortedSegmentSum("wasm"));
  replace(makeIdentity("wasm", stock("Identity", "wasm")));
  replace(makeCast("wasm", stock("Cast", "wasm")));
  replace(makeGatherV2("wasm", stock("GatherV2", "wasm")));
  replace(makeAdd("wasm", stock("Add", "wasm")));
  replace(makeConv2D("wasm", stock("Conv2D", "wasm")));
  replace(makeSum("wasm", stock("Sum", "wasm")));
  replace(makeConcat("wasm", stock("Concat", "wasm")));
  replace(makeSplitV("wasm", stock("SplitV", "wasm")));
}

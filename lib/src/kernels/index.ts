/**
 * Kernels that tfjs 4.22 lacks or runs slowly, registered once when `reti` loads tf:
 * on wasm, Conv2DBackpropFilter (missing: CNN training throws), a stride-1 Conv2DBackpropInput
 * built on XNNPACK's Conv2D (faster than the stock loop) and UnsortedSegmentSum (missing: embedding
 * gradients throw). Lecture: CNN (001), backpropagation through a convolution.
 */
import * as tf from "@tensorflow/tfjs";
import { makeConv2DBackpropFilter, makeConv2DBackpropInput } from "./conv2d_grad";
import { makeUnsortedSegmentSum } from "./segment_sum";

let registered = false;

/** Registers the lib's kernels (idempotent); call before the backend initialises. */
export function registerKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel(makeConv2DBackpropFilter("wasm"));
  tf.registerKernel(makeUnsortedSegmentSum("wasm"));
  const stock = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (stock !== undefined) {
    tf.unregisterKernel("Conv2DBackpropInput", "wasm");
    tf.registerKernel(makeConv2DBackpropInput("wasm", stock));
  }
}

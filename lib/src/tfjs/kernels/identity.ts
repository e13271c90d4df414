/**
 * Identity on wasm without a copy: the result shares its input's memory (a reference count, as Reshape does on
 * wasm and Identity on cpu). The engine clones every tensor a gradient will need (43 per LeNet-5 training
 * step, the activations among them), and the stock wasm Identity copies each one. No kernel writes into its
 * inputs, so sharing is safe. Lecture 001 (backpropagation: what the forward pass keeps for the backward one).
 */
import * as tf from "@tensorflow/tfjs";

/** The no-copy Identity kernel for `backendName`; string tensors go to `stock`. */
export function makeIdentity(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return stock.kernelFunc(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { kernelName: "Identity", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

/**
 * Cast on wasm that shares its input when the type does not change (ReLU's gradient casts its float32 step
 * mask to float32 on every layer; the stock kernel copies); other casts go to `stock`.
 */
export function makeCast(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (x.dtype !== dtype || dtype === "string") return stock.kernelFunc(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { kernelName: "Cast", backendName, kernelFunc, setupFunc: stock.setupFunc };
}

/**
 * The one bridge between the from-scratch world (plain typed arrays: datasets, volumes, the MLP) and
 * TensorFlow.js tensors and models. Nothing else imports both `scratch/` or `data/` and TensorFlow.js.
 * Serves notebooks 02, 03 and 05, where the from-scratch code is checked against TensorFlow.js.
 */
import { type Dataset, oneHot } from "../data/dataset";
import { MNIST_PIXELS, MNIST_SIZE } from "../data/mnist";
import { type ConvOptions, type Volume, shapeOf } from "../scratch/conv";
import { Dense, MLP } from "../scratch/mlp";
import { type Cell, GATES } from "../scratch/rnn";
import { tf } from "./backend";

/** Options for `toTensors`. */
export interface TensorOptions {
  /** Shape of one example's features, e.g. [28, 28, 1] for images (default [cols]). */
  xShape?: number[];
  /** One-hot encode class labels into this many classes (y then has shape [rows, classes]). */
  oneHot?: number;
}

/**
 * The dataset as TensorFlow.js tensors: x float32 [rows, ...xShape], y float32 [rows, yCols] (or
 * [rows, classes] with `oneHot`). The caller owns (and disposes) both. Notebooks 00 and 02 (TensorFlow.js training).
 */
export function toTensors(ds: Dataset, options: TensorOptions = {}): { x: tf.Tensor; y: tf.Tensor2D } {
  const xShape = options.xShape ?? [ds.cols];
  const size = xShape.reduce((a, b) => a * b, 1);
  if (size !== ds.cols) throw new RangeError(`toTensors: xShape [${xShape}] holds ${size} values per example, the dataset has cols = ${ds.cols}`);
  const x = tf.tensor(ds.x, [ds.rows, ...xShape], "float32");
  const y =
    options.oneHot !== undefined
      ? tf.tensor2d(oneHot(ds.y, options.oneHot), [ds.rows, options.oneHot], "float32")
      : tf.tensor2d(Float32Array.from(ds.y), [ds.rows, ds.yCols], "float32");
  return { x, y };
}

/**
 * MNIST images and labels as tensors: x [N, 784] (`flat`, for an MLP) or [N, 28, 28, 1] (`image`,
 * for a CNN), y one-hot [N, 10]. The caller disposes them. Notebooks 02, 03 and 05 (lectures 000 and 003, MLP and CNN on digits).
 */
export function mnistTensors(ds: Dataset, layout: "flat" | "image" = "flat"): { x: tf.Tensor; y: tf.Tensor2D } {
  if (ds.cols !== MNIST_PIXELS) throw new RangeError(`mnistTensors: rows have ${ds.cols} values, an MNIST image has ${MNIST_PIXELS}`);
  return toTensors(ds, { xShape: layout === "image" ? [MNIST_SIZE, MNIST_SIZE, 1] : [MNIST_PIXELS], oneHot: 10 });
}

/** Builds the NHWC tensor [1, H, W, C] of a channels-first volume, for comparing with `tf.conv2d`. Notebook 05 (lecture 001, CNN). */
export function volumeToTensor(x: Volume): tf.Tensor4D {
  const [h, w] = shapeOf(x[0]!, "channel 0");
  const data = new Float32Array(h * w * x.length);
  x.forEach((channel, c) => channel.forEach((row, i) => row.forEach((v, j) => (data[(i * w + j) * x.length + c] = v))));
  return tf.tensor4d(data, [1, h, w, x.length]);
}

/** The channels-first volume of image `index` (default 0) of an NHWC tensor. Notebook 05 (lecture 001, CNN). */
export function tensorToVolume(t: tf.Tensor4D, index = 0): Volume {
  const [n, h, w, c] = t.shape;
  if (index < 0 || index >= n) throw new Error(`image ${index} does not exist: the tensor holds ${n}`);
  const data = t.dataSync();
  const base = index * h * w * c;
  return Array.from({ length: c }, (_, k) => Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => data[base + (i * w + j) * c + k]!)));
}

/** Builds the HWIO filter tensor [kh, kw, C, K] that `tf.conv2d` takes from kernels given as `kernels[k][c]` slices. Notebook 05 (lecture 001, CNN). */
export function kernelsToTensor(kernels: Volume[]): tf.Tensor4D {
  const K = kernels.length;
  const C = kernels[0]!.length;
  const [kh, kw] = shapeOf(kernels[0]![0]!, "kernel 0");
  const data = new Float32Array(kh * kw * C * K);
  kernels.forEach((kernel, k) => kernel.forEach((slice, c) => slice.forEach((row, a) => row.forEach((v, b) => (data[((a * kw + b) * C + c) * K + k] = v)))));
  return tf.tensor4d(data, [kh, kw, C, K]);
}

/** The kernels `kernels[k][c]` of an HWIO filter tensor [kh, kw, C, K] (the inverse of `kernelsToTensor`). Notebook 05 (lecture 001, CNN). */
export function tensorToKernels(t: tf.Tensor4D): Volume[] {
  const [kh, kw, C, K] = t.shape;
  const data = t.dataSync();
  return Array.from({ length: K }, (_, k) => Array.from({ length: C }, (_, c) => Array.from({ length: kh }, (_, a) => Array.from({ length: kw }, (_, b) => data[((a * kw + b) * C + c) * K + k]!))));
}

/**
 * TensorFlow.js's autodiff of L = Σ (conv2d(x, kernels) + bias) ⊙ gradOutput, so its gradients are ∂L/∂x, ∂L/∂kernels
 * and ∂L/∂bias for that output gradient: `tf.grads` of `tf.conv2d` with explicit padding and strides, converted back to
 * volumes, for checking `conv2dChannelsBackward`. Notebook 05 (lecture 001, CNN, the convolution's backward pass).
 */
export function conv2dGradsTf(x: Volume, kernels: Volume[], gradOutput: Volume, options: ConvOptions = {}): { dx: Volume; dKernels: Volume[]; dBias: number[] } {
  const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v);
  const [pr, pc] = pair(options.padding, 0);
  const strides = pair(options.stride, 1);
  return tf.tidy(() => {
    const xt = volumeToTensor(x);
    const wt = kernelsToTensor(kernels);
    const bt = tf.zeros([kernels.length]);
    const dy = volumeToTensor(gradOutput);
    const f = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, strides, [[0, 0], [pr, pr], [pc, pc], [0, 0]]).add(b).mul(dy).sum();
    const [dx, dw, db] = tf.grads(f)([xt, wt, bt]);
    return { dx: tensorToVolume(dx as tf.Tensor4D), dKernels: tensorToKernels(dw as tf.Tensor4D), dBias: Array.from(db!.dataSync()) };
  });
}

/** TensorFlow.js's name for each activation a dense layer can carry. */
const TF_ACTIVATIONS = {
  linear: "linear",
  sigmoid: "sigmoid",
  tanh: "tanh",
  relu: "relu",
  elu: "elu",
  softmax: "softmax",
} as const;

/**
 * The TensorFlow.js model equivalent to `net`, with the same weights: one `tf.layers.dense` per layer
 * (kernel = Wᵀ, of shape inputs×units, as TensorFlow.js stores it; leaky ReLU as a linear dense layer
 * followed by `tf.layers.leakyReLU({ alpha: 0.01 })`). Create it after `await initBackend()`.
 * Notebooks 02 and 03 (lectures 000 and 003, MLP).
 */
export function toTfModel(net: MLP): tf.Sequential {
  const model = tf.sequential();
  const weights: tf.Tensor[] = [];
  net.layers.forEach((layer, l) => {
    if (layer.activation === "step") {
      throw new Error(`toTfModel: layer ${l} uses the step activation, which TensorFlow.js layers lack (its gradient is 0): use sigmoid instead`);
    }
    const leaky = layer.activation === "leakyRelu";
    model.add(
      tf.layers.dense({
        units: layer.units,
        activation: leaky ? "linear" : TF_ACTIVATIONS[layer.activation as keyof typeof TF_ACTIVATIONS],
        ...(l === 0 ? { inputShape: [layer.inputs] } : {}),
      }),
    );
    if (leaky) model.add(tf.layers.leakyReLU({ alpha: 0.01 }));
    const kernel = new Float32Array(layer.inputs * layer.units);
    for (let i = 0; i < layer.units; i++) for (let j = 0; j < layer.inputs; j++) kernel[j * layer.units + i] = layer.W[i * layer.inputs + j]!;
    weights.push(tf.tensor2d(kernel, [layer.inputs, layer.units]), tf.tensor1d(Float32Array.from(layer.b)));
  });
  model.setWeights(weights);
  tf.dispose(weights);
  return model;
}

/**
 * The from-scratch network holding a TensorFlow.js model's weights: each dense layer's kernel
 * (inputs×units) becomes W (units×inputs). Accepts models made only of dense layers (and leakyReLU
 * layers right after a linear dense one). Notebook 02 (lectures 000 and 003, MLP).
 */
export function fromTfModel(model: tf.LayersModel): MLP {
  const layers: Dense[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === "LeakyReLU") {
      const prev = layers.pop();
      if (prev === undefined || prev.activation !== "linear") throw new Error("fromTfModel: a LeakyReLU layer must follow a linear Dense layer");
      layers.push(new Dense(prev.inputs, prev.units, "leakyRelu", prev.W, prev.b));
      continue;
    }
    if (cls !== "Dense") throw new Error(`fromTfModel: layer "${layer.name}" is a ${cls}; only Dense (and LeakyReLU) layers have a from-scratch twin here`);
    const [kernel, bias] = layer.getWeights();
    if (kernel === undefined || bias === undefined) throw new Error(`fromTfModel: layer "${layer.name}" has no bias; build it with useBias: true`);
    const [inputs, units] = kernel.shape as [number, number];
    const k = kernel.dataSync();
    const W = new Float64Array(units * inputs);
    for (let i = 0; i < units; i++) for (let j = 0; j < inputs; j++) W[i * inputs + j] = k[j * units + i]!;
    const act = (layer.getConfig() as { activation?: string }).activation ?? "linear";
    const name = (Object.keys(TF_ACTIVATIONS) as (keyof typeof TF_ACTIVATIONS)[]).find((n) => TF_ACTIVATIONS[n] === act);
    if (name === undefined) throw new Error(`fromTfModel: layer "${layer.name}" uses activation "${act}", which has no from-scratch twin in reti`);
    layers.push(new Dense(inputs, units, name, W, bias.dataSync()));
  }
  return new MLP(layers);
}

/** tfjs's gate blocks for each from-scratch cell: LSTM i, f, c, o (scratch f, i, g, o); GRU z, r, h with z = 1 − u. */
const TF_GATE_ORDER = { rnn: ["h"], lstm: ["i", "f", "g", "o"], gru: ["u", "r", "g"] } as const;

/**
 * A from-scratch cell's weights in the layout of `tf.layers.simpleRNN/lstm/gru` (and the lib's fast
 * `rnnTf.Recurrent`): [kernel [I, G·H], recurrentKernel [H, G·H], bias [G·H]]. Conventions: tfjs orders the
 * LSTM's gates i, f, c, o; its GRU computes h = z⊙h_{t−1} + (1−z)⊙h̃, so lecture 002's update gate is u = 1 − z
 * = σ(−·) and its weights are copied negated; the reset gate acts before the recurrent product (tfjs has no
 * resetAfter). The layers must use recurrentActivation "sigmoid" (tfjs defaults to the hard sigmoid).
 * The caller disposes the tensors. Notebook 06 (lecture 002, LSTM and GRU against TensorFlow.js).
 */
export function cellToTfWeights(cell: Cell): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  const { inputs: I, units: H } = cell;
  const order = TF_GATE_ORDER[cell.kind];
  const G = order.length;
  const kernel = new Float32Array(I * G * H);
  const recurrent = new Float32Array(H * G * H);
  const bias = new Float32Array(G * H);
  order.forEach((name, block) => {
    const g = cell.gates[name]!;
    const sign = cell.kind === "gru" && name === "u" ? -1 : 1;
    for (let k = 0; k < H; k++) {
      bias[block * H + k] = sign * g.b[k]!;
      for (let j = 0; j < I; j++) kernel[j * G * H + block * H + k] = sign * g.W[k * I + j]!;
      for (let j = 0; j < H; j++) recurrent[j * G * H + block * H + k] = sign * g.U[k * H + j]!;
    }
  });
  return [tf.tensor2d(kernel, [I, G * H]), tf.tensor2d(recurrent, [H, G * H]), tf.tensor1d(bias)];
}

/** Gradients laid out as `cellToTfWeights` (kernel, recurrent kernel, bias) mapped back to the cell's gates (per gate dW, dU, db, in `params` order). Notebook 06 (BPTT against TensorFlow.js autodiff). */
export function tfGradsToCell(cell: Cell, kernel: ArrayLike<number>, recurrent: ArrayLike<number>, bias: ArrayLike<number>): Float64Array[] {
  const { inputs: I, units: H } = cell;
  const order: readonly string[] = TF_GATE_ORDER[cell.kind];
  const G = order.length;
  return GATES[cell.kind].flatMap((name) => {
    const block = order.indexOf(name);
    const sign = cell.kind === "gru" && name === "u" ? -1 : 1;
    const dW = new Float64Array(H * I);
    const dU = new Float64Array(H * H);
    const db = new Float64Array(H);
    for (let k = 0; k < H; k++) {
      db[k] = sign * bias[block * H + k]!;
      for (let j = 0; j < I; j++) dW[k * I + j] = sign * kernel[j * G * H + block * H + k]!;
      for (let j = 0; j < H; j++) dU[k * H + j] = sign * recurrent[j * G * H + block * H + k]!;
    }
    return [dW, dU, db];
  });
}

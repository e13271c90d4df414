/**
 * Convolutional architectures as small TensorFlow.js builders: LeNet-5 for training on MNIST, the modern CNNs
 * the lectures name (AlexNet, VGG, the Inception module, ResNet blocks, DenseNet blocks) for their structure and
 * parameter counts, and a deep plain CNN against the same depth with skip connections. Every initializer is
 * seeded through `nextSeed()`, so `seed(n)` makes the weights repeat. Notebook 05 (lectures 000 and 003, CNN, architectures).
 */
import { nextSeed } from "../core/random";
import { tf } from "./backend";

type Activation = "relu" | "tanh";

function glorot(): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: nextSeed() });
}

function heNormal(): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: nextSeed() });
}

interface ConvArgs {
  strides?: number;
  padding?: "same" | "valid";
  activation?: Activation | "linear";
  name?: string;
  inputShape?: [number, number, number];
}

function conv(filters: number, kernelSize: number, options: ConvArgs = {}) {
  return tf.layers.conv2d({
    inputShape: options.inputShape,
    filters,
    kernelSize,
    strides: options.strides ?? 1,
    padding: options.padding ?? "same",
    activation: options.activation ?? "relu",
    kernelInitializer: heNormal(),
    name: options.name,
  });
}

function dense(units: number, activation: Activation | "softmax" | "linear", name?: string) {
  return tf.layers.dense({ units, activation, kernelInitializer: glorot(), name });
}

/** Parameters of a 2-D convolution layer: kh·kw·C_in·C_out weights plus C_out biases. Notebook 05 (lecture 001, CNN, parameter counts). */
export function conv2dParams(kernelSize: number | [number, number], inChannels: number, outChannels: number, bias = true): number {
  const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
  return kh * kw * inChannels * outChannels + (bias ? outChannels : 0);
}

/** Parameters of a fully connected layer: n_in·n_out weights plus n_out biases. Notebook 05 (lecture 000, MLP, parameter counts). */
export function denseParams(inputs: number, outputs: number, bias = true): number {
  return inputs * outputs + (bias ? outputs : 0);
}

/** Options of `lenet5`. */
export interface LeNetOptions {
  /** Activation after each convolution and hidden dense layer (default "relu"; LeCun's original used tanh). */
  activation?: Activation;
  /** Sub-sampling layers (default "max"; the original averaged). */
  pooling?: "max" | "avg";
  /** Input image side in pixels, one channel (default 28, MNIST). */
  size?: number;
  /** Number of classes (default 10). */
  classes?: number;
  /** Dropout rate after each hidden dense layer (default 0, none; lecture 003's regulariser for small datasets). */
  dropout?: number;
}

/**
 * LeNet-5 (LeCun et al., 1998) for 28×28 digits: conv 5×5×6 "same" → pool 2 → conv 5×5×16 → pool 2 →
 * dense 120 → dense 84 → dense `classes` with softmax (optionally dropout after the hidden dense layers); 61,706
 * parameters for MNIST. Notebook 05 (lecture 003, CNN, LeNet).
 */
export function lenet5(options: LeNetOptions = {}): tf.Sequential {
  const { activation = "relu", pooling = "max", size = 28, classes = 10, dropout = 0 } = options;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`dropout must be a rate in [0, 1), got ${dropout}`);
  const pool = () => (pooling === "max" ? tf.layers.maxPooling2d({ poolSize: 2 }) : tf.layers.averagePooling2d({ poolSize: 2 }));
  const drop = () => (dropout > 0 ? [tf.layers.dropout({ rate: dropout, seed: nextSeed() })] : []);
  return tf.sequential({
    name: "lenet5",
    layers: [
      tf.layers.conv2d({ inputShape: [size, size, 1], filters: 6, kernelSize: 5, padding: "same", activation, kernelInitializer: glorot(), name: "conv1" }),
      pool(),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation, kernelInitializer: glorot(), name: "conv2" }),
      pool(),
      tf.layers.flatten(),
      dense(120, activation, "fc1"),
      ...drop(),
      dense(84, activation, "fc2"),
      ...drop(),
      dense(classes, "softmax", "out"),
    ],
  });
}

/** Size options shared by the modern-CNN builders: the originals by default, shrunk for quick experiments. */
export interface ArchitectureOptions {
  /** Input [height, width, channels] (default the paper's, e.g. [224, 224, 3]). */
  inputShape?: [number, number, number];
  /** Number of classes (default 1000, ImageNet). */
  classes?: number;
  /** Multiplies every layer's channel and unit count (default 1, the paper's widths). */
  width?: number;
}

function widthOf(options: ArchitectureOptions): (n: number) => number {
  const w = options.width ?? 1;
  if (!(w > 0)) throw new Error(`width must be a positive multiplier, got ${w}`);
  return (n) => Math.max(1, Math.round(n * w));
}

/**
 * AlexNet (Krizhevsky et al., 2012), single-tower: conv 11×11/4 ×96 → max-pool 3/2 → conv 5×5 ×256 → pool →
 * conv 3×3 ×384, ×384, ×256 → pool → dense 4096 → dense 4096 → softmax; ReLU and dropout 0.5 (its novelties with
 * data augmentation). 62,378,344 parameters at 227×227×3 and 1000 classes. Notebook 05 (lecture 003, CNN, modern CNNs).
 */
export function alexNet(options: ArchitectureOptions = {}): tf.Sequential {
  const { inputShape = [227, 227, 3], classes = 1000 } = options;
  const w = widthOf(options);
  const model = tf.sequential({ name: "alexnet" });
  model.add(conv(w(96), 11, { strides: 4, padding: "valid", inputShape }));
  model.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }));
  model.add(conv(w(256), 5));
  model.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }));
  for (const filters of [384, 384, 256]) model.add(conv(w(filters), 3));
  model.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }));
  model.add(tf.layers.flatten());
  for (let i = 0; i < 2; i++) {
    model.add(dense(w(4096), "relu"));
    model.add(tf.layers.dropout({ rate: 0.5, seed: nextSeed() }));
  }
  model.add(dense(classes, "softmax"));
  return model;
}

/** The convolution widths of VGG-16 (Simonyan & Zisserman, 2014): five blocks of 3×3 convolutions, each closed by a 2×2 max-pool. */
export const VGG16_BLOCKS: readonly (readonly number[])[] = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];

/**
 * VGG: blocks of 3×3 convolutions (two 3×3 see as far as one 5×5 with fewer weights and one more non-linearity),
 * each block closed by a 2×2 max-pool, then dense 4096 → 4096 → softmax. VGG-16 (the default blocks) has 138,357,544
 * parameters at 224×224×3; its convolutional part alone 14,714,688. `top: false` leaves out the dense layers.
 * Notebook 05 (lecture 003, CNN, modern CNNs).
 */
export function vgg(options: ArchitectureOptions & { blocks?: readonly (readonly number[])[]; top?: boolean } = {}): tf.Sequential {
  const { inputShape = [224, 224, 3], classes = 1000, blocks = VGG16_BLOCKS, top = true } = options;
  const w = widthOf(options);
  const model = tf.sequential({ name: "vgg" });
  blocks.forEach((block, b) => {
    block.forEach((filters, i) => {
      model.add(conv(w(filters), 3, { name: `block${b + 1}_conv${i + 1}`, inputShape: b === 0 && i === 0 ? inputShape : undefined }));
    });
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: `block${b + 1}_pool` }));
  });
  if (top) {
    model.add(tf.layers.flatten());
    model.add(dense(w(4096), "relu"));
    model.add(dense(w(4096), "relu"));
    model.add(dense(classes, "softmax"));
  }
  return model;
}

/** The four branches' widths of an Inception module. */
export interface InceptionFilters {
  /** 1×1 convolutions. */
  c1: number;
  /** 1×1 reduction before the 3×3 convolutions, and the 3×3 convolutions. */
  c3reduce: number;
  c3: number;
  /** 1×1 reduction before the 5×5 convolutions, and the 5×5 convolutions. */
  c5reduce: number;
  c5: number;
  /** 1×1 projection after the 3×3 max-pool. */
  poolProj: number;
}

/** GoogLeNet's first Inception module, "3a" (on 192 input channels: 163,696 parameters, 256 output channels). */
export const INCEPTION_3A: InceptionFilters = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 };

/**
 * An Inception module (Szegedy et al., 2014): 1×1, 3×3 and 5×5 convolutions and a 3×3 max-pool look at the same
 * input in parallel (1×1 reductions keep it cheap) and their feature maps are concatenated along the channels.
 * Notebook 05 (lecture 003, CNN, Inception).
 */
export function inceptionModule(x: tf.SymbolicTensor, f: InceptionFilters, name = "inception"): tf.SymbolicTensor {
  const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor) => layer.apply(input) as tf.SymbolicTensor;
  const b1 = apply(conv(f.c1, 1, { name: `${name}_1x1` }), x);
  const b3 = apply(conv(f.c3, 3, { name: `${name}_3x3` }), apply(conv(f.c3reduce, 1, { name: `${name}_3x3_reduce` }), x));
  const b5 = apply(conv(f.c5, 5, { name: `${name}_5x5` }), apply(conv(f.c5reduce, 1, { name: `${name}_5x5_reduce` }), x));
  const pooled = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: "same", name: `${name}_pool` }), x);
  const bp = apply(conv(f.poolProj, 1, { name: `${name}_pool_proj` }), pooled);
  return tf.layers.concatenate({ axis: -1, name: `${name}_concat` }).apply([b1, b3, b5, bp]) as tf.SymbolicTensor;
}

/**
 * A residual block (He et al., 2015): y = ReLU(x + F(x)) with F two 3×3 convolutions ("basic", ResNet-18/34) or
 * 1×1 → 3×3 → 1×1 with 4× wider output ("bottleneck", ResNet-50 and deeper); batch normalisation after each
 * convolution; a 1×1 projection on the skip path when the shape changes. The identity skip lets the gradient reach
 * early layers undiminished. Notebook 05 (lectures 000 and 003, CNN, ResNet).
 */
export function residualBlock(
  x: tf.SymbolicTensor,
  filters: number,
  options: { strides?: number; bottleneck?: boolean; name?: string } = {},
): tf.SymbolicTensor {
  const { strides = 1, bottleneck = false, name = "res" } = options;
  const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor) => layer.apply(input) as tf.SymbolicTensor;
  const bn = (input: tf.SymbolicTensor, n: string) => apply(tf.layers.batchNormalization({ name: `${name}_${n}_bn` }), input);
  const relu = (input: tf.SymbolicTensor, n: string) => apply(tf.layers.activation({ activation: "relu", name: `${name}_${n}_relu` }), input);
  const outChannels = bottleneck ? 4 * filters : filters;
  const convs: [number, number, number][] = bottleneck
    ? [[filters, 1, strides], [filters, 3, 1], [outChannels, 1, 1]]
    : [[filters, 3, strides], [filters, 3, 1]];
  let y = x;
  convs.forEach(([f, k, s], i) => {
    y = bn(apply(conv(f, k, { strides: s, activation: "linear", name: `${name}_conv${i + 1}` }), y), `conv${i + 1}`);
    if (i < convs.length - 1) y = relu(y, `conv${i + 1}`);
  });
  const inChannels = x.shape[x.shape.length - 1];
  const skip = strides !== 1 || inChannels !== outChannels ? bn(apply(conv(outChannels, 1, { strides, activation: "linear", name: `${name}_proj` }), x), "proj") : x;
  return relu(apply(tf.layers.add({ name: `${name}_add` }), [skip, y] as unknown as tf.SymbolicTensor), "out");
}

/**
 * A dense block (Huang et al., 2017): each of `layers` BN-ReLU-conv 3×3 layers sees the concatenation of all earlier
 * feature maps and adds `growthRate` new channels, so the block outputs C_in + layers·growthRate channels.
 * Notebook 05 (lecture 003, CNN, DenseNet).
 */
export function denseBlock(x: tf.SymbolicTensor, layers: number, growthRate: number, name = "dense"): tf.SymbolicTensor {
  let features = x;
  for (let i = 0; i < layers; i++) {
    const normed = tf.layers.batchNormalization({ name: `${name}_${i + 1}_bn` }).apply(features) as tf.SymbolicTensor;
    const activated = tf.layers.activation({ activation: "relu", name: `${name}_${i + 1}_relu` }).apply(normed) as tf.SymbolicTensor;
    const fresh = conv(growthRate, 3, { activation: "linear", name: `${name}_${i + 1}_conv` }).apply(activated) as tf.SymbolicTensor;
    features = tf.layers.concatenate({ axis: -1, name: `${name}_${i + 1}_concat` }).apply([features, fresh]) as tf.SymbolicTensor;
  }
  return features;
}

/** Global average pooling and a softmax classifier on top of a feature extractor. */
function classifierHead(x: tf.SymbolicTensor, classes: number): tf.SymbolicTensor {
  const pooled = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as tf.SymbolicTensor;
  return dense(classes, "softmax", "classifier").apply(pooled) as tf.SymbolicTensor;
}

/**
 * A small Inception network: a 3×3 stem, two Inception modules (widths of GoogLeNet's 3a scaled by `width`), global
 * average pooling and softmax. Notebook 05 (lecture 003, CNN, Inception).
 */
export function inceptionNet(options: ArchitectureOptions = {}): tf.LayersModel {
  const { inputShape = [32, 32, 3], classes = 10 } = options;
  const w = widthOf(options);
  const scaled = (f: InceptionFilters): InceptionFilters =>
    Object.fromEntries(Object.entries(f).map(([k, v]) => [k, w(v)])) as unknown as InceptionFilters;
  const input = tf.input({ shape: inputShape });
  let x = conv(w(64), 3, { name: "stem" }).apply(input) as tf.SymbolicTensor;
  x = inceptionModule(x, scaled(INCEPTION_3A), "inception_a");
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = inceptionModule(x, scaled(INCEPTION_3A), "inception_b");
  return tf.model({ inputs: input, outputs: classifierHead(x, classes), name: "inception_net" });
}

/**
 * A small ResNet: a 3×3 stem and `stages` stages of `blocksPerStage` basic residual blocks, the channels doubling
 * (and the resolution halving) at each stage. Notebook 05 (lecture 003, CNN, ResNet).
 */
export function resNet(options: ArchitectureOptions & { stages?: number; blocksPerStage?: number } = {}): tf.LayersModel {
  const { inputShape = [32, 32, 3], classes = 10, stages = 3, blocksPerStage = 2 } = options;
  const w = widthOf(options);
  const input = tf.input({ shape: inputShape });
  let x = conv(w(16), 3, { name: "stem" }).apply(input) as tf.SymbolicTensor;
  for (let s = 0; s < stages; s++) {
    for (let b = 0; b < blocksPerStage; b++) {
      x = residualBlock(x, w(16 * 2 ** s), { strides: s > 0 && b === 0 ? 2 : 1, name: `stage${s + 1}_block${b + 1}` });
    }
  }
  return tf.model({ inputs: input, outputs: classifierHead(x, classes), name: "resnet" });
}

/**
 * A small DenseNet: a 3×3 stem, dense blocks joined by transition layers (1×1 convolution halving the channels,
 * then 2×2 average pooling). Notebook 05 (lecture 003, CNN, DenseNet).
 */
export function denseNet(options: ArchitectureOptions & { blocks?: number; layersPerBlock?: number; growthRate?: number } = {}): tf.LayersModel {
  const { inputShape = [32, 32, 3], classes = 10, blocks = 3, layersPerBlock = 4, growthRate = 12 } = options;
  const w = widthOf(options);
  const input = tf.input({ shape: inputShape });
  let x = conv(w(2 * growthRate), 3, { name: "stem" }).apply(input) as tf.SymbolicTensor;
  for (let b = 0; b < blocks; b++) {
    x = denseBlock(x, layersPerBlock, w(growthRate), `block${b + 1}`);
    if (b < blocks - 1) {
      const channels = x.shape[x.shape.length - 1]!;
      x = conv(Math.floor(channels / 2), 1, { name: `transition${b + 1}` }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.averagePooling2d({ poolSize: 2, name: `transition${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
    }
  }
  return tf.model({ inputs: input, outputs: classifierHead(x, classes), name: "densenet" });
}

/** Options of `deepCnn`. */
export interface DeepCnnOptions {
  /** Number of 3×3 convolution layers after the stem (even when `residual`; default 20). */
  depth?: number;
  /** Channels of every convolution (default 16). */
  filters?: number;
  /** Add an identity skip around every pair of convolutions (default false: a plain stack). */
  residual?: boolean;
  /** Input [height, width, channels] (default [28, 28, 1], MNIST). */
  inputShape?: [number, number, number];
  /** Number of classes (default 10). */
  classes?: number;
  /**
   * The kernels' initial variance: "lecun" 1/fan-in (default; with ReLU it halves the signal's second moment at every
   * layer) or "he" 2/fan-in (keeps it). Notebook 05 (lecture 000, CNN, ResNet; lecture 001, initialisation).
   */
  init?: "lecun" | "he";
}

/**
 * A deep CNN for the residual-connection experiment: a stem convolution named "stem", `depth` 3×3 ReLU convolutions
 * (with `residual`, grouped in pairs y = ReLU(x + conv(ReLU(conv(x))))), global average pooling and softmax; no batch
 * normalisation, so the plain stack shows the vanishing gradient at its first layer. Notebook 05 (lecture 000, CNN, ResNet).
 */
export function deepCnn(options: DeepCnnOptions = {}): tf.LayersModel {
  const { depth = 20, filters = 16, residual = false, inputShape = [28, 28, 1], classes = 10, init = "lecun" } = options;
  if (!(Number.isInteger(depth) && depth >= 2 && (!residual || depth % 2 === 0))) {
    throw new Error(`depth must be an integer ≥ 2${residual ? " and even (convolutions come in pairs around each skip)" : ""}, got ${depth}`);
  }
  const input = tf.input({ shape: inputShape });
  const gentle = () => tf.initializers.varianceScaling({ scale: init === "he" ? 2 : 1, mode: "fanIn", distribution: "normal", seed: nextSeed() });
  const layer = (name: string, activation: "relu" | "linear" = "relu") =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: "same", activation, kernelInitializer: gentle(), name });
  let x = layer("stem").apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  for (let i = 1; i <= depth; i += residual ? 2 : 1) {
    if (residual) {
      const inner = layer(`conv${i}`).apply(x) as tf.SymbolicTensor;
      const y = layer(`conv${i + 1}`, "linear").apply(inner) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: `skip${i + 1}` }).apply([x, y]) as tf.SymbolicTensor;
      x = tf.layers.activation({ activation: "relu" }).apply(sum) as tf.SymbolicTensor;
    } else {
      x = layer(`conv${i}`).apply(x) as tf.SymbolicTensor;
    }
  }
  return tf.model({ inputs: input, outputs: classifierHead(x, classes), name: residual ? "residual_cnn" : "plain_cnn" });
}

/**
 * The gradient norm ‖∂L/∂W‖ of every convolution and dense kernel of `model` on the batch (x, y) with categorical
 * cross-entropy, in layer order: how much signal reaches each depth. Notebook 05 (lecture 000, CNN, vanishing gradients and ResNet).
 */
export function kernelGradientNorms(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): { layer: string; norm: number }[] {
  const kernels = model.layers.flatMap((l) => l.trainableWeights.filter((w) => w.shape.length > 1).map((w) => ({ layer: l.name, w })));
  return tf.tidy(() => {
    const vars = kernels.map((k) => k.w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.metrics.categoricalCrossentropy(y, model.predict(x) as tf.Tensor).mean() as tf.Scalar, vars);
    return kernels.map((k, i) => ({ layer: k.layer, norm: grads[vars[i]!.name]!.norm().dataSync()[0]! }));
  });
}

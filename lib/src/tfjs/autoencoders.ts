/**
 * Autoencoders in TensorFlow.js: an encoder (codificatore) g_φ: ℝᵈ → ℝᶻ and a decoder (decodificatore)
 * f_θ: ℝᶻ → ℝᵈ trained so that f_θ(g_φ(x)) ≈ x. Builders for the linear, dense and convolutional
 * autoencoders, the variational autoencoder (reparameterisation trick, KL term, its training loop and
 * sampling from the prior), a small U-Net with or without skip connections, and the data the notebook
 * feeds them (noisy digits, digits to segment on clutter). Every initializer is seeded by `nextSeed()`.
 * Notebook 09 (lecture 003, autoencoders and U-Net).
 */
import { nextSeed, rng, type Random } from "../core/random";
import { LiveTraining } from "../display/live";
import type { GrayImage } from "../display/images";
import { tf } from "./backend";

/** An encoder, a decoder and the autoencoder that chains them (sharing their weights). Notebook 09 (lecture 003, autoencoders). */
export interface Autoencoder {
  /** g_φ: input → code (z values per example). */
  encoder: tf.LayersModel;
  /** f_θ: code → reconstruction of the input. */
  decoder: tf.LayersModel;
  /** x ↦ f_θ(g_φ(x)), the model to train. */
  model: tf.LayersModel;
}

type Activation = "relu" | "tanh" | "linear" | "sigmoid";

function glorot() {
  return tf.initializers.glorotUniform({ seed: nextSeed() });
}

function heNormal() {
  return tf.initializers.heNormal({ seed: nextSeed() });
}

function dense(units: number, activation: Activation, options: { inputShape?: number[]; useBias?: boolean; name?: string } = {}) {
  return tf.layers.dense({
    units,
    activation,
    kernelInitializer: activation === "relu" ? heNormal() : glorot(),
    useBias: options.useBias ?? true,
    inputShape: options.inputShape,
    name: options.name,
  });
}

function conv(filters: number, kernelSize: number, activation: Activation, strides = 1) {
  return tf.layers.conv2d({ filters, kernelSize, strides, padding: "same", activation, kernelInitializer: activation === "relu" ? heNormal() : glorot() });
}

function convTranspose(filters: number, kernelSize: number, activation: Activation, strides = 2) {
  return tf.layers.conv2dTranspose({ filters, kernelSize, strides, padding: "same", activation, kernelInitializer: activation === "relu" ? heNormal() : glorot() });
}

/** The autoencoder x ↦ decoder(encoder(x)) as one trainable model. */
function chain(encoder: tf.LayersModel, decoder: tf.LayersModel, name: string): Autoencoder {
  const input = tf.input({ shape: encoder.inputs[0]!.shape.slice(1) as number[] });
  const output = decoder.apply(encoder.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return { encoder, decoder, model: tf.model({ inputs: input, outputs: output, name }) };
}

/** Options of `denseAutoencoder`. Notebook 09 (lecture 003, autoencoders). */
export interface DenseAutoencoderOptions {
  /** Code size z (the lecture's ℝ⁵ → ℝ³ example has z = 3; for MNIST 2 to 32). */
  code: number;
  /** Input size d (default 784, a flattened MNIST digit). */
  input?: number;
  /** Hidden layer widths of the encoder; the decoder mirrors them (default [128]). */
  hidden?: number[];
  /** Activation of the hidden layers (default "relu"). */
  activation?: Activation;
  /** Activation of the reconstruction (default "sigmoid": pixels in [0, 1], trained with binary cross-entropy). */
  output?: Activation;
}

/**
 * A fully connected autoencoder d → hidden… → z → …hidden → d, with a linear code layer.
 * Notebook 09 (lecture 003, autoencoders: encoder g_φ, decoder f_θ).
 */
export function denseAutoencoder(options: DenseAutoencoderOptions): Autoencoder {
  const { code, input = 784, hidden = [128], activation = "relu", output = "sigmoid" } = options;
  if (!(Number.isInteger(code) && code >= 1)) throw new Error(`denseAutoencoder: code must be a positive integer, got ${code}`);
  const encoder = tf.sequential({ name: "encoder" });
  hidden.forEach((h, i) => encoder.add(dense(h, activation, i === 0 ? { inputShape: [input] } : {})));
  encoder.add(dense(code, "linear", hidden.length === 0 ? { inputShape: [input], name: "code" } : { name: "code" }));
  const decoder = tf.sequential({ name: "decoder" });
  [...hidden].reverse().forEach((h, i) => decoder.add(dense(h, activation, i === 0 ? { inputShape: [code] } : {})));
  decoder.add(dense(input, output, hidden.length === 0 ? { inputShape: [code], name: "reconstruction" } : { name: "reconstruction" }));
  return chain(encoder, decoder, `dense_ae_${code}`);
}

/**
 * A linear autoencoder d → z → d: no hidden layer, no non-linearity (biases kept). Trained with the squared
 * error, its decoder's columns span the principal subspace of the data (Baldi and Hornik, 1989).
 * Notebook 09 (lecture 003, autoencoders: a linear autoencoder is PCA).
 */
export function linearAutoencoder(input: number, code: number): Autoencoder {
  return denseAutoencoder({ input, code, hidden: [], output: "linear" });
}

/**
 * The decoder's directions of a dense autoencoder whose decoder is one dense layer: its kernel W (z × d)
 * as z rows of d values, x̂ = b + Σ_i z_i W_i. Notebook 09 (lecture 003, a linear autoencoder is PCA).
 */
export function decoderDirections(ae: Autoencoder): Float32Array {
  const layers = ae.decoder.layers;
  if (layers.length !== 1) throw new Error(`decoderDirections: the decoder has ${layers.length} layers; a linear decoder has one dense layer`);
  return layers[0]!.getWeights()[0]!.dataSync() as Float32Array;
}

/** Options of `convAutoencoder`. Notebook 09 (lecture 003, autoencoders, CNN). */
export interface ConvAutoencoderOptions {
  /** Code size z. */
  code: number;
  /** Filters of the two stride-2 convolutions of the encoder (default [16, 32]); the decoder mirrors them. */
  filters?: [number, number];
  /** How the decoder doubles the resolution: "transpose" (stride-2 transposed convolutions, default) or "nearest" (nearest-neighbour upsampling, then a convolution). */
  upsampling?: "transpose" | "nearest";
  /** Image side (default 28; must be divisible by 4). */
  size?: number;
}

/**
 * A convolutional autoencoder for size×size×1 images: conv 3×3 stride 2 (size/2) → conv 3×3 stride 2 (size/4)
 * → dense code; the decoder goes back with a dense layer, a reshape and two ×2 upsamplings (transposed
 * convolutions or nearest-neighbour + convolution) to a sigmoid image. Notebook 09 (lecture 003, autoencoders, CNN).
 */
export function convAutoencoder(options: ConvAutoencoderOptions): Autoencoder {
  const { code, filters = [16, 32], upsampling = "transpose", size = 28 } = options;
  if (size % 4 !== 0) throw new Error(`convAutoencoder: size ${size} must be divisible by 4`);
  const [f1, f2] = filters;
  const q = size / 4;
  const encoder = tf.sequential({ name: "conv_encoder" });
  encoder.add(tf.layers.conv2d({ inputShape: [size, size, 1], filters: f1, kernelSize: 3, strides: 2, padding: "same", activation: "relu", kernelInitializer: heNormal() }));
  encoder.add(conv(f2, 3, "relu", 2));
  encoder.add(tf.layers.flatten());
  encoder.add(dense(code, "linear", { name: "code" }));
  const decoder = tf.sequential({ name: "conv_decoder" });
  decoder.add(dense(q * q * f2, "relu", { inputShape: [code] }));
  decoder.add(tf.layers.reshape({ targetShape: [q, q, f2] }));
  if (upsampling === "transpose") {
    decoder.add(convTranspose(f1, 3, "relu"));
    decoder.add(convTranspose(1, 3, "sigmoid"));
  } else {
    decoder.add(tf.layers.upSampling2d({ size: [2, 2] }));
    decoder.add(conv(f1, 3, "relu"));
    decoder.add(tf.layers.upSampling2d({ size: [2, 2] }));
    decoder.add(conv(1, 3, "sigmoid"));
  }
  return chain(encoder, decoder, `conv_ae_${code}`);
}

/** Options of `unet`. Notebook 09 (lecture 003, U-Net). */
export interface UNetOptions {
  /** Concatenate each encoder level's feature maps to the decoder's at the same resolution (default true); false gives the plain encoder–decoder. */
  skips?: boolean;
  /** Filters at the three resolutions size, size/2, size/4 (default [8, 16, 32]). */
  filters?: [number, number, number];
  /** Image side (default 28; divisible by 4). */
  size?: number;
  /** Output channels, one sigmoid probability each (default 1: "is this pixel the object's?"). */
  classes?: number;
}

/**
 * A U-Net in small (Ronneberger et al., 2015): two levels of conv 3×3 + max-pool 2 down to size/4, a bottleneck
 * convolution, two levels of 2×2 stride-2 transposed convolution + conv 3×3 back up, a 1×1 sigmoid output per
 * pixel. With `skips` the decoder sees, concatenated, the encoder's maps of the same resolution (the "U").
 * Notebook 09 (lecture 003, modern CNNs: U-Net for segmentation).
 */
export function unet(options: UNetOptions = {}): tf.LayersModel {
  const { skips = true, filters = [8, 16, 32], size = 28, classes = 1 } = options;
  if (size % 4 !== 0) throw new Error(`unet: size ${size} must be divisible by 4`);
  const [f0, f1, f2] = filters;
  const input = tf.input({ shape: [size, size, 1] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const e1 = apply(conv(f0, 3, "relu"), input);
  const e2 = apply(conv(f1, 3, "relu"), apply(tf.layers.maxPooling2d({ poolSize: 2 }), e1));
  const bottleneck = apply(conv(f2, 3, "relu"), apply(tf.layers.maxPooling2d({ poolSize: 2 }), e2));
  const up2 = apply(convTranspose(f1, 2, "relu"), bottleneck);
  const d2 = apply(conv(f1, 3, "relu"), skips ? apply(tf.layers.concatenate(), [up2, e2]) : up2);
  const up1 = apply(convTranspose(f0, 2, "relu"), d2);
  const d1 = apply(conv(f0, 3, "relu"), skips ? apply(tf.layers.concatenate(), [up1, e1]) : up1);
  const out = apply(conv(classes, 1, "sigmoid"), d1);
  return tf.model({ inputs: input, outputs: out, name: skips ? "unet" : "encoder_decoder" });
}

/**
 * Corrupted copies of images in [0, 1] for a denoising autoencoder: additive Gaussian noise of standard
 * deviation `std`, then each value set to 0 with probability `drop` (masking noise), clipped to [0, 1].
 * Seeded by `nextSeed()`. Notebook 09 (lecture 003, autoencoders: denoising, noise injection).
 */
export function addNoise(x: tf.Tensor, options: { std?: number; drop?: number } = {}): tf.Tensor {
  const { std = 0, drop = 0 } = options;
  return tf.tidy(() => {
    let y = std > 0 ? x.add(tf.randomNormal(x.shape, 0, std, "float32", nextSeed())) : x.clone();
    if (drop > 0) y = y.mul(tf.randomUniform(x.shape, 0, 1, "float32", nextSeed()).greaterEqual(drop).cast("float32"));
    return y.clipByValue(0, 1);
  });
}

/**
 * Per-example reconstruction error (errore di ricostruzione) ‖x − x̂‖² / d, predicted in batches: the anomaly
 * score of an autoencoder. `target` (default `x`) is what the reconstruction is compared with.
 * Notebook 09 (lecture 003, autoencoders: anomaly detection).
 */
export function reconstructionErrors(model: tf.LayersModel, x: tf.Tensor, options: { target?: tf.Tensor; batchSize?: number } = {}): Float32Array {
  const target = options.target ?? x;
  return tf.tidy(() => {
    const xHat = model.predict(x, { batchSize: options.batchSize ?? 256 }) as tf.Tensor;
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    return xHat.reshape(target.shape).squaredDifference(target).mean(axes).dataSync() as Float32Array;
  });
}

/**
 * Decodes `steps` codes evenly spaced on the segment from `from` to `to` (both ends included):
 * (1 − t) z_a + t z_b, t = 0 … 1. Notebook 09 (lecture 003, autoencoders: walking the latent space).
 */
export function interpolate(decoder: tf.LayersModel, from: ArrayLike<number>, to: ArrayLike<number>, steps: number): tf.Tensor {
  if (from.length !== to.length) throw new Error(`interpolate: codes of ${from.length} and ${to.length} values`);
  if (!(Number.isInteger(steps) && steps >= 2)) throw new Error(`interpolate: steps must be an integer ≥ 2, got ${steps}`);
  return tf.tidy(() => {
    const t = tf.linspace(0, 1, steps).reshape([steps, 1]);
    const a = tf.tensor2d(Array.from(from), [1, from.length]);
    const b = tf.tensor2d(Array.from(to), [1, to.length]);
    return decoder.predict(a.mul(tf.scalar(1).sub(t)).add(b.mul(t))) as tf.Tensor;
  });
}

/**
 * A segmentation task on digits (for the U-Net): each input is the digit plus, at `clutter` intensity, another
 * digit mirrored left–right, plus Gaussian noise of standard deviation `noise`, clipped to [0, 1]; the target
 * mask is 1 on the digit's own pixels (value > 0.5). Seeded by `nextSeed()`.
 * Notebook 09 (lecture 003, U-Net: segmentation).
 */
export function clutteredDigits(x: tf.Tensor4D, options: { clutter?: number; noise?: number } = {}): { input: tf.Tensor4D; mask: tf.Tensor4D } {
  const { clutter = 0.5, noise = 0.2 } = options;
  const n = x.shape[0];
  if (n < 2) throw new Error("clutteredDigits: needs at least two digits (each is cluttered by another)");
  return tf.tidy(() => {
    const other = tf.concat([x.slice([1, 0, 0, 0]), x.slice([0, 0, 0, 0], [1, -1, -1, -1])]).reverse(2);
    const input = x.add(other.mul(clutter)).add(tf.randomNormal(x.shape, 0, noise, "float32", nextSeed())).clipByValue(0, 1) as tf.Tensor4D;
    const mask = x.greater(0.5).cast("float32") as tf.Tensor4D;
    return { input, mask };
  });
}

/**
 * Square grey images for `imageGrid` from the rows of a tensor or array of flattened (or N×s×s×1) images:
 * all rows, or those listed in `rows`. Notebook 09 (lecture 003, autoencoders: showing reconstructions).
 */
export function toImages(x: tf.Tensor | ArrayLike<number>, options: { side?: number; rows?: ArrayLike<number> } = {}): GrayImage[] {
  const side = options.side ?? 28;
  const size = side * side;
  const data = x instanceof tf.Tensor ? (x.dataSync() as Float32Array) : Float32Array.from(x);
  if (data.length % size !== 0) throw new Error(`toImages: ${data.length} values are not whole ${side}×${side} images`);
  const rows = options.rows ?? Array.from({ length: data.length / size }, (_, i) => i);
  return Array.from(rows, (i) => {
    if (!(i >= 0 && i < data.length / size)) throw new Error(`toImages: row ${i} is out of range`);
    return { width: side, height: side, data: data.subarray(i * size, (i + 1) * size) };
  });
}

/** Options of `train`. Notebook 09 (lecture 003, autoencoders: training). */
export interface TrainOptions {
  epochs: number;
  /** Mini-batch size (default 64). */
  batchSize?: number;
  /** Adam's step size (default 1e-3). */
  learningRate?: number;
  /** "bce": binary cross-entropy per pixel, for sigmoid outputs (default); "mse": squared error per value. */
  loss?: "bce" | "mse";
  /** Held-out [input, target], scored after every epoch as val_loss. */
  validationData?: [tf.Tensor, tf.Tensor];
  /** The generator for shuffling (default the global `rng()`). */
  random?: Random;
  /** Live progress and curves (default true). */
  live?: boolean;
  /** Figure name and title of the learning curves. */
  name?: string;
  title?: string;
}

function lossOf(kind: "bce" | "mse", target: tf.Tensor, output: tf.Tensor): tf.Scalar {
  if (kind === "mse") return target.squaredDifference(output).mean() as tf.Scalar;
  const p = output.clipByValue(1e-7, 1 - 1e-7);
  return target.mul(p.log()).add(tf.scalar(1).sub(target).mul(tf.scalar(1).sub(p).log())).mean().neg() as tf.Scalar;
}

/**
 * Trains `model` to map x to y (y = x for a plain autoencoder, the clean images for a denoising one, masks for
 * a U-Net) with Adam on shuffled mini-batches, in a lean loop of `optimizer.minimize` steps (tfjs's
 * `model.fit` spends several times a small model's arithmetic on per-batch bookkeeping); live progress and
 * learning curves as `fit`. Returns per-epoch loss (and val_loss) and the wall time.
 * Notebook 09 (lecture 003, autoencoders: training to reproduce the input).
 */
export async function train(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: TrainOptions): Promise<{ history: Record<string, number[]>; seconds: number }> {
  const { epochs, batchSize = 64, learningRate = 1e-3, loss = "bce", random = rng(), live = true } = options;
  if (x.shape[0] !== y.shape[0]) throw new Error(`train: x has ${x.shape[0]} rows but y has ${y.shape[0]}`);
  const optimizer = tf.train.adam(learningRate);
  const n = x.shape[0]!;
  const batches = Math.ceil(n / batchSize);
  const display = live ? new LiveTraining({ epochs, name: options.name, title: options.title }) : null;
  const history: Record<string, number[]> = { loss: [] };
  const start = Date.now();
  try {
    for (let e = 0; e < epochs; e++) {
      const order = random.permutation(n);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const value = tf.tidy(() => {
          const idx = tf.tensor1d(rows, "int32");
          const xb = tf.gather(x, idx);
          const yb = y === x ? xb : tf.gather(y, idx); // an autoencoder's target is its input: one gather
          return optimizer.minimize(() => lossOf(loss, yb, model.apply(xb, { training: true }) as tf.Tensor), true)!.dataSync()[0]!;
        });
        sum += value * rows.length;
        display?.batch(e, b, batches, { loss: value });
        if (display !== null && b % 8 === 7) await tf.nextFrame();
      }
      const logs: Record<string, number> = { loss: sum / n };
      if (options.validationData !== undefined) {
        const [vx, vy] = options.validationData;
        logs["val_loss"] = tf.tidy(() => lossOf(loss, vy, model.predict(vx, { batchSize: 256 }) as tf.Tensor).dataSync()[0]!);
      }
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      display?.epoch(e, logs);
    }
  } finally {
    optimizer.dispose();
    display?.done();
  }
  return { history, seconds: (Date.now() - start) / 1000 };
}

// ---------------------------------------------------------------------------------------------------------
// Variational autoencoder

/** A variational autoencoder: q_φ(z|x) = N(μ, diag σ²) from the encoder, p_θ(x|z) Bernoulli from the decoder. Notebook 09 (lecture 003, autoencoders: VAE). */
export interface Vae {
  /** x ↦ [μ, log σ²], two outputs of `code` values each. */
  encoder: tf.LayersModel;
  /** z ↦ pixel probabilities (sigmoid). */
  decoder: tf.LayersModel;
  /** Code size z. */
  code: number;
}

/**
 * A dense VAE d → hidden… → (μ, log σ²) ∈ ℝᶻ × ℝᶻ, decoder z → …hidden → d (sigmoid).
 * Notebook 09 (lecture 003, autoencoders: the variational autoencoder).
 */
export function denseVae(options: { code: number; input?: number; hidden?: number[] }): Vae {
  const { code, input = 784, hidden = [256] } = options;
  const x = tf.input({ shape: [input] });
  let h: tf.SymbolicTensor = x;
  for (const units of hidden) h = dense(units, "relu").apply(h) as tf.SymbolicTensor;
  const mu = dense(code, "linear", { name: "mu" }).apply(h) as tf.SymbolicTensor;
  const logVar = dense(code, "linear", { name: "log_var" }).apply(h) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: x, outputs: [mu, logVar], name: "vae_encoder" });
  const decoder = tf.sequential({ name: "vae_decoder" });
  [...hidden].reverse().forEach((units, i) => decoder.add(dense(units, "relu", i === 0 ? { inputShape: [code] } : {})));
  decoder.add(dense(input, "sigmoid", hidden.length === 0 ? { inputShape: [code] } : {}));
  return { encoder, decoder, code };
}

/**
 * The reparameterisation trick: z = μ + σ ⊙ ε with σ = exp(½ log σ²) and ε ~ N(0, I) drawn outside the
 * network, so z is a differentiable function of (μ, log σ²) and gradients reach the encoder.
 * Notebook 09 (lecture 003, autoencoders: VAE).
 */
export function reparameterize(mu: tf.Tensor, logVar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => mu.add(logVar.mul(0.5).exp().mul(eps)));
}

/**
 * KL(N(μ, diag σ²) ‖ N(0, I)) per example, in closed form: −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²).
 * Notebook 09 (lecture 003, autoencoders: the VAE's KL term).
 */
export function klDivergence(mu: tf.Tensor, logVar: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.scalar(1).add(logVar).sub(mu.square()).sub(logVar.exp()).sum(-1).mul(-0.5) as tf.Tensor1D);
}

/**
 * The Bernoulli negative log-likelihood per example, summed over the d pixels:
 * −Σ_k [x_k log x̂_k + (1 − x_k) log(1 − x̂_k)] (x̂ clipped to [ε, 1 − ε]). This is the binary cross-entropy the
 * lecture's slide means: its second term is log(1 − x̂_k), not log(1 − x_k).
 * Notebook 09 (lecture 003, autoencoders: the reconstruction loss).
 */
export function bernoulliNll(x: tf.Tensor, xHat: tf.Tensor, epsilon = 1e-7): tf.Tensor1D {
  return tf.tidy(() => {
    const p = xHat.clipByValue(epsilon, 1 - epsilon);
    return x.mul(p.log()).add(tf.scalar(1).sub(x).mul(tf.scalar(1).sub(p).log())).sum(-1).neg() as tf.Tensor1D;
  });
}

/** The VAE's loss on a batch: its mean over examples and its two parts. Notebook 09 (lecture 003, autoencoders: VAE). */
export interface VaeLoss {
  /** Mean over the batch of reconstruction + β·KL (the negative ELBO when β = 1), a scalar. */
  loss: tf.Scalar;
  /** Mean Bernoulli negative log-likelihood, nats per example. */
  reconstruction: tf.Scalar;
  /** Mean KL divergence to the prior, nats per example. */
  kl: tf.Scalar;
}

/**
 * The negative evidence lower bound on a batch x (rows × d) with one draw ε per example:
 * E[−log p(x|z)] + β KL(q(z|x) ‖ N(0, I)), z = μ + σ ε. `eps` defaults to a seeded N(0, I) draw.
 * Notebook 09 (lecture 003, autoencoders: VAE).
 */
export function vaeLoss(vae: Vae, x: tf.Tensor, options: { beta?: number; eps?: tf.Tensor } = {}): VaeLoss {
  const beta = options.beta ?? 1;
  return tf.tidy(() => {
    const [mu, logVar] = vae.encoder.apply(x, { training: true }) as tf.Tensor[];
    const eps = options.eps ?? tf.randomNormal(mu!.shape, 0, 1, "float32", nextSeed());
    const z = reparameterize(mu!, logVar!, eps);
    const xHat = vae.decoder.apply(z, { training: true }) as tf.Tensor;
    const reconstruction = bernoulliNll(x, xHat).mean() as tf.Scalar;
    const kl = klDivergence(mu!, logVar!).mean() as tf.Scalar;
    return { loss: reconstruction.add(kl.mul(beta)) as tf.Scalar, reconstruction, kl };
  });
}

/** Options of `trainVae`. Notebook 09 (lecture 003, autoencoders: VAE). */
export interface TrainVaeOptions {
  epochs: number;
  /** Mini-batch size (default 64). */
  batchSize?: number;
  /** Adam's step size (default 1e-3). */
  learningRate?: number;
  /** Weight β of the KL term (default 1: the ELBO). */
  beta?: number;
  /** The generator for shuffling (default the global `rng()`). */
  random?: Random;
  /** Live progress and curves (default true). */
  live?: boolean;
  /** Figure name and title of the learning curves. */
  name?: string;
  title?: string;
}

/**
 * Trains a VAE with Adam on the rows of x (N × d, values in [0, 1]) for `epochs` epochs of shuffled
 * mini-batches, minimising the negative ELBO; returns per-epoch means of loss, reconstruction and kl, and the
 * wall time. Notebook 09 (lecture 003, autoencoders: VAE).
 */
export async function trainVae(vae: Vae, x: tf.Tensor2D, options: TrainVaeOptions): Promise<{ history: Record<string, number[]>; seconds: number }> {
  const { epochs, batchSize = 64, learningRate = 1e-3, beta = 1, random = rng(), live = true } = options;
  const optimizer = tf.train.adam(learningRate);
  const n = x.shape[0];
  const batches = Math.ceil(n / batchSize);
  const display = live ? new LiveTraining({ epochs, name: options.name, title: options.title }) : null;
  const history: Record<string, number[]> = { loss: [], reconstruction: [], kl: [] };
  const start = Date.now();
  try {
    for (let e = 0; e < epochs; e++) {
      const order = random.permutation(n);
      const sums = { loss: 0, reconstruction: 0, kl: 0 };
      for (let b = 0; b < batches; b++) {
        const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const parts = tf.tidy(() => {
          const xb = tf.gather(x, tf.tensor1d(rows, "int32"));
          let recon!: tf.Scalar;
          let kl!: tf.Scalar;
          const loss = optimizer.minimize(() => {
            const l = vaeLoss(vae, xb, { beta });
            recon = tf.keep(l.reconstruction);
            kl = tf.keep(l.kl);
            return l.loss;
          }, true) as tf.Scalar;
          return [loss, recon, kl];
        });
        const [loss, reconstruction, kl] = parts.map((t) => t.dataSync()[0]!) as [number, number, number];
        tf.dispose(parts);
        sums.loss += loss * rows.length;
        sums.reconstruction += reconstruction * rows.length;
        sums.kl += kl * rows.length;
        display?.batch(e, b, batches, { loss });
        if (display !== null) await tf.nextFrame();
      }
      const logs = { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n };
      for (const [k, v] of Object.entries(logs)) history[k]!.push(v);
      display?.epoch(e, logs);
    }
  } finally {
    optimizer.dispose();
    display?.done();
  }
  return { history, seconds: (Date.now() - start) / 1000 };
}

/** The means μ of q(z|x) for the rows of x (N × z), the VAE's code of each input. Notebook 09 (lecture 003, autoencoders: VAE). */
export function vaeEncode(vae: Vae, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => (vae.encoder.predict(x, { batchSize: 256 }) as tf.Tensor[])[0] as tf.Tensor2D);
}

/**
 * `n` new images from the VAE's generative model: z ~ N(0, I) (seeded by `nextSeed()`), decoded to pixel
 * probabilities. Notebook 09 (lecture 003, autoencoders: sampling from the prior).
 */
export function sampleVae(vae: Vae, n: number): tf.Tensor2D {
  return tf.tidy(() => vae.decoder.predict(tf.randomNormal([n, vae.code], 0, 1, "float32", nextSeed())) as tf.Tensor2D);
}

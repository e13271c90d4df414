/**
 * Regularisation with TensorFlow.js, on plain arrays and datasets (no from-scratch objects): a
 * configurable MLP (ℓ1/ℓ2 kernel regularizers, dropout, batch normalisation, Gaussian input noise), a
 * train-and-evaluate helper for small-data experiments, and TensorFlow.js's own dropout and batch
 * normalisation layers applied to plain arrays, for comparison with the from-scratch versions.
 * Notebook 04 (lectures 000, 001, 003: regularisation).
 */
import { nextSeed } from "../core/random";
import type { Dataset } from "../data/dataset";
import { tf } from "./backend";
import { type EarlyStopping, evaluateClassifier, fit, type FitResult } from "./train";

/** Options of `mlp`. Notebook 04. */
export interface MlpOptions {
  /** Input features (784 for MNIST). */
  inputs: number;
  /** Units of each hidden layer, e.g. [128, 128]. */
  hidden: number[];
  /** Output classes (softmax). */
  classes: number;
  /** Hidden activation (default "relu"). */
  activation?: "relu" | "sigmoid" | "tanh";
  /** Dropout rate after each hidden layer (default 0). */
  dropout?: number;
  /** ℓ1 and ℓ2 strengths of `tf.regularizers.l1l2` on every kernel: adds λ₁Σ|w| + λ₂Σw² to the loss. */
  l1?: number;
  l2?: number;
  /** Batch normalisation between each hidden dense layer and its activation (default false). */
  batchNorm?: boolean;
  /** Standard deviation of Gaussian noise added to the inputs during training only (default 0). */
  inputNoise?: number;
}

/**
 * A seeded MLP classifier: [Gaussian input noise] → (dense → [batch norm] → activation → [dropout]) per
 * hidden layer → dense softmax, Glorot-uniform kernels drawn through `nextSeed()`. Notebook 04.
 */
export function mlp(options: MlpOptions): tf.Sequential {
  const { inputs, hidden, classes, activation = "relu", dropout = 0, l1 = 0, l2 = 0, batchNorm = false, inputNoise = 0 } = options;
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`mlp: dropout must be a rate in [0, 1), got ${dropout}`);
  const regularizer = () => (l1 > 0 || l2 > 0 ? tf.regularizers.l1l2({ l1, l2 }) : undefined);
  const model = tf.sequential();
  const first = { inputShape: [inputs] };
  if (inputNoise > 0) model.add(tf.layers.gaussianNoise({ stddev: inputNoise, ...first }));
  hidden.forEach((units, l) => {
    model.add(
      tf.layers.dense({
        units,
        activation: batchNorm ? "linear" : activation,
        useBias: !batchNorm,
        kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
        kernelRegularizer: regularizer(),
        ...(l === 0 && inputNoise === 0 ? first : {}),
      }),
    );
    if (batchNorm) {
      model.add(tf.layers.batchNormalization());
      model.add(tf.layers.activation({ activation }));
    }
    if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout, seed: nextSeed() }));
  });
  model.add(
    tf.layers.dense({
      units: classes,
      activation: "softmax",
      kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
      kernelRegularizer: regularizer(),
      ...(hidden.length === 0 && inputNoise === 0 ? first : {}),
    }),
  );
  return model;
}

/** Every dense kernel's values in one array (for weight histograms). Notebook 04 (weight decay). */
export function denseKernels(model: tf.LayersModel): Float32Array {
  const parts = model.layers.filter((l) => l.getClassName() === "Dense").map((l) => l.getWeights()[0]!.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Options of `trainMlp`. Notebook 04. */
export interface TrainMlpOptions {
  model: MlpOptions;
  epochs: number;
  /** Mini-batch size (default 32). */
  batchSize?: number;
  /** Learning rate (default 1e-3 for Adam, 0.1 for SGD). */
  lr?: number;
  /** Optimizer (default "adam"). */
  optimizer?: "adam" | "sgd";
  /** Early stopping on `validation` (val_loss unless monitored otherwise), restoring the best weights. */
  earlyStopping?: EarlyStopping;
  /** Held-out data for the learning curves and for early stopping (carve it from the training data). */
  validation?: Dataset;
  /** Live learning curves (default false: experiments run many models). */
  live?: boolean;
  /** Figure name of the live curves. */
  name?: string;
}

/** What `trainMlp` returns. Notebook 04. */
export interface TrainMlpResult {
  /** Accuracy on `test` after training (with early stopping: of the restored best weights). */
  accuracy: number;
  /** Mean data + penalty loss of the last training epoch (NaN when training diverged). */
  loss: number;
  fit: FitResult;
  /** Trainable parameters. */
  parameters: number;
}

function tensorsOf(ds: Dataset, classes: number): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => [tf.tensor2d(ds.x, [ds.rows, ds.cols]), tf.oneHot(tf.tensor1d(Int32Array.from(ds.y), "int32"), classes).toFloat() as tf.Tensor2D]);
}

/**
 * Builds `mlp(options.model)`, trains it on `train` with categorical cross-entropy (seeded shuffles,
 * optional early stopping on `validation`) and returns its accuracy on `test`; every tensor is freed.
 * Notebook 04 (the small-data experiments: weight decay, dropout, batch norm, augmentation, depth).
 */
export async function trainMlp(train: Dataset, test: Dataset, options: TrainMlpOptions): Promise<TrainMlpResult> {
  const { classes } = options.model;
  const model = mlp(options.model);
  const optimizer = options.optimizer ?? "adam";
  const lr = options.lr ?? (optimizer === "adam" ? 1e-3 : 0.1);
  const opt = optimizer === "adam" ? tf.train.adam(lr) : tf.train.sgd(lr);
  model.compile({ optimizer: opt, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const [x, y] = tensorsOf(train, classes);
  const [xt, yt] = tensorsOf(test, classes);
  const val = options.validation ? tensorsOf(options.validation, classes) : undefined;
  try {
    const result = await fit(model, x, y, {
      epochs: options.epochs,
      batchSize: options.batchSize ?? 32,
      validationData: val,
      earlyStopping: options.earlyStopping,
      live: options.live ?? false,
      name: options.name,
    });
    const loss = result.history["loss"]?.at(-1) ?? NaN;
    const accuracy = evaluateClassifier(model, xt, yt).accuracy;
    return { accuracy, loss: Number.isFinite(loss) ? loss : NaN, fit: result, parameters: model.countParams() };
  } finally {
    tf.dispose([x, y, xt, yt, ...(val ?? [])]);
    model.dispose();
    opt.dispose();
  }
}

/** Running statistics and parameters of a batch-normalisation layer, per feature. Notebook 04. */
export interface BatchNormState {
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  movingMean: ArrayLike<number>;
  movingVariance: ArrayLike<number>;
}

/**
 * `tf.layers.batchNormalization` (momentum 0.99, ε = 0.001 unless given) applied to a plain batch
 * x (rows × features) in training or inference mode, from the given state; returns the output and the
 * moving statistics after the call. Notebook 04 (checks of the from-scratch `BatchNorm`).
 */
export function batchNormTf(
  x: ArrayLike<number>,
  rows: number,
  features: number,
  state: BatchNormState,
  options: { training: boolean; momentum?: number; epsilon?: number },
): { y: Float32Array; movingMean: Float32Array; movingVariance: Float32Array } {
  const layer = tf.layers.batchNormalization({ momentum: options.momentum ?? 0.99, epsilon: options.epsilon ?? 1e-3 });
  layer.build([null, features]);
  const weights = [state.gamma, state.beta, state.movingMean, state.movingVariance].map((v) => tf.tensor1d(Float32Array.from(v)));
  layer.setWeights(weights);
  tf.dispose(weights);
  const y = tf.tidy(() => (layer.apply(tf.tensor2d(Float32Array.from(x), [rows, features]), { training: options.training }) as tf.Tensor).dataSync() as Float32Array);
  const [, , mm, mv] = layer.getWeights();
  const out = { y, movingMean: mm!.dataSync() as Float32Array, movingVariance: mv!.dataSync() as Float32Array };
  for (const w of layer.weights) w.dispose(); // a layer applied eagerly cannot be disposed as a whole
  return out;
}

/**
 * The gradient of Σ y ⊙ dy through `tf.layers.batchNormalization` in training mode, with respect to x,
 * γ and β, by TensorFlow.js autodiff (plain arrays in and out). Notebook 04 (checks of `BatchNorm.backward`).
 */
export function batchNormGradTf(
  x: ArrayLike<number>,
  rows: number,
  features: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  dy: ArrayLike<number>,
  epsilon = 1e-3,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  return tf.tidy(() => {
    const up = tf.tensor2d(Float32Array.from(dy), [rows, features]);
    const f = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xt, 0);
      return tf.sum(tf.mul(tf.add(tf.mul(g, tf.div(tf.sub(xt, mean), tf.sqrt(tf.add(variance, epsilon)))), b), up));
    };
    const [dx, dg, db] = tf.grads((a, b, c) => f(a!, b!, c!))([
      tf.tensor2d(Float32Array.from(x), [rows, features]),
      tf.tensor1d(Float32Array.from(gamma)),
      tf.tensor1d(Float32Array.from(beta)),
    ]);
    return { dx: dx!.dataSync() as Float32Array, dgamma: dg!.dataSync() as Float32Array, dbeta: db!.dataSync() as Float32Array };
  });
}

/** `tf.layers.dropout({ rate })` applied in training mode to a plain array (`rate` is the drop probability). Notebook 04. */
export function dropoutTf(x: ArrayLike<number>, rate: number, seed: number = nextSeed()): Float32Array {
  const layer = tf.layers.dropout({ rate, seed });
  const out = tf.tidy(() => (layer.apply(tf.tensor1d(Float32Array.from(x)), { training: true }) as tf.Tensor).dataSync() as Float32Array);
  layer.dispose();
  return out;
}

/**
 * Training TensorFlow.js models the course's way: `fit` wraps `model.fit` with a seeded shuffle
 * (the lib's PCG32, not Math.random), a live learning-curve display and a typed history;
 * `evaluateClassifier` gives accuracy and the confusion matrix on held-out data.
 * Notebooks 00, 02, 03 and 05 (lectures 000 and 003, training with mini-batches and validation; evaluation).
 */
import { argmax, confusionCounts } from "../core/metrics";
import type { GridFunction } from "../core/grid";
import { LiveTraining } from "../display/live";
import { rng, type Random } from "../core/random";
import { tf } from "./backend";

/** Options of `fit`. Notebooks 00, 02, 03 and 05 (lectures 000 and 003, mini-batch SGD, validation). */
export interface FitOptions {
  /** Number of passes over the training data. */
  epochs: number;
  /** Mini-batch size (default 32). */
  batchSize?: number;
  /** Held-out [x, y] evaluated after every epoch (val_loss, val_acc, …); x is a list for a model with several inputs. */
  validationData?: [tf.Tensor | tf.Tensor[], tf.Tensor];
  /** Fraction of the rows, taken from the end as Keras does, held out for validation instead. */
  validationSplit?: number;
  /** Reshuffle the training rows each epoch with the lib's seeded generator (default true). */
  shuffle?: boolean;
  /** The generator for shuffling (default the global `rng()`, seeded by `seed`). */
  random?: Random;
  /** Show the live progress bar and learning curves (default true). */
  live?: boolean;
  /** Stable figure name of the final learning curves (for the figure export). */
  name?: string;
  /** Title of the learning-curve figure. */
  title?: string;
  /** Stop when the monitored metric has not improved for `patience` epochs (fermata anticipata). */
  earlyStopping?: EarlyStopping;
}

/**
 * Early stopping (fermata anticipata): stop once the validation metric has not improved for
 * `patience` epochs. Lectures 000 and 003 (regularisation, early stopping and its patience).
 */
export interface EarlyStopping {
  /** Epochs without improvement before stopping (the lecture's n, "patience"). */
  patience: number;
  /** Metric to watch (default "val_loss"); lower is better unless it names an accuracy. */
  monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends (default true). */
  restoreBest?: boolean;
}

/** What `fit` returns. Notebooks 00, 02, 03 and 05 (lecture 003, learning curves). */
export interface FitResult {
  /** Metric name → one value per epoch: loss, acc, val_loss, val_acc, … (as compiled). */
  history: Record<string, number[]>;
  /** Epochs run (fewer than asked when early stopping stopped the training). */
  epochs: number;
  /** Wall-clock training time in seconds. */
  seconds: number;
  /** With early stopping: the best epoch (1-based) by the monitored metric, and whether training stopped early. */
  best?: { epoch: number; value: number; stoppedEarly: boolean };
}

/**
 * One history from the histories of consecutive `fit` calls on the same model (e.g. a fine-tuning
 * phase at a lower learning rate): each metric's values, epoch after epoch. Every history must
 * record the same metrics. Notebook 05 (lecture 003, LeNet trained then fine-tuned).
 */
export function concatHistories(...histories: Record<string, number[]>[]): Record<string, number[]> {
  if (histories.length === 0) return {};
  const keys = Object.keys(histories[0]!);
  const sorted = (h: object) => Object.keys(h).sort().join(", ");
  for (const h of histories) {
    if (sorted(h) !== sorted(histories[0]!)) throw new Error(`concatHistories: histories record different metrics (${sorted(histories[0]!)} vs ${sorted(h)})`);
  }
  return Object.fromEntries(keys.map((k) => [k, histories.flatMap((h) => h[k]!)]));
}

/**
 * Trains a compiled tf.LayersModel on (x, y) for `epochs` epochs of mini-batches, reshuffled each
 * epoch by the seeded generator, with a live progress bar and learning curves; returns the
 * history; with `earlyStopping` it stops when the validation metric stops improving and restores
 * the best weights. `x` is a list of tensors for a model with several inputs (e.g. an encoder–decoder).
 * The tensors stay owned by the caller. Notebooks 00, 02, 03, 05 and 07 (lectures 000 and 003, mini-batch
 * SGD, learning curves, early stopping).
 */
export async function fit(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor, options: FitOptions): Promise<FitResult> {
  const { epochs, batchSize = 32, shuffle = true, random = rng(), live = true } = options;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`fit: epochs must be a positive integer, got ${epochs}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  const inputs = Array.isArray(x) ? x : [x];
  if (inputs.length === 0) throw new Error("fit: x is an empty list; give one tensor per model input");
  for (const xi of inputs) {
    if (xi.shape[0] !== y.shape[0]) throw new Error(`fit: x has ${xi.shape[0]} rows but y has ${y.shape[0]}; give one target per example`);
  }
  const pick = (list: tf.Tensor[]) => (Array.isArray(x) ? list : list[0]!);
  if (options.validationData !== undefined && options.validationSplit !== undefined) {
    throw new Error("fit: give validationData or validationSplit, not both");
  }
  const split = options.validationSplit;
  if (split !== undefined && !(split > 0 && split < 1)) throw new Error(`fit: validationSplit must be in (0, 1), got ${split}`);
  const rows = inputs[0]!.shape[0]!;
  const nTrain = split === undefined ? rows : Math.floor(rows * (1 - split));
  if (nTrain < 1 || (split !== undefined && nTrain === rows)) {
    throw new Error(`fit: validationSplit ${split} of ${rows} rows leaves no training or no validation rows`);
  }
  const owned: tf.Tensor[] = [];
  const xTrain = split === undefined ? inputs : inputs.map((xi) => xi.slice(0, nTrain));
  const yTrain = split === undefined ? y : y.slice(0, nTrain);
  let validationData = options.validationData;
  if (split !== undefined) {
    const xVal = inputs.map((xi) => xi.slice(nTrain));
    validationData = [pick(xVal), y.slice(nTrain)];
    owned.push(...xTrain, yTrain, ...xVal, validationData[1]);
  }
  const stopping = options.earlyStopping;
  if (stopping !== undefined && !(Number.isInteger(stopping.patience) && stopping.patience >= 1)) {
    throw new Error(`fit: earlyStopping.patience must be a positive integer, got ${stopping.patience}`);
  }
  const monitor = stopping?.monitor ?? "val_loss";
  if (stopping !== undefined && monitor.startsWith("val_") && validationData === undefined) {
    throw new Error(`fit: early stopping on "${monitor}" needs validationData or validationSplit`);
  }
  const higherIsBetter = /acc/.test(monitor);
  let best: { epoch: number; value: number; weights: tf.Tensor[] | null } | null = null;
  let stoppedEarly = false;
  const display = live ? new LiveTraining({ epochs, name: options.name, title: options.title }) : null;
  const history: Record<string, number[]> = {};
  const batches = Math.ceil(nTrain / batchSize);
  const start = Date.now();
  try {
    for (let e = 0; e < epochs && !stoppedEarly; e++) {
      const order = shuffle ? random.permutation(nTrain) : null;
      const [xs, ys] = order === null ? [xTrain, yTrain] : tf.tidy(() => {
        const idx = tf.tensor1d(order, "int32");
        return [xTrain.map((xi) => tf.gather(xi, idx)), tf.gather(yTrain, idx)] as [tf.Tensor[], tf.Tensor];
      });
      try {
        const h = await model.fit(pick(xs), ys, {
          epochs: 1,
          batchSize,
          shuffle: false,
          verbose: 0,
          validationData,
          callbacks: display === null ? undefined : { onBatchEnd: async (b: number, logs?: tf.Logs) => display.batch(e, b, batches, logs) },
        });
        const logs: Record<string, number> = {};
        // Training metrics first, then their validation counterparts (Keras reports val_ first).
        const keys = Object.keys(h.history).sort((a, b) => Number(a.startsWith("val_")) - Number(b.startsWith("val_")));
        for (const k of keys) logs[k] = Number(h.history[k]![0]);
        for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
        display?.epoch(e, logs);
        if (stopping !== undefined) {
          const value = logs[monitor];
          if (value === undefined) {
            throw new Error(`fit: early stopping monitors "${monitor}" but the model reports ${Object.keys(logs).join(", ")}`);
          }
          const delta = stopping.minDelta ?? 0;
          if (best === null || (higherIsBetter ? value > best.value + delta : value < best.value - delta)) {
            if (best?.weights) tf.dispose(best.weights);
            best = { epoch: e + 1, value, weights: stopping.restoreBest === false ? null : model.getWeights().map((w) => w.clone()) };
          } else if (e + 1 - best.epoch >= stopping.patience) {
            stoppedEarly = true;
          }
        }
      } finally {
        if (order !== null) tf.dispose([...xs, ys]);
      }
    }
    if (best?.weights) model.setWeights(best.weights);
  } finally {
    tf.dispose(owned);
    if (best?.weights) tf.dispose(best.weights);
    display?.done();
  }
  return {
    history,
    epochs: history["loss"]?.length ?? 0,
    seconds: (Date.now() - start) / 1000,
    ...(best === null ? {} : { best: { epoch: best.epoch, value: best.value, stoppedEarly } }),
  };
}

/** Accuracy and confusion matrix of a classifier on held-out data. Lecture 003 (evaluation of classifiers). */
export interface Evaluation {
  /** Fraction of examples whose predicted class is the true class. */
  accuracy: number;
  /** Predicted class per example. */
  predictions: Int32Array;
  /** counts[true][predicted]. */
  confusion: number[][];
  /** Number of classes. */
  classes: number;
}

/**
 * Evaluates a classifier: predicts in batches, takes the arg-max class (or P > 0.5 for a single
 * sigmoid output) and compares with `labels` (class indices, or one-hot rows as a tensor).
 * Notebooks 00, 02, 03 and 05 (lecture 003, ANN principles, train/validation/test and evaluation).
 */
export function evaluateClassifier(
  model: { predict(x: tf.Tensor, config?: { batchSize?: number }): tf.Tensor | tf.Tensor[] },
  x: tf.Tensor,
  labels: ArrayLike<number> | tf.Tensor,
  options: { batchSize?: number } = {},
): Evaluation {
  const out = model.predict(x, { batchSize: options.batchSize ?? 256 });
  if (Array.isArray(out)) {
    tf.dispose(out);
    throw new Error("evaluateClassifier: the model has several outputs; evaluate one output at a time");
  }
  const k = out.shape[1] ?? 1;
  const scores = out.dataSync();
  out.dispose();
  const classes = k === 1 ? 2 : k;
  const predictions = k === 1 ? Int32Array.from(scores, (p) => (p > 0.5 ? 1 : 0)) : argmax(scores, k);
  let truth: ArrayLike<number>;
  if (labels instanceof tf.Tensor) {
    const values = labels.dataSync();
    const cols = labels.rank === 2 ? labels.shape[1]! : 1;
    truth = cols === 1 ? Int32Array.from(values, (v) => Math.round(v)) : argmax(values, cols);
  } else {
    truth = labels;
  }
  if (truth.length !== predictions.length) {
    throw new Error(`evaluateClassifier: ${predictions.length} predictions but ${truth.length} labels`);
  }
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (Number(truth[i]) === predictions[i]) correct++;
  return {
    accuracy: truth.length === 0 ? NaN : correct / truth.length,
    predictions,
    confusion: confusionCounts(truth, predictions, classes),
    classes,
  };
}

/**
 * A model as a grid function for `decisionRegions`: the predicted class of each 2-D point
 * (arg-max of the outputs; P(1) > 0.5 for one sigmoid output), or with `probability` the raw
 * P(class 1). Notebooks 00 and 02 (lectures 000 and 001, decision regions of perceptrons and MLPs).
 */
export function modelGrid(model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] }, options: { probability?: boolean } = {}): GridFunction {
  return (points) =>
    tf.tidy(() => {
      const out = model.predict(tf.tensor2d(points, [points.length, 2]));
      if (Array.isArray(out)) throw new Error("modelGrid: the model has several outputs; use a single-output classifier");
      const k = out.shape[1] ?? 1;
      if (options.probability) {
        if (k > 2) throw new Error(`modelGrid: probability needs a binary classifier, this one has ${k} outputs`);
        return (k === 1 ? out : out.slice([0, 1], [-1, 1])).dataSync();
      }
      return k === 1 ? out.greater(0.5).dataSync() : out.argMax(-1).dataSync();
    });
}

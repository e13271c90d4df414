/**
 * Hyper-parameter search (ricerca degli iperparametri): the configurations of a grid search and of a
 * random search over the same ranges, and two models cheap enough to cross-validate many times — a
 * nearest-centroid classifier and ridge regression on random ReLU features. Notebook 04 (lecture 000:
 * hyper-parameter tuning, grid and random search, k-fold cross-validation).
 */
import { argmax } from "../core/metrics";
import { type Random, rng } from "../core/random";
import type { Dataset } from "../data/dataset";
import { leastSquares, matVec, RandomReluFeatures } from "./regularize";

/** One hyper-parameter's range: [min, max], sampled on a log scale when `log` (e.g. learning rates, λ). Notebook 04. */
export interface Range {
  min: number;
  max: number;
  log?: boolean;
}

/** A configuration: hyper-parameter name → value. Notebook 04. */
export type Config = Record<string, number>;

function checkRange(name: string, r: Range): void {
  if (!(r.max >= r.min) || (r.log && !(r.min > 0))) throw new RangeError(`range of ${name}: need min ≤ max (and min > 0 on a log scale), got [${r.min}, ${r.max}]`);
}

/**
 * Grid search's configurations: `perAxis` evenly spaced values of each hyper-parameter (geometric on a
 * log scale), all combinations — perAxis^d of them. Notebook 04 (lecture 000, ricerca a griglia).
 */
export function gridConfigs(space: Record<string, Range>, perAxis: number): Config[] {
  if (!(Number.isInteger(perAxis) && perAxis >= 1)) throw new RangeError(`gridConfigs: perAxis must be a positive integer, got ${perAxis}`);
  let configs: Config[] = [{}];
  for (const [name, r] of Object.entries(space)) {
    checkRange(name, r);
    const values = Array.from({ length: perAxis }, (_, i) => {
      const t = perAxis === 1 ? 0.5 : i / (perAxis - 1);
      return r.log ? Math.exp(Math.log(r.min) + t * (Math.log(r.max) - Math.log(r.min))) : r.min + t * (r.max - r.min);
    });
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  return configs;
}

/**
 * Random search's configurations: `n` independent draws, each hyper-parameter uniform in its range
 * (log-uniform on a log scale). With the same budget as a grid it tries n distinct values of every
 * hyper-parameter instead of n^(1/d). Notebook 04 (lecture 000, ricerca casuale).
 */
export function randomConfigs(space: Record<string, Range>, n: number, random: Random = rng()): Config[] {
  for (const [name, r] of Object.entries(space)) checkRange(name, r);
  return Array.from({ length: n }, () => {
    const c: Config = {};
    for (const [name, r] of Object.entries(space)) c[name] = r.log ? Math.exp(random.uniform(Math.log(r.min), Math.log(r.max))) : random.uniform(r.min, r.max);
    return c;
  });
}

/** Fraction of predictions equal to the labels. Notebook 04. */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) throw new RangeError(`accuracy: ${predicted.length} predictions for ${labels.length} labels`);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (Number(predicted[i]) === Number(labels[i])) right++;
  return right / labels.length;
}

/**
 * The nearest-centroid classifier fitted on `train`: each class is the mean of its rows, a row gets the
 * class of the nearest mean. Returns the predict function. Notebook 04 (leakage and k-fold).
 */
export function nearestCentroid(train: Dataset, classes?: number): (X: ArrayLike<number>) => Int32Array {
  const { rows, cols, x, y } = train;
  const K = classes ?? Math.max(...Array.from(y, Number)) + 1;
  const mean = new Float64Array(K * cols);
  const count = new Float64Array(K);
  for (let i = 0; i < rows; i++) {
    const c = y[i]!;
    count[c] += 1;
    for (let j = 0; j < cols; j++) mean[c * cols + j] += x[i * cols + j]!;
  }
  for (let c = 0; c < K; c++) for (let j = 0; j < cols; j++) mean[c * cols + j] /= Math.max(1, count[c]!);
  return (X) => {
    const n = X.length / cols;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      for (let c = 0; c < K; c++) {
        if (count[c] === 0) continue;
        let d = 0;
        for (let j = 0; j < cols; j++) d += (X[i * cols + j]! - mean[c * cols + j]!) ** 2;
        if (d < best) [best, out[i]] = [d, c];
      }
    }
    return out;
  };
}

/** Hyper-parameters of `randomFeatureClassifier`. Notebook 04. */
export interface RandomFeatureOptions {
  /** Number of random ReLU features. */
  features: number;
  /** Ridge λ of the least-squares fit of the one-hot targets. */
  ridge: number;
  /** Scale of the random first-layer weights (default 1). */
  scale?: number;
  random?: Random;
}

/**
 * A classifier trained in closed form: random ReLU features of the inputs, then ridge least squares to the
 * one-hot labels; predicts the arg-max. Cheap enough to cross-validate dozens of configurations.
 * Returns the predict function. Notebook 04 (hyper-parameter search).
 */
export function randomFeatureClassifier(train: Dataset, classes: number, options: RandomFeatureOptions): (X: ArrayLike<number>) => Int32Array {
  const phi = new RandomReluFeatures(train.cols, options.features, { scale: options.scale ?? 1, random: options.random ?? rng() });
  const A = phi.transform(train.x);
  const Y = new Float64Array(train.rows * classes);
  for (let i = 0; i < train.rows; i++) Y[i * classes + train.y[i]!] = 1;
  const w = leastSquares(A, train.rows, options.features, Y, classes, { ridge: options.ridge });
  return (X) => {
    const F = phi.transform(X);
    return argmax(matVec(F, F.length / options.features, options.features, w, classes), classes);
  };
}

/** Mean and sample standard deviation (n − 1) of repeated measurements, e.g. accuracies over seeds. Notebook 04. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) throw new RangeError("meanStd: no values");
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length < 2 ? 0 : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  return { mean, std };
}

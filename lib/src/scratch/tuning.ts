/**
 * Hyper-parameter search (ricerca degli iperparametri): the configurations of a grid search and of a
 * random search over the same ranges, and two models cheap enough to cross-validate many times — a
 * nearest-centroid classifier and ridge regression on random ReLU features —, and Bayesian optimisation:
 * a Gaussian-process surrogate (RBF kernel, Cholesky) with expected improvement. Notebook 04 (lecture
 * 000: hyper-parameter tuning, grid, random search and Bayesian optimisation, k-fold cross-validation).
 */
import { argmax } from "../core/metrics";
import { type Random, rng } from "../core/random";
import { mean, std } from "../core/stats";
import type { Dataset } from "../data/dataset";
import { cholesky, leastSquares, matVec, RandomReluFeatures } from "./regularize";

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
  return { mean: mean(values), std: values.length < 2 ? 0 : std(values, 1) };
}

// ---------------------------------------------------------------------------------------------
// Bayesian optimisation: a Gaussian-process surrogate and expected improvement

/**
 * The squared-exponential (RBF) kernel k(a, b) = σ_f² exp(−½ Σ_d (a_d − b_d)² / ℓ_d²), with one length
 * scale ℓ per dimension (or one for all). Notebook 04 (lecture 000, Bayesian optimisation).
 */
export function rbfKernel(a: ArrayLike<number>, b: ArrayLike<number>, lengthScale: number | readonly number[], variance = 1): number {
  if (a.length !== b.length) throw new RangeError(`rbfKernel: points of ${a.length} and ${b.length} dimensions`);
  let s = 0;
  for (let d = 0; d < a.length; d++) {
    const l = typeof lengthScale === "number" ? lengthScale : lengthScale[d]!;
    s += ((a[d]! - b[d]!) / l) ** 2;
  }
  return variance * Math.exp(-0.5 * s);
}

/** Options of `GaussianProcess`. Notebook 04. */
export interface GaussianProcessOptions {
  /** RBF length scale ℓ (one for all dimensions, or one per dimension). */
  lengthScale: number | readonly number[];
  /** Signal variance σ_f² (default 1). */
  variance?: number;
  /** Observation-noise variance σ_n² added to the kernel matrix's diagonal (default 1e-8: almost exact interpolation). */
  noise?: number;
  /** The constant prior mean m (default 0). */
  mean?: number;
}

/**
 * Gaussian-process regression: given observations yᵢ = f(xᵢ) + noise, the posterior of f at a new x is
 * normal with mean m + k*ᵀ K⁻¹ (y − m) and variance k(x, x) − k*ᵀ K⁻¹ k*, where K = k(X, X) + σ_n² I and
 * k* = k(X, x). K is factorised once by Cholesky (K = L Lᵀ): α = Lᵀ\(L\(y − m)), v = L\k*, variance
 * k(x, x) − vᵀv. Notebook 04 (lecture 000, Bayesian optimisation's surrogate model).
 */
export class GaussianProcess {
  readonly X: number[][];
  readonly y: number[];
  readonly lengthScale: number | readonly number[];
  readonly variance: number;
  readonly noise: number;
  readonly priorMean: number;
  /** The Cholesky factor of K (lower triangle, n×n row-major). */
  readonly L: Float64Array;
  /** K⁻¹ (y − m). */
  readonly alpha: Float64Array;

  constructor(X: readonly (readonly number[])[], y: readonly number[], options: GaussianProcessOptions) {
    if (X.length === 0 || X.length !== y.length) throw new RangeError(`GaussianProcess: ${X.length} points and ${y.length} values; give at least one of each, as many values as points`);
    this.X = X.map((x) => [...x]);
    this.y = [...y];
    this.lengthScale = options.lengthScale;
    this.variance = options.variance ?? 1;
    this.noise = options.noise ?? 1e-8;
    this.priorMean = options.mean ?? 0;
    const n = X.length;
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) K[i * n + j] = K[j * n + i] = rbfKernel(X[i]!, X[j]!, this.lengthScale, this.variance);
      K[i * n + i] += this.noise;
    }
    this.L = cholesky(K, n, "GaussianProcess: the kernel matrix (add noise, or remove repeated points)");
    const r = Float64Array.from(y, (v) => v - this.priorMean);
    this.alpha = this.solveLt(this.solveL(r));
  }

  /** L \ b (forward substitution). */
  private solveL(b: Float64Array): Float64Array {
    const { L } = this;
    const n = this.X.length;
    for (let i = 0; i < n; i++) {
      let v = b[i]!;
      for (let s = 0; s < i; s++) v -= L[i * n + s]! * b[s]!;
      b[i] = v / L[i * n + i]!;
    }
    return b;
  }

  /** Lᵀ \ b (back substitution). */
  private solveLt(b: Float64Array): Float64Array {
    const { L } = this;
    const n = this.X.length;
    for (let i = n - 1; i >= 0; i--) {
      let v = b[i]!;
      for (let s = i + 1; s < n; s++) v -= L[s * n + i]! * b[s]!;
      b[i] = v / L[i * n + i]!;
    }
    return b;
  }

  /** The posterior mean and standard deviation of f at x (without the observation noise). */
  predict(x: readonly number[]): { mean: number; std: number } {
    const k = Float64Array.from(this.X, (xi) => rbfKernel(xi, x, this.lengthScale, this.variance));
    let mean = this.priorMean;
    for (let i = 0; i < k.length; i++) mean += k[i]! * this.alpha[i]!;
    const v = this.solveL(k);
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i]! * v[i]!;
    return { mean, std: Math.sqrt(Math.max(0, this.variance - vv)) };
  }

  /** log p(y | X) = −½ (y − m)ᵀ K⁻¹ (y − m) − Σ log Lᵢᵢ − (n/2) log 2π: how well the kernel explains the data (used to choose ℓ). */
  logMarginalLikelihood(): number {
    const n = this.X.length;
    let fit = 0;
    let logDet = 0;
    for (let i = 0; i < n; i++) {
      fit += (this.y[i]! - this.priorMean) * this.alpha[i]!;
      logDet += Math.log(this.L[i * n + i]!);
    }
    return -0.5 * fit - logDet - 0.5 * n * Math.log(2 * Math.PI);
  }
}

/** The standard normal cumulative distribution Φ(z), through erfc (relative error < 1.2e-7 everywhere, Numerical Recipes' Chebyshev fit). Notebook 04. */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return 0.5 * (x >= 0 ? erfc : 2 - erfc);
}

/** The standard normal density φ(z). Notebook 04. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * Expected improvement for **minimisation**: with the surrogate's posterior N(μ, σ²) at a point and the
 * best value so far f*, EI = E[max(f* − ξ − f, 0)] = (f* − ξ − μ) Φ(z) + σ φ(z), z = (f* − ξ − μ)/σ
 * (and max(f* − ξ − μ, 0) when σ = 0). Large where the mean is low (exploitation) or the uncertainty
 * high (exploration); ξ ≥ 0 asks for a margin. Notebook 04 (lecture 000, Bayesian optimisation).
 */
export function expectedImprovement(mean: number, std: number, best: number, xi = 0): number {
  const d = best - xi - mean;
  if (!(std > 0)) return Math.max(d, 0);
  const z = d / std;
  return Math.max(0, d * normalCdf(z) + std * normalPdf(z));
}

/** The unit cube ↔ a search space (log scale where asked): the GP works on [0, 1]^d. */
function toUnit(space: Record<string, Range>, c: Config): number[] {
  return Object.entries(space).map(([name, r]) => {
    const v = c[name]!;
    if (r.max === r.min) return 0.5;
    return r.log ? (Math.log(v) - Math.log(r.min)) / (Math.log(r.max) - Math.log(r.min)) : (v - r.min) / (r.max - r.min);
  });
}

function fromUnit(space: Record<string, Range>, u: readonly number[]): Config {
  const c: Config = {};
  Object.entries(space).forEach(([name, r], d) => {
    c[name] = r.log ? Math.exp(Math.log(r.min) + u[d]! * (Math.log(r.max) - Math.log(r.min))) : r.min + u[d]! * (r.max - r.min);
  });
  return c;
}

/** Options of `suggestNext` and `bayesianOptimization`. Notebook 04. */
export interface BayesOptOptions {
  /** Candidate length scales on the unit cube; the one with the highest marginal likelihood is used (default 0.05 … 1). */
  lengthScales?: readonly number[];
  /** Candidate noise variances of the standardised observations, chosen with ℓ (default 1e-4, 1e-2, 0.1: cross-validation scores are noisy). */
  noises?: readonly number[];
  /** EI's margin ξ, in units of the observations' standard deviation (default 0.01). */
  xi?: number;
  /** Random candidates on which EI is maximised (default 2000). */
  candidates?: number;
  random?: Random;
}

/** What `suggestNext` proposes. Notebook 04. */
export interface Suggestion {
  config: Config;
  /** Its expected improvement (standardised units). */
  ei: number;
  /** The surrogate fitted to the standardised observations on the unit cube. */
  gp: GaussianProcess;
  /** The length scale and noise chosen by marginal likelihood. */
  lengthScale: number;
  noise: number;
  /** The surrogate's posterior mean and standard deviation at a configuration, in the observations' units. */
  predict: (c: Config) => { mean: number; std: number };
  /** The expected improvement at a configuration, in the observations' units (what the proposal maximised). */
  acquisition: (c: Config) => number;
}

/**
 * One step of Bayesian optimisation (minimisation): fit a Gaussian process to the configurations tried so
 * far (on the unit cube, log scale where the range says so; observations standardised; the RBF length
 * scale and noise chosen by maximum marginal likelihood among `lengthScales` × `noises`), then return the candidate with the
 * largest expected improvement. Notebook 04 (lecture 000, ottimizzazione bayesiana).
 */
export function suggestNext(space: Record<string, Range>, tried: readonly Config[], values: readonly number[], options: BayesOptOptions = {}): Suggestion {
  const { lengthScales = [0.05, 0.1, 0.2, 0.3, 0.5, 1], noises = [1e-4, 1e-2, 0.1], xi = 0.01, candidates = 2000, random = rng() } = options;
  if (tried.length === 0 || tried.length !== values.length) throw new RangeError(`suggestNext: ${tried.length} configurations and ${values.length} values; give at least one, a value for each`);
  for (const [name, r] of Object.entries(space)) checkRange(name, r);
  const X = tried.map((c) => toUnit(space, c));
  const centre = mean(values);
  const sd = std(values) || 1;
  const y = values.map((v) => (v - centre) / sd);
  let gp: GaussianProcess | null = null;
  let [lengthScale, noise] = [lengthScales[0]!, noises[0]!];
  for (const l of lengthScales) {
    for (const s2 of noises) {
      const g = new GaussianProcess(X, y, { lengthScale: l, noise: s2 });
      if (gp === null || g.logMarginalLikelihood() > gp.logMarginalLikelihood()) [gp, lengthScale, noise] = [g, l, s2];
    }
  }
  const best = Math.min(...y);
  const dims = Object.keys(space).length;
  let top: { u: number[]; ei: number } = { u: [], ei: -1 };
  for (let k = 0; k < candidates; k++) {
    const u = Array.from({ length: dims }, () => random.uniform());
    const p = gp!.predict(u);
    const ei = expectedImprovement(p.mean, p.std, best, xi);
    if (ei > top.ei) top = { u, ei };
  }
  const predict = (c: Config) => {
    const p = gp!.predict(toUnit(space, c));
    return { mean: centre + sd * p.mean, std: sd * p.std };
  };
  const acquisition = (c: Config) => {
    const p = gp!.predict(toUnit(space, c));
    return sd * expectedImprovement(p.mean, p.std, best, xi);
  };
  return { config: fromUnit(space, top.u), ei: top.ei, gp: gp!, lengthScale, noise, predict, acquisition };
}

/** What `bayesianOptimization` returns. Notebook 04. */
export interface BayesOptResult {
  /** Every configuration evaluated, in order (the `initial` random ones first). */
  configs: Config[];
  values: number[];
  /** The best value after each evaluation. */
  bestSoFar: number[];
  best: { config: Config; value: number };
}

/**
 * Bayesian optimisation of `objective` (to **minimise**, e.g. a cross-validation error) over `space` with
 * `budget` evaluations: `initial` random configurations, then one `suggestNext` at a time. Optional
 * `onEvaluation` sees each result (e.g. a live display). Notebook 04 (lecture 000, ottimizzazione bayesiana).
 */
export function bayesianOptimization(objective: (c: Config) => number, space: Record<string, Range>, options: BayesOptOptions & { budget: number; initial?: number; onEvaluation?: (i: number, c: Config, value: number) => void }): BayesOptResult {
  const { budget, initial = 3, onEvaluation, random = rng() } = options;
  if (!(Number.isInteger(budget) && budget >= 1)) throw new RangeError(`bayesianOptimization: budget must be a positive integer, got ${budget}`);
  if (!(Number.isInteger(initial) && initial >= 1)) throw new RangeError(`bayesianOptimization: initial must be a positive integer, got ${initial}`);
  const configs: Config[] = [];
  const values: number[] = [];
  const bestSoFar: number[] = [];
  const first = randomConfigs(space, Math.min(initial, budget), random);
  for (let i = 0; i < budget; i++) {
    const c = i < first.length ? first[i]! : suggestNext(space, configs, values, { ...options, random }).config;
    const v = objective(c);
    configs.push(c);
    values.push(v);
    bestSoFar.push(Math.min(v, bestSoFar.at(-1) ?? Infinity));
    onEvaluation?.(i, c, v);
  }
  const k = values.indexOf(Math.min(...values));
  return { configs, values, bestSoFar, best: { config: configs[k]!, value: values[k]! } };
}

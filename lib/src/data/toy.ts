/**
 * Seeded toy datasets for the first lectures: Gaussian blobs, XOR (the 4 points and a noisy cloud),
 * two moons, concentric circles, spirals, a linearly separable set with a known margin, and a noisy
 * 1-D function to fit. Every generator draws from `random` (default the global `rng()`, so `seed(n)`
 * fixes it) and returns rows in shuffled order with class labels 0, 1, … (Int32Array) or real targets.
 * Notebooks 00, 01, 02 and 03 (lectures 000, 001 and 003, perceptron and MLP, universal approximation and decision regions).
 */
import { Dataset } from "./dataset";
import { Random, rng } from "../core/random";

/** Options every toy generator takes. */
export interface ToyOptions {
  /** Number of examples (default 200, 300 for spirals). */
  n?: number;
  /** The generator to draw from (default the global `rng()`). */
  random?: Random;
}

function checkN(n: number, min: number, what: string): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${what}: n must be an integer ≥ ${min}, got ${n}`);
}

/** Builds a 2-D classification dataset from a point generator (class dealt round-robin) and shuffles its rows. */
function classes2d(n: number, k: number, random: Random, point: (cls: number, i: number, perClass: number) => [number, number]): Dataset<Int32Array> {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const seen = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    const [a, b] = point(c, seen[c]!++, Math.ceil((n - c) / k));
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = c;
  }
  const ds = new Dataset(x, y, 2);
  return ds.subset(random.permutation(n));
}

/**
 * Isotropic Gaussian blobs in the plane, one per class, with standard deviation `std` (default 0.5).
 * `centers` is a list of 2-D centres, or a count k of centres drawn uniformly in [−4, 4]² (default 3).
 * Notebook 00 (lecture 000, classification and decision regions).
 */
export function blobs(options: ToyOptions & { centers?: number | [number, number][]; std?: number } = {}): Dataset<Int32Array> {
  const { n = 200, random = rng(), std = 0.5 } = options;
  const centers = options.centers ?? 3;
  const list: [number, number][] =
    typeof centers === "number" ? Array.from({ length: centers }, () => [random.uniform(-4, 4), random.uniform(-4, 4)]) : centers;
  if (list.length < 1) throw new RangeError("blobs: give at least one centre");
  checkN(n, list.length, "blobs");
  return classes2d(n, list.length, random, (c) => [random.normal(list[c]![0], std), random.normal(list[c]![1], std)]);
}

/** The four XOR points (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0, in this order: not linearly separable. Notebooks 01 and 02 (lectures 001 and 003, perceptron limits, MLP). */
export function xor(): Dataset<Int32Array> {
  return new Dataset(Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]), Int32Array.from([0, 1, 1, 0]), 2);
}

/** A noisy XOR cloud: points around the four XOR corners with Gaussian noise `noise` (default 0.15), labelled as the corner. Notebook 02 (lectures 001 and 003, MLP). */
export function xorCloud(options: ToyOptions & { noise?: number } = {}): Dataset<Int32Array> {
  const { n = 200, random = rng(), noise = 0.15 } = options;
  checkN(n, 4, "xorCloud");
  const corners: [number, number][] = [[0, 0], [1, 1], [0, 1], [1, 0]]; // classes 0, 0, 1, 1
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b] = corners[i % 4]!;
    x[2 * i] = random.normal(a, noise);
    x[2 * i + 1] = random.normal(b, noise);
    y[i] = a ^ b;
  }
  return new Dataset(x, y, 2).subset(random.permutation(n));
}

/** Two interleaving half circles (as scikit-learn's make_moons) with Gaussian noise `noise` (default 0.1). Notebook 03 (lecture 000, MLP decision regions). */
export function moons(options: ToyOptions & { noise?: number } = {}): Dataset<Int32Array> {
  const { n = 200, random = rng(), noise = 0.1 } = options;
  checkN(n, 2, "moons");
  return classes2d(n, 2, random, (c, i, m) => {
    const t = m > 1 ? (Math.PI * i) / (m - 1) : 0;
    const [a, b] = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    return [random.normal(a, noise), random.normal(b, noise)];
  });
}

/** Two concentric circles, radius 1 (class 0) and `factor` (default 0.5, class 1), with Gaussian noise `noise` (default 0.05). Lecture 000 (MLP). */
export function circles(options: ToyOptions & { noise?: number; factor?: number } = {}): Dataset<Int32Array> {
  const { n = 200, random = rng(), noise = 0.05, factor = 0.5 } = options;
  checkN(n, 2, "circles");
  if (!(factor > 0 && factor < 1)) throw new RangeError(`circles: factor must be in (0, 1), got ${factor}`);
  return classes2d(n, 2, random, (c, i, m) => {
    const t = (2 * Math.PI * i) / m;
    const r = c === 0 ? 1 : factor;
    return [random.normal(r * Math.cos(t), noise), random.normal(r * Math.sin(t), noise)];
  });
}

/**
 * Interleaved spirals, one arm per class (default 2 classes, 1 turn): arm j at radius r ∈ [0, 1) has
 * angle 2π(turns·r + j/classes) plus Gaussian noise `noise` (default 0.2 rad). Notebook 02 (lecture 000, MLP, depth).
 */
export function spirals(options: ToyOptions & { classes?: number; turns?: number; noise?: number } = {}): Dataset<Int32Array> {
  const { n = 300, random = rng(), classes = 2, turns = 1, noise = 0.2 } = options;
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`spirals: classes must be an integer ≥ 2, got ${classes}`);
  checkN(n, classes, "spirals");
  return classes2d(n, classes, random, (c, i, m) => {
    const r = i / m;
    const t = 2 * Math.PI * (turns * r + c / classes) + random.normal(0, noise);
    return [r * Math.cos(t), r * Math.sin(t)];
  });
}

/** A linearly separable set and the separator that generated it. */
export interface SeparableSet {
  /** Points uniform in [−1, 1]^dim away from the separator, labelled 1 where w0 + wᵀx > 0, else 0. */
  data: Dataset<Int32Array>;
  /** The generating separator's bias. */
  w0: number;
  /** The generating separator's weights. */
  w: Float64Array;
  /** Its margin on the data, γ = min_i s_i (w0 + wᵀx_i) / ‖(w0, w)‖ with s_i = ±1 (≥ the requested margin). */
  gamma: number;
  /** The data's radius R = max_i ‖(1, x_i)‖ (bias input 1 appended), as in Novikoff's bound (R/γ)². */
  R: number;
}

/**
 * A linearly separable dataset with a known margin, for the perceptron convergence theorem (Novikoff:
 * at most (R/γ)² mistakes). Points are drawn uniformly in [−1, 1]^dim, keeping only those at distance
 * ≥ `margin` (default 0.1) from the separator (w0, w) in the bias-augmented space. The separator
 * defaults to a random direction through the origin (w0 = 0). Notebook 01 (lecture 001, perceptron).
 */
export function linearlySeparable(
  options: ToyOptions & { margin?: number; dim?: number; w?: ArrayLike<number>; w0?: number } = {},
): SeparableSet {
  const { n = 100, random = rng(), margin = 0.1, w0 = 0 } = options;
  checkN(n, 2, "linearlySeparable");
  const dim = options.w?.length ?? options.dim ?? 2;
  const w = options.w ? Float64Array.from(options.w) : Float64Array.from({ length: dim }, () => random.normal());
  const norm = Math.hypot(w0, ...w);
  if (!(norm > 0)) throw new RangeError("linearlySeparable: the separator (w0, w) is all zero; give it a direction");
  if (!(margin > 0)) throw new RangeError(`linearlySeparable: margin must be > 0, got ${margin}`);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  let gamma = Infinity;
  let r2 = 0;
  const point = new Float32Array(dim);
  for (let i = 0, tries = 0; i < n; ) {
    if (++tries > 1000 * n) {
      throw new RangeError(`linearlySeparable: margin ${margin} leaves too little of [−1, 1]^${dim} on either side of the separator; use a smaller margin`);
    }
    let z = w0;
    for (let j = 0; j < dim; j++) {
      point[j] = random.uniform(-1, 1);
      z += w[j]! * point[j]!;
    }
    const distance = Math.abs(z) / norm;
    if (distance < margin) continue;
    x.set(point, i * dim);
    y[i] = z > 0 ? 1 : 0;
    gamma = Math.min(gamma, distance);
    r2 = Math.max(r2, 1 + point.reduce((s, v) => s + v * v, 0));
    i++;
  }
  return { data: new Dataset(x, y, dim), w0, w, gamma, R: Math.sqrt(r2) };
}

/**
 * A 1-D regression set: n points x (sorted) uniform in [xMin, xMax] (default [0, 2π]) with targets
 * y = f(x) + Gaussian noise of std `noise` (default 0.1); f defaults to sin. Labels are Float32Array.
 * Lectures 000 and 003 (universal approximation, fitting a function).
 */
export function noisyFunction(
  options: ToyOptions & { f?: (x: number) => number; xMin?: number; xMax?: number; noise?: number } = {},
): Dataset<Float32Array> {
  const { n = 200, random = rng(), f = Math.sin, xMin = 0, xMax = 2 * Math.PI, noise = 0.1 } = options;
  checkN(n, 1, "noisyFunction");
  if (!(xMax > xMin)) throw new RangeError(`noisyFunction: need xMin < xMax, got [${xMin}, ${xMax}]`);
  const x = random.uniformArray(n, xMin, xMax).sort();
  const y = x.map((v) => f(v) + random.normal(0, noise));
  return new Dataset(x, y, 1);
}

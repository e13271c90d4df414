/**
 * Typed datasets and what every training loop does to them: train/validation/test splits, k folds,
 * seeded shuffled mini-batches, scaling, one-hot labels and conversion to TensorFlow.js tensors.
 * Notebooks 00, 02 and 03 — lectures 000 (Deep Learning slides) — training, mini-batch GD, k-fold cross-validation; INFN ANN
 * principles 003 — train/validation/test and learning curves.
 */
import { Random, rng } from "../core/random";
import { mean, std } from "../core/stats";

/** Labels or targets: class indices (Int32Array, Uint8Array) or real targets (Float32Array). */
export type Labels = Float32Array | Int32Array | Uint8Array;

function shapeText(rows: number, cols: number): string {
  return `[${rows}×${cols}]`;
}

function newLabelsLike<Y extends Labels>(y: Y, length: number): Y {
  return new (y.constructor as new (n: number) => Y)(length);
}

/**
 * A dataset of `rows` examples: features x (row-major `rows × cols`, one example x⁽ⁱ⁾ per row) and
 * labels y (`rows × yCols`: one class index or target per row when yCols = 1, or a vector per row,
 * e.g. one-hot). Shapes are checked on construction. Every notebook (the training set {x⁽ⁱ⁾, y⁽ⁱ⁾}).
 */
export class Dataset<Y extends Labels = Labels> {
  /** Number of examples. */
  readonly rows: number;

  /**
   * @param x features, row-major, `rows × cols` values.
   * @param y labels, `rows × yCols` values.
   * @param cols features per example (the input dimension).
   * @param yCols label values per example (default 1).
   */
  constructor(
    readonly x: Float32Array,
    readonly y: Y,
    readonly cols: number,
    readonly yCols = 1,
  ) {
    if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`Dataset: cols must be a positive integer, got ${cols}`);
    if (!Number.isInteger(yCols) || yCols < 1) throw new RangeError(`Dataset: yCols must be a positive integer, got ${yCols}`);
    if (x.length % cols !== 0) {
      throw new RangeError(`Dataset: x has ${x.length} values, not a whole number of rows of cols = ${cols}`);
    }
    this.rows = x.length / cols;
    if (y.length !== this.rows * yCols) {
      throw new RangeError(
        `Dataset: y has ${y.length} values but x is ${shapeText(this.rows, cols)}, so y must be ` +
          `${shapeText(this.rows, yCols)} = ${this.rows * yCols} values (one row of labels per example)`,
      );
    }
  }

  /**
   * Builds a dataset from nested arrays: `xRows[i]` is example i, `y[i]` its label (a number) or
   * target vector. Labels become a Float32Array unless a typed array is passed.
   */
  static fromRows(xRows: ArrayLike<ArrayLike<number>>, y: ArrayLike<number> | ArrayLike<ArrayLike<number>> | Labels): Dataset {
    const rows = xRows.length;
    if (rows === 0) throw new RangeError("Dataset.fromRows: no rows given");
    const cols = xRows[0]!.length;
    const x = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const r = xRows[i]!;
      if (r.length !== cols) throw new RangeError(`Dataset.fromRows: row ${i} has ${r.length} values, row 0 has ${cols}`);
      for (let j = 0; j < cols; j++) x[i * cols + j] = r[j]!;
    }
    if (y.length !== rows) throw new RangeError(`Dataset.fromRows: ${rows} rows of x but ${y.length} labels`);
    if (y instanceof Float32Array || y instanceof Int32Array || y instanceof Uint8Array) return new Dataset(x, y, cols);
    const first = y[0]!;
    if (typeof first === "number") return new Dataset(x, Float32Array.from(y as ArrayLike<number>), cols);
    const yCols = first.length;
    const yy = new Float32Array(rows * yCols);
    for (let i = 0; i < rows; i++) {
      const r = (y as ArrayLike<ArrayLike<number>>)[i]!;
      if (r.length !== yCols) throw new RangeError(`Dataset.fromRows: label ${i} has ${r.length} values, label 0 has ${yCols}`);
      for (let j = 0; j < yCols; j++) yy[i * yCols + j] = r[j]!;
    }
    return new Dataset(x, yy, cols, yCols);
  }

  /** Example i's features (a view, not a copy). */
  row(i: number): Float32Array {
    this.checkIndex(i);
    return this.x.subarray(i * this.cols, (i + 1) * this.cols);
  }

  /** Example i's label (yCols = 1) — for vector labels use `target(i)`. */
  label(i: number): number {
    this.checkIndex(i);
    if (this.yCols !== 1) throw new RangeError(`Dataset.label: labels have ${this.yCols} values per row; use target(i)`);
    return this.y[i]!;
  }

  /** Example i's label row (a view, not a copy). */
  target(i: number): Y {
    this.checkIndex(i);
    return this.y.subarray(i * this.yCols, (i + 1) * this.yCols) as Y;
  }

  /** A new dataset holding copies of the rows at `indices`, in that order. */
  subset(indices: ArrayLike<number>): Dataset<Y> {
    const { cols, yCols } = this;
    const x = new Float32Array(indices.length * cols);
    const y = newLabelsLike(this.y, indices.length * yCols);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      this.checkIndex(i);
      x.set(this.x.subarray(i * cols, (i + 1) * cols), k * cols);
      y.set(this.y.subarray(i * yCols, (i + 1) * yCols), k * yCols);
    }
    return new Dataset(x, y, cols, yCols);
  }

  /** The same examples with the features replaced (same rows, any number of columns). */
  withX(x: Float32Array, cols = this.cols): Dataset<Y> {
    const d = new Dataset(x, this.y, cols, this.yCols);
    if (d.rows !== this.rows) throw new RangeError(`withX: new x has ${d.rows} rows, the dataset has ${this.rows}`);
    return d;
  }

  /** A new dataset with only the feature columns `columns`, in that order (labels shared). Notebook 04 (feature selection). */
  selectColumns(columns: ArrayLike<number>): Dataset<Y> {
    const k = columns.length;
    for (let j = 0; j < k; j++) {
      const c = columns[j]!;
      if (!Number.isInteger(c) || c < 0 || c >= this.cols) throw new RangeError(`selectColumns: column ${c} is out of range for ${this.cols} columns`);
    }
    const x = new Float32Array(this.rows * k);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < k; j++) x[i * k + j] = this.x[i * this.cols + columns[j]!]!;
    return new Dataset(x, this.y, k, this.yCols);
  }

  /** The features as nested arrays (for printing small sets). */
  xRows(): number[][] {
    return Array.from({ length: this.rows }, (_, i) => Array.from(this.row(i)));
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) {
      throw new RangeError(`row index ${i} is out of range for a dataset of ${this.rows} rows`);
    }
  }
}

/** Checks that labels are integer class indices in [0, classes) and returns `classes` (default: max label + 1). */
function checkClassLabels(labels: ArrayLike<number>, classes?: number): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0) throw new RangeError(`label ${i} is ${c}: class labels must be integers ≥ 0`);
    if (classes !== undefined && c >= classes) throw new RangeError(`label ${i} is ${c}, outside the ${classes} classes 0..${classes - 1}`);
    if (c > max) max = c;
  }
  return classes ?? max + 1;
}

/** How many labels of each class 0..classes−1 (classes defaults to max label + 1). Every notebook (class balance). */
export function classCounts(labels: ArrayLike<number>, classes?: number): number[] {
  const k = checkClassLabels(labels, classes);
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}

/** Options shared by splits and folds. */
export interface ShuffleOptions {
  /** Shuffle before splitting (default true). Without it the split follows the row order. */
  shuffle?: boolean;
  /** Keep each class's share the same in every part (needs integer class labels, yCols = 1). Default false. */
  stratify?: boolean;
  /** The generator to draw from (default the global `rng()`, seeded by `seed`). */
  random?: Random;
}

/** Row-index groups: by class when stratifying, else one group of all rows; each shuffled if asked. */
function indexGroups(ds: Dataset, options: ShuffleOptions): Int32Array[] {
  const { shuffle = true, stratify = false, random = rng() } = options;
  let groups: number[][];
  if (stratify) {
    if (ds.yCols !== 1) throw new RangeError(`stratify needs one class label per row; this dataset has ${ds.yCols} label values per row`);
    groups = classCounts(ds.y).map(() => []);
    for (let i = 0; i < ds.rows; i++) groups[ds.y[i]!]!.push(i);
  } else {
    groups = [Array.from({ length: ds.rows }, (_, i) => i)];
  }
  return groups.map((g) => (shuffle ? random.shuffle(Int32Array.from(g)) : Int32Array.from(g)));
}

/** Sizes of a train/validation/test split. */
export interface SplitOptions extends ShuffleOptions {
  /** Fraction of the rows for validation, in [0, 1) (default 0). */
  validation?: number;
  /** Fraction of the rows for test, in [0, 1) (default 0.2). */
  test?: number;
}

/** A train/validation/test split: the three datasets and the original row indices of each. */
export interface Split<Y extends Labels = Labels> {
  train: Dataset<Y>;
  validation: Dataset<Y>;
  test: Dataset<Y>;
  indices: { train: Int32Array; validation: Int32Array; test: Int32Array };
}

/**
 * Splits a dataset into disjoint train, validation and test parts covering every row (seeded
 * shuffle first, optionally stratified by class). Sizes are rounded per group (per class when
 * stratified). Notebooks 00 and 02 (lecture 003, INFN, training/validation/test sets).
 */
export function split<Y extends Labels>(ds: Dataset<Y>, options: SplitOptions = {}): Split<Y> {
  const { validation = 0, test = 0.2 } = options;
  for (const [name, f] of [["validation", validation], ["test", test]] as const) {
    if (!(f >= 0 && f < 1)) throw new RangeError(`split: ${name} must be a fraction in [0, 1), got ${f}`);
  }
  if (validation + test >= 1) throw new RangeError(`split: validation + test = ${validation + test} leaves no training rows; keep it below 1`);
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (const g of indexGroups(ds, options)) {
    const nTest = Math.round(g.length * test);
    const nVal = Math.round(g.length * validation);
    g.forEach((i, k) => (k < nTest ? parts.test : k < nTest + nVal ? parts.validation : parts.train).push(i));
  }
  const indices = { train: Int32Array.from(parts.train), validation: Int32Array.from(parts.validation), test: Int32Array.from(parts.test) };
  return { train: ds.subset(indices.train), validation: ds.subset(indices.validation), test: ds.subset(indices.test), indices };
}

/** One fold of k-fold cross-validation: train on k−1 parts, validate on the held-out one. */
export interface Fold<Y extends Labels = Labels> {
  train: Dataset<Y>;
  validation: Dataset<Y>;
  indices: { train: Int32Array; validation: Int32Array };
}

/**
 * k-fold cross-validation: the rows (shuffled, optionally stratified) are dealt into k disjoint parts
 * of near-equal size; fold j validates on part j and trains on the rest. Every row is validated
 * exactly once. Lecture 000 (Deep Learning slides, k-Fold Cross-Validation).
 */
export function kFold<Y extends Labels>(ds: Dataset<Y>, k: number, options: ShuffleOptions = {}): Fold<Y>[] {
  if (!Number.isInteger(k) || k < 2 || k > ds.rows) throw new RangeError(`kFold: k must be an integer in [2, ${ds.rows}] (the rows), got ${k}`);
  const parts: number[][] = Array.from({ length: k }, () => []);
  let next = 0; // deal round-robin across groups so every part gets its share of each class
  for (const g of indexGroups(ds, options)) {
    for (const i of g) parts[next++ % k]!.push(i);
  }
  return parts.map((part, j) => {
    const validation = Int32Array.from(part);
    const train = Int32Array.from(parts.flatMap((p, m) => (m === j ? [] : p)));
    return { train: ds.subset(train), validation: ds.subset(validation), indices: { train, validation } };
  });
}

/** The scores of a k-fold cross-validation: one per fold, their mean and (sample) standard deviation. Notebook 04. */
export interface CrossValidation {
  scores: number[];
  mean: number;
  std: number;
}

/**
 * k-fold cross-validation (convalida incrociata) without leakage: `fitScore(train, validation, j)` is
 * called once per fold of `kFold` and must fit everything that learns from data — scaling statistics,
 * feature selection, the model — on `train` alone, then score `validation`. Notebook 04 (lecture 000,
 * k-fold cross-validation).
 */
export function crossValidate<Y extends Labels>(
  ds: Dataset<Y>,
  k: number,
  fitScore: (train: Dataset<Y>, validation: Dataset<Y>, fold: number) => number,
  options: ShuffleOptions = {},
): CrossValidation {
  const scores = kFold(ds, k, options).map((f, j) => fitScore(f.train, f.validation, j));
  return { scores, mean: mean(scores), std: std(scores, 1) };
}

/**
 * |Pearson correlation| of each feature column with the label (one label per row): a simple filter for
 * feature selection, and a classic source of leakage when computed on rows later used to validate.
 * A constant column scores 0. Notebook 04 (leakage).
 */
export function labelCorrelation(ds: Dataset): Float64Array {
  if (ds.yCols !== 1) throw new RangeError(`labelCorrelation: needs one label per row, the dataset has ${ds.yCols}`);
  const { rows, cols, x, y } = ds;
  let my = 0;
  for (let i = 0; i < rows; i++) my += y[i]!;
  my /= rows;
  let syy = 0;
  for (let i = 0; i < rows; i++) syy += (y[i]! - my) ** 2;
  const mx = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mx[j] += x[i * cols + j]!;
  for (let j = 0; j < cols; j++) mx[j] /= rows;
  const sxy = new Float64Array(cols);
  const sxx = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const dy = y[i]! - my;
    for (let j = 0; j < cols; j++) {
      const dx = x[i * cols + j]! - mx[j]!;
      sxy[j] += dx * dy;
      sxx[j] += dx * dx;
    }
  }
  return Float64Array.from(sxy, (v, j) => (sxx[j]! > 0 && syy > 0 ? Math.abs(v) / Math.sqrt(sxx[j]! * syy) : 0));
}

/** The indices of the `k` largest values, largest first. Notebook 04 (feature selection). */
export function topK(values: ArrayLike<number>, k: number): Int32Array {
  if (!(Number.isInteger(k) && k >= 0 && k <= values.length)) throw new RangeError(`topK: k must be an integer in [0, ${values.length}], got ${k}`);
  return Int32Array.from(Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b).slice(0, k));
}

/** Options for mini-batches. */
export interface BatchOptions {
  /** Shuffle the rows before batching (default true; a new permutation at each call, i.e. each epoch). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false: keep it). */
  dropLast?: boolean;
  /** The generator to draw from (default the global `rng()`). */
  random?: Random;
}

/**
 * The row indices of one epoch's mini-batches: a seeded permutation of 0..n−1 cut into batches of
 * `batchSize` (the last one smaller unless `dropLast`). Notebook 03 (lecture 000, Deep Learning slides, mini-batch GD).
 */
export function* batchIndices(n: number, batchSize: number, options: BatchOptions = {}): Generator<Int32Array> {
  const { shuffle = true, dropLast = false, random = rng() } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = shuffle ? random.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (dropLast && end - start < batchSize) return;
    yield order.subarray(start, end);
  }
}

/** One epoch of mini-batches of a dataset, each a `Dataset` of at most `batchSize` rows. Notebook 03 (lecture 000, mini-batch GD). */
export function* batches<Y extends Labels>(ds: Dataset<Y>, batchSize: number, options: BatchOptions = {}): Generator<Dataset<Y>> {
  for (const idx of batchIndices(ds.rows, batchSize, options)) yield ds.subset(idx);
}

/**
 * The per-feature affine scalings x′ = (x − shift) / scale:
 * - `center`: mean subtraction (shift = mean, scale = 1);
 * - `standardize`: zero mean, unit (population) standard deviation;
 * - `range01`: min → 0, max → 1;
 * - `range11`: min → −1, max → 1.
 */
export type ScalingKind = "center" | "standardize" | "range01" | "range11";

/**
 * A scaling fitted on training data and applied unchanged to validation and test data (fitting on
 * those would leak them into training). A feature that is constant in the fitting data keeps scale 1.
 * Lectures 000 and 003 (INFN and Deep Learning slides, input normalisation).
 */
export class Scaler {
  private constructor(
    /** Which scaling. */
    readonly kind: ScalingKind,
    /** Subtracted from each feature (one value per column, or one value when fitted with `global`). */
    readonly shift: Float64Array,
    /** Divides each feature after the shift. */
    readonly scale: Float64Array,
  ) {}

  /**
   * Fits the scaling on `train`'s features, per column, or over all values at once with
   * `global: true` (e.g. image pixels, where border pixels are constant).
   */
  static fit(train: Dataset, kind: ScalingKind, options: { global?: boolean } = {}): Scaler {
    const { x, rows, cols } = train;
    if (rows === 0) throw new RangeError("Scaler.fit: the dataset has no rows to fit on");
    const width = options.global ? 1 : cols;
    const col = (k: number) => (options.global ? 0 : k % cols);
    const count = x.length / width;
    const sum = new Float64Array(width);
    const min = new Float64Array(width).fill(Infinity);
    const max = new Float64Array(width).fill(-Infinity);
    for (let k = 0; k < x.length; k++) {
      const v = x[k]!;
      const j = col(k);
      sum[j] += v;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
    const mean = sum.map((s) => s / count);
    const sq = new Float64Array(width);
    for (let k = 0; k < x.length; k++) {
      const j = col(k);
      sq[j] += (x[k]! - mean[j]!) ** 2;
    }
    const nonZero = (s: number) => (s > 0 ? s : 1);
    const shift = new Float64Array(width);
    const scale = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      const std = Math.sqrt(sq[j]! / count);
      const range = max[j]! - min[j]!;
      [shift[j], scale[j]] = {
        center: [mean[j]!, 1],
        standardize: [mean[j]!, nonZero(std)],
        range01: [min[j]!, nonZero(range)],
        range11: [(min[j]! + max[j]!) / 2, nonZero(range / 2)],
      }[kind];
    }
    return new Scaler(kind, shift, scale);
  }

  /** Scales a row-major `rows × cols` feature array (a new array). */
  transformX(x: Float32Array): Float32Array {
    return this.affine(x, false);
  }

  /** Undoes `transformX`. */
  inverseX(x: Float32Array): Float32Array {
    return this.affine(x, true);
  }

  private affine(x: Float32Array, inverse: boolean): Float32Array {
    const { shift, scale } = this;
    const w = shift.length;
    if (x.length % w !== 0) throw new RangeError(`Scaler: ${x.length} values are not whole rows of the ${w} features it was fitted on`);
    const out = new Float32Array(x.length);
    for (let k = 0, j = 0; k < x.length; k++, j = j + 1 === w ? 0 : j + 1) {
      out[k] = inverse ? x[k]! * scale[j]! + shift[j]! : (x[k]! - shift[j]!) / scale[j]!;
    }
    return out;
  }

  /** The dataset with scaled features (labels shared, not copied). */
  transform<Y extends Labels>(ds: Dataset<Y>): Dataset<Y> {
    if (this.shift.length !== 1 && ds.cols !== this.shift.length) {
      throw new RangeError(`Scaler was fitted on ${this.shift.length} features, this dataset has ${ds.cols}`);
    }
    return ds.withX(this.transformX(ds.x));
  }
}

/**
 * One-hot encoding: class c of K becomes the row with 1 at position c and 0 elsewhere; returns
 * `labels.length × classes` values, row-major. Lectures 004 (RNN/NLP), one-hot vectors; 003 (INFN),
 * categorical cross-entropy.
 */
export function oneHot(labels: ArrayLike<number>, classes?: number): Float32Array {
  const k = checkClassLabels(labels, classes);
  const out = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) out[i * k + labels[i]!] = 1;
  return out;
}


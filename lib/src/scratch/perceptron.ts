/**
 * The threshold linear unit and the perceptron algorithm, from scratch. Notebook 01 — lectures 001 (perceptron),
 * threshold linear unit of McCulloch–Pitts and Rosenblatt (003).
 */

/**
 * A threshold linear unit: z = w0 + wᵀx, output ŷ = 1 if z ≥ 0 else 0 (the step activation).
 * Notebook 01 (lecture 003, artificial neuron model, threshold linear unit).
 */
export class ThresholdUnit {
  /** The weights w (one per input). */
  readonly w: Float64Array;
  /** The bias w0 (the threshold is −w0). */
  w0: number;

  constructor(w: ArrayLike<number>, w0: number) {
    if (w.length === 0) throw new Error("a threshold unit needs at least one weight: pass w with one entry per input");
    this.w = Float64Array.from(w);
    this.w0 = w0;
  }

  /** The number of inputs. */
  get inputs(): number {
    return this.w.length;
  }

  /** The synaptic sum z = w0 + wᵀx. */
  z(x: ArrayLike<number>): number {
    if (x.length !== this.w.length) {
      throw new Error(`input has ${x.length} components but the unit has ${this.w.length} weights: pass x of length ${this.w.length}`);
    }
    let s = this.w0;
    for (let i = 0; i < x.length; i++) s += this.w[i]! * x[i]!;
    return s;
  }

  /** The output ŷ = step(z) ∈ {0, 1}. */
  predict(x: ArrayLike<number>): 0 | 1 {
    return this.z(x) >= 0 ? 1 : 0;
  }

  /** A copy with the same weights. */
  clone(): ThresholdUnit {
    return new ThresholdUnit(this.w, this.w0);
  }
}

/** AND of two inputs in {0, 1} by hand-chosen weights: w = [1, 1], w0 = −1.5. Notebook 01 (lecture 003, threshold unit). */
export function andUnit(): ThresholdUnit {
  return new ThresholdUnit([1, 1], -1.5);
}

/** OR of two inputs in {0, 1} by hand-chosen weights: w = [1, 1], w0 = −0.5. Notebook 01 (lecture 003, threshold unit). */
export function orUnit(): ThresholdUnit {
  return new ThresholdUnit([1, 1], -0.5);
}

/** Options of `trainPerceptron`. Notebook 01 (lecture 001, perceptron algorithm). */
export interface PerceptronOptions {
  /** Learning rate η (default 1). */
  eta?: number;
  /** Stop after this many passes over D even without convergence (default 100). */
  maxEpochs?: number;
  /**
   * Initial weights [w0, w1, …, wn] (bias first). Default: all zero. The notes start from random
   * weights: pass e.g. `Array.from({ length: n + 1 }, () => rng() - 0.5)`.
   */
  init?: ArrayLike<number>;
  /**
   * Sign of the update w ← w + sign·η(y − ŷ)x. The right one is +1 (default); the handwritten notes
   * print −1, which pushes every mistake further the wrong way.
   */
  sign?: 1 | -1;
}

/** One update of the weights, made on a mistake. */
export interface PerceptronStep {
  /** Pass over D (1-based) in which it happened. */
  epoch: number;
  /** Index in D of the misclassified sample. */
  index: number;
  /** Bias after the update. */
  w0: number;
  /** Weights after the update. */
  w: Float64Array;
}

/** What `trainPerceptron` returns: the unit and its history. */
export interface PerceptronResult {
  /** The trained unit. */
  unit: ThresholdUnit;
  /** True when a whole pass over D made no mistake. */
  converged: boolean;
  /** Passes over D made (the last one mistake-free when converged). */
  epochs: number;
  /** Total number of mistakes (= updates) over all passes. */
  mistakes: number;
  /** Mistakes in each pass over D. */
  mistakesPerEpoch: number[];
  /** The initial weights and every update, in order (steps[0] is the start, epoch 0, index −1). */
  steps: PerceptronStep[];
}

/**
 * The perceptron algorithm as the notes state it: start from weights w_0, then loop over
 * D = {(x_i, y_i)} with y_i ∈ {0, 1} until a pass makes no mistake (or `maxEpochs` passes):
 * ŷ = step(w0 + wᵀx), w ← w + η(y − ŷ)x and w0 ← w0 + η(y − ŷ). The "single-sample gradient"
 * y − ŷ is in {−1, 0, 1}, so only mistakes move the weights. Notebook 01 (lecture 001, perceptron).
 */
export function trainPerceptron(X: ArrayLike<number>[], y: ArrayLike<number>, options: PerceptronOptions = {}): PerceptronResult {
  const { eta = 1, maxEpochs = 100, sign = 1 } = options;
  if (X.length === 0) throw new Error("trainPerceptron: D is empty, pass at least one sample");
  if (X.length !== y.length) throw new Error(`trainPerceptron: ${X.length} inputs but ${y.length} labels, pass one label per input`);
  const n = X[0]!.length;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`trainPerceptron: label ${i} is ${y[i]}, labels must be 0 or 1 (the step's outputs)`);
    if (X[i]!.length !== n) throw new Error(`trainPerceptron: sample ${i} has ${X[i]!.length} components, the first has ${n}`);
  }
  const init = options.init ?? new Float64Array(n + 1);
  if (init.length !== n + 1) throw new Error(`trainPerceptron: init has ${init.length} entries, pass ${n + 1} (w0 then one weight per input)`);
  const unit = new ThresholdUnit(Array.from(init).slice(1), init[0]!);
  const steps: PerceptronStep[] = [{ epoch: 0, index: -1, w0: unit.w0, w: unit.w.slice() }];
  const mistakesPerEpoch: number[] = [];
  let converged = false;
  for (let epoch = 1; epoch <= maxEpochs && !converged; epoch++) {
    let mistakes = 0;
    for (let i = 0; i < X.length; i++) {
      const x = X[i]!;
      const g = y[i]! - unit.predict(x); // single-sample "gradient" in {−1, 0, 1}
      if (g === 0) continue;
      mistakes++;
      const step = sign * eta * g;
      unit.w0 += step;
      for (let j = 0; j < n; j++) unit.w[j]! += step * x[j]!;
      steps.push({ epoch, index: i, w0: unit.w0, w: unit.w.slice() });
    }
    mistakesPerEpoch.push(mistakes);
    converged = mistakes === 0;
  }
  const mistakes = mistakesPerEpoch.reduce((a, b) => a + b, 0);
  return { unit, converged, epochs: mistakesPerEpoch.length, mistakes, mistakesPerEpoch, steps };
}

/** R = max_i ‖(1, x_i)‖, the radius of the data with the bias input 1 appended. Notebook 01 (lecture 001, perceptron convergence). */
export function dataRadius(X: ArrayLike<number>[]): number {
  let r2 = 0;
  for (const x of X) {
    let s = 1;
    for (let j = 0; j < x.length; j++) s += x[j]! * x[j]!;
    r2 = Math.max(r2, s);
  }
  return Math.sqrt(r2);
}

/**
 * The margin γ = min_i s_i (w0 + wᵀx_i) / ‖(w0, w)‖ of a separating unit on D, with s_i = +1 for
 * y_i = 1 and −1 for y_i = 0. Positive exactly when the unit separates D (with no point on the boundary).
 * Notebook 01 (lecture 001, perceptron convergence).
 */
export function geometricMargin(X: ArrayLike<number>[], y: ArrayLike<number>, unit: ThresholdUnit): number {
  const norm = Math.hypot(unit.w0, ...unit.w);
  if (norm === 0) throw new Error("geometricMargin: the unit's weights are all zero, it defines no hyperplane");
  let g = Infinity;
  for (let i = 0; i < X.length; i++) g = Math.min(g, ((y[i] === 1 ? 1 : -1) * unit.z(X[i]!)) / norm);
  return g;
}

/**
 * Novikoff's bound on the perceptron's number of mistakes on data of radius R separable with margin γ:
 * (R/γ)² when the weights start at zero. Starting from w_init (bias included) with learning rate η,
 * the same argument gives (R/γ)² + 2‖w_init‖/(ηγ); pass `initNorm` and `eta` for that.
 * Notebook 01 (lecture 001, perceptron convergence).
 */
export function novikoffBound(R: number, gamma: number, { initNorm = 0, eta = 1 }: { initNorm?: number; eta?: number } = {}): number {
  if (!(gamma > 0)) throw new Error(`novikoffBound: margin γ = ${gamma}; the bound needs separable data, γ > 0`);
  return (R / gamma) ** 2 + (2 * initNorm) / (eta * gamma);
}

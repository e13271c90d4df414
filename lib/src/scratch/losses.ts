/**
 * Loss functions (funzioni di perdita) with their gradients, on plain arrays. Every loss is the mean
 * over the N examples of a batch (as TensorFlow.js and PyTorch compute it), and every gradient is
 * the derivative of that mean. Batches of vectors are flat row-major arrays: row n, column k at
 * [n·K + k]. Which to use: MSE for regression, BCE for binary classification (sigmoid output),
 * cross-entropy/NLL for multi-class (softmax output). Notebook 03 — lectures 000 (funzione di perdita),
 * 001 (NLL, BCE, MSE), 003 (loss functions as negative log-likelihood).
 */
import { softmax } from "./activations";

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: predictions have ${a.length} entries but targets ${b.length}; pass one target per prediction`);
  if (a.length === 0) throw new Error(`${what}: empty batch; pass at least one example`);
}

/** Mean squared error (1/N) Σ (y − ŷ)² over all entries. Notebook 03 (lectures 001 and 003, MSE for regression; loss functions). */
export function mse(yhat: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(yhat, y, "mse");
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - yhat[i]!) ** 2;
  return s / y.length;
}

/** ∂MSE/∂ŷ = 2 (ŷ − y) / N. Notebook 03 (lecture 001, MSE). */
export function mseGrad(yhat: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  checkSameLength(yhat, y, "mseGrad");
  const g = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) g[i] = (2 * (yhat[i]! - y[i]!)) / y.length;
  return g;
}

/** Probabilities are clipped to [EPS, 1 − EPS] before logs, as Keras does, so a confident mistake costs ≈ 16 rather than ∞. */
const EPS = 1e-7;
const clip = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));

/**
 * Binary cross-entropy −(1/N) Σ [y log p + (1 − y) log(1 − p)] for predicted probabilities p = ŷ ∈ (0, 1)
 * and labels y ∈ {0, 1}; zero when every prediction equals its label. Notebook 03 (lecture 001, BCE for binary classification).
 */
export function bce(p: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(p, y, "bce");
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = clip(p[i]!);
    s -= y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q);
  }
  return s / y.length;
}

/** ∂BCE/∂p = (p − y) / (p (1 − p)) / N; through a sigmoid output p = σ(z) it becomes ∂BCE/∂z = (p − y)/N. Notebook 03 (lecture 001, BCE). */
export function bceGrad(p: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  checkSameLength(p, y, "bceGrad");
  const g = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const q = clip(p[i]!);
    g[i] = (q - y[i]!) / (q * (1 - q)) / y.length;
  }
  return g;
}

function checkLabels(labels: ArrayLike<number>, n: number, classes: number, what: string): void {
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`${what}: need at least 2 classes, got ${classes}`);
  if (labels.length !== n) throw new Error(`${what}: ${n} rows of ${classes} class scores but ${labels.length} labels; pass one integer label per row`);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new Error(`${what}: label ${i} is ${c}, not an integer class in 0…${classes - 1}`);
  }
}

/**
 * The number of rows N of a flat, row-major N×cols batch; throws, naming `what`, when the length is not
 * a whole number of rows. Lecture 000 (mini-batch).
 */
export function rowsOf(values: ArrayLike<number>, cols: number, what: string, unit = "classes"): number {
  if (values.length % cols !== 0 || values.length === 0) {
    throw new Error(`${what}: ${values.length} numbers do not make rows of ${cols} ${unit}; pass a flat N×${cols} row-major array`);
  }
  return values.length / cols;
}

/** Row-wise softmax of an N×K batch of logits (flat, row-major). Notebook 03 (lectures 000 and 003, softmax; output layer). */
export function softmaxRows(logits: ArrayLike<number>, classes: number): Float64Array {
  const n = rowsOf(logits, classes, "softmaxRows");
  const out = new Float64Array(logits.length);
  const z = Float64Array.from(logits);
  for (let r = 0; r < n; r++) out.set(softmax(z.subarray(r * classes, (r + 1) * classes)), r * classes);
  return out;
}

/**
 * Cross-entropy = negative log-likelihood of the true classes, −(1/N) Σₙ Σₖ yₙₖ log ŷₙₖ = −(1/N) Σₙ log ŷₙ,yₙ,
 * for an N×K batch of probabilities ŷ and integer labels yₙ (the one-hot y is implied).
 * Notebook 03 (lectures 001 and 003, cross-entropy = NLL for multi-class; categorical cross-entropy).
 */
export function crossEntropy(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const n = rowsOf(probs, classes, "crossEntropy");
  checkLabels(labels, n, classes, "crossEntropy");
  let s = 0;
  for (let r = 0; r < n; r++) s -= Math.log(clip(probs[r * classes + labels[r]!]!));
  return s / n;
}

/** ∂CE/∂ŷ = −y/ŷ / N: nonzero only at the true class of each row. Notebook 03 (lecture 001, NLL). */
export function crossEntropyGradProbs(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Float64Array {
  const n = rowsOf(probs, classes, "crossEntropyGradProbs");
  checkLabels(labels, n, classes, "crossEntropyGradProbs");
  const g = new Float64Array(probs.length);
  for (let r = 0; r < n; r++) g[r * classes + labels[r]!] = -1 / clip(probs[r * classes + labels[r]!]!) / n;
  return g;
}

/**
 * Backward pass through a row-wise softmax: given ŷ = softmax(z) and ∂L/∂ŷ, returns
 * ∂L/∂zₖ = ŷₖ (∂L/∂ŷₖ − Σⱼ ŷⱼ ∂L/∂ŷⱼ) per row (the softmax Jacobian applied without building it).
 * Notebook 03 (lecture 000, softmax; backpropagazione).
 */
export function softmaxBackward(probs: ArrayLike<number>, gradProbs: ArrayLike<number>, classes: number): Float64Array {
  const n = rowsOf(probs, classes, "softmaxBackward");
  if (gradProbs.length !== probs.length) throw new Error(`softmaxBackward: ${probs.length} probabilities but ${gradProbs.length} gradients`);
  const g = new Float64Array(probs.length);
  for (let r = 0; r < n; r++) {
    let dot = 0;
    for (let k = 0; k < classes; k++) dot += probs[r * classes + k]! * gradProbs[r * classes + k]!;
    for (let k = 0; k < classes; k++) g[r * classes + k] = probs[r * classes + k]! * (gradProbs[r * classes + k]! - dot);
  }
  return g;
}

/**
 * The gradient of cross-entropy after softmax with respect to the logits: (ŷ − y)/N, where y is one-hot.
 * The softmax Jacobian and −y/ŷ cancel down to this difference, so the error signal is simply
 * "prediction minus truth". Notebook 03 (lectures 001 and 003, NLL with a softmax output; softmax + cross-entropy).
 */
export function softmaxCrossEntropyGrad(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Float64Array {
  const n = rowsOf(probs, classes, "softmaxCrossEntropyGrad");
  checkLabels(labels, n, classes, "softmaxCrossEntropyGrad");
  const g = new Float64Array(probs.length);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < classes; k++) g[r * classes + k] = (probs[r * classes + k]! - (k === labels[r] ? 1 : 0)) / n;
  }
  return g;
}

/** Mean absolute error, (1/N) Σ |ŷᵢ − yᵢ|: the negative log-likelihood of Laplace noise, less swayed by outliers than MSE. Notebook 03 (lecture 003, losses). */
export function mae(yhat: ArrayLike<number>, y: ArrayLike<number>): number {
  if (yhat.length !== y.length) throw new Error(`mae: ${yhat.length} predictions but ${y.length} targets`);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(yhat[i]! - y[i]!);
  return s / y.length;
}

/** ∂MAE/∂ŷᵢ = sign(ŷᵢ − yᵢ)/N (0 at a tie, the subgradient TensorFlow.js uses). Notebook 03 (lecture 003, losses). */
export function maeGrad(yhat: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  if (yhat.length !== y.length) throw new Error(`maeGrad: ${yhat.length} predictions but ${y.length} targets`);
  return Float64Array.from({ length: y.length }, (_, i) => Math.sign(yhat[i]! - y[i]!) / y.length);
}

/**
 * The Huber loss, (1/N) Σ h(ŷᵢ − yᵢ) with h(r) = r²/2 for |r| ≤ δ and δ(|r| − δ/2) beyond: quadratic (MSE-like) near 0,
 * linear (MAE-like) for outliers, differentiable everywhere; δ = 1 by default, as in TensorFlow.js's `huberLoss`.
 * Notebook 03 (lecture 003, losses).
 */
export function huber(yhat: ArrayLike<number>, y: ArrayLike<number>, delta = 1): number {
  if (yhat.length !== y.length) throw new Error(`huber: ${yhat.length} predictions but ${y.length} targets`);
  if (!(delta > 0)) throw new Error(`huber: delta must be positive, got ${delta}`);
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const r = Math.abs(yhat[i]! - y[i]!);
    s += r <= delta ? 0.5 * r * r : delta * (r - 0.5 * delta);
  }
  return s / y.length;
}

/** ∂Huber/∂ŷᵢ = clip(ŷᵢ − yᵢ, −δ, δ)/N: the residual, capped at ±δ. Notebook 03 (lecture 003, losses). */
export function huberGrad(yhat: ArrayLike<number>, y: ArrayLike<number>, delta = 1): Float64Array {
  if (yhat.length !== y.length) throw new Error(`huberGrad: ${yhat.length} predictions but ${y.length} targets`);
  return Float64Array.from({ length: y.length }, (_, i) => Math.max(-delta, Math.min(delta, yhat[i]! - y[i]!)) / y.length);
}

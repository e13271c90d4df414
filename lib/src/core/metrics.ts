/**
 * Classification metrics on plain arrays: predicted classes from scores, confusion counts.
 * Notebooks 02, 03 and 05 (evaluating classifiers).
 */

/** The index of the largest value in each row of a row-major `rows × cols` array (first one on ties): one-hot or scores back to classes. */
export function argmax(values: ArrayLike<number>, cols: number): Int32Array {
  if (!Number.isInteger(cols) || cols < 1 || values.length % cols !== 0) {
    throw new RangeError(`argmax: ${values.length} values are not whole rows of cols = ${cols}`);
  }
  const rows = values.length / cols;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (values[i * cols + j]! > values[i * cols + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** Counts of (true class, predicted class) pairs: m[t][p]. Lecture 003 (ANN principles, evaluation). */
export function confusionCounts(trueLabels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (trueLabels.length !== predicted.length) {
    throw new Error(`confusionCounts: ${trueLabels.length} true labels but ${predicted.length} predictions`);
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const [t, p] = [Number(trueLabels[i]), Number(predicted[i])];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes && Number.isInteger(t) && Number.isInteger(p))) {
      throw new Error(`confusionCounts: pair ${i} is (${t}, ${p}); labels must be integers in [0, ${classes})`);
    }
    m[t]![p]!++;
  }
  return m;
}

/**
 * The trailing moving average of a series: entry i is the mean of values[i − window + 1 … i] (fewer at
 * the start), so a noisy mini-batch loss becomes readable without shifting it in time.
 * Notebook 03 (lecture 003, mini-batch loss curves).
 */
export function movingAverage(values: ArrayLike<number>, window: number): number[] {
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`movingAverage: window must be a positive integer, got ${window}`);
  const out = new Array<number>(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

/** A receiver operating characteristic curve. Notebook 09 (lecture 003, autoencoders: anomaly detection). */
export interface RocCurve {
  /** False-positive rate FP / (FP + TN) at each threshold, from 0 to 1. */
  fpr: number[];
  /** True-positive rate (recall) TP / (TP + FN) at each threshold, from 0 to 1. */
  tpr: number[];
  /** The thresholds, decreasing: a score ≥ threshold is called positive (the first is +∞: nothing positive). */
  thresholds: number[];
}

function checkScores(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, fn: string): { pos: number; neg: number } {
  if (scores.length !== labels.length) throw new Error(`${fn}: ${scores.length} scores but ${labels.length} labels`);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (Number.isNaN(Number(scores[i]))) throw new Error(`${fn}: score ${i} is NaN`);
    if (labels[i]) pos++;
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) throw new Error(`${fn}: needs both positives and negatives (got ${pos} and ${neg})`);
  return { pos, neg };
}

/**
 * The ROC curve of a score (higher = more likely positive) against binary labels (truthy = positive):
 * one point per distinct score, from (0, 0) to (1, 1); tied scores make one diagonal step.
 * Notebook 09 (lecture 003, autoencoders: anomaly detection by reconstruction error).
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): RocCurve {
  const { pos, neg } = checkScores(scores, labels, "rocCurve");
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => Number(scores[b]) - Number(scores[a]));
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    const s = Number(scores[order[i]!]);
    if (labels[order[i]!]) tp++;
    else fp++;
    if (i + 1 < order.length && Number(scores[order[i + 1]!]) === s) continue;
    fpr.push(fp / neg);
    tpr.push(tp / pos);
    thresholds.push(s);
  }
  return { fpr, tpr, thresholds };
}

/**
 * The area under the ROC curve: the probability that a random positive scores higher than a random
 * negative, ties counting ½ (the Mann–Whitney U statistic / (P·N)); 0.5 is chance, 1 perfect.
 * Notebook 09 (lecture 003, autoencoders: anomaly detection).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const { fpr, tpr } = rocCurve(scores, labels);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
  return area;
}

/**
 * Intersection over union of two binary masks given as values thresholded at `threshold` (default 0.5):
 * |A ∩ B| / |A ∪ B| (1 when both are empty). Notebook 09 (lecture 003, U-Net: segmentation).
 */
export function intersectionOverUnion(predicted: ArrayLike<number>, target: ArrayLike<number>, threshold = 0.5): number {
  if (predicted.length !== target.length) throw new Error(`intersectionOverUnion: ${predicted.length} predictions but ${target.length} targets`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < target.length; i++) {
    const p = predicted[i]! > threshold;
    const t = target[i]! > threshold;
    if (p && t) inter++;
    if (p || t) union++;
  }
  return union === 0 ? 1 : inter / union;
}

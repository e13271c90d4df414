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

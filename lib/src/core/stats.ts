/**
 * Summary statistics of a list of numbers, shared by the notebooks and the lib so that none writes its
 * own: mean, variance and standard deviation (population or sample), median, the best-so-far curve.
 * Notebooks 03, 04, 06, 08, 09 (lectures 003 and 004: spreads of losses, accuracies over runs, returns).
 */

function nonEmpty(what: string, values: ArrayLike<number>): void {
  if (values.length === 0) throw new RangeError(`${what}: no values (pass at least one number)`);
}

/** The arithmetic mean (x₁ + … + xₙ)/n. Notebooks 04, 08, 09 (mean return, mean error per pixel). */
export function mean(values: ArrayLike<number>): number {
  nonEmpty("mean", values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * The variance Σ(xᵢ − x̄)²/(n − ddof): ddof = 0 (default) is the population variance, as batch norm's
 * σ² and numpy's `var`; ddof = 1 the sample variance, for a spread over seeds or folds.
 * Notebooks 04 (batch norm, lecture 003) and 06 (R² of a forecast, lecture 004).
 */
export function variance(values: ArrayLike<number>, ddof: 0 | 1 = 0): number {
  nonEmpty("variance", values);
  if (values.length <= ddof) throw new RangeError(`variance: ${values.length} value(s) and ddof = ${ddof}: the sample variance needs at least two values`);
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! - m) ** 2;
  return sum / (values.length - ddof);
}

/** The standard deviation √variance(values, ddof). Notebooks 03 (mini-batch noise), 04 and 09 (VAE codes), lecture 003. */
export function std(values: ArrayLike<number>, ddof: 0 | 1 = 0): number {
  return Math.sqrt(variance(values, ddof));
}

/** The median: the middle value, or the mean of the two middle values of an even count. Notebook 04 (searches over seeds). */
export function median(values: ArrayLike<number>): number {
  nonEmpty("median", values);
  const sorted = Array.from(values).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The best value so far at each step, max(x₁ … xᵢ): a search's or a training's best-so-far curve. Notebook 04 (hyperparameter search). */
export function runningMax(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  let best = -Infinity;
  for (let i = 0; i < values.length; i++) out[i] = best = Math.max(best, values[i]!);
  return out;
}

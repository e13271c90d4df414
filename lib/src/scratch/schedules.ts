/**
 * Learning-rate schedules ε₁, ε₂, … (Goodfellow's Algorithm 8.1 requires one): functions from the
 * step or epoch index t = 0, 1, 2, … to a learning rate. Set `optimizer.lr = schedule(t)` before
 * each step or epoch. Notebook 03 (lectures 001 and 003, Algorithm 8.1, "learning rate schedule", variable learning rate).
 */

/** A learning-rate schedule: t ↦ ε_t. Lecture 003 (variable learning rate). */
export type Schedule = (t: number) => number;

function checkPositive(x: number, what: string): void {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`${what} must be a positive number, got ${x}`);
}

/** The constant schedule ε_t = ε₀. Notebook 03 (lecture 001, Algorithm 8.1). */
export function constantLR(lr0: number): Schedule {
  checkPositive(lr0, "initial learning rate");
  return () => lr0;
}

/** Step decay: ε_t = ε₀ · γ^⌊t / every⌋ (e.g. halve every 10 epochs). Notebook 03 (lecture 003, variable learning rate). */
export function stepDecay(lr0: number, every: number, gamma = 0.5): Schedule {
  checkPositive(lr0, "initial learning rate");
  if (!Number.isInteger(every) || every < 1) throw new Error(`step decay needs a whole number of steps between drops (≥ 1), got ${every}`);
  checkPositive(gamma, "decay factor γ");
  return (t) => lr0 * gamma ** Math.floor(t / every);
}

/** Exponential decay: ε_t = ε₀ · γ^t (γ slightly below 1). Notebook 03 (lecture 003, variable learning rate). */
export function exponentialDecay(lr0: number, gamma: number): Schedule {
  checkPositive(lr0, "initial learning rate");
  if (!(gamma > 0 && gamma <= 1)) throw new Error(`exponential decay factor γ must be in (0, 1], got ${gamma}`);
  return (t) => lr0 * gamma ** t;
}

/**
 * Cosine annealing over T steps: ε_t = ε_min + ½ (ε₀ − ε_min)(1 + cos(π t / T)), then ε_min for t ≥ T.
 * Notebook 03 (lecture 003, variable learning rate).
 */
export function cosineDecay(lr0: number, T: number, lrMin = 0): Schedule {
  checkPositive(lr0, "initial learning rate");
  checkPositive(T, "cosine period T");
  if (!(lrMin >= 0 && lrMin <= lr0)) throw new Error(`final learning rate must be in [0, ε₀ = ${lr0}], got ${lrMin}`);
  return (t) => lrMin + 0.5 * (lr0 - lrMin) * (1 + Math.cos(Math.PI * Math.min(t, T) / T));
}

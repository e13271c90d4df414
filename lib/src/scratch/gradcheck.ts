/**
 * Gradient checking: centred finite differences against an analytic gradient, compared by CS231n's
 * relative error. Notebook 03 (lectures 000 and 003, checking backpropagation and autodiff).
 */
import type { Vec } from "./optim";

/** CS231n's relative error |a − b| / max(|a|, |b|) (0 when both are 0). Lecture 003 (checking backpropagation). */
export function relativeError(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}

/**
 * Centred finite differences ∂f/∂θᵢ ≈ (f(θ + h eᵢ) − f(θ − h eᵢ)) / 2h for every entry of every
 * parameter vector; `f` reads the parameters, which are perturbed in place and restored.
 * Notebook 03 (lecture 000, ∇L(θ) = [∂L/∂θᵢ]).
 */
export function numericalGradient(f: () => number, params: readonly Vec[], h = 1e-5): Float64Array[] {
  return params.map((p) => {
    const g = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const old = p[i]!;
      p[i] = old + h;
      const fPlus = f();
      p[i] = old - h;
      const fMinus = f();
      p[i] = old;
      g[i] = (fPlus - fMinus) / (2 * h);
    }
    return g;
  });
}

/** Result of a gradient check. Lecture 003 (checking backpropagation). */
export interface GradientCheck {
  /** The largest relative error over all entries. */
  maxRelativeError: number;
  /** Where it occurs: parameter vector and entry, with both values. */
  worst: { param: number; index: number; analytic: number; numeric: number };
  /** Number of entries compared. */
  entries: number;
}

/**
 * Compares analytic gradients with centred finite differences of `f` entry by entry, by CS231n's
 * relative error (≲ 1e-7 is right in float64; ≳ 1e-2 is a bug, unless a ReLU kink sits within h).
 * Notebook 03 (lectures 000 and 003, backpropagation; differenziazione automatica).
 */
export function gradientCheck(f: () => number, params: readonly Vec[], analytic: readonly ArrayLike<number>[], h = 1e-5): GradientCheck {
  if (analytic.length !== params.length || analytic.some((g, i) => g.length !== params[i]!.length)) {
    throw new Error("gradientCheck: give one analytic gradient per parameter vector, each of the same length");
  }
  const numeric = numericalGradient(f, params, h);
  const result: GradientCheck = { maxRelativeError: 0, worst: { param: 0, index: 0, analytic: 0, numeric: 0 }, entries: 0 };
  numeric.forEach((g, p) => {
    g.forEach((num, i) => {
      const ana = analytic[p]![i]!;
      const e = relativeError(ana, num);
      result.entries += 1;
      if (e >= result.maxRelativeError) {
        result.maxRelativeError = e;
        result.worst = { param: p, index: i, analytic: ana, numeric: num };
      }
    });
  });
  return result;
}

/**
 * The largest relative error (as `relativeError`) between two lists of gradient vectors of the same
 * shapes, e.g. ours against TensorFlow.js's. Notebook 03 (lecture 003, checking backpropagation).
 */
export function worstRelativeError(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  if (a.length !== b.length || a.some((v, p) => v.length !== b[p]!.length)) {
    throw new Error("worstRelativeError: give two lists of vectors of the same lengths");
  }
  let worst = 0;
  a.forEach((v, p) => {
    for (let i = 0; i < v.length; i++) worst = Math.max(worst, relativeError(v[i]!, b[p]![i]!));
  });
  return worst;
}

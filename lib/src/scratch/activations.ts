/**
 * Activation functions (funzioni di attivazione) and their derivatives, from scratch on plain numbers
 * and Float64Arrays. Notebooks 02 and 03 — lectures 000 (neurons and layers), MLP and common activations (001),
 * activation functions for hidden and output layers (003).
 */

/** The activations the lib knows by name; every one but "softmax" acts element-wise. */
export type ActivationName = "linear" | "step" | "sigmoid" | "tanh" | "relu" | "leakyRelu" | "elu" | "softmax";

/** An element-wise activation a: R → R with its derivative a′. Notebooks 00, 02 and 03 (lecture 003, activation functions). */
export interface Activation {
  /** Its name, as used by `activation(name)` and the dense layer. */
  readonly name: Exclude<ActivationName, "softmax">;
  /** a(z). */
  f(z: number): number;
  /** a′(z), the derivative with respect to z (the step's is 0 everywhere it exists). */
  df(z: number): number;
}

/** Options of the parameterised activations. Notebook 02 (lecture 003, ReLU alternatives). */
export interface ActivationOptions {
  /** The slope α of leaky ReLU for z < 0 (default 0.01) or the scale α of ELU (default 1). */
  alpha?: number;
}

function sigmoidValue(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Every element-wise activation, by name: one object {name, f, df} each (α from the options where it has one). */
const ELEMENTWISE: Record<Exclude<ActivationName, "softmax">, (alpha?: number) => Activation> = {
  /** Identity a(z) = z, the output activation for regression (lecture 003, output layer). */
  linear: () => ({ name: "linear", f: (z) => z, df: () => 1 }),
  /** Step (threshold) a(z) = 1 if z ≥ 0 else 0, derivative 0 (undefined at 0): the perceptron's (lectures 001, 003). */
  step: () => ({ name: "step", f: (z) => (z >= 0 ? 1 : 0), df: () => 0 }),
  /** Logistic sigmoid σ(z) = 1 / (1 + e^(−z)), computed without overflow; σ′ = σ(1 − σ) (lecture 000, toy network). */
  sigmoid: () => ({
    name: "sigmoid",
    f: sigmoidValue,
    df: (z) => {
      const s = sigmoidValue(z);
      return s * (1 - s);
    },
  }),
  /** Hyperbolic tangent, tanh′ = 1 − tanh² (lectures 001, 003). */
  tanh: () => ({
    name: "tanh",
    f: Math.tanh,
    df: (z) => {
      const t = Math.tanh(z);
      return 1 - t * t;
    },
  }),
  /** Rectified linear unit max(0, z); derivative 1 for z > 0, else 0 (lecture 003). */
  relu: () => ({ name: "relu", f: (z) => (z > 0 ? z : 0), df: (z) => (z > 0 ? 1 : 0) }),
  /** Leaky ReLU: z for z > 0, αz otherwise, α = 0.01 by default (lecture 003, ReLU alternatives). */
  leakyRelu: (alpha = 0.01) => ({ name: "leakyRelu", f: (z) => (z > 0 ? z : alpha * z), df: (z) => (z > 0 ? 1 : alpha) }),
  /** ELU: z for z > 0, α(e^z − 1) otherwise, α = 1 by default (lecture 003, ReLU alternatives). */
  elu: (alpha = 1) => ({
    name: "elu",
    f: (z) => (z > 0 ? z : alpha * Math.expm1(z)),
    df: (z) => (z > 0 ? 1 : alpha * Math.exp(z)),
  }),
};

/**
 * The element-wise activation called `name`, as an object {name, f, df}: "linear", "step", "sigmoid",
 * "tanh", "relu", "leakyRelu" (α = 0.01 unless `options.alpha`), "elu" (α = 1 unless `options.alpha`).
 * Notebooks 02 and 03 (lectures 000, 001, 003, activation functions).
 */
export function activation(name: Exclude<ActivationName, "softmax">, options: ActivationOptions = {}): Activation {
  const make = Object.prototype.hasOwnProperty.call(ELEMENTWISE, name) ? ELEMENTWISE[name] : undefined;
  if (!make) {
    throw new Error(`unknown activation "${name}": use one of ${Object.keys(ELEMENTWISE).join(", ")} (or "softmax" on a whole vector)`);
  }
  if (options.alpha !== undefined && name !== "leakyRelu" && name !== "elu") {
    throw new Error(`activation "${name}" has no α; only "leakyRelu" and "elu" take one`);
  }
  if (options.alpha !== undefined) return make(options.alpha);
  return (DEFAULTS[name] ??= make());
}

/** The default-α instances, built once (the dense layers look their activation up on every batch row). */
const DEFAULTS: Partial<Record<Exclude<ActivationName, "softmax">, Activation>> = {};

/**
 * Softmax σ(z)_i = e^(z_i) / Σ_j e^(z_j): the logits z become probabilities (each in (0, 1), summing
 * to 1). Numerically stable: the largest logit is subtracted first, which leaves the result unchanged.
 * Notebooks 00, 02 and 03 (lectures 000 and 003, softmax layer and logits, output layer).
 */
export function softmax(z: ArrayLike<number>): Float64Array {
  if (z.length === 0) throw new Error("softmax of an empty vector: give at least one logit");
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]!);
  const out = new Float64Array(z.length);
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    out[i] = Math.exp(z[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < z.length; i++) out[i]! /= sum;
  return out;
}

/**
 * The softmax's derivative, its Jacobian ∂σ_i/∂z_j = σ_i(δ_ij − σ_j), as an n×n row-major
 * Float64Array (row i, column j at [i·n + j]). Lectures 000 and 003 (softmax layer).
 */
export function softmaxJacobian(z: ArrayLike<number>): Float64Array {
  const s = softmax(z);
  const n = s.length;
  const J = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) J[i * n + j] = s[i]! * ((i === j ? 1 : 0) - s[j]!);
  }
  return J;
}

/**
 * Applies the activation called `name` to a whole pre-activation vector z: element-wise for all but
 * "softmax", which acts on the vector. Returns a new Float64Array. Lecture 000 (a layer σ(Wx + b)).
 */
export function activate(name: ActivationName, z: ArrayLike<number>): Float64Array {
  if (name === "softmax") return softmax(z);
  const a = activation(name);
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = a.f(z[i]!);
  return out;
}

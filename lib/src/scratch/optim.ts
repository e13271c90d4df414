/**
 * Gradient-based optimizers written from scratch on plain typed arrays, the way the lectures write
 * their updates, plus runs of them on two-parameter test functions (trajectories for contour plots).
 *
 * Every optimizer updates a list of parameter vectors in place from the matching list of gradient
 * vectors (`step(params, grads)`), keeps its state (velocities, accumulators) per vector, and reads
 * its learning rate from the mutable `lr` field, so a schedule can change it between steps.
 * Notebook 03 — lectures 000 (discesa del gradiente), 001 (Goodfellow Algorithms 8.1 and 8.2),
 * 003 (SGD with momentum, variable and adaptive learning rates).
 */
import type { Extent } from "../core/grid";

/** A parameter or gradient vector: the optimizers work on both precisions. Lecture 000 (θ and ∇L(θ)). */
export type Vec = Float64Array | Float32Array;

/** What every optimizer offers. Notebook 03 (lectures 001 and 003, optimization). */
export interface Optimizer {
  /** Short name for legends ("SGD", "Adam", ...). */
  readonly name: string;
  /** Learning rate ε (η in lecture 003); a schedule may change it between steps. */
  lr: number;
  /** Number of steps taken so far. */
  readonly t: number;
  /** One update of every `params[i]` in place from `grads[i]` (same lengths, same order every call). */
  step(params: readonly Vec[], grads: readonly Vec[]): void;
}

/** Checks the shapes of a step and creates the per-vector state arrays on the first call. */
abstract class BaseOptimizer implements Optimizer {
  abstract readonly name: string;
  t = 0;
  private sizes: number[] | null = null;

  constructor(public lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`learning rate must be a positive number, got ${lr}`);
  }

  step(params: readonly Vec[], grads: readonly Vec[]): void {
    if (params.length !== grads.length) {
      throw new Error(`${this.name}.step: ${params.length} parameter vectors but ${grads.length} gradient vectors; pass one gradient per parameter`);
    }
    params.forEach((p, i) => {
      if (p.length !== grads[i]!.length) {
        throw new Error(`${this.name}.step: parameter ${i} has ${p.length} entries but its gradient has ${grads[i]!.length}`);
      }
    });
    if (this.sizes === null) {
      this.sizes = params.map((p) => p.length);
      this.init(this.sizes);
    } else if (this.sizes.length !== params.length || this.sizes.some((n, i) => n !== params[i]!.length)) {
      throw new Error(`${this.name}.step: the parameter list changed shape since the first step; use a new optimizer for new parameters`);
    }
    this.t += 1;
    params.forEach((p, i) => this.update(p, grads[i]!, i));
  }

  /** Allocates the state for vectors of these sizes. */
  protected abstract init(sizes: number[]): void;
  /** Updates vector `p` (the i-th) from gradient `g`. */
  protected abstract update(p: Vec, g: Vec, i: number): void;
}

const zeros = (sizes: number[]): Float64Array[] => sizes.map((n) => new Float64Array(n));

/**
 * Gradient clipping by the global norm: when ‖g‖ (over all vectors together) exceeds `maxNorm`, every gradient is scaled
 * in place by maxNorm/‖g‖, so the step keeps its direction but not its size. Returns ‖g‖ before clipping. The usual remedy
 * for exploding gradients (esplosione del gradiente). Notebook 03 (lecture 000, exploding gradients).
 */
export function clipGradNorm(grads: readonly Vec[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (norm > maxNorm) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = (g[i]! * maxNorm) / norm;
  return norm;
}

/** Plain (stochastic) gradient descent, θ ← θ − ε g. Notebook 03 (lectures 000 and 001, Goodfellow Algorithm 8.1; discesa del gradiente). */
export class SGD extends BaseOptimizer {
  readonly name = "SGD";
  protected init(): void {}
  protected update(p: Vec, g: Vec): void {
    for (let j = 0; j < p.length; j++) p[j] -= this.lr * g[j]!;
  }
}

/** Options of the momentum optimizers. Notebook 03 (lectures 001 and 003, Algorithm 8.2; momentum). */
export interface MomentumOptions {
  /** Momentum parameter α (default 0.9). */
  momentum?: number;
}

function checkMomentum(alpha: number): number {
  if (!(alpha >= 0 && alpha < 1)) throw new Error(`momentum α must be in [0, 1), got ${alpha}`);
  return alpha;
}

/**
 * SGD with momentum in Goodfellow's form: v ← α v − ε g, θ ← θ + v (velocity starts at 0).
 * The same iterates as tf.train.momentum(ε, α) at a constant ε. Notebook 03 (lecture 001, Goodfellow Algorithm 8.2).
 */
export class Momentum extends BaseOptimizer {
  readonly name: string = "Momentum";
  readonly alpha: number;
  protected v: Float64Array[] = [];
  constructor(lr: number, options: MomentumOptions = {}) {
    super(lr);
    this.alpha = checkMomentum(options.momentum ?? 0.9);
  }
  protected init(sizes: number[]): void {
    this.v = zeros(sizes);
  }
  protected update(p: Vec, g: Vec, i: number): void {
    const v = this.v[i]!;
    for (let j = 0; j < p.length; j++) {
      v[j] = this.alpha * v[j]! - this.lr * g[j]!;
      p[j] += v[j]!;
    }
  }
}

/**
 * SGD with momentum in the averaged form of lecture 003: v ← α v + (1 − α) g, w ← w − η v.
 * v is an exponential moving average of the gradients, so a step is never larger than η·max|g|;
 * it equals Goodfellow's form with ε = η (1 − α). Notebook 03 (lecture 003, SGD with momentum).
 */
export class MomentumEMA extends Momentum {
  override readonly name = "Momentum (EMA)";
  protected override update(p: Vec, g: Vec, i: number): void {
    const v = this.v[i]!;
    for (let j = 0; j < p.length; j++) {
      v[j] = this.alpha * v[j]! + (1 - this.alpha) * g[j]!;
      p[j] -= this.lr * v[j]!;
    }
  }
}

/**
 * Nesterov momentum with the gradient taken at the current parameters (the form of Sutskever et al.
 * 2013 that PyTorch and tf.train.momentum(ε, α, true) use): v ← α v − ε g, θ ← θ + α v − ε g.
 * It is Goodfellow's Algorithm 8.3 (gradient at the look-ahead point θ + α v) rewritten in the
 * shifted variable θ + α v. Notebook 03 (lecture 001, after Algorithm 8.2).
 */
export class Nesterov extends Momentum {
  override readonly name = "Nesterov";
  protected override update(p: Vec, g: Vec, i: number): void {
    const v = this.v[i]!;
    for (let j = 0; j < p.length; j++) {
      v[j] = this.alpha * v[j]! - this.lr * g[j]!;
      p[j] += this.alpha * v[j]! - this.lr * g[j]!;
    }
  }
}

/** Options of AdaGrad. Lecture 003 (adaptive learning rate). */
export interface AdaGradOptions {
  /** ε inside the square root (default 1e-7, TensorFlow.js's float32 epsilon). */
  epsilon?: number;
  /** Starting value of the accumulator G (default 0 as in the lecture; tf.train.adagrad starts at 0.1). */
  initialAccumulator?: number;
}

/**
 * AdaGrad: G ← G + g², w ← w − η g / √(G + ε), element-wise, so each weight's learning rate shrinks
 * with the history of its own gradients. Notebook 03 (lecture 003, adaptive learning rate (ADAptive GRADient)).
 */
export class AdaGrad extends BaseOptimizer {
  readonly name = "AdaGrad";
  readonly epsilon: number;
  readonly initialAccumulator: number;
  private G: Float64Array[] = [];
  constructor(lr: number, options: AdaGradOptions = {}) {
    super(lr);
    this.epsilon = options.epsilon ?? 1e-7;
    this.initialAccumulator = options.initialAccumulator ?? 0;
  }
  protected init(sizes: number[]): void {
    this.G = sizes.map((n) => new Float64Array(n).fill(this.initialAccumulator));
  }
  protected update(p: Vec, g: Vec, i: number): void {
    const G = this.G[i]!;
    for (let j = 0; j < p.length; j++) {
      G[j] += g[j]! * g[j]!;
      p[j] -= (this.lr * g[j]!) / Math.sqrt(G[j]! + this.epsilon);
    }
  }
}

/** Options of RMSProp. Lecture 003 (adaptive learning rate optimizers). */
export interface RMSPropOptions {
  /** Decay ρ of the moving average of g² (default 0.9). */
  rho?: number;
  /** ε inside the square root, as in TensorFlow.js (default 1e-7; PyTorch adds it outside). */
  epsilon?: number;
  /** Momentum on the scaled step (default 0). */
  momentum?: number;
  /** Divide by the running variance E[g²] − E[g]² instead of E[g²] (default false). */
  centered?: boolean;
}

/**
 * RMSProp: AdaGrad with a forgetting sum, s ← ρ s + (1 − ρ) g², w ← w − η g / √(s + ε);
 * optionally with momentum m ← μ m + η g / √(·), w ← w − m, and centered (s − (E g)² under the root).
 * Notebook 03 (lecture 003, adaptive learning rate optimizers (RMSProp)).
 */
export class RMSProp extends BaseOptimizer {
  readonly name = "RMSProp";
  readonly rho: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly centered: boolean;
  private s: Float64Array[] = [];
  private m: Float64Array[] = [];
  private mg: Float64Array[] = [];
  constructor(lr: number, options: RMSPropOptions = {}) {
    super(lr);
    this.rho = options.rho ?? 0.9;
    this.epsilon = options.epsilon ?? 1e-7;
    this.momentum = options.momentum ?? 0;
    this.centered = options.centered ?? false;
    if (!(this.rho >= 0 && this.rho < 1)) throw new Error(`RMSProp decay ρ must be in [0, 1), got ${this.rho}`);
  }
  protected init(sizes: number[]): void {
    this.s = zeros(sizes);
    this.m = zeros(sizes);
    this.mg = this.centered ? zeros(sizes) : [];
  }
  protected update(p: Vec, g: Vec, i: number): void {
    const s = this.s[i]!;
    const m = this.m[i]!;
    const mg = this.mg[i];
    for (let j = 0; j < p.length; j++) {
      s[j] = this.rho * s[j]! + (1 - this.rho) * g[j]! * g[j]!;
      let denominator = s[j]!;
      if (mg) {
        mg[j] = this.rho * mg[j]! + (1 - this.rho) * g[j]!;
        denominator -= mg[j]! * mg[j]!;
      }
      m[j] = this.momentum * m[j]! + (this.lr * g[j]!) / Math.sqrt(denominator + this.epsilon);
      p[j] -= m[j]!;
    }
  }
}

/** Options of Adam. Notebook 03 (lecture 003, adaptive learning rate optimizers). */
export interface AdamOptions {
  /** Decay β₁ of the first moment (default 0.9). */
  beta1?: number;
  /** Decay β₂ of the second moment (default 0.999). */
  beta2?: number;
  /** ε added to √v̂ (default 1e-7 as in TensorFlow.js; Goodfellow and PyTorch use 1e-8). */
  epsilon?: number;
}

/**
 * Adam: momentum on the gradient and RMSProp's scaling, both bias-corrected:
 * m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g², m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ),
 * w ← w − η m̂ / (√v̂ + ε). Notebook 03 (lecture 003, adaptive learning rate optimizers (Adam)).
 */
export class Adam extends BaseOptimizer {
  readonly name = "Adam";
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private m: Float64Array[] = [];
  private v: Float64Array[] = [];
  constructor(lr: number, options: AdamOptions = {}) {
    super(lr);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
  }
  protected init(sizes: number[]): void {
    this.m = zeros(sizes);
    this.v = zeros(sizes);
  }
  protected update(p: Vec, g: Vec, i: number): void {
    const m = this.m[i]!;
    const v = this.v[i]!;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    for (let j = 0; j < p.length; j++) {
      m[j] = this.beta1 * m[j]! + (1 - this.beta1) * g[j]!;
      v[j] = this.beta2 * v[j]! + (1 - this.beta2) * g[j]! * g[j]!;
      p[j] -= (this.lr * (m[j]! / c1)) / (Math.sqrt(v[j]! / c2) + this.epsilon);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Two-parameter test functions and trajectories on them.

/** A function of two parameters (w₁, w₂) with its gradient, for contour plots. Notebook 03 (lecture 000, discesa del gradiente). */
export interface Surface2D {
  /** Name for titles. */
  readonly name: string;
  /** The value f(w₁, w₂). */
  f(w1: number, w2: number): number;
  /** The gradient [∂f/∂w₁, ∂f/∂w₂]. */
  grad(w1: number, w2: number): [number, number];
  /** A sensible plotting window. */
  readonly extent: Extent;
  /** The global minimum, when there is one. */
  readonly minimum?: [number, number];
}

/**
 * The ill-conditioned quadratic f = ½ (w₁² + κ w₂²): curvatures 1 and κ, so plain gradient descent
 * zig-zags across the narrow valley and converges only for ε < 2/κ. Notebook 03 (lecture 003, momentum).
 */
export function illConditionedQuadratic(kappa = 20): Surface2D {
  if (!(kappa > 0)) throw new Error(`condition number κ must be positive, got ${kappa}`);
  return {
    name: `quadratic ½(w₁² + ${kappa}·w₂²)`,
    f: (a, b) => 0.5 * (a * a + kappa * b * b),
    grad: (a, b) => [a, kappa * b],
    extent: { x: [-11, 11], y: [-4, 4] },
    minimum: [0, 0],
  };
}

/** Rosenbrock's banana valley f = (1 − w₁)² + 100 (w₂ − w₁²)², minimum at (1, 1). Notebook 03 (lecture 003, optimizers). */
export function rosenbrock(): Surface2D {
  return {
    name: "Rosenbrock (1 − w₁)² + 100(w₂ − w₁²)²",
    f: (a, b) => (1 - a) ** 2 + 100 * (b - a * a) ** 2,
    grad: (a, b) => [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)],
    extent: { x: [-2, 2], y: [-1, 3] },
    minimum: [1, 1],
  };
}

/** The saddle f = w₁² − w₂²: zero gradient at the origin, a minimum along w₁ and a maximum along w₂. Notebook 03 (lecture 000, punti saddle). */
export function saddle(): Surface2D {
  return {
    name: "saddle w₁² − w₂²",
    f: (a, b) => a * a - b * b,
    grad: (a, b) => [2 * a, -2 * b],
    extent: { x: [-2, 2], y: [-2, 2] },
  };
}

/**
 * Two Gaussian wells in a flat plane: f = 1 − e^{−|w − (−1, 0)|²/0.72} − ½ e^{−|w − (1.5, 0.5)|²/0.32}.
 * The deep well at (−1, 0) is the global minimum, the shallow one near (1.5, 0.5) a local minimum,
 * and far from both the surface is a plateau where the gradient all but vanishes.
 * Notebook 03 (lecture 000, minimo locale and plateaus).
 */
export function wellsAndPlateau(): Surface2D {
  const wells = [
    { c: [-1, 0], depth: 1, s2: 0.72 },
    { c: [1.5, 0.5], depth: 0.5, s2: 0.32 },
  ];
  return {
    name: "two wells on a plateau",
    f: (a, b) => 1 - wells.reduce((acc, w) => acc + w.depth * Math.exp(-((a - w.c[0]!) ** 2 + (b - w.c[1]!) ** 2) / w.s2), 0),
    grad: (a, b) => {
      let ga = 0;
      let gb = 0;
      for (const w of wells) {
        const e = w.depth * Math.exp(-((a - w.c[0]!) ** 2 + (b - w.c[1]!) ** 2) / w.s2);
        ga += (2 * (a - w.c[0]!) * e) / w.s2;
        gb += (2 * (b - w.c[1]!) * e) / w.s2;
      }
      return [ga, gb];
    },
    extent: { x: [-3, 3.5], y: [-2.5, 3] },
    minimum: [-1, 0],
  };
}

/**
 * The path of an optimizer on a surface: the iterates w⁽⁰⁾ … w⁽ᵏ⁾ as [w₁, w₂] points (the shape
 * `lossSurface` draws as a trajectory) and the loss at each. Notebook 03 (lecture 000, discesa del gradiente).
 */
export interface DescentPath {
  /** Legend name (the optimizer's, unless given). */
  name: string;
  points: [number, number][];
  loss: number[];
}

/**
 * Runs `steps` updates of `optimizer` on `surface` from `start` and records the path; it stops
 * early (keeping the points so far) once the loss passes 1e12 or stops being finite, i.e. diverges.
 * Notebook 03 (lecture 000, discesa del gradiente on a two-parameter loss surface).
 */
export function descend(surface: Surface2D, optimizer: Optimizer, start: [number, number], steps: number, name = optimizer.name): DescentPath {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
  const w = new Float64Array(start);
  const g = new Float64Array(2);
  const path: DescentPath = { name, points: [[w[0]!, w[1]!]], loss: [surface.f(w[0]!, w[1]!)] };
  for (let k = 0; k < steps; k++) {
    [g[0], g[1]] = surface.grad(w[0]!, w[1]!);
    optimizer.step([w], [g]);
    const loss = surface.f(w[0]!, w[1]!);
    if (!Number.isFinite(loss) || Math.abs(loss) > 1e12) break;
    path.points.push([w[0]!, w[1]!]);
    path.loss.push(loss);
  }
  return path;
}

/**
 * The multilayer perceptron from scratch: a dense layer σ(Wx + b), a network as nested layers, the
 * forward pass, parameter counting, and the equivalent TensorFlow.js model with the same weights.
 * Notebooks 01, 02, 03 and 05 (lectures 000, 001 and 003, neurons, layers and the toy sigmoid network, MLP).
 */
import { type ActivationName, activate } from "./activations";
import { type Random, rng } from "../core/random";

/**
 * A dense (fully connected) layer a = σ(Wx + b). Data layout, kept simple for hand-written backprop:
 * `W` is a Float64Array of shape units×inputs in row-major order, so W[i·inputs + j] is the weight from
 * input j to neuron i (row i of W is neuron i's weight vector, as the lecture writes W); `b` has one
 * bias per neuron. Notebooks 01, 02 and 03 (lecture 000, a layer σ(Wx + b)).
 */
export class Dense {
  /** Number of inputs (columns of W). */
  readonly inputs: number;
  /** Number of neurons (rows of W). */
  readonly units: number;
  /** Weights, units×inputs, row-major: W[i·inputs + j]. */
  readonly W: Float64Array;
  /** Biases, one per neuron. */
  readonly b: Float64Array;
  /** The activation σ applied to Wx + b. */
  readonly activation: ActivationName;

  /** A layer with the given weights (units×inputs row-major) and biases; zeros when omitted. */
  constructor(inputs: number, units: number, activation: ActivationName = "linear", W?: ArrayLike<number>, b?: ArrayLike<number>) {
    if (!(Number.isInteger(inputs) && inputs > 0 && Number.isInteger(units) && units > 0)) {
      throw new Error(`Dense(${inputs}, ${units}): inputs and units must be positive integers`);
    }
    if (W !== undefined && W.length !== units * inputs) {
      throw new Error(`Dense: W has ${W.length} entries, a ${units}×${inputs} layer needs ${units * inputs} (row-major, one row per neuron)`);
    }
    if (b !== undefined && b.length !== units) throw new Error(`Dense: b has ${b.length} entries, the layer has ${units} neurons`);
    this.inputs = inputs;
    this.units = units;
    this.activation = activation;
    this.W = W === undefined ? new Float64Array(units * inputs) : Float64Array.from(W);
    this.b = b === undefined ? new Float64Array(units) : Float64Array.from(b);
  }

  /** A layer from W written as rows (one per neuron, as in the lecture) and b. Notebooks 01, 02, 03 and 05 (lecture 000, toy network). */
  static fromRows(W: ArrayLike<number>[], b: ArrayLike<number>, activation: ActivationName = "linear"): Dense {
    if (W.length === 0) throw new Error("Dense.fromRows: W has no rows; give one row per neuron");
    const inputs = W[0]!.length;
    W.forEach((row, i) => {
      if (row.length !== inputs) throw new Error(`Dense.fromRows: row ${i} of W has ${row.length} entries, row 0 has ${inputs}`);
    });
    return new Dense(inputs, W.length, activation, W.flatMap((row) => Array.from(row)), b);
  }

  /**
   * A layer initialised by `scheme` (`initLayer`), drawn from `random` (the lib's seeded generator by
   * default): Glorot-uniform weights U(−√(6/(in+out)), √(6/(in+out))) and zero biases unless told
   * otherwise, the default of TensorFlow.js's dense layer.
   */
  static random(inputs: number, units: number, activation: ActivationName = "linear", random: Random = rng(), scheme: InitScheme = "glorot"): Dense {
    return initLayer(new Dense(inputs, units, activation), scheme, random);
  }

  /** The pre-activation z = Wx + b (the logits, for a softmax layer). */
  preActivation(x: ArrayLike<number>): Float64Array {
    if (x.length !== this.inputs) {
      throw new Error(`Dense: input has ${x.length} components, the layer takes ${this.inputs}`);
    }
    const z = Float64Array.from(this.b);
    for (let i = 0; i < this.units; i++) {
      const row = i * this.inputs;
      let s = 0;
      for (let j = 0; j < this.inputs; j++) s += this.W[row + j]! * x[j]!;
      z[i]! += s;
    }
    return z;
  }

  /** The layer's output a = σ(Wx + b). */
  forward(x: ArrayLike<number>): Float64Array {
    return activate(this.activation, this.preActivation(x));
  }

  /** W as rows, one per neuron (for display). */
  weightRows(): number[][] {
    return Array.from({ length: this.units }, (_, i) => Array.from(this.W.subarray(i * this.inputs, (i + 1) * this.inputs)));
  }

  /** Number of learnable parameters: units·inputs weights + units biases. */
  get paramCount(): number {
    return this.units * this.inputs + this.units;
  }
}

/**
 * A feed-forward network as nested layers, f(x) = σ(W^L … σ(W²σ(W¹x + b¹) + b²) … + b^L).
 * Notebooks 02 and 03 (lectures 000, 001 and 003, matrix operations for all layers, multilayer perceptron).
 */
export class MLP {
  /** The layers, input side first. */
  readonly layers: Dense[];

  constructor(layers: Dense[]) {
    if (layers.length === 0) throw new Error("MLP: give at least one layer");
    for (let l = 1; l < layers.length; l++) {
      if (layers[l]!.inputs !== layers[l - 1]!.units) {
        throw new Error(`MLP: layer ${l} takes ${layers[l]!.inputs} inputs but layer ${l - 1} has ${layers[l - 1]!.units} units`);
      }
    }
    this.layers = layers;
  }

  /**
   * A network with layer sizes `sizes` (inputs first, e.g. [3, 4, 2]), `activations` one per layer after
   * the input (or one name for all), each layer initialised by `scheme` (default Glorot, as
   * TensorFlow.js; "he" for ReLU networks, "pytorch" for PyTorch's default) from `random`.
   * Notebooks 02 and 03 (lecture 001, initialisation; lecture 003, deep networks).
   */
  static random(sizes: number[], activations: ActivationName | ActivationName[], random: Random = rng(), scheme: InitScheme = "glorot"): MLP {
    if (sizes.length < 2) throw new Error(`MLP.random: sizes [${sizes}] needs at least an input and an output size`);
    const acts = typeof activations === "string" ? sizes.slice(1).map(() => activations) : activations;
    if (acts.length !== sizes.length - 1) throw new Error(`MLP.random: ${acts.length} activations for ${sizes.length - 1} layers`);
    return new MLP(acts.map((a, l) => Dense.random(sizes[l]!, sizes[l + 1]!, a, random, scheme)));
  }

  /** The layer sizes, inputs first. */
  get sizes(): number[] {
    return [this.layers[0]!.inputs, ...this.layers.map((l) => l.units)];
  }

  /** The network's output f(x). */
  forward(x: ArrayLike<number>): Float64Array {
    let a: Float64Array = Float64Array.from(x);
    for (const layer of this.layers) a = layer.forward(a);
    return a;
  }

  /** Every layer's output in order: [x, a¹, a², …, a^L] (the input first). */
  trace(x: ArrayLike<number>): Float64Array[] {
    const out: Float64Array[] = [Float64Array.from(x)];
    for (const layer of this.layers) out.push(layer.forward(out[out.length - 1]!));
    return out;
  }

  /** f applied to every row of X. */
  predict(X: ArrayLike<number>[]): Float64Array[] {
    return X.map((x) => this.forward(x));
  }

  /** Number of learnable parameters, summed over the layers. Notebooks 01, 02, 03 and 05 (lecture 000, 3-4-2 network, 26 parameters). */
  get paramCount(): number {
    return this.layers.reduce((n, l) => n + l.paramCount, 0);
  }
}

/**
 * The single linear layer equal to `second` after `first` when both are linear: W = W²W¹, b = W²b¹ + b²,
 * showing that without a non-linearity depth collapses. Notebook 02 (lecture 000, activation functions, W₁W₂x = Wx).
 */
export function composeLinear(first: Dense, second: Dense): Dense {
  if (first.activation !== "linear" || second.activation !== "linear") {
    throw new Error(`composeLinear: the layers use ${first.activation} and ${second.activation}; only linear layers compose into one`);
  }
  if (second.inputs !== first.units) throw new Error(`composeLinear: the second layer takes ${second.inputs} inputs, the first gives ${first.units}`);
  const [n, m, k] = [second.units, first.units, first.inputs];
  const W = new Float64Array(n * k);
  const b = Float64Array.from(second.b);
  for (let i = 0; i < n; i++) {
    for (let h = 0; h < m; h++) {
      const w2 = second.W[i * m + h]!;
      for (let j = 0; j < k; j++) W[i * k + j]! += w2 * first.W[h * k + j]!;
      b[i]! += w2 * first.b[h]!;
    }
  }
  return new Dense(k, n, "linear", W, b);
}

/**
 * Parameters of a dense network with layer sizes `sizes` (inputs first): weights Σ n_l·n_(l+1), biases
 * Σ n_(l+1). A 3-4-2 network has 20 weights + 6 biases = 26. Notebooks 02 and 05 (lecture 000, elements of neural networks).
 */
export function countParams(sizes: number[]): { weights: number; biases: number; total: number } {
  if (sizes.length < 2 || sizes.some((n) => !(Number.isInteger(n) && n > 0))) {
    throw new Error(`countParams: sizes [${sizes}] must be at least two positive integers (inputs first)`);
  }
  let weights = 0;
  let biases = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    weights += sizes[l]! * sizes[l + 1]!;
    biases += sizes[l + 1]!;
  }
  return { weights, biases, total: weights + biases };
}

/**
 * A one-hidden-layer sigmoid network built by hand to approximate f on [a, b] — the constructive idea
 * behind the universal approximation theorem: F(x) = f(x₀) + Σᵢ (f(xᵢ) − f(xᵢ₋₁))·σ(k(x − tᵢ)), a
 * staircase through f at `width` + 1 evenly spaced points xᵢ, each step a steep sigmoid centred at the
 * midpoint tᵢ with slope k = `steepness`/h (h the spacing, default steepness 10). The error shrinks
 * like the spacing as the width grows. Notebook 02 (lectures 000 and 003, universal approximation).
 */
export function staircaseNetwork(f: (x: number) => number, a: number, b: number, width: number, steepness = 10): MLP {
  if (!(Number.isInteger(width) && width >= 1)) throw new Error(`staircaseNetwork: width must be a positive integer, got ${width}`);
  if (!(b > a)) throw new Error(`staircaseNetwork: need a < b, got [${a}, ${b}]`);
  const h = (b - a) / width;
  const k = steepness / h;
  const xs = Array.from({ length: width + 1 }, (_, i) => a + i * h);
  const fs = xs.map(f);
  const hidden = new Dense(1, width, "sigmoid", new Float64Array(width).fill(k), xs.slice(1).map((x) => -k * (x - h / 2)));
  const output = new Dense(width, 1, "linear", fs.slice(1).map((v, i) => v - fs[i]!), [fs[0]!]);
  return new MLP([hidden, output]);
}

/** The initialisation schemes, named after who proposed them. Notebook 03 (lecture 001, initialisation). */
export type InitScheme = "pytorch" | "glorot" | "he";

/**
 * The spread of each scheme for a layer with m = fan-in inputs and n = fan-out units:
 * PyTorch's default W ~ U(−1/√m, 1/√m) (Var = 1/(3m); biases the same); Glorot W ~ U(−√(6/(m+n)), √(6/(m+n)))
 * (Var = 2/(m+n), keeps the variance for tanh); He W ~ N(0, 2/m) (keeps it for ReLU); Glorot and He
 * start biases at 0. Notebook 03 (lecture 001, W ~ U(−1/√m, 1/√m) with m the layer's input size).
 */
export function weightVariance(scheme: InitScheme, fanIn: number, fanOut: number): number {
  if (scheme === "pytorch") return 1 / (3 * fanIn);
  if (scheme === "glorot") return 2 / (fanIn + fanOut);
  if (scheme === "he") return 2 / fanIn;
  throw new Error(`unknown initialisation "${scheme as string}": use "pytorch", "glorot" or "he"`);
}

/** Fills a dense layer's weights and biases in place by `scheme`, drawing from `random` (the lib's seeded generator by default). Notebooks 02 and 03 (lecture 001, initialisation). */
export function initLayer(layer: Dense, scheme: InitScheme, random: Random = rng()): Dense {
  const m = layer.inputs;
  const variance = weightVariance(scheme, m, layer.units);
  if (scheme === "he") {
    const std = Math.sqrt(variance);
    for (let i = 0; i < layer.W.length; i++) layer.W[i] = random.normal(0, std);
    layer.b.fill(0);
  } else {
    // U(−l, l) has variance l²/3: l = 1/√m for PyTorch's default, √(6/(m+n)) for Glorot.
    const limit = scheme === "pytorch" ? 1 / Math.sqrt(m) : Math.sqrt(6 / (m + layer.units));
    for (let i = 0; i < layer.W.length; i++) layer.W[i] = random.uniform(-limit, limit);
    if (scheme === "pytorch") for (let i = 0; i < layer.b.length; i++) layer.b[i] = random.uniform(-limit, limit);
    else layer.b.fill(0);
  }
  return layer;
}

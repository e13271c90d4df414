/**
 * Weight initialisation and what it does to a deep network: PyTorch's default U(−1/√m, 1/√m),
 * Glorot (Xavier) and He schemes; activation statistics layer by layer; per-layer gradient norms
 * (vanishing gradients in a deep sigmoid network, not in a ReLU one).
 * Lectures: 001 (PyTorch-style init, saturation and vanishing gradients), 000 (gradiente evanescente),
 * 003 (why going deep is difficult: vanishing gradient; smart weight initialisation).
 */
import { type ActivationName, activation } from "./activations";
import { type LossName, forward, lossAndGradients } from "./backprop";
import { Dense, MLP } from "./mlp";
import { type Random, rng } from "../core/random";

/** The initialisation schemes, named after who proposed them. Lecture: 001, optimization (initialisation). */
export type InitScheme = "pytorch" | "glorot" | "he";

/**
 * The spread of each scheme for a layer with m = fan-in inputs and n = fan-out units:
 * PyTorch's default W ~ U(−1/√m, 1/√m) (Var = 1/(3m); biases the same); Glorot W ~ U(−√(6/(m+n)), √(6/(m+n)))
 * (Var = 2/(m+n), keeps the variance for tanh); He W ~ N(0, 2/m) (keeps it for ReLU); Glorot and He
 * start biases at 0. Lecture: 001, W ~ U(−1/√m, 1/√m) with m the layer's input size.
 */
export function weightVariance(scheme: InitScheme, fanIn: number, fanOut: number): number {
  if (scheme === "pytorch") return 1 / (3 * fanIn);
  if (scheme === "glorot") return 2 / (fanIn + fanOut);
  if (scheme === "he") return 2 / fanIn;
  throw new Error(`unknown initialisation "${scheme as string}": use "pytorch", "glorot" or "he"`);
}

/** Fills a dense layer's weights and biases in place by `scheme`, drawing from `random` (the lib's seeded generator by default). Lecture: 001, initialisation. */
export function initLayer(layer: Dense, scheme: InitScheme, random: Random = rng()): Dense {
  const m = layer.inputs;
  const variance = weightVariance(scheme, m, layer.units);
  if (scheme === "he") {
    const std = Math.sqrt(variance);
    for (let i = 0; i < layer.W.length; i++) layer.W[i] = random.normal(0, std);
    layer.b.fill(0);
  } else {
    const limit = Math.sqrt(3 * variance); // U(−l, l) has variance l²/3
    for (let i = 0; i < layer.W.length; i++) layer.W[i] = random.uniform(-limit, limit);
    if (scheme === "pytorch") for (let i = 0; i < layer.b.length; i++) layer.b[i] = random.uniform(-1 / Math.sqrt(m), 1 / Math.sqrt(m));
    else layer.b.fill(0);
  }
  return layer;
}

/**
 * A network with layer sizes `sizes` (inputs first), `activations` per layer after the input (or one
 * name for all), initialised by `scheme`. Lecture: 001, initialisation; 003, deep networks.
 */
export function initMLP(sizes: number[], activations: ActivationName | ActivationName[], scheme: InitScheme, random: Random = rng()): MLP {
  if (sizes.length < 2) throw new Error(`initMLP: sizes [${sizes}] needs at least an input and an output size`);
  const acts = typeof activations === "string" ? sizes.slice(1).map(() => activations) : activations;
  if (acts.length !== sizes.length - 1) throw new Error(`initMLP: ${acts.length} activations for ${sizes.length - 1} layers`);
  return new MLP(acts.map((a, l) => initLayer(new Dense(sizes[l]!, sizes[l + 1]!, a), scheme, random)));
}

/** Statistics of one layer's outputs over a batch. Lecture: 001, saturation. */
export interface LayerStats {
  /** Layer number, 1 for the first hidden layer. */
  layer: number;
  /** Mean and standard deviation of the activations a. */
  mean: number;
  std: number;
  /**
   * Fraction of units where the activation is flat: σ′(z) below 1% of its largest value (σ′(0⁺)),
   * i.e. saturated sigmoid/tanh units or ReLU units at z ≤ 0, through which no gradient flows.
   */
  flat: number;
}

/** Mean, standard deviation and flat (saturated) fraction of every layer's activations on the batch X (flat N×inputs). Lecture: 001, saturation. */
export function activationStats(net: MLP, X: ArrayLike<number>): LayerStats[] {
  return forward(net, X).map((c, l) => {
    const name = net.layers[l]!.activation;
    let sum = 0;
    let sq = 0;
    for (const v of c.a) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / c.a.length;
    let flat = NaN;
    if (name !== "softmax") {
      const df = activation(name).df;
      const peak = df(Number.MIN_VALUE);
      let count = 0;
      for (const z of c.z) if (df(z) < 0.01 * peak) count += 1;
      flat = count / c.z.length;
    }
    return { layer: l + 1, mean, std: Math.sqrt(Math.max(0, sq / c.a.length - mean * mean)), flat };
  });
}

/**
 * The Frobenius norm ‖∂L/∂W^l‖ of every layer's weight gradient on one batch (input side first):
 * in a deep sigmoid network they shrink towards the input (each layer multiplies by σ′ ≤ ¼), in a
 * ReLU network they do not. Lecture: 001, vanishing gradients; 003, why going deep is difficult.
 */
export function layerGradientNorms(net: MLP, X: ArrayLike<number>, targets: ArrayLike<number>, loss: LossName): number[] {
  return lossAndGradients(net, X, targets, loss).grads.map((g) => Math.sqrt(g.dW.reduce((s, v) => s + v * v, 0)));
}

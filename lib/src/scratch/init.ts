/**
 * What weight initialisation does to a deep network (the schemes themselves, PyTorch's default,
 * Glorot and He, are `initLayer` and `MLP.random` in mlp.ts): activation statistics layer by layer;
 * per-layer gradient norms (vanishing gradients in a deep sigmoid network, not in a ReLU one).
 * Notebook 03 — lectures 001 (PyTorch-style init, saturation and vanishing gradients), 000 (gradiente evanescente),
 * 003 (why going deep is difficult: vanishing gradient; smart weight initialisation).
 */
import { activation } from "./activations";
import { type LossName, forward, lossAndGradients } from "./backprop";
import type { MLP } from "./mlp";

/** Statistics of one layer's outputs over a batch. Lecture 001 (saturation). */
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

/** Mean, standard deviation and flat (saturated) fraction of every layer's activations on the batch X (flat N×inputs). Notebook 03 (lecture 001, saturation). */
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
 * ReLU network they do not. Notebook 03 (lectures 001 and 003, vanishing gradients; why going deep is difficult).
 */
export function layerGradientNorms(net: MLP, X: ArrayLike<number>, targets: ArrayLike<number>, loss: LossName): number[] {
  return lossAndGradients(net, X, targets, loss).grads.map((g) => Math.sqrt(g.dW.reduce((s, v) => s + v * v, 0)));
}

/**
 * Backpropagation written by hand for the from-scratch MLP (`Dense`/`MLP` of mlp.ts), in matrix form
 * on a batch, and mini-batch training with it. Exported as the namespace `backprop` (its names are
 * generic: `backprop.forward`, `backprop.parameters`, `backprop.evaluate`); gradient checking is in
 * gradcheck.ts.
 *
 * Layout: a batch X is a flat row-major N×D array (example n in row n). For a layer a = σ(z),
 * z = W x + b, the forward pass keeps x, z and a; the backward pass turns δa = ∂L/∂a into
 * δz = δa ⊙ σ′(z), then ∂L/∂W = Σₙ δzₙ xₙᵀ, ∂L/∂b = Σₙ δzₙ and ∂L/∂x = Wᵀ δz for the layer below.
 * Notebook 03 — lectures 000 (backpropagazione), 001 (chain rule on ŷ = σ(w₂ᵀ σ(w₁ᵀ x + b₁) + b₂)),
 * 003 (forward and backward phases).
 */
import { activate, activation } from "./activations";
import { bce, crossEntropy, mse, mseGrad, rowsOf, softmaxBackward } from "./losses";
import { argmax } from "../core/metrics";
import { batchIndices } from "../data/dataset";
import type { Dense, MLP } from "./mlp";
import { type Optimizer, clipGradNorm } from "./optim";
import { type Random, rng } from "../core/random";
import type { Schedule } from "./schedules";

/** What the forward pass of one dense layer keeps for the backward pass (all N×· row-major). Lecture 003 (forward phase). */
export interface DenseCache {
  /** Number of examples N. */
  n: number;
  /** The layer's input, N×inputs. */
  x: Float64Array;
  /** The pre-activation z = Wx + b, N×units. */
  z: Float64Array;
  /** The output a = σ(z), N×units. */
  a: Float64Array;
}

/** The gradients of one dense layer's parameters, in the same layout as W (units×inputs) and b. Lecture 000 (backpropagazione). */
export interface DenseGrads {
  dW: Float64Array;
  db: Float64Array;
}

/** Forward pass of one dense layer on a batch (reusing the layer's own z = Wx + b), keeping x, z and a. Notebook 03 (lecture 003, forward phase). */
export function denseForward(layer: Dense, X: ArrayLike<number>): DenseCache {
  const n = rowsOf(X, layer.inputs, "denseForward", "inputs");
  const x = Float64Array.from(X);
  const z = new Float64Array(n * layer.units);
  const a = new Float64Array(n * layer.units);
  for (let r = 0; r < n; r++) {
    const zr = layer.preActivation(x.subarray(r * layer.inputs, (r + 1) * layer.inputs));
    z.set(zr, r * layer.units);
    a.set(activate(layer.activation, zr), r * layer.units);
  }
  return { n, x, z, a };
}

/** The whole network's forward pass on a batch: one cache per layer, input side first (the output is the last `a`). Notebooks 01, 02, 03 and 05 (lecture 003, forward phase). */
export function forward(net: MLP, X: ArrayLike<number>): DenseCache[] {
  const caches: DenseCache[] = [];
  let input: ArrayLike<number> = X;
  for (const layer of net.layers) {
    const c = denseForward(layer, input);
    caches.push(c);
    input = c.a;
  }
  return caches;
}

/** Through the activation: δz = δa ⊙ σ′(z) element-wise, or the softmax Jacobian applied row by row. Lecture 001 (chain rule). */
export function activationBackward(layer: Dense, cache: DenseCache, dA: ArrayLike<number>): Float64Array {
  if (dA.length !== cache.a.length) throw new Error(`activationBackward: δa has ${dA.length} entries, the layer's output ${cache.a.length}`);
  if (layer.activation === "softmax") return softmaxBackward(cache.a, dA, layer.units);
  const df = activation(layer.activation).df;
  const dZ = new Float64Array(dA.length);
  for (let i = 0; i < dZ.length; i++) dZ[i] = dA[i]! * df(cache.z[i]!);
  return dZ;
}

/**
 * Backward pass of the linear part z = W x + b of a dense layer, from δz = ∂L/∂z (N×units):
 * ∂L/∂W = δzᵀ X (units×inputs), ∂L/∂b = Σₙ δzₙ, and ∂L/∂x = δz W (N×inputs), skipped when
 * `inputGrad` is false (the first layer needs none). Notebook 03 (lectures 000 and 001, backpropagazione; chain rule).
 */
export function denseBackward(layer: Dense, cache: DenseCache, dZ: ArrayLike<number>, inputGrad = true): DenseGrads & { dX: Float64Array | null } {
  const { inputs, units, W } = layer;
  if (dZ.length !== cache.n * units) throw new Error(`denseBackward: δz has ${dZ.length} entries, expected N×units = ${cache.n}×${units}`);
  const dW = new Float64Array(units * inputs);
  const db = new Float64Array(units);
  const dX = inputGrad ? new Float64Array(cache.n * inputs) : null;
  for (let r = 0; r < cache.n; r++) {
    const xr = r * inputs;
    for (let i = 0; i < units; i++) {
      const d = dZ[r * units + i]!;
      if (d === 0) continue;
      db[i] += d;
      const wr = i * inputs;
      for (let j = 0; j < inputs; j++) dW[wr + j] += d * cache.x[xr + j]!;
      if (dX) for (let j = 0; j < inputs; j++) dX[xr + j] += d * W[wr + j]!;
    }
  }
  return { dW, db, dX };
}

/** The losses the hand-written backward pass supports. Lecture 001 (which loss for which task). */
export type LossName = "mse" | "bce" | "crossEntropy";

function checkOutput(net: MLP, loss: LossName): void {
  const out = net.layers[net.layers.length - 1]!.activation;
  if (loss === "crossEntropy" && out !== "softmax") throw new Error(`crossEntropy expects a softmax output layer, the network ends in ${out}`);
  if (loss === "bce" && out !== "sigmoid") throw new Error(`bce expects a sigmoid output layer (one unit per binary label), the network ends in ${out}`);
}

/**
 * The loss of the network's output on a batch: targets are N×K real values (flat) for "mse" and
 * "bce", N integer class labels for "crossEntropy". Notebook 03 (lecture 001, NLL/BCE/MSE).
 */
export function lossOf(output: ArrayLike<number>, targets: ArrayLike<number>, loss: LossName, classes: number): number {
  if (loss === "mse") return mse(output, targets);
  if (loss === "bce") return bce(output, targets);
  return crossEntropy(output, targets, classes);
}

/**
 * The output layer's error δz_L = ∂L/∂z_L on a batch, from its cache: (ŷ − y) over the number of terms
 * averaged for sigmoid + BCE and softmax + cross-entropy (the activation's derivative cancels), and
 * 2(ŷ − y)/(N·K) ⊙ σ′(z) for MSE. Lecture: 000, backpropagazione; 001, NLL with a softmax output.
 */
export function outputError(net: MLP, out: DenseCache, targets: ArrayLike<number>, loss: LossName): Float64Array {
  const last = net.layers.length - 1;
  const classes = net.layers[last]!.units;
  if (loss === "mse") return activationBackward(net.layers[last]!, out, mseGrad(out.a, targets));
  // σ + BCE and softmax + cross-entropy: δz = (ŷ − y) over the number of terms averaged
  // (N·K binary labels for BCE, N examples for cross-entropy).
  const dZ = new Float64Array(out.a.length);
  if (loss === "bce") for (let k = 0; k < dZ.length; k++) dZ[k] = (out.a[k]! - targets[k]!) / dZ.length;
  else {
    for (let k = 0; k < dZ.length; k++) dZ[k] = out.a[k]! / out.n;
    for (let r = 0; r < out.n; r++) dZ[r * classes + targets[r]!] -= 1 / out.n;
  }
  return dZ;
}

/**
 * The loss and the gradient of every parameter for a batch, by backpropagation: the output error
 * δz_L is ŷ − y (over the number of terms averaged) for sigmoid + BCE and softmax + cross-entropy, and
 * 2(ŷ − y)/(N·K) ⊙ σ′(z) for MSE;
 * then each layer, from the last to the first, gives its ∂L/∂W, ∂L/∂b and passes ∂L/∂x down.
 * Notebook 03 (lectures 000, 001 and 003, backpropagazione; the one-hidden-layer example; backward phase).
 */
export function lossAndGradients(net: MLP, X: ArrayLike<number>, targets: ArrayLike<number>, loss: LossName): { loss: number; grads: DenseGrads[] } {
  checkOutput(net, loss);
  const caches = forward(net, X);
  const last = net.layers.length - 1;
  const out = caches[last]!;
  const value = lossOf(out.a, targets, loss, net.layers[last]!.units);
  let dZ = outputError(net, out, targets, loss);
  const grads: DenseGrads[] = new Array(net.layers.length);
  for (let l = last; l >= 0; l--) {
    const { dW, db, dX } = denseBackward(net.layers[l]!, caches[l]!, dZ, l > 0);
    grads[l] = { dW, db };
    if (l > 0) dZ = activationBackward(net.layers[l - 1]!, caches[l - 1]!, dX!);
  }
  return { loss: value, grads };
}

/** The network's parameter vectors [W¹, b¹, W², b², …], live (an optimizer updating them updates the network). Notebooks 02, 03 and 05 (lecture 000, θ = {W¹, b¹, …}). */
export function parameters(net: MLP): Float64Array[] {
  return net.layers.flatMap((l) => [l.W, l.b]);
}

/** Gradients in the order of `parameters`: [∂L/∂W¹, ∂L/∂b¹, …]. Notebook 03 (lecture 000, ∇L(θ)). */
export function flattenGrads(grads: DenseGrads[]): Float64Array[] {
  return grads.flatMap((g) => [g.dW, g.db]);
}

/** Options of `trainMLP`. Notebook 03 (lectures 000 and 001, mini-batch GD; Algorithm 8.1). */
export interface TrainMLPOptions {
  /** The optimizer that updates the network's parameters. */
  optimizer: Optimizer;
  loss: LossName;
  /** Mini-batch size m: N for full-batch gradient descent, 1 for single-sample SGD. */
  batchSize: number;
  epochs: number;
  /** Learning rate per epoch (t = 0, 1, …), set on the optimizer before each epoch. */
  schedule?: Schedule;
  /** Reshuffle the training rows every epoch (default true), with `random` (default the lib's `rng()`). */
  shuffle?: boolean;
  random?: Random;
  /** Held-out data evaluated after every epoch: inputs (flat) and targets as for the loss. */
  validation?: { X: ArrayLike<number>; targets: ArrayLike<number> };
  /** Clip every mini-batch gradient to this global norm before the step (`clipGradNorm`; default: no clipping). */
  clipNorm?: number;
}

/** What `trainMLP` records. Notebook 03 (lecture 003, learning curves). */
export interface TrainMLPResult {
  /** The loss of every mini-batch, in update order. */
  batchLoss: number[];
  /**
   * Per epoch, as Keras records it (and `learningCurves` plots it): `loss`, the mean mini-batch loss
   * of the epoch; with validation data `val_loss`, and `val_acc` for cross-entropy.
   */
  history: Record<string, number[]>;
  /** Number of parameter updates, and the wall-clock seconds of the updates alone (validation excluded). */
  updates: number;
  seconds: number;
}

/** Copies rows `rows` of the flat row-major X (`cols` per row) into `out`, in order, and returns `out`. Lecture: 000, mini-batch. */
export function gatherRows(X: ArrayLike<number>, cols: number, rows: Int32Array, out: Float64Array): Float64Array {
  const isTyped = X instanceof Float32Array || X instanceof Float64Array;
  rows.forEach((r, k) => {
    if (isTyped) out.set((X as Float32Array | Float64Array).subarray(r * cols, (r + 1) * cols), k * cols);
    else for (let j = 0; j < cols; j++) out[k * cols + j] = X[r * cols + j]!;
  });
  return out;
}

/** Loss and, for cross-entropy, accuracy (fraction of rows whose largest output is the label; NaN otherwise) on a whole data set. Lecture 003 (evaluation). */
export function evaluate(net: MLP, X: ArrayLike<number>, targets: ArrayLike<number>, loss: LossName): { loss: number; accuracy: number } {
  const out = forward(net, X).at(-1)!.a;
  const K = net.layers.at(-1)!.units;
  let accuracy = NaN;
  if (loss === "crossEntropy") {
    const predicted = argmax(out, K);
    accuracy = predicted.reduce((right, c, r) => right + (c === targets[r] ? 1 : 0), 0) / predicted.length;
  }
  return { loss: lossOf(out, targets, loss, K), accuracy };
}

/**
 * Trains the from-scratch network with mini-batch stochastic gradient descent (Goodfellow's
 * Algorithm 8.1, with any `Optimizer` for the update): each epoch shuffles the N training rows,
 * cuts them into mini-batches of m, and for each computes the gradient by backpropagation and takes
 * one optimizer step. Targets are as for `lossAndGradients` (per row: K values, or one label).
 * Notebook 03 (lectures 000 and 001, discesa del gradiente in mini-batch and stocastico (reshuffle at every epoch); Algorithm 8.1).
 */
export function trainMLP(net: MLP, X: ArrayLike<number>, targets: ArrayLike<number>, options: TrainMLPOptions): TrainMLPResult {
  const { optimizer, loss, batchSize, epochs, schedule, shuffle = true, random = rng(), validation, clipNorm } = options;
  const D = net.layers[0]!.inputs;
  const N = rowsOf(X, D, "trainMLP", "inputs");
  const perRow = targets.length / N;
  if (!Number.isInteger(perRow) || perRow < 1) throw new Error(`trainMLP: ${targets.length} targets for ${N} rows; give the same number per row`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`trainMLP: epochs must be a non-negative integer, got ${epochs}`);
  const params = parameters(net);
  const result: TrainMLPResult = { batchLoss: [], history: { loss: [] }, updates: 0, seconds: 0 };
  const xBuf = new Float64Array(Math.min(batchSize, N) * D);
  const yBuf = new Float64Array(Math.min(batchSize, N) * perRow);
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (schedule) optimizer.lr = schedule(epoch);
    const start = performance.now();
    let sum = 0;
    let count = 0;
    for (const rows of batchIndices(N, batchSize, { shuffle, random })) {
      const xb = gatherRows(X, D, rows, xBuf).subarray(0, rows.length * D);
      const yb = gatherRows(targets, perRow, rows, yBuf).subarray(0, rows.length * perRow);
      const { loss: value, grads } = lossAndGradients(net, xb, yb, loss);
      const flat = flattenGrads(grads);
      if (clipNorm !== undefined) clipGradNorm(flat, clipNorm);
      optimizer.step(params, flat);
      result.batchLoss.push(value);
      sum += value * rows.length;
      count += rows.length;
      result.updates += 1;
    }
    result.seconds += (performance.now() - start) / 1000;
    result.history["loss"]!.push(sum / count);
    if (validation) {
      const v = evaluate(net, validation.X, validation.targets, loss);
      (result.history["val_loss"] ??= []).push(v.loss);
      if (loss === "crossEntropy") (result.history["val_acc"] ??= []).push(v.accuracy);
    }
  }
  return result;
}

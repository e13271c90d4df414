/**
 * Regularisation from scratch, on the plain typed arrays of the from-scratch MLP: ℓ1, ℓ2 and elastic-net
 * weight penalties (decadimento dei pesi) with their gradients, the lecture's decay update, ℓ1's proximal
 * step (exact zeros), Adam with ℓ2 against decoupled weight decay (AdamW), inverted dropout with a fresh
 * mask per mini-batch, early stopping (arresto anticipato) with patience and best-weight restore, batch
 * normalisation forward and backward with running averages, a training loop that combines them, and
 * the least-squares tools for bias/variance and double descent (polynomial and random ReLU features,
 * minimum-norm least squares). Notebook 04 (lectures 000, 001, 003: regularisation).
 */
import { argmax } from "../core/metrics";
import { type Random, rng } from "../core/random";
import { batchIndices } from "../data/dataset";
import { activationBackward, type DenseCache, denseBackward, denseForward, type DenseGrads, evaluate, flattenGrads, gatherRows, type LossName, lossOf, outputError, parameters } from "./backprop";
import { rowsOf } from "./losses";
import { MLP } from "./mlp";
import type { AdamOptions, Optimizer, Vec } from "./optim";

// ---------------------------------------------------------------------------------------------
// Weight penalties

/** Strengths of the weight penalties: λ₁ Σ|θ| + λ₂ Σθ² (elastic net when both are set). Notebook 04 (lecture 000, weight decay). */
export interface Penalty {
  /** λ₁ of the ℓ1 term (default 0). */
  l1?: number;
  /** λ₂ of the ℓ2 term (default 0). */
  l2?: number;
}

function strengths(p: Penalty): [number, number] {
  const { l1 = 0, l2 = 0 } = p;
  if (!(l1 >= 0 && l2 >= 0)) throw new RangeError(`penalty strengths must be ≥ 0, got l1 = ${l1}, l2 = ${l2}`);
  return [l1, l2];
}

/** The penalty Ω(θ) = λ₁ Σₖ|θₖ| + λ₂ Σₖθₖ² summed over the given vectors. Notebook 04 (lecture 000, ℓ1/ℓ2/elastic net). */
export function penalty(params: readonly ArrayLike<number>[], p: Penalty): number {
  const [l1, l2] = strengths(p);
  let s = 0;
  for (const v of params) for (let i = 0; i < v.length; i++) s += l1 * Math.abs(v[i]!) + l2 * v[i]! * v[i]!;
  return s;
}

/**
 * ∂Ω/∂θ = λ₁ sign(θ) + 2λ₂ θ per entry; at θ = 0 it takes the subgradient 0, the smallest one
 * (TensorFlow.js's autodiff of |θ| gives −1 there).
 * Notebook 04 (lecture 000, weight decay).
 */
export function penaltyGrad(params: readonly ArrayLike<number>[], p: Penalty): Float64Array[] {
  const [l1, l2] = strengths(p);
  return params.map((v) => Float64Array.from(v, (t) => l1 * Math.sign(t) + 2 * l2 * t));
}

/** Adds ∂Ω/∂θ to `grads` in place (same shapes as `params`). Notebook 04 (lecture 000, weight decay). */
export function addPenaltyGrad(grads: readonly Vec[], params: readonly ArrayLike<number>[], p: Penalty): void {
  const [l1, l2] = strengths(p);
  params.forEach((v, k) => {
    const g = grads[k]!;
    if (g.length !== v.length) throw new RangeError(`addPenaltyGrad: gradient ${k} has ${g.length} entries, its parameter ${v.length}`);
    for (let i = 0; i < v.length; i++) g[i] += l1 * Math.sign(v[i]!) + 2 * l2 * v[i]!;
  });
}

/** The weight matrices W¹, W², … of a network (live), without the biases, which are usually not decayed. Notebook 04 (lecture 000). */
export function weightsOf(net: MLP): Float64Array[] {
  return net.layers.map((l) => l.W);
}

/** For each vector of `parameters(net)` ([W¹, b¹, W², b², …]): true for weights, false for biases. Notebook 04 (lecture 000). */
export function weightMask(net: MLP): boolean[] {
  return net.layers.flatMap(() => [true, false]);
}

/**
 * The lecture's decayed gradient step θ ← (1 − 2αλ)θ − α∇L: each weight shrinks by the factor (1 − 2αλ)
 * ("decaduto linearmente verso zero") before the usual step. It is exactly gradient descent on
 * L + λΣθ², whose gradient is ∇L + 2λθ. `decayed` says which vectors decay (default all).
 * Notebook 04 (lecture 000, ℓ2 weight decay).
 */
export function decayStep(params: readonly Vec[], grads: readonly ArrayLike<number>[], lr: number, l2: number, decayed?: readonly boolean[]): void {
  params.forEach((p, k) => {
    const g = grads[k]!;
    const shrink = decayed === undefined || decayed[k] ? 1 - 2 * lr * l2 : 1;
    for (let i = 0; i < p.length; i++) p[i] = shrink * p[i]! - lr * g[i]!;
  });
}

/**
 * ℓ1's proximal step (soft thresholding), θ ← sign(θ)·max(|θ| − t, 0) with t = α·λ₁: after a gradient
 * step on the data loss it makes small weights exactly 0, which the subgradient λ₁·sign(θ) never does
 * (it makes them oscillate around 0). Notebook 04 (lecture 000, ℓ1 and sparsity).
 */
export function softThreshold(params: readonly Vec[], t: number, decayed?: readonly boolean[]): void {
  if (!(t >= 0)) throw new RangeError(`softThreshold: the threshold must be ≥ 0, got ${t}`);
  params.forEach((p, k) => {
    if (decayed !== undefined && !decayed[k]) return;
    for (let i = 0; i < p.length; i++) {
      const a = Math.abs(p[i]!) - t;
      p[i] = a > 0 ? Math.sign(p[i]!) * a : 0;
    }
  });
}

/** How many entries have |θ| ≤ tol (default 0: exact zeros), and out of how many. Notebook 04 (lecture 000, ℓ1 sparsity). */
export function countZeros(params: readonly ArrayLike<number>[], tol = 0): { zeros: number; total: number } {
  let zeros = 0;
  let total = 0;
  for (const v of params) {
    for (let i = 0; i < v.length; i++) if (Math.abs(v[i]!) <= tol) zeros++;
    total += v.length;
  }
  return { zeros, total };
}

/** Options of `AdamW`. Notebook 04 (lecture 003, Adam; lecture 000, weight decay). */
export interface AdamWOptions extends AdamOptions {
  /** λ of the ℓ2 penalty λΣθ² (the same λ as `decayStep`). */
  weightDecay: number;
  /** Decoupled (AdamW, default true) or added to the gradient as ∇(λΣθ²) = 2λθ before Adam's moments (Adam + ℓ2). */
  decoupled?: boolean;
  /** Which parameter vectors decay (default all), e.g. `weightMask(net)`. */
  decayed?: readonly boolean[];
}

/**
 * Adam with weight decay, two ways (Loshchilov and Hutter, "Decoupled weight decay", 2019):
 * - `decoupled: false` (Adam + ℓ2): g ← ∇L + 2λθ enters m and v, so the decay is divided by √v̂ like the
 *   gradient — weights whose gradients are large are barely decayed, those with small ones strongly;
 * - `decoupled: true` (AdamW): θ ← (1 − 2ηλ)θ − η m̂/(√v̂ + ε): the lecture's decay update with Adam's
 *   direction in place of ∇L, the same shrink factor for every weight (PyTorch's weight_decay = 2λ).
 * With λ = 0 both are Adam. Notebook 04 (lectures 000 and 003).
 */
export class AdamW implements Optimizer {
  readonly name: string;
  lr: number;
  t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private readonly decayed?: readonly boolean[];
  private m: Float64Array[] = [];
  private v: Float64Array[] = [];

  constructor(lr: number, options: AdamWOptions) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`learning rate must be a positive number, got ${lr}`);
    if (!(options.weightDecay >= 0)) throw new RangeError(`weightDecay must be ≥ 0, got ${options.weightDecay}`);
    this.lr = lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.weightDecay = options.weightDecay;
    this.decoupled = options.decoupled ?? true;
    this.decayed = options.decayed;
    this.name = this.decoupled ? "AdamW" : "Adam + ℓ2";
  }

  step(params: readonly Vec[], grads: readonly Vec[]): void {
    if (params.length !== grads.length) throw new RangeError(`${this.name}.step: ${params.length} parameter vectors but ${grads.length} gradients`);
    if (this.t === 0) {
      this.m = params.map((p) => new Float64Array(p.length));
      this.v = params.map((p) => new Float64Array(p.length));
    }
    this.t += 1;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    const lambda = this.weightDecay;
    params.forEach((p, k) => {
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      if (m.length !== p.length || g.length !== p.length) throw new RangeError(`${this.name}.step: vector ${k} changed size or does not match its gradient`);
      const decays = this.decayed === undefined || this.decayed[k] === true;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! + (!this.decoupled && decays ? 2 * lambda * p[i]! : 0);
        m[i] = this.beta1 * m[i]! + (1 - this.beta1) * gi;
        v[i] = this.beta2 * v[i]! + (1 - this.beta2) * gi * gi;
        const shrink = this.decoupled && decays ? 1 - 2 * this.lr * lambda : 1;
        p[i] = shrink * p[i]! - (this.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.epsilon);
      }
    });
  }

  /**
   * The decay the last step applied to each entry of vector `k`, as a fraction of the weight per unit of
   * learning rate: 2λ for AdamW (every weight alike), 2λ/(√v̂ + ε) for Adam + ℓ2 (the decay rescaled by the
   * weight's gradient history). Notebook 04 (lecture 000, weight decay).
   */
  effectiveDecay(k: number): Float64Array {
    const v = this.v[k];
    if (v === undefined) throw new RangeError(`effectiveDecay: no vector ${k} (take a step first)`);
    const decays = this.decayed === undefined || this.decayed[k] === true;
    const lambda = decays ? this.weightDecay : 0;
    const c2 = 1 - this.beta2 ** this.t;
    return Float64Array.from(v, (vi) => (this.decoupled ? 2 * lambda : (2 * lambda) / (Math.sqrt(vi / c2) + this.epsilon)));
  }
}

// ---------------------------------------------------------------------------------------------
// Dropout

function checkRate(p: number): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout rate p must be in [0, 1), got ${p}`);
}

/**
 * An inverted-dropout mask of n entries: 0 with probability p (the unit is dropped), else 1/(1 − p), so
 * the masked activations keep their expectation and nothing has to change at inference. p is the drop
 * probability, as TensorFlow.js's `rate`. Notebook 04 (lectures 000, 001 and 003, dropout).
 */
export function dropoutMask(n: number, p: number, random: Random = rng()): Float64Array {
  checkRate(p);
  const keep = 1 / (1 - p);
  const mask = new Float64Array(n);
  for (let i = 0; i < n; i++) mask[i] = random.uniform() < p ? 0 : keep;
  return mask;
}

/**
 * Inverted dropout of a batch of activations: in training a fresh mask (y = x ⊙ mask), at inference
 * (`training: false`) the identity and no mask. Notebook 04 (lectures 000, 001, 003, dropout).
 */
export function dropout(x: ArrayLike<number>, p: number, options: { training?: boolean; random?: Random } = {}): { y: Float64Array; mask: Float64Array | null } {
  const { training = true, random = rng() } = options;
  checkRate(p);
  if (!training || p === 0) return { y: Float64Array.from(x), mask: null };
  const mask = dropoutMask(x.length, p, random);
  return { y: Float64Array.from(x, (v, i) => v * mask[i]!), mask };
}

/** Dropout's backward pass: ∂L/∂x = ∂L/∂y ⊙ mask (the identity when no mask was drawn). Notebook 04 (lecture 001, dropout). */
export function dropoutBackward(dy: ArrayLike<number>, mask: Float64Array | null): Float64Array {
  if (mask === null) return Float64Array.from(dy);
  if (mask.length !== dy.length) throw new RangeError(`dropoutBackward: ${dy.length} gradients for a mask of ${mask.length}`);
  return Float64Array.from(dy, (g, i) => g * mask[i]!);
}

/** A forward pass with dropout: the layer caches (the input of layer l + 1 is the masked output of layer l) and each hidden layer's mask. Notebook 04. */
export interface DropoutPass {
  caches: DenseCache[];
  /** One mask per layer; null for the output layer (never dropped) and when p = 0. */
  masks: (Float64Array | null)[];
}

/**
 * The network's forward pass with inverted dropout of rate p after every hidden layer (a new mask for
 * each call, i.e. each mini-batch), optionally also on the inputs (`inputRate`). The output is
 * `caches.at(-1).a`. Notebook 04 (lectures 001 and 003: random sampling for each mini-batch).
 */
export function forwardDropout(net: MLP, X: ArrayLike<number>, p: number, options: { inputRate?: number; random?: Random } = {}): DropoutPass {
  const { inputRate = 0, random = rng() } = options;
  let input: ArrayLike<number> = inputRate > 0 ? dropout(X, inputRate, { random }).y : X;
  const caches: DenseCache[] = [];
  const masks: (Float64Array | null)[] = [];
  net.layers.forEach((layer, l) => {
    const c = denseForward(layer, input);
    caches.push(c);
    if (l < net.layers.length - 1 && p > 0) {
      const d = dropout(c.a, p, { random });
      masks.push(d.mask);
      input = d.y;
    } else {
      masks.push(null);
      input = c.a;
    }
  });
  return { caches, masks };
}

/**
 * Loss and gradients of a mini-batch with dropout of rate p after each hidden layer: backpropagation
 * through y = a ⊙ mask multiplies ∂L/∂y by the same mask. With p = 0 it equals `lossAndGradients`.
 * Notebook 04 (lecture 001, dropout; lecture 000, backpropagazione).
 */
export function lossAndGradientsDropout(net: MLP, X: ArrayLike<number>, targets: ArrayLike<number>, loss: LossName, p: number, random: Random = rng()): { loss: number; grads: DenseGrads[] } {
  const { caches, masks } = forwardDropout(net, X, p, { random });
  const last = net.layers.length - 1;
  const value = lossOf(caches[last]!.a, targets, loss, net.layers[last]!.units);
  let dZ = outputError(net, caches[last]!, targets, loss);
  const grads: DenseGrads[] = new Array(net.layers.length);
  for (let l = last; l >= 0; l--) {
    const { dW, db, dX } = denseBackward(net.layers[l]!, caches[l]!, dZ, l > 0);
    grads[l] = { dW, db };
    if (l > 0) dZ = activationBackward(net.layers[l - 1]!, caches[l - 1]!, dropoutBackward(dX!, masks[l - 1]!));
  }
  return { loss: value, grads };
}

/**
 * Dropout as an ensemble (lectures 000 and 003): the mean output of `samples` networks, each with its own
 * random mask (Monte-Carlo dropout), to compare with the single deterministic network used at inference.
 * Notebook 04.
 */
export function ensembleAverage(net: MLP, X: ArrayLike<number>, p: number, samples: number, random: Random = rng()): Float64Array {
  if (!(Number.isInteger(samples) && samples >= 1)) throw new RangeError(`ensembleAverage: samples must be a positive integer, got ${samples}`);
  // The first layer sees the undropped inputs: its output is the same for every mask, so compute it once
  // (the masks are drawn in the same order as forwardDropout's, so the result is the same).
  const first = denseForward(net.layers[0]!, X).a;
  if (net.layers.length === 1) return first; // the output layer is never dropped
  const rest = new MLP(net.layers.slice(1));
  let sum: Float64Array | null = null;
  for (let s = 0; s < samples; s++) {
    const out = forwardDropout(rest, p > 0 ? dropout(first, p, { random }).y : first, p, { random }).caches.at(-1)!.a;
    if (sum === null) sum = new Float64Array(out.length);
    for (let i = 0; i < out.length; i++) sum[i] += out[i]! / samples;
  }
  return sum!;
}

// ---------------------------------------------------------------------------------------------
// Early stopping

/** Options of `EarlyStopper`. Notebook 04 (lecture 000, arresto anticipato). */
export interface EarlyStopperOptions {
  /** Epochs without improvement before stopping: the lecture's n, "patience". */
  patience: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** "min" for a loss (default), "max" for an accuracy. */
  mode?: "min" | "max";
}

/**
 * Early stopping (fermata/arresto anticipato): after each epoch give it the validation metric and a
 * snapshot function; it keeps a copy of the best weights and says when `patience` epochs have passed
 * without an improvement of more than `minDelta`. Notebook 04 (lecture 000: patience; lecture 003).
 */
export class EarlyStopper<W = Float64Array[]> {
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: "min" | "max";
  /** Epochs seen so far. */
  epochs = 0;
  /** The best epoch (1-based), its value and its weights. */
  best: { epoch: number; value: number; weights: W } | null = null;
  /** True once the patience has run out. */
  stopped = false;

  constructor(options: EarlyStopperOptions) {
    if (!(Number.isInteger(options.patience) && options.patience >= 1)) throw new RangeError(`patience must be a positive integer, got ${options.patience}`);
    this.patience = options.patience;
    this.minDelta = options.minDelta ?? 0;
    this.mode = options.mode ?? "min";
  }

  /** Records one epoch's validation value; snapshots the weights when it is the best so far. Returns true when training should stop. */
  update(value: number, snapshot: () => W): boolean {
    if (this.stopped) return true;
    this.epochs += 1;
    const better = this.best === null || (this.mode === "min" ? value < this.best.value - this.minDelta : value > this.best.value + this.minDelta);
    if (better) this.best = { epoch: this.epochs, value, weights: snapshot() };
    else if (this.epochs - this.best!.epoch >= this.patience) this.stopped = true;
    return this.stopped;
  }
}

/** Copies of parameter vectors (a snapshot that later updates do not change). Notebook 04 (early stopping). */
export function copyParams(params: readonly Vec[]): Float64Array[] {
  return params.map((p) => Float64Array.from(p));
}

/** Writes a snapshot back into the live parameter vectors. Notebook 04 (early stopping, best-weight restore). */
export function restoreParams(params: readonly Vec[], snapshot: readonly ArrayLike<number>[]): void {
  if (snapshot.length !== params.length) throw new RangeError(`restoreParams: ${snapshot.length} vectors for ${params.length} parameters`);
  params.forEach((p, k) => p.set(snapshot[k]!));
}

// ---------------------------------------------------------------------------------------------
// A training loop with the regularisers

/** Options of `trainRegularized`. Notebook 04. */
export interface TrainRegularizedOptions {
  optimizer: Optimizer;
  loss: LossName;
  batchSize: number;
  /** Maximum epochs (early stopping may stop sooner). */
  epochs: number;
  /** Penalty on the weights (not the biases), added to the gradient: λ₁ sign(θ) + 2λ₂θ. */
  penalty?: Penalty;
  /** ℓ1 by its subgradient (default) or by the proximal step after each update (exact zeros). */
  l1Mode?: "subgradient" | "proximal";
  /** Dropout rate after each hidden layer (default 0). */
  dropout?: number;
  /** Held-out data evaluated after each epoch (val_loss, val_acc). */
  validation?: { X: ArrayLike<number>; targets: ArrayLike<number> };
  /** Stop when val_loss (or `monitor`) has not improved for `patience` epochs, then restore the best weights (unless restoreBest is false). */
  earlyStopping?: EarlyStopperOptions & { monitor?: "val_loss" | "val_acc"; restoreBest?: boolean };
  /** Called after each epoch with its metrics (e.g. a live display's `epoch`). */
  onEpoch?: (epoch: number, logs: Record<string, number>) => void;
  /** Shuffling and dropout masks (default the global `rng()`). */
  random?: Random;
}

/** What `trainRegularized` returns. Notebook 04. */
export interface TrainRegularizedResult {
  /** Per epoch: loss (mean mini-batch data loss, with dropout on), penalty, and val_loss/val_acc with validation data. */
  history: Record<string, number[]>;
  /** Epochs run. */
  epochs: number;
  /** With early stopping: the best epoch (1-based) and whether the patience ran out. */
  best?: { epoch: number; value: number; stoppedEarly: boolean };
}

/**
 * Mini-batch training of the from-scratch MLP with the regularisers of lecture 000: weight penalties
 * (ℓ1, ℓ2, elastic net; ℓ1 optionally by its proximal step), dropout with a fresh mask per mini-batch,
 * and early stopping on a validation set with patience and best-weight restore. Notebook 04.
 */
export function trainRegularized(net: MLP, X: ArrayLike<number>, targets: ArrayLike<number>, options: TrainRegularizedOptions): TrainRegularizedResult {
  const { optimizer, loss, batchSize, epochs, penalty: pen = {}, l1Mode = "subgradient", dropout: p = 0, validation, earlyStopping, onEpoch, random = rng() } = options;
  const D = net.layers[0]!.inputs;
  const N = rowsOf(X, D, "trainRegularized", "inputs");
  const perRow = targets.length / N;
  if (!Number.isInteger(perRow) || perRow < 1) throw new RangeError(`trainRegularized: ${targets.length} targets for ${N} rows`);
  if (earlyStopping && !validation) throw new RangeError("trainRegularized: early stopping needs validation data");
  const params = parameters(net);
  const mask = weightMask(net);
  const proximal = l1Mode === "proximal";
  const gradPenalty: Penalty = { l1: proximal ? 0 : pen.l1 ?? 0, l2: pen.l2 ?? 0 };
  const stopper = earlyStopping ? new EarlyStopper<Float64Array[]>({ ...earlyStopping, mode: earlyStopping.monitor === "val_acc" ? "max" : earlyStopping.mode ?? "min" }) : null;
  const history: Record<string, number[]> = { loss: [], penalty: [] };
  const xBuf = new Float64Array(Math.min(batchSize, N) * D);
  const yBuf = new Float64Array(Math.min(batchSize, N) * perRow);
  let run = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    let sum = 0;
    for (const rows of batchIndices(N, batchSize, { random })) {
      const xb = gatherRows(X, D, rows, xBuf).subarray(0, rows.length * D);
      const yb = gatherRows(targets, perRow, rows, yBuf).subarray(0, rows.length * perRow);
      const { loss: value, grads } = lossAndGradientsDropout(net, xb, yb, loss, p, random);
      const flat = flattenGrads(grads);
      addPenaltyGrad(flat.filter((_, k) => mask[k]), params.filter((_, k) => mask[k]), gradPenalty);
      optimizer.step(params, flat);
      if (proximal && (pen.l1 ?? 0) > 0) softThreshold(params, optimizer.lr * pen.l1!, mask);
      sum += value * rows.length;
    }
    run = epoch + 1;
    const logs: Record<string, number> = { loss: sum / N, penalty: penalty(weightsOf(net), pen) };
    if (validation) {
      const v = evaluate(net, validation.X, validation.targets, loss);
      logs["val_loss"] = v.loss;
      if (loss === "crossEntropy") logs["val_acc"] = v.accuracy;
    }
    for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
    onEpoch?.(epoch, logs);
    if (stopper && stopper.update(logs[earlyStopping!.monitor ?? "val_loss"]!, () => copyParams(params))) break;
  }
  if (stopper?.best && earlyStopping!.restoreBest !== false) restoreParams(params, stopper.best.weights);
  return {
    history,
    epochs: run,
    ...(stopper?.best ? { best: { epoch: stopper.best.epoch, value: stopper.best.value, stoppedEarly: stopper.stopped } } : {}),
  };
}

/** Accuracy of the from-scratch classifier on a data set (flat N×inputs, N integer labels). Notebook 04. */
export function accuracyOf(net: MLP, X: ArrayLike<number>, labels: ArrayLike<number>): number {
  return evaluate(net, X, labels, "crossEntropy").accuracy;
}

/** Accuracy of class scores (flat N×K) against labels. Notebook 04 (dropout ensemble). */
export function scoresAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const pred = argmax(scores, classes);
  let right = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === Number(labels[i])) right++;
  return right / pred.length;
}

// ---------------------------------------------------------------------------------------------
// Batch normalisation

/** Options of `BatchNorm` (defaults as TensorFlow.js/Keras). Notebook 04 (lectures 000 and 003, batch normalisation). */
export interface BatchNormOptions {
  /** Weight of the old value in the running averages: r ← m·r + (1 − m)·batch statistic (default 0.99). */
  momentum?: number;
  /** ε added to the variance under the square root (default 0.001). */
  epsilon?: number;
}

/** What the training-mode forward pass keeps for the backward pass. Notebook 04. */
export interface BatchNormCache {
  rows: number;
  /** x̂ = (x − μ)/√(σ² + ε), rows × features. */
  xhat: Float64Array;
  /** 1/√(σ² + ε) per feature. */
  invStd: Float64Array;
}

/**
 * Batch normalisation of a layer's `features` inputs (Ioffe and Szegedy, 2015). Training mode, on a
 * batch: per feature the batch mean μ and variance σ² (the mean squared deviation; σ itself is the
 * standard deviation — lecture 000 calls σ the variance), x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β, and the
 * running averages of μ and σ² updated; inference mode uses the running averages instead.
 * Notebook 04 (lectures 000 and 003).
 */
export class BatchNorm {
  readonly gamma: Float64Array;
  readonly beta: Float64Array;
  readonly runningMean: Float64Array;
  readonly runningVar: Float64Array;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(readonly features: number, options: BatchNormOptions = {}) {
    if (!(Number.isInteger(features) && features >= 1)) throw new RangeError(`BatchNorm: features must be a positive integer, got ${features}`);
    this.momentum = options.momentum ?? 0.99;
    this.epsilon = options.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`BatchNorm: momentum must be in [0, 1], got ${this.momentum}`);
    this.gamma = new Float64Array(features).fill(1);
    this.beta = new Float64Array(features);
    this.runningMean = new Float64Array(features);
    this.runningVar = new Float64Array(features).fill(1);
  }

  /** y = γ x̂ + β on a batch (flat rows × features); training mode also returns the cache and updates the running averages. */
  forward(x: ArrayLike<number>, training: boolean): { y: Float64Array; cache: BatchNormCache | null } {
    const F = this.features;
    const rows = rowsOf(x, F, "BatchNorm.forward", "features");
    const y = new Float64Array(x.length);
    if (!training) {
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < F; j++) {
          const k = r * F + j;
          y[k] = (this.gamma[j]! * (x[k]! - this.runningMean[j]!)) / Math.sqrt(this.runningVar[j]! + this.epsilon) + this.beta[j]!;
        }
      }
      return { y, cache: null };
    }
    const mean = new Float64Array(F);
    const variance = new Float64Array(F);
    for (let k = 0; k < x.length; k++) mean[k % F] += x[k]! / rows;
    for (let k = 0; k < x.length; k++) variance[k % F] += (x[k]! - mean[k % F]!) ** 2 / rows;
    const invStd = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + this.epsilon));
    const xhat = new Float64Array(x.length);
    for (let k = 0; k < x.length; k++) {
      const j = k % F;
      xhat[k] = (x[k]! - mean[j]!) * invStd[j]!;
      y[k] = this.gamma[j]! * xhat[k]! + this.beta[j]!;
    }
    for (let j = 0; j < F; j++) {
      this.runningMean[j] = this.momentum * this.runningMean[j]! + (1 - this.momentum) * mean[j]!;
      this.runningVar[j] = this.momentum * this.runningVar[j]! + (1 - this.momentum) * variance[j]!;
    }
    return { y, cache: { rows, xhat, invStd } };
  }

  /**
   * The backward pass from ∂L/∂y: ∂L/∂β = Σᵢ ∂L/∂yᵢ, ∂L/∂γ = Σᵢ ∂L/∂yᵢ x̂ᵢ, and, because μ and σ² depend on
   * every row, ∂L/∂xᵢ = γ/(N√(σ² + ε)) · (N ∂L/∂yᵢ − Σⱼ ∂L/∂yⱼ − x̂ᵢ Σⱼ ∂L/∂yⱼ x̂ⱼ) per feature.
   */
  backward(dy: ArrayLike<number>, cache: BatchNormCache): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
    const F = this.features;
    const { rows, xhat, invStd } = cache;
    if (dy.length !== rows * F) throw new RangeError(`BatchNorm.backward: ${dy.length} gradients for ${rows}×${F} outputs`);
    const dgamma = new Float64Array(F);
    const dbeta = new Float64Array(F);
    for (let k = 0; k < dy.length; k++) {
      dbeta[k % F] += dy[k]!;
      dgamma[k % F] += dy[k]! * xhat[k]!;
    }
    const dx = new Float64Array(dy.length);
    for (let k = 0; k < dy.length; k++) {
      const j = k % F;
      dx[k] = ((this.gamma[j]! * invStd[j]!) / rows) * (rows * dy[k]! - dbeta[j]! - xhat[k]! * dgamma[j]!);
    }
    return { dx, dgamma, dbeta };
  }
}

// ---------------------------------------------------------------------------------------------
// Least squares, features, bias and variance, double descent

/**
 * The Cholesky factor of a symmetric positive-definite G (n×n, row-major), in place: afterwards G's lower
 * triangle (diagonal included) holds L with G = L Lᵀ (the upper triangle is left as it was). Throws a
 * RangeError naming `what` when G is not numerically positive definite. Notebook 04 (least squares,
 * the Gaussian process of Bayesian optimisation).
 */
export function cholesky(G: Float64Array, n: number, what = "cholesky"): Float64Array {
  if (G.length !== n * n) throw new RangeError(`${what}: the matrix has ${G.length} entries, not ${n}×${n}`);
  for (let j = 0; j < n; j++) {
    let d = G[j * n + j]!;
    for (let s = 0; s < j; s++) d -= G[j * n + s]! ** 2;
    if (!(d > 0)) throw new RangeError(`${what}: the matrix is not positive definite`);
    const root = Math.sqrt(d);
    G[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let v = G[i * n + j]!;
      for (let s = 0; s < j; s++) v -= G[i * n + s]! * G[j * n + s]!;
      G[i * n + j] = v / root;
    }
  }
  return G;
}

/** Solves G X = B in place for symmetric positive-definite G (n×n) and B (n×k), by Cholesky; returns X (in B's array). */
function choleskySolve(G: Float64Array, n: number, B: Float64Array, k: number): Float64Array {
  cholesky(G, n, "leastSquares: the Gram matrix (pass a ridge > 0)");
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let v = B[i * k + c]!;
      for (let s = 0; s < i; s++) v -= G[i * n + s]! * B[s * k + c]!;
      B[i * k + c] = v / G[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let v = B[i * k + c]!;
      for (let s = i + 1; s < n; s++) v -= G[s * n + i]! * B[s * k + c]!;
      B[i * k + c] = v / G[i * n + i]!;
    }
  }
  return B;
}

/**
 * Least squares w = argmin ‖A w − Y‖² + ridge·‖w‖² for A (rows × cols, flat) and Y (rows × yCols); with
 * ridge = 0 the minimum-norm solution: (AᵀA)⁻¹AᵀY when cols ≤ rows, Aᵀ(AAᵀ)⁻¹Y when cols > rows (the
 * interpolating w of smallest norm; a relative jitter from 1e-12 up keeps the Gram matrix invertible).
 * Returns w, cols × yCols. Notebook 04 (lecture 003: double descent; lecture 000: ℓ2).
 */
export function leastSquares(A: ArrayLike<number>, rows: number, cols: number, Y: ArrayLike<number>, yCols = 1, options: { ridge?: number } = {}): Float64Array {
  if (A.length !== rows * cols) throw new RangeError(`leastSquares: A has ${A.length} values, not ${rows}×${cols}`);
  if (Y.length !== rows * yCols) throw new RangeError(`leastSquares: Y has ${Y.length} values, not ${rows}×${yCols}`);
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0)) throw new RangeError(`leastSquares: ridge must be ≥ 0, got ${ridge}`);
  const primal = cols <= rows;
  const n = primal ? cols : rows;
  const G = new Float64Array(n * n);
  if (primal) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let i = 0; i < cols; i++) {
        const a = A[o + i]!;
        if (a === 0) continue;
        for (let j = 0; j <= i; j++) G[i * n + j] += a * A[o + j]!;
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += A[i * cols + c]! * A[j * cols + c]!;
        G[i * n + j] = s;
      }
    }
  }
  let trace = 0;
  for (let i = 0; i < n; i++) {
    trace += G[i * n + i]!;
    for (let j = 0; j < i; j++) G[j * n + i] = G[i * n + j]!;
  }
  // Solve with the ridge; with ridge 0, with a jitter of 1e-12·trace/n, raised ×100 while the Gram matrix
  // is numerically singular (features that vanish on every row, or duplicates): the pseudo-inverse's limit.
  const solve = (B: Float64Array): Float64Array => {
    for (let jitter = 1e-12; ; jitter *= 100) {
      const added = ridge > 0 ? ridge : (jitter * trace) / n || jitter;
      const H = Float64Array.from(G);
      for (let i = 0; i < n; i++) H[i * n + i] += added;
      try {
        return choleskySolve(H, n, Float64Array.from(B), yCols);
      } catch (error) {
        if (ridge > 0 || jitter > 1e-4) throw error;
      }
    }
  };
  if (primal) {
    const B = new Float64Array(cols * yCols); // AᵀY
    for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) for (let c = 0; c < yCols; c++) B[i * yCols + c] += A[r * cols + i]! * Y[r * yCols + c]!;
    return solve(B);
  }
  const alpha = solve(Float64Array.from(Y)); // (AAᵀ)⁻¹Y
  const w = new Float64Array(cols * yCols);
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) for (let c = 0; c < yCols; c++) w[i * yCols + c] += A[r * cols + i]! * alpha[r * yCols + c]!;
  return w;
}

/** A w for A (rows × cols) and w (cols × yCols): the predictions of a linear model on features. Notebook 04. */
export function matVec(A: ArrayLike<number>, rows: number, cols: number, w: ArrayLike<number>, yCols = 1): Float64Array {
  if (w.length !== cols * yCols) throw new RangeError(`matVec: w has ${w.length} values, not ${cols}×${yCols}`);
  const out = new Float64Array(rows * yCols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const a = A[r * cols + i]!;
      if (a === 0) continue;
      for (let c = 0; c < yCols; c++) out[r * yCols + c] += a * w[i * yCols + c]!;
    }
  }
  return out;
}

/**
 * Polynomial features of 1-D inputs: Legendre polynomials P₀ … P_degree of x mapped from [lo, hi] to
 * [−1, 1] (the same span as 1, x, …, x^degree, but well conditioned), n × (degree + 1). Notebook 04
 * (lecture 003, capacity, bias and variance).
 */
export function polynomialFeatures(x: ArrayLike<number>, degree: number, lo = -1, hi = 1): Float64Array {
  if (!(Number.isInteger(degree) && degree >= 0)) throw new RangeError(`polynomialFeatures: degree must be an integer ≥ 0, got ${degree}`);
  const d = degree + 1;
  const out = new Float64Array(x.length * d);
  for (let i = 0; i < x.length; i++) {
    const t = (2 * (x[i]! - lo)) / (hi - lo) - 1;
    let p0 = 1;
    let p1 = t;
    out[i * d] = 1;
    if (degree >= 1) out[i * d + 1] = t;
    for (let k = 2; k <= degree; k++) {
      const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
      out[i * d + k] = p2;
      p0 = p1;
      p1 = p2;
    }
  }
  return out;
}

/**
 * Random ReLU features φⱼ(x) = max(0, wⱼ·x + bⱼ) with wⱼ ~ N(0, scale²/inputs) and bⱼ ~ N(0, biasScale²):
 * a two-layer network whose first layer is random and fixed, so fitting the second is least squares.
 * Notebook 04 (lecture 003, double descent after Belkin et al. 2019).
 */
export class RandomReluFeatures {
  /** features × inputs, row-major. */
  readonly W: Float64Array;
  readonly b: Float64Array;

  constructor(readonly inputs: number, readonly features: number, options: { scale?: number; biasScale?: number; random?: Random } = {}) {
    const { scale = 1, biasScale = 1, random = rng() } = options;
    if (!(Number.isInteger(features) && features >= 1)) throw new RangeError(`RandomReluFeatures: features must be a positive integer, got ${features}`);
    const s = scale / Math.sqrt(inputs);
    this.W = Float64Array.from({ length: features * inputs }, () => random.normal(0, s));
    this.b = Float64Array.from({ length: features }, () => random.normal(0, biasScale));
  }

  /** Φ (rows × features) of a flat batch X (rows × inputs). */
  transform(X: ArrayLike<number>): Float64Array {
    const { inputs, features, W, b } = this;
    const rows = rowsOf(X, inputs, "RandomReluFeatures.transform", "inputs");
    const out = new Float64Array(rows * features);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < features; j++) {
        let z = b[j]!;
        for (let i = 0; i < inputs; i++) z += W[j * inputs + i]! * X[r * inputs + i]!;
        out[r * features + j] = z > 0 ? z : 0;
      }
    }
    return out;
  }
}

/**
 * The bias–variance decomposition of the squared error at fixed test points, from the predictions of
 * models trained on independent training sets (one row per set): bias² = mean over points of
 * (E[f̂(x)] − f(x))², variance = mean over points of E[(f̂(x) − E f̂(x))²]; the expected test error is
 * bias² + variance + the noise variance. Notebook 04 (lecture 003, bias and variance).
 */
export function biasVariance(predictions: readonly ArrayLike<number>[], truth: ArrayLike<number>): { bias2: number; variance: number } {
  const T = predictions.length;
  if (T < 2) throw new RangeError("biasVariance: give the predictions of at least two training sets");
  const P = truth.length;
  let bias2 = 0;
  let variance = 0;
  for (let j = 0; j < P; j++) {
    let mean = 0;
    for (const p of predictions) mean += p[j]! / T;
    let v = 0;
    for (const p of predictions) v += (p[j]! - mean) ** 2 / T;
    bias2 += (mean - truth[j]!) ** 2 / P;
    variance += v / P;
  }
  return { bias2, variance };
}

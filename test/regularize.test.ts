/**
 * The from-scratch regularisers (lib/src/scratch/regularize.ts) against finite differences, closed forms
 * and TensorFlow.js (regularizers, dropout and batch-normalisation layers, autodiff).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Random, seed } from "../lib/src/core/random";
import { lossAndGradients, lossOf, parameters, flattenGrads, forward } from "../lib/src/scratch/backprop";
import { gradientCheck } from "../lib/src/scratch/gradcheck";
import { MLP } from "../lib/src/scratch/mlp";
import { Adam, SGD } from "../lib/src/scratch/optim";
import {
  AdamW, BatchNorm, EarlyStopper, RandomReluFeatures, addPenaltyGrad, biasVariance, countZeros, decayStep, dropout, dropoutMask,
  ensembleAverage, forwardDropout, leastSquares, lossAndGradientsDropout, matVec, penalty, penaltyGrad, polynomialFeatures, softThreshold, trainRegularized, weightMask,
} from "../lib/src/scratch/regularize";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { batchNormGradTf, batchNormTf, dropoutTf, mlp } from "../lib/src/tfjs/regularizeTf";

beforeAll(async () => {
  await initBackend("cpu");
});

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

describe("weight penalties", () => {
  const theta = [Float64Array.from([0.5, -1.5, 0, 2]), Float64Array.from([-0.25, 3])];

  it("value and gradient match finite differences and tf.regularizers.l1l2", () => {
    const p = { l1: 0.03, l2: 0.2 };
    expect(penalty(theta, p)).toBeCloseTo(0.03 * (0.5 + 1.5 + 2 + 0.25 + 3) + 0.2 * (0.25 + 2.25 + 4 + 0.0625 + 9), 12);
    const smooth = [Float64Array.from([0.5, -1.5, 0.7, 2]), Float64Array.from([-0.25, 3])]; // no entry at the kink
    const check = gradientCheck(() => penalty(smooth, p), smooth, penaltyGrad(smooth, p));
    expect(check.maxRelativeError).toBeLessThan(1e-7);
    const tfValue = tf.tidy(() => theta.reduce((s, v) => s + (tf.regularizers.l1l2(p).apply(tf.tensor1d(Float32Array.from(v))) as tf.Scalar).dataSync()[0]!, 0));
    expect(tfValue).toBeCloseTo(penalty(theta, p), 4);
    const tfGrad = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.regularizers.l1l2(p).apply(x) as tf.Scalar)(tf.tensor1d(Float32Array.from(smooth[0]!))).dataSync()));
    expect(maxAbs(tfGrad, penaltyGrad(smooth, p)[0]!)).toBeLessThan(1e-6);
    const g = theta.map((v) => new Float64Array(v.length).fill(1));
    addPenaltyGrad(g, theta, p);
    expect(maxAbs(g[1]!, penaltyGrad(theta, p)[1]!.map((v) => v + 1))).toBe(0);
  });

  it("the decay update θ ← (1 − 2αλ)θ − α∇L equals gradient descent on L + λΣθ²", () => {
    seed(3);
    const net = MLP.random([3, 5, 2], ["tanh", "softmax"]);
    const twin = MLP.random([3, 5, 2], ["tanh", "softmax"]);
    parameters(twin).forEach((p, k) => p.set(parameters(net)[k]!));
    const X = Float64Array.from({ length: 24 }, (_, i) => Math.sin(i));
    const y = Float64Array.from({ length: 8 }, (_, i) => i % 2);
    const [lr, lambda] = [0.1, 0.05];
    for (let s = 0; s < 5; s++) {
      const g1 = flattenGrads(lossAndGradients(net, X, y, "crossEntropy").grads);
      decayStep(parameters(net), g1, lr, lambda);
      const g2 = flattenGrads(lossAndGradients(twin, X, y, "crossEntropy").grads);
      addPenaltyGrad(g2, parameters(twin), { l2: lambda });
      new SGD(lr).step(parameters(twin), g2);
    }
    parameters(net).forEach((p, k) => expect(maxAbs(p, parameters(twin)[k]!)).toBeLessThan(1e-14));
  });

  it("soft thresholding makes exact zeros and shrinks the rest by t", () => {
    const v = [Float64Array.from([0.05, -0.3, 0.1, -0.02])];
    softThreshold(v, 0.1);
    expect(Array.from(v[0]!)).toEqual([0, -0.19999999999999998, 0, 0]);
    expect(countZeros(v)).toEqual({ zeros: 3, total: 4 });
  });

  it("AdamW: λ = 0 is Adam; decoupled decay is the decay update with Adam's step; coupled is Adam on ∇L + 2λθ", () => {
    const grads = (p: Float64Array) => [Float64Array.from(p, (v, i) => Math.cos(v + i))];
    const start = Float64Array.from([1, -2, 0.5]);
    const [a, b] = [Float64Array.from(start), Float64Array.from(start)];
    const adam = new Adam(0.01);
    const adamw0 = new AdamW(0.01, { weightDecay: 0 });
    for (let s = 0; s < 10; s++) {
      adam.step([a], grads(a));
      adamw0.step([b], grads(b));
    }
    expect(maxAbs(a, b)).toBeLessThan(1e-15);
    // coupled: Adam on the penalised gradient
    const [c, d] = [Float64Array.from(start), Float64Array.from(start)];
    const lambda = 0.3;
    const adam2 = new Adam(0.01);
    const coupled = new AdamW(0.01, { weightDecay: lambda, decoupled: false });
    for (let s = 0; s < 10; s++) {
      const g = grads(c);
      addPenaltyGrad(g, [c], { l2: lambda });
      adam2.step([c], g);
      coupled.step([d], grads(d));
    }
    expect(maxAbs(c, d)).toBeLessThan(1e-15);
    // decoupled: one step by hand
    const e = Float64Array.from(start);
    const w = new AdamW(0.01, { weightDecay: lambda, epsilon: 1e-7 });
    const g0 = grads(e)[0]!;
    w.step([e], [g0]);
    const expected = Float64Array.from(start, (v, i) => (1 - 2 * 0.01 * lambda) * v - (0.01 * g0[i]!) / (Math.abs(g0[i]!) + 1e-7));
    expect(maxAbs(e, expected)).toBeLessThan(1e-12);
    expect(Array.from(w.effectiveDecay(0))).toEqual([0.6, 0.6, 0.6]);
    const big = coupled.effectiveDecay(0);
    expect(big[0]).toBeLessThan(2 * lambda); // divided by √v̂
  });
});

describe("dropout", () => {
  it("inverted mask: 0 with probability p, else 1/(1 − p); mean 1; nothing at inference", () => {
    const m = dropoutMask(100_000, 0.3, new Random(1));
    const zeros = m.filter((v) => v === 0).length / m.length;
    expect(Math.abs(zeros - 0.3)).toBeLessThan(0.006);
    expect(new Set(m)).toEqual(new Set([0, 1 / 0.7]));
    expect(Math.abs(m.reduce((s, v) => s + v, 0) / m.length - 1)).toBeLessThan(0.01);
    const x = Float64Array.from([1, 2, 3]);
    expect(dropout(x, 0.5, { training: false })).toEqual({ y: x, mask: null });
  });

  it("agrees in expectation with tf.layers.dropout (rate = drop probability)", () => {
    const ones = new Float32Array(100_000).fill(1);
    const out = dropoutTf(ones, 0.3, 7);
    const zeros = out.filter((v) => v === 0).length / out.length;
    expect(Math.abs(zeros - 0.3)).toBeLessThan(0.006);
    const kept = out.find((v) => v !== 0)!;
    expect(kept).toBeCloseTo(1 / 0.7, 5);
    const mine = dropoutMask(100_000, 0.3, new Random(2));
    expect(Math.abs(out.reduce((s, v) => s + v, 0) / out.length - mine.reduce((s, v) => s + v, 0) / mine.length)).toBeLessThan(0.02);
  });

  it("backprop through fixed masks matches finite differences; p = 0 is plain backprop", () => {
    seed(5);
    const net = MLP.random([4, 6, 5, 3], ["tanh", "sigmoid", "softmax"]);
    const X = Float64Array.from({ length: 20 }, (_, i) => Math.cos(1.7 * i));
    const y = Float64Array.from([0, 1, 2, 1, 0]);
    const lossWithMasks = () => lossAndGradientsDropout(net, X, y, "crossEntropy", 0.4, new Random(9)).loss;
    const { grads } = lossAndGradientsDropout(net, X, y, "crossEntropy", 0.4, new Random(9));
    const check = gradientCheck(lossWithMasks, parameters(net), flattenGrads(grads));
    expect(check.maxRelativeError).toBeLessThan(1e-6);
    const plain = lossAndGradients(net, X, y, "crossEntropy");
    const p0 = lossAndGradientsDropout(net, X, y, "crossEntropy", 0);
    expect(p0.loss).toBe(plain.loss);
    flattenGrads(p0.grads).forEach((g, k) => expect(maxAbs(g, flattenGrads(plain.grads)[k]!)).toBe(0));
  });

  it("for a linear network the mask average converges to the deterministic network", () => {
    seed(6);
    const net = MLP.random([3, 8, 2], ["linear", "linear"]);
    const X = Float64Array.from([0.5, -1, 2, 1, 1, -0.5]);
    const det = forward(net, X).at(-1)!.a;
    const avg = ensembleAverage(net, X, 0.5, 20_000, new Random(3));
    expect(maxAbs(avg, det)).toBeLessThan(0.05 * Math.max(...Array.from(det, Math.abs)));
  });

  it("is the mean of forwardDropout passes with the same draws (the first layer computed once)", () => {
    seed(8);
    const net = MLP.random([5, 7, 6, 3], ["relu", "tanh", "softmax"]);
    const X = Float64Array.from({ length: 4 * 5 }, (_, i) => Math.sin(1.3 * i));
    const r = new Random(11);
    const mean = new Float64Array(4 * 3);
    for (let s = 0; s < 9; s++) forwardDropout(net, X, 0.4, { random: r }).caches.at(-1)!.a.forEach((v, i) => (mean[i] += v / 9));
    expect(maxAbs(ensembleAverage(net, X, 0.4, 9, new Random(11)), mean)).toBeLessThan(1e-15);
    const single = MLP.random([5, 3], "softmax");
    expect(maxAbs(ensembleAverage(single, X, 0.4, 3), forward(single, X).at(-1)!.a)).toBe(0);
  });
});

describe("early stopping", () => {
  it("stops after `patience` epochs without improvement and keeps the best snapshot", () => {
    const losses = [1.0, 0.8, 0.7, 0.72, 0.69, 0.71, 0.75, 0.8, 0.9];
    const stopper = new EarlyStopper<number>({ patience: 3 });
    let stoppedAt = -1;
    losses.forEach((l, e) => {
      if (stoppedAt < 0 && stopper.update(l, () => e + 1)) stoppedAt = e + 1;
    });
    expect(stopper.best).toEqual({ epoch: 5, value: 0.69, weights: 5 });
    expect(stoppedAt).toBe(8);
    const strict = new EarlyStopper<number>({ patience: 2, minDelta: 0.05 });
    [1.0, 0.97, 0.96, 0.5].forEach((l) => strict.update(l, () => 0));
    expect(strict.best!.epoch).toBe(1);
    expect(strict.stopped).toBe(true);
  });

  it("trainRegularized restores the best weights and records the penalty", () => {
    seed(11);
    const r = new Random(4);
    const X = Float64Array.from({ length: 60 * 5 }, () => r.normal());
    const y = Float64Array.from({ length: 60 }, () => r.int(2)); // pure noise: validation loss rises soon
    const Xv = Float64Array.from({ length: 40 * 5 }, () => r.normal());
    const yv = Float64Array.from({ length: 40 }, () => r.int(2));
    const net = MLP.random([5, 32, 2], ["relu", "softmax"]);
    const res = trainRegularized(net, X, y, {
      optimizer: new Adam(0.02), loss: "crossEntropy", batchSize: 16, epochs: 200, penalty: { l2: 1e-4 }, dropout: 0.2,
      validation: { X: Xv, targets: yv }, earlyStopping: { patience: 5 }, random: new Random(1),
    });
    expect(res.best!.stoppedEarly).toBe(true);
    expect(res.epochs).toBe(res.best!.epoch + 5);
    const val = lossOf(forward(net, Xv).at(-1)!.a, yv, "crossEntropy", 2);
    expect(val).toBeCloseTo(res.best!.value, 10);
    expect(res.history["penalty"]!.length).toBe(res.epochs);
  });

  it("ℓ1 by its proximal step gives exact zeros, by its subgradient almost none", () => {
    const r = new Random(8);
    const X = Float64Array.from({ length: 100 * 20 }, () => r.normal());
    const y = Float64Array.from({ length: 100 }, (_, i) => (X[i * 20]! + X[i * 20 + 1]! > 0 ? 1 : 0)); // 2 of 20 inputs matter
    const zeros = (mode: "proximal" | "subgradient") => {
      seed(2);
      const net = MLP.random([20, 2], ["softmax"]);
      trainRegularized(net, X, y, { optimizer: new SGD(0.1), loss: "crossEntropy", batchSize: 20, epochs: 40, penalty: { l1: 0.05 }, l1Mode: mode, random: new Random(1) });
      return countZeros([net.layers[0]!.W]).zeros;
    };
    expect(zeros("proximal")).toBeGreaterThan(20);
    expect(zeros("subgradient")).toBeLessThan(4);
  });
});

describe("batch normalisation", () => {
  const rows = 6;
  const F = 3;
  const r = new Random(12);
  const x = Float64Array.from({ length: rows * F }, () => r.normal(2, 3));
  const dy = Float64Array.from({ length: rows * F }, () => r.normal());

  it("training forward: zero mean, unit variance before γ, β; matches tf.layers.batchNormalization, also its moving statistics", () => {
    const bn = new BatchNorm(F);
    bn.gamma.set([1.5, 0.5, -1]);
    bn.beta.set([0.1, -0.2, 0.3]);
    const state = { gamma: Array.from(bn.gamma), beta: Array.from(bn.beta), movingMean: [0, 0, 0], movingVariance: [1, 1, 1] };
    const { y } = bn.forward(x, true);
    const ref = batchNormTf(x, rows, F, state, { training: true });
    expect(maxAbs(y, ref.y)).toBeLessThan(1e-4);
    expect(maxAbs(bn.runningMean, ref.movingMean)).toBeLessThan(1e-5);
    expect(maxAbs(bn.runningVar, ref.movingVariance)).toBeLessThan(1e-5);
    const plain = new BatchNorm(F, { epsilon: 0 }).forward(x, true).y;
    for (let j = 0; j < F; j++) {
      const col = Array.from({ length: rows }, (_, i) => plain[i * F + j]!);
      expect(Math.abs(col.reduce((s, v) => s + v, 0) / rows)).toBeLessThan(1e-12);
      expect(col.reduce((s, v) => s + v * v, 0) / rows).toBeCloseTo(1, 10);
    }
    const inf = bn.forward(x, false).y;
    const refInf = batchNormTf(x, rows, F, { ...state, movingMean: Array.from(bn.runningMean), movingVariance: Array.from(bn.runningVar) }, { training: false });
    expect(maxAbs(inf, refInf.y)).toBeLessThan(1e-4);
  });

  it("backward matches finite differences and TensorFlow.js autodiff", () => {
    const bn = new BatchNorm(F, { momentum: 1 });
    bn.gamma.set([1.5, 0.5, -1]);
    bn.beta.set([0.1, -0.2, 0.3]);
    const { cache } = bn.forward(x, true);
    const g = bn.backward(dy, cache!);
    const xs = Float64Array.from(x);
    const obj = () => bn.forward(xs, true).y.reduce((s, v, i) => s + v * dy[i]!, 0);
    const check = gradientCheck(obj, [xs, bn.gamma, bn.beta], [g.dx, g.dgamma, g.dbeta]);
    expect(check.maxRelativeError).toBeLessThan(1e-6);
    const ref = batchNormGradTf(x, rows, F, bn.gamma, bn.beta, dy);
    expect(maxAbs(g.dx, ref.dx)).toBeLessThan(1e-4);
    expect(maxAbs(g.dgamma, ref.dgamma)).toBeLessThan(1e-4);
    expect(maxAbs(g.dbeta, ref.dbeta)).toBeLessThan(1e-5);
  });
});

describe("least squares, features, bias and variance", () => {
  it("solves a square system exactly and returns the minimum-norm interpolant when underdetermined", () => {
    const A = [2, 1, 1, 3];
    const w = leastSquares(A, 2, 2, [3, 5]);
    expect(maxAbs(w, [0.8, 1.4])).toBeLessThan(1e-10);
    // one equation x + y = 2: the minimum-norm solution is (1, 1)
    expect(maxAbs(leastSquares([1, 1], 1, 2, [2]), [1, 1])).toBeLessThan(1e-10);
    // overdetermined: the normal equations
    const B = [1, 0, 1, 1, 1, 2];
    expect(maxAbs(leastSquares(B, 3, 2, [1, 2, 2]), [7 / 6, 1 / 2])).toBeLessThan(1e-10);
    // ridge: the push-through identity makes both forms agree
    const r = new Random(1);
    const C = Float64Array.from({ length: 5 * 8 }, () => r.normal());
    const y = Float64Array.from({ length: 5 }, () => r.normal());
    const wide = leastSquares(C, 5, 8, y, 1, { ridge: 0.5 });
    const CtC = new Float64Array(64);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) for (let k = 0; k < 5; k++) CtC[i * 8 + j] += C[k * 8 + i]! * C[k * 8 + j]!;
    const grad = matVec(CtC, 8, 8, wide).map((v, i) => v + 0.5 * wide[i]!);
    const Cty = new Float64Array(8);
    for (let i = 0; i < 8; i++) for (let k = 0; k < 5; k++) Cty[i] += C[k * 8 + i]! * y[k]!;
    expect(maxAbs(grad, Cty)).toBeLessThan(1e-9); // (CᵀC + λI) w = Cᵀy
  });

  it("Legendre features span the monomials; random ReLU features are max(0, Wx + b)", () => {
    const P = polynomialFeatures([0.5], 3);
    expect(maxAbs(P, [1, 0.5, (3 * 0.25 - 1) / 2, (5 * 0.125 - 3 * 0.5) / 2])).toBeLessThan(1e-15);
    const phi = new RandomReluFeatures(2, 4, { random: new Random(3) });
    const out = phi.transform([1, -2]);
    for (let j = 0; j < 4; j++) expect(out[j]).toBeCloseTo(Math.max(0, phi.W[2 * j]! - 2 * phi.W[2 * j + 1]! + phi.b[j]!), 12);
  });

  it("bias² and variance of known predictions", () => {
    const bv = biasVariance([[1, 2], [3, 2]], [1, 1]);
    expect(bv.bias2).toBeCloseTo((1 + 1) / 2, 12);
    expect(bv.variance).toBeCloseTo((1 + 0) / 2, 12);
  });
});

describe("regularizeTf.mlp", () => {
  it("counts parameters and puts the regularizers' penalty into the loss", () => {
    seed(1);
    const m = mlp({ inputs: 10, hidden: [8, 6], classes: 3, l2: 0.1 });
    expect(m.countParams()).toBe(10 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3);
    expect(m.losses.length).toBe(0); // penalties are attached to layers, collected when compiled
    const bn = mlp({ inputs: 10, hidden: [8], classes: 3, batchNorm: true, dropout: 0.5, inputNoise: 0.1 });
    expect(bn.layers.map((l) => l.getClassName())).toEqual(["GaussianNoise", "Dense", "BatchNormalization", "Activation", "Dropout", "Dense"]);
    m.dispose();
    bn.dispose();
    expect(weightMask(MLP.random([2, 3, 2], "relu"))).toEqual([true, false, true, false]);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import type { ActivationName } from "../lib/src/scratch/activations";
import {
  type LossName, denseBackward, denseForward, evaluate, flattenGrads, lossAndGradients, lossOf, forward, parameters, trainMLP,
} from "../lib/src/scratch/backprop";
import { gradientCheck, worstRelativeError, numericalGradient, relativeError } from "../lib/src/scratch/gradcheck";
import { SGD } from "../lib/src/scratch/optim";
import { Dense, MLP } from "../lib/src/scratch/mlp";
import { toTfModel } from "../lib/src/tfjs/bridge";
import { Random } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("cpu");
});

const N = 6;
const D = 4;
function batch(r: Random, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => r.normal());
}

/** A one-hidden-layer network (the lecture's ŷ = σ(W₂ σ(W₁x + b₁) + b₂)) or deeper, with its task. */
function setup(hidden: ActivationName[], loss: LossName, outputs: number) {
  const r = new Random(11);
  const out: ActivationName = loss === "crossEntropy" ? "softmax" : loss === "bce" ? "sigmoid" : "linear";
  const sizes = [D, ...hidden.map(() => 5), outputs];
  const net = MLP.random(sizes, [...hidden, out], r);
  // non-zero biases so their gradients are exercised
  for (const l of net.layers) for (let i = 0; i < l.b.length; i++) l.b[i] = r.normal(0, 0.3);
  const X = batch(r, N, D);
  const targets =
    loss === "crossEntropy" ? Float64Array.from({ length: N }, () => r.int(outputs))
    : loss === "bce" ? Float64Array.from({ length: N * outputs }, () => r.int(2))
    : batch(r, N, outputs);
  return { net, X, targets };
}

const cases: [string, ActivationName[], LossName, number][] = [
  ["sigmoid hidden, MSE (lecture 001's example)", ["sigmoid"], "mse", 1],
  ["tanh hidden, BCE", ["tanh"], "bce", 2],
  ["ReLU hidden, softmax + cross-entropy", ["relu"], "crossEntropy", 3],
  ["two hidden layers sigmoid/tanh, cross-entropy", ["sigmoid", "tanh"], "crossEntropy", 3],
];

describe("hand-written backprop", () => {
  for (const [title, hidden, loss, outputs] of cases) {
    it(`${title}: matches centred finite differences (CS231n relative error < 1e-6)`, () => {
      const { net, X, targets } = setup(hidden, loss, outputs);
      const { grads } = lossAndGradients(net, X, targets, loss);
      const f = () => lossOf(forward(net, X).at(-1)!.a, targets, loss, outputs);
      const check = gradientCheck(f, parameters(net), flattenGrads(grads));
      expect(check.entries).toBe(net.paramCount);
      expect(check.maxRelativeError).toBeLessThan(1e-6);
    });

    it(`${title}: matches tf.variableGrads on the same weights (float32, 1e-4 relative)`, () => {
      const { net, X, targets } = setup(hidden, loss, outputs);
      const { loss: ours, grads } = lossAndGradients(net, X, targets, loss);
      const model = toTfModel(net);
      const { value, grads: tfGrads } = tf.tidy(() => {
        const x = tf.tensor2d(Float32Array.from(X), [N, D]);
        const f = () => {
          const yhat = model.apply(x) as tf.Tensor2D;
          if (loss === "mse") return tf.losses.meanSquaredError(tf.tensor2d(Float32Array.from(targets), [N, outputs]), yhat, undefined, tf.Reduction.MEAN);
          if (loss === "bce") return tf.metrics.binaryCrossentropy(tf.tensor2d(Float32Array.from(targets), [N, outputs]), yhat).mean();
          const logp = tf.log(yhat);
          return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(Int32Array.from(targets), "int32"), outputs), logp), 1)));
        };
        const { value, grads } = tf.variableGrads(f as () => tf.Scalar, model.trainableWeights.map((w) => w.read() as tf.Variable));
        return { value: value.dataSync()[0]!, grads: model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]!.dataSync()) };
      });
      expect(relativeError(ours, value)).toBeLessThan(1e-5);
      net.layers.forEach((layer, l) => {
        const kernel = tfGrads[2 * l]!; // inputs×units: the transpose of our units×inputs
        const bias = tfGrads[2 * l + 1]!;
        let worst = 0;
        for (let i = 0; i < layer.units; i++) {
          for (let j = 0; j < layer.inputs; j++) worst = Math.max(worst, Math.abs(grads[l]!.dW[i * layer.inputs + j]! - kernel[j * layer.units + i]!));
          worst = Math.max(worst, Math.abs(grads[l]!.db[i]! - bias[i]!));
        }
        const scale = Math.max(...Array.from(grads[l]!.dW, Math.abs));
        expect(worst / scale).toBeLessThan(1e-4);
      });
      model.dispose();
    });
  }

  it("one dense layer's backward pass by hand: dW = δzᵀx, db = Σδz, dx = δz W", () => {
    const layer = Dense.fromRows([[1, -2], [-1, 1]], [1, 0], "sigmoid");
    const cache = denseForward(layer, [1, -1]);
    expect(Array.from(cache.a).map((v) => +v.toFixed(2))).toEqual([0.98, 0.12]); // lecture 000's toy network
    const { dW, db, dX } = denseBackward(layer, cache, [0.5, -1]);
    expect(Array.from(dW)).toEqual([0.5, -0.5, -1, 1]);
    expect(Array.from(db)).toEqual([0.5, -1]);
    expect(Array.from(dX!)).toEqual([0.5 * 1 + -1 * -1, 0.5 * -2 + -1 * 1]);
  });

  it("numericalGradient restores the parameters it perturbs", () => {
    const p = [Float64Array.from([1, 2, 3])];
    const g = numericalGradient(() => p[0]![0]! * p[0]![1]! + p[0]![2]! ** 2, p);
    expect(Array.from(p[0]!)).toEqual([1, 2, 3]);
    expect(g[0]![0]).toBeCloseTo(2, 8);
    expect(g[0]![2]).toBeCloseTo(6, 8);
  });

  it("gradientCheck finds a wrong gradient", () => {
    const { net, X, targets } = setup(["sigmoid"], "mse", 1);
    const grads = flattenGrads(lossAndGradients(net, X, targets, "mse").grads);
    grads[0]![3]! *= 1.1;
    const f = () => lossOf(forward(net, X).at(-1)!.a, targets, "mse", 1);
    const check = gradientCheck(f, parameters(net), grads);
    expect(check.maxRelativeError).toBeGreaterThan(0.05);
    expect(check.worst).toMatchObject({ param: 0, index: 3 });
  });

  it("worstRelativeError is the worst entry's relative error over lists of vectors", () => {
    expect(worstRelativeError([[1, 2], [0]], [[1, 2], [0]])).toBe(0);
    expect(worstRelativeError([[1, 2], [3]], [[1, 2.2], [3]])).toBeCloseTo(0.2 / 2.2, 12);
    expect(worstRelativeError([Float64Array.from([-1])], [[1]])).toBe(2);
    expect(() => worstRelativeError([[1]], [[1, 2]])).toThrow(/same lengths/);
  });

  it("refuses a loss that does not fit the output layer", () => {
    const { net, X, targets } = setup(["sigmoid"], "mse", 1);
    expect(() => lossAndGradients(net, X, targets, "crossEntropy")).toThrow(/softmax output/);
  });

  it("trainMLP with m = N and no shuffling is plain gradient descent, step for step", () => {
    const a = setup(["tanh"], "crossEntropy", 3);
    const b = setup(["tanh"], "crossEntropy", 3);
    const run = trainMLP(a.net, a.X, a.targets, { optimizer: new SGD(0.5), loss: "crossEntropy", batchSize: N, epochs: 3, shuffle: false });
    const opt = new SGD(0.5);
    const losses: number[] = [];
    for (let k = 0; k < 3; k++) {
      const { loss, grads } = lossAndGradients(b.net, b.X, b.targets, "crossEntropy");
      losses.push(loss);
      opt.step(parameters(b.net), flattenGrads(grads));
    }
    expect(run.batchLoss).toEqual(losses);
    expect(run.history["loss"]).toEqual(losses);
    expect(run.updates).toBe(3);
    expect(Array.from(a.net.layers[0]!.W)).toEqual(Array.from(b.net.layers[0]!.W));
  });

  it("trainMLP with mini-batches reshuffles each epoch, learns, and reports validation loss and accuracy", () => {
    const r = new Random(3);
    const X = Float64Array.from({ length: 200 * 2 }, () => r.normal());
    const y = Float64Array.from({ length: 200 }, (_, i) => (X[2 * i]! * X[2 * i + 1]! > 0 ? 1 : 0)); // XOR of the signs
    const net = MLP.random([2, 16, 2], ["tanh", "softmax"], new Random(4));
    const run = trainMLP(net, X, y, { optimizer: new SGD(0.3), loss: "crossEntropy", batchSize: 10, epochs: 60, random: new Random(5), validation: { X, targets: y } });
    expect(run.updates).toBe(60 * 20);
    expect(run.history["val_acc"]).toHaveLength(60);
    expect(run.history["val_acc"]!.at(-1)!).toBeGreaterThan(0.9);
    expect(run.history["val_loss"]!.at(-1)!).toBeCloseTo(evaluate(net, X, y, "crossEntropy").loss, 12);
    // A second run with another shuffling seed sees different mini-batches.
    const again = trainMLP(MLP.random([2, 16, 2], ["tanh", "softmax"], new Random(4)), X, y, { optimizer: new SGD(0.3), loss: "crossEntropy", batchSize: 10, epochs: 1, random: new Random(6) });
    expect(again.batchLoss[0]).not.toBe(run.batchLoss[0]);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { relativeError } from "../lib/src/scratch/gradcheck";
import {
  bce, bceGrad, crossEntropy, crossEntropyGradProbs, mse, mseGrad, softmaxBackward, softmaxCrossEntropyGrad, softmaxRows,
} from "../lib/src/scratch/losses";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("cpu");
});

/** Centred differences of f with respect to every entry of x. */
function centred(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-6): Float64Array {
  const p = Float64Array.from(x);
  return p.map((v, i) => {
    p[i] = v + h;
    const up = f(p);
    p[i] = v - h;
    const down = f(p);
    p[i] = v;
    return (up - down) / (2 * h);
  });
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, relativeError(a[i]!, b[i]!));
  return m;
}

const yhat = [0.2, 1.5, -0.7, 3.1];
const y = [0, 2, -1, 2.5];
const p = [0.9, 0.2, 0.65, 0.01];
const yb = [1, 0, 1, 1];
// 3 examples, 4 classes
const logits = [1.0, -0.5, 2.0, 0.1, 0.3, 0.3, -1.2, 0.8, -2.0, 1.5, 0.0, 0.4];
const labels = [2, 3, 1];
const K = 4;

describe("losses", () => {
  it("MSE by hand and its gradient 2(ŷ − y)/N", () => {
    expect(mse(yhat, y)).toBeCloseTo((0.04 + 0.25 + 0.09 + 0.36) / 4, 14);
    expect(maxRel(mseGrad(yhat, y), centred((v) => mse(v, y), yhat))).toBeLessThan(1e-8);
  });

  it("BCE is 0 for perfect predictions, grows for confident mistakes; gradient by differences", () => {
    expect(bce([1, 0], [1, 0])).toBeLessThan(1e-6);
    expect(bce([0.01], [1])).toBeCloseTo(-Math.log(0.01), 12);
    expect(maxRel(bceGrad(p, yb), centred((v) => bce(v, yb), p, 1e-8))).toBeLessThan(1e-6);
  });

  it("cross-entropy = −mean log ŷ of the true class; softmax rows sum to 1", () => {
    const probs = softmaxRows(logits, K);
    for (let r = 0; r < 3; r++) expect(probs.slice(r * K, r * K + K).reduce((a, b) => a + b)).toBeCloseTo(1, 14);
    const expected = -(Math.log(probs[2]!) + Math.log(probs[K + 3]!) + Math.log(probs[2 * K + 1]!)) / 3;
    expect(crossEntropy(probs, labels, K)).toBeCloseTo(expected, 14);
    expect(maxRel(crossEntropyGradProbs(probs, labels, K), centred((v) => crossEntropy(v, labels, K), probs))).toBeLessThan(1e-7);
  });

  it("softmax + cross-entropy has gradient (ŷ − y)/N w.r.t. the logits: by differences and by the chain rule", () => {
    const probs = softmaxRows(logits, K);
    const shortcut = softmaxCrossEntropyGrad(probs, labels, K);
    const numeric = centred((z) => crossEntropy(softmaxRows(z, K), labels, K), logits);
    expect(maxRel(shortcut, numeric)).toBeLessThan(1e-7);
    const chain = softmaxBackward(probs, crossEntropyGradProbs(probs, labels, K), K);
    expect(maxRel(shortcut, chain)).toBeLessThan(1e-12);
  });

  it("agree with TensorFlow.js's losses and autodiff (float32)", () => {
    tf.tidy(() => {
      const tfMse = tf.losses.meanSquaredError(tf.tensor1d(y), tf.tensor1d(yhat)).dataSync()[0]!;
      expect(relativeError(mse(yhat, y), tfMse)).toBeLessThan(1e-6);
      const tfBce = tf.metrics.binaryCrossentropy(tf.tensor1d(yb), tf.tensor1d(p)).dataSync()[0]!;
      expect(relativeError(bce(p, yb), tfBce)).toBeLessThan(1e-5);
      const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), K);
      const ce = (z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z as tf.Tensor2D);
      const z = tf.tensor2d(logits, [3, K]);
      expect(relativeError(crossEntropy(softmaxRows(logits, K), labels, K), ce(z).dataSync()[0]!)).toBeLessThan(1e-5);
      const g = tf.grad(ce)(z).dataSync();
      expect(maxRel(softmaxCrossEntropyGrad(softmaxRows(logits, K), labels, K), g)).toBeLessThan(1e-5);
    });
  });

  it("reject mismatched shapes and bad labels with clear messages", () => {
    expect(() => mse([1, 2], [1])).toThrow(/2 entries but targets 1/);
    expect(() => crossEntropy([0.5, 0.5, 0.2], [0], 2)).toThrow(/rows of 2 classes/);
    expect(() => crossEntropy([0.5, 0.5], [2], 2)).toThrow(/not an integer class in 0…1/);
  });
});

describe("MAE and Huber", () => {
  it("values by hand, gradients against TensorFlow.js and finite differences", async () => {
    const { mae, maeGrad, huber, huberGrad } = await import("../lib/src/scratch/losses");
    const { gradientCheck } = await import("../lib/src/scratch/gradcheck");
    const yhat = Float64Array.from([0.5, -2.0, 3.0, 1.2]);
    const y = [0, 0, 1, 1];
    expect(mae(yhat, y)).toBeCloseTo((0.5 + 2 + 2 + 0.2) / 4, 12);
    expect(huber(yhat, y)).toBeCloseTo((0.125 + 1.5 + 1.5 + 0.02) / 4, 12);
    expect(huber(yhat, y, 3)).toBeCloseTo((0.125 + 2 + 2 + 0.02) / 4, 12); // all residuals inside δ: half the MSE
    const tfMae = tf.tidy(() => tf.losses.absoluteDifference(tf.tensor1d(y), tf.tensor1d(Array.from(yhat))).dataSync()[0]!);
    const tfHuber = tf.tidy(() => tf.losses.huberLoss(tf.tensor1d(y), tf.tensor1d(Array.from(yhat))).dataSync()[0]!);
    expect(mae(yhat, y)).toBeCloseTo(tfMae, 5);
    expect(huber(yhat, y)).toBeCloseTo(tfHuber, 5);
    const tfHuberGrad = tf.tidy(() => Array.from(tf.grad((p: tf.Tensor) => tf.losses.huberLoss(tf.tensor1d(y), p))(tf.tensor1d(Array.from(yhat))).dataSync()));
    Array.from(huberGrad(yhat, y)).forEach((g, i) => expect(g).toBeCloseTo(tfHuberGrad[i]!, 5));
    expect(Array.from(maeGrad(yhat, y))).toEqual([0.25, -0.25, 0.25, 0.25]);
    for (const [f, g] of [[mae, maeGrad], [huber, huberGrad]] as const) {
      const r = gradientCheck(() => f(yhat, y), [yhat], [g(yhat, y)]);
      expect(r.maxRelativeError).toBeLessThan(1e-7);
    }
  });
});

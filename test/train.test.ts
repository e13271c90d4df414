import { beforeAll, describe, expect, it } from "vitest";
import { nextSeed, seed } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { concatHistories, evaluateClassifier, fit, modelGrid } from "../lib/src/tfjs/train";

beforeAll(async () => {
  await initBackend("cpu");
});

/** A small linearly separable set: class 1 when x1 + x2 > 0. */
function data(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs: number[][] = [];
  for (let i = 0; i < n; i++) xs.push([Math.sin(1.3 * i) * 2, Math.cos(2.1 * i) * 2]);
  return { x: tf.tensor2d(xs), y: tf.tensor2d(xs.map(([a, b]) => [a! + b! > 0 ? 1 : 0])) };
}

function model(): tf.Sequential {
  const m = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [2], units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) })],
  });
  m.compile({ optimizer: tf.train.sgd(0.5), loss: "binaryCrossentropy", metrics: ["accuracy"] });
  return m;
}

async function run(options: { validationSplit?: number } = {}) {
  seed(7);
  const { x, y } = data(64);
  const m = model();
  const before = tf.memory().numTensors;
  const result = await fit(m, x, y, { epochs: 5, batchSize: 16, live: false, ...options });
  const leaked = tf.memory().numTensors - before;
  const evaluation = evaluateClassifier(m, x, y);
  tf.dispose([x, y]);
  m.dispose();
  return { result, leaked, evaluation };
}

describe("fit", () => {
  it("trains, records every metric per epoch (training first) and leaks no tensors", async () => {
    const { result, leaked, evaluation } = await run({ validationSplit: 0.25 });
    expect(Object.keys(result.history)).toEqual(["loss", "acc", "val_loss", "val_acc"]);
    expect(result.history["loss"]).toHaveLength(5);
    expect(result.epochs).toBe(5);
    expect(result.history["loss"]![4]!).toBeLessThan(result.history["loss"]![0]!);
    expect(leaked).toBe(0);
    expect(evaluation.accuracy).toBeGreaterThan(0.9);
  });

  it("repeats exactly with the same seed (seeded shuffle and initializers)", async () => {
    const a = await run();
    const b = await run();
    expect(b.result.history).toEqual(a.result.history);
    seed(8);
    const { x, y } = data(64);
    const m = model();
    const c = await fit(m, x, y, { epochs: 5, batchSize: 16, live: false });
    expect(c.history["loss"]).not.toEqual(a.result.history["loss"]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it("early stopping: stops `patience` epochs after the best validation loss and restores its weights", async () => {
    seed(3);
    const { x, y } = data(64);
    const flipped = tf.sub(1, y); // validation labels flipped: val_loss rises as the model learns
    const m = model();
    const result = await fit(m, x, y, { epochs: 30, batchSize: 16, live: false, validationData: [x, flipped], earlyStopping: { patience: 3 } });
    const valLoss = result.history["val_loss"]!;
    const bestEpoch = valLoss.indexOf(Math.min(...valLoss)) + 1;
    expect(result.best).toEqual({ epoch: bestEpoch, value: valLoss[bestEpoch - 1], stoppedEarly: true });
    expect(result.epochs).toBe(bestEpoch + 3);
    expect(valLoss).toHaveLength(bestEpoch + 3);
    const restored = m.evaluate(x, flipped) as tf.Scalar[];
    expect(restored[0]!.dataSync()[0]).toBeCloseTo(result.best!.value, 5);
    tf.dispose([x, y, flipped, ...restored]);
    m.dispose();
  });

  it("rejects bad options with messages that name the fix", async () => {
    const { x, y } = data(8);
    const m = model();
    await expect(fit(m, x, y, { epochs: 0 })).rejects.toThrow(/epochs must be a positive integer/);
    await expect(fit(m, x, y.slice(0, 4), { epochs: 1 })).rejects.toThrow(/x has 8 rows but y has 4/);
    await expect(fit(m, x, y, { epochs: 1, validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be in \(0, 1\)/);
    await expect(fit(m, x, y, { epochs: 1, validationSplit: 0.5, validationData: [x, y] })).rejects.toThrow(/not both/);
    await expect(fit(m, x, y, { epochs: 1, earlyStopping: { patience: 2 } })).rejects.toThrow(/"val_loss" needs validationData or validationSplit/);
    await expect(fit(m, x, y, { epochs: 1, validationSplit: 0.5, earlyStopping: { patience: 0 } })).rejects.toThrow(/patience must be a positive integer/);
    await expect(fit(m, x, y, { epochs: 2, live: false, earlyStopping: { patience: 1, monitor: "mse" } })).rejects.toThrow(/monitors "mse" but the model reports loss, acc/);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe("evaluateClassifier and modelGrid", () => {
  /** Softmax over 3 classes with logits = x·W: class 0 for x1 > 0, 1 for x2 > 0 (and x1 < 0), else 2. */
  function fixed(): tf.Sequential {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: "softmax", useBias: false })] });
    m.setWeights([tf.tensor2d([[10, 0, -10], [0, 10, -10]])]);
    return m;
  }

  it("counts accuracy and the confusion matrix from class indices or one-hot tensors", () => {
    const m = fixed();
    const x = tf.tensor2d([[1, -2], [-1, 1], [-1, -1], [2, 1]]);
    const e = evaluateClassifier(m, x, [0, 1, 2, 1]);
    expect([...e.predictions]).toEqual([0, 1, 2, 0]);
    expect(e.accuracy).toBe(0.75);
    expect(e.confusion).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [0, 0, 1],
    ]);
    const oneHot = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), 3);
    expect(evaluateClassifier(m, x, oneHot).confusion).toEqual(e.confusion);
    expect(() => evaluateClassifier(m, x, [0, 1])).toThrow(/4 predictions but 2 labels/);
    tf.dispose([x, oneHot]);
    m.dispose();
  });

  it("modelGrid returns classes (or P(1)) per 2-D point", () => {
    const m = fixed();
    expect(Array.from(modelGrid(m)([[1, -2], [-1, 1], [-1, -1]]))).toEqual([0, 1, 2]);
    expect(() => modelGrid(m, { probability: true })([[0, 0]])).toThrow(/binary classifier/);
    m.dispose();
  });
});

describe("concatHistories", () => {
  it("joins the histories of consecutive fits metric by metric and refuses different metrics", () => {
    expect(concatHistories({ loss: [3, 2], acc: [0.5, 0.6] }, { acc: [0.7], loss: [1] })).toEqual({ loss: [3, 2, 1], acc: [0.5, 0.6, 0.7] });
    expect(concatHistories({ loss: [1] })).toEqual({ loss: [1] });
    expect(() => concatHistories({ loss: [1] }, { loss: [1], val_loss: [2] })).toThrow(/different metrics/);
  });
});

/**
 * Memory (issue 20): the tensor count stays flat across the lib's training loops on the wasm backend the
 * notebooks use. A loop that leaks one tensor per batch or per epoch ends with more tensors after more
 * epochs: each loop runs for a few epochs and for more epochs on a fresh model, and the tensors left
 * beside the model's own (its weights, the optimizer's state) must be the same number both times; loops
 * that free their model must leave none. ae.train, trainVae (autoencoders.test.ts) and trainDqn
 * (dqn.test.ts) are checked in their own tests.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { seed } from "../lib/src/core/random";
import { Dataset } from "../lib/src/data/dataset";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { charLanguageModel, charNll, generate, greedyDecode, seq2seqAttention } from "../lib/src/tfjs/language";
import { sequenceModel } from "../lib/src/tfjs/recurrent";
import { trainMlp } from "../lib/src/tfjs/regularizeTf";
import { fit, type FitOptions } from "../lib/src/tfjs/train";

beforeAll(async () => {
  await initBackend("wasm");
});

/** Tensors left after `train(epochs)` beyond those before it (`train` builds its model, returns its disposer). */
async function leftAfter(epochs: number, train: (epochs: number) => Promise<() => void>): Promise<{ left: number; afterDispose: number }> {
  const before = tf.memory().numTensors;
  const dispose = await train(epochs);
  const left = tf.memory().numTensors - before;
  dispose();
  return { left, afterDispose: tf.memory().numTensors - before };
}

/** A small classifier on a seeded 2-class set, trained by `fit` with `options`. */
function fitClassifier(options: Partial<FitOptions>) {
  return async (epochs: number) => {
    seed(3);
    const x = tf.randomNormal([48, 4], 0, 1, "float32", 1);
    const y = tf.tidy(() => tf.oneHot(x.sum(1).greater(0).toInt(), 2).toFloat());
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: "relu", kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }) }), tf.layers.dropout({ rate: 0.2 }), tf.layers.batchNormalization(), tf.layers.dense({ units: 2, activation: "softmax" })],
    });
    const optimizer = tf.train.adam(0.01);
    model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    await fit(model, x, y, { epochs, batchSize: 16, live: false, ...options });
    return () => {
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
    };
  };
}

/** Same tensors left after 2 and 5 epochs, and none once the model, optimizer and data are disposed. */
async function expectFlat(train: (epochs: number) => Promise<() => void>): Promise<void> {
  const short = await leftAfter(2, train);
  const long = await leftAfter(5, train);
  expect(long.left, "tensors left after 5 epochs vs after 2").toBe(short.left);
  expect([short.afterDispose, long.afterDispose]).toEqual([0, 0]);
}

describe("the tensor count stays flat across training (wasm)", () => {
  it("fit, with validation split, dropout, batch norm and a weight penalty", async () => {
    await expectFlat(fitClassifier({ validationSplit: 0.25 }));
  }, 120_000);

  it("fit with early stopping that restores the best weights", async () => {
    await expectFlat(fitClassifier({ validationSplit: 0.25, earlyStopping: { patience: 1 } }));
  }, 120_000);

  it("regularizeTf.trainMlp frees every tensor, however long it trains", async () => {
    seed(4);
    const rows = 40;
    const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i * 1.7));
    const y = Float32Array.from({ length: rows }, (_, r) => (x[3 * r]! + x[3 * r + 1]! > 0 ? 1 : 0));
    const ds = new Dataset(x, y, 3);
    for (const epochs of [2, 5]) {
      const before = tf.memory().numTensors;
      await trainMlp(ds, ds, { model: { inputs: 3, hidden: [6], classes: 2, dropout: 0.1, l2: 1e-3, batchNorm: true, inputNoise: 0.1 }, epochs, validation: ds, earlyStopping: { patience: 2 } });
      expect(tf.memory().numTensors, `after ${epochs} epochs`).toBe(before);
    }
  }, 120_000);

  it("fit on recurrent sequence models (the lib's fused LSTM/GRU op and tfjs's own cells)", async () => {
    for (const fast of [true, false]) {
      await expectFlat(async (epochs) => {
        seed(5);
        const x = tf.randomNormal([12, 6, 2], 0, 1, "float32", 2);
        const y = tf.tidy(() => x.sum([1, 2]).reshape([12, 1]));
        const model = sequenceModel({ kind: "lstm", units: [5], steps: 6, features: 2, fast });
        const optimizer = tf.train.adam(0.01);
        model.compile({ optimizer, loss: "meanSquaredError" });
        await fit(model, x, y, { epochs, batchSize: 4, live: false });
        return () => {
          tf.dispose([x, y]);
          model.dispose();
          optimizer.dispose();
        };
      });
    }
  }, 300_000);

  it("fit on the character language model, then charNll, generate; seq2seq with attention, then greedyDecode", async () => {
    await expectFlat(async (epochs) => {
      seed(6);
      const window = 4;
      const ids = Int32Array.from({ length: 60 }, (_, i) => (i * 7) % 5);
      const windows = Int32Array.from({ length: 50 * window }, (_, k) => ids[Math.floor(k / window) + (k % window)]!);
      const next = Int32Array.from({ length: 50 }, (_, r) => ids[r + window]!);
      const x = tf.tensor2d(windows, [50, window], "int32");
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(next, "int32"), 5).toFloat());
      const model = charLanguageModel({ vocabSize: 5, window, units: 6, embedding: 3, cell: "gru" });
      const optimizer = tf.train.adam(0.02);
      model.compile({ optimizer, loss: "categoricalCrossentropy" });
      await fit(model, x, y, { epochs, batchSize: 16, live: false });
      expect(Number.isFinite(charNll(model, windows, next, window, 8))).toBe(true);
      generate(model, [ids.slice(0, window)], 3 + epochs, window, (p) => p.indexOf(Math.max(...p)));
      return () => {
        tf.dispose([x, y]);
        model.dispose();
        optimizer.dispose();
      };
    });
    await expectFlat(async (epochs) => {
      seed(7);
      const s2s = seq2seqAttention({ sourceVocab: 6, targetVocab: 6, sourceLength: 4, targetLength: 4, embedding: 3, units: 5 });
      const src = tf.tensor2d(Int32Array.from({ length: 32 }, (_, i) => 1 + (i % 5)), [8, 4], "int32");
      const dec = tf.tensor2d(Int32Array.from({ length: 32 }, (_, i) => (i % 4 === 0 ? 0 : 1 + ((i - 1) % 5))), [8, 4], "int32");
      const out = tf.tidy(() => tf.oneHot(src, 6).toFloat());
      const optimizer = tf.train.adam(0.02);
      s2s.model.compile({ optimizer, loss: "categoricalCrossentropy" });
      await fit(s2s.model, [src, dec], out, { epochs, batchSize: 4, live: false });
      greedyDecode(s2s.model, Int32Array.from([1, 2, 3, 4]), 1, 4, 4, 0);
      return () => {
        tf.dispose([src, dec, out]);
        s2s.model.dispose();
        optimizer.dispose();
      };
    });
  }, 300_000);
});

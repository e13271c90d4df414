import { beforeAll, describe, expect, it } from "vitest";
import { dotAttention, entropy, fitNgram, ngramNll, ngramProbability, perplexity, sampleIndex, withTemperature } from "../lib/src/scratch/language";
import { DotAttention, attentionWeights, charLanguageModel, charNll, generate, greedyDecode, seq2seqAttention } from "../lib/src/tfjs/language";
import { fit } from "../lib/src/tfjs/train";
import { Random, seed } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("character n-gram baselines", () => {
  const ids = [0, 1, 0, 1, 2, 0, 1];
  it("unigram and bigram probabilities from counts with add-α smoothing", () => {
    const uni = fitNgram(ids, 3, 1, 1);
    expect(ngramProbability(uni, ids, 0, 0)).toBeCloseTo((3 + 1) / (7 + 3), 12);
    const bi = fitNgram(ids, 3, 2, 0.5);
    // after 0: "1" three times, nothing else → (3 + .5)/(3 + 1.5)
    expect(ngramProbability(bi, [0], 1, 1)).toBeCloseTo(3.5 / 4.5, 12);
    expect(ngramProbability(bi, [0], 1, 2)).toBeCloseTo(0.5 / 4.5, 12);
    // probabilities over the next symbol sum to 1 for every context
    for (const order of [1, 2, 3]) {
      const m = fitNgram(ids, 3, order, 0.1);
      for (const ctx of [[0, 1], [2, 2], [1, 0]]) {
        const total = [0, 1, 2].reduce((s, x) => s + ngramProbability(m, ctx, 2, x), 0);
        expect(total).toBeCloseTo(1, 12);
      }
    }
  });
  it("NLL and perplexity: a uniform model has perplexity m; boundaries break contexts", () => {
    const m = fitNgram([], 5, 2, 1);
    expect(perplexity(ngramNll(m, [0, 1, 2, 3, 4]))).toBeCloseTo(5, 10);
    const bi = fitNgram([0, 1, -1, 1, 0], 2, 2, 1);
    expect(bi.contextCounts[0]! + bi.contextCounts[1]!).toBe(2); // 0→1 and 1→0 only
  });
});

describe("temperature, entropy, sampling", () => {
  const p = [0.5, 0.3, 0.15, 0.05];
  it("T = 1 keeps the distribution; logits and probabilities agree", () => {
    Array.from(withTemperature(p, 1)).forEach((v, i) => expect(v).toBeCloseTo(p[i]!, 12));
    const z = [2, 1, 0.5, -1];
    const a = withTemperature(z, 0.7, "logits");
    const b = withTemperature(withTemperature(z, 1, "logits"), 0.7);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));
  });
  it("entropy grows with T, from 0 (arg-max) towards log m (uniform)", () => {
    const hs = [0.01, 0.5, 1, 2, 100].map((T) => entropy(withTemperature(p, T)));
    for (let i = 1; i < hs.length; i++) expect(hs[i]!).toBeGreaterThan(hs[i - 1]!);
    expect(hs[0]!).toBeLessThan(1e-6);
    expect(hs[4]!).toBeCloseTo(Math.log(4), 3);
    expect(entropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(Math.log(4), 12);
  });
  it("samples with the given frequencies", () => {
    const r = new Random(1);
    const c = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) c[sampleIndex(p, r)]!++;
    c.forEach((k, i) => expect(Math.abs(k / 40_000 - p[i]!)).toBeLessThan(0.01));
  });
});

describe("attention", () => {
  const keys = [[1, 0, 2], [0, 1, -1], [2, 2, 0], [0.5, -1, 1]];
  const query = [0.3, -0.2, 0.5];
  it("one step by hand: scores, softmax weights, context", () => {
    const s = dotAttention(query, keys);
    const e = keys.map((k) => k.reduce((a, v, i) => a + v * query[i]!, 0));
    const z = e.map(Math.exp);
    const w = z.map((v) => v / z.reduce((a, b) => a + b));
    Array.from(s.weights).forEach((v, j) => expect(v).toBeCloseTo(w[j]!, 12));
    [0, 1, 2].forEach((i) => expect(s.context[i]!).toBeCloseTo(keys.reduce((a, k, j) => a + w[j]! * k[i]!, 0), 12));
    const masked = dotAttention(query, keys, keys, [1, 1, 1, 0]);
    expect(masked.weights[3]).toBe(0);
    expect(masked.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
  it("the DotAttention layer computes the same weights and contexts, with padding masked", () => {
    const layer = new DotAttention({});
    const queries = [query, [1, 1, 1]];
    const [ctx, w] = tf.tidy(() => {
      const out = layer.apply([tf.tensor3d([queries]), tf.tensor3d([keys]), tf.tensor2d([[5, 3, 7, 0]], [1, 4], "int32")]) as tf.Tensor[];
      return out.map((t) => t.arraySync() as number[][][]);
    });
    queries.forEach((q, t) => {
      const s = dotAttention(q, keys, keys, [1, 1, 1, 0]);
      s.weights.forEach((v, j) => expect(w![0]![t]![j]!).toBeCloseTo(v, 5));
      s.context.forEach((v, i) => expect(ctx![0]![t]![i]!).toBeCloseTo(v, 5));
    });
  });
});

describe("character language model", () => {
  it("predicts a distribution over the characters; NLL and generation agree with predict", () => {
    seed(3);
    const model = charLanguageModel({ vocabSize: 7, window: 5, units: 8, embedding: 4, cell: "gru" });
    const x = Int32Array.from({ length: 3 * 5 }, (_, i) => i % 7);
    const y = Int32Array.from([1, 2, 3]);
    const p = tf.tidy(() => (model.predict(tf.tensor2d(x, [3, 5], "int32")) as tf.Tensor).arraySync() as number[][]);
    p.forEach((r) => expect(r.reduce((a, b) => a + b)).toBeCloseTo(1, 5));
    expect(charNll(model, x, y, 5, 2)).toBeCloseTo(-(Math.log(p[0]![1]!) + Math.log(p[1]![2]!) + Math.log(p[2]![3]!)) / 3, 5);
    // greedy generation = repeated arg-max of predict on the last 5 ids
    const prompt = [1, 2, 3, 4, 5];
    const [out] = generate(model, [prompt], 4, 5, (probs) => probs.indexOf(Math.max(...probs)));
    const seq = [...prompt];
    for (let t = 0; t < 4; t++) {
      const q = tf.tidy(() => (model.predict(tf.tensor2d([seq.slice(-5)], [1, 5], "int32")) as tf.Tensor).argMax(-1).dataSync()[0]!);
      seq.push(q);
    }
    expect(Array.from(out!)).toEqual(seq.slice(5));
    model.dispose();
  });
});

describe("encoder–decoder with attention", () => {
  it("greedy decoding feeds back its own arg-max; attention rows sum to 1 and skip padding", () => {
    seed(4);
    const { model, withAttention } = seq2seqAttention({ sourceVocab: 6, targetVocab: 5, sourceLength: 4, targetLength: 3, units: 8, embedding: 4 });
    const src = Int32Array.from([1, 2, 3, 0, 4, 5, 0, 0]);
    const out = greedyDecode(model, src, 2, 4, 3, 1);
    for (let i = 0; i < 2; i++) {
      const dec = [1, 0, 0];
      for (let t = 0; t < 3; t++) {
        const k = tf.tidy(() => (model.predict([tf.tensor2d([Array.from(src.subarray(i * 4, i * 4 + 4))], [1, 4], "int32"), tf.tensor2d([dec], [1, 3], "int32")]) as tf.Tensor).arraySync() as number[][][])[0]![t]!;
        const best = k.indexOf(Math.max(...k));
        expect(out[i * 3 + t]).toBe(best);
        if (t < 2) dec[t + 1] = best;
      }
    }
    const w = attentionWeights(withAttention!, [4, 5, 0, 0], [1, 2, 3]);
    w.forEach((r) => {
      expect(r.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
      expect(r[2]! + r[3]!).toBeLessThan(1e-6);
    });
  });
  it("fit trains a two-input model (copy the first source symbol)", async () => {
    seed(5);
    const { model } = seq2seqAttention({ sourceVocab: 5, targetVocab: 5, sourceLength: 3, targetLength: 2, units: 16, embedding: 8 });
    model.compile({ optimizer: tf.train.adam(0.02), loss: "categoricalCrossentropy" });
    const r = new Random(6);
    const n = 256;
    const src = Int32Array.from({ length: n * 3 }, () => 1 + r.int(4));
    const decIn = new Int32Array(n * 2);
    const target = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) {
      decIn[i * 2] = 0;
      decIn[i * 2 + 1] = src[i * 3]!;
      target[i * 2] = src[i * 3]!;
      target[i * 2 + 1] = src[i * 3 + 1]!;
    }
    const xs = [tf.tensor2d(src, [n, 3], "int32"), tf.tensor2d(decIn, [n, 2], "int32")];
    const y = tf.oneHot(tf.tensor2d(target, [n, 2], "int32"), 5).cast("float32");
    const res = await fit(model, xs, y, { epochs: 8, batchSize: 32, live: false, validationSplit: 0.25 });
    expect(res.history["loss"]!.length).toBe(8);
    expect(res.history["val_loss"]!.length).toBe(8);
    expect(res.history["loss"]![7]!).toBeLessThan(0.5 * res.history["loss"]![0]!);
    tf.dispose([...xs, y]);
    model.dispose();
  });
});

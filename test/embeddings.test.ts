import { beforeAll, describe, expect, it } from "vitest";
import {
  AliasSampler, analogy, centreRows, analogyAccuracy, cosine, createSkipGram, keepProbabilities, nearest, pca, row, sgnsGradients, sgnsLoss,
  sgnsStep, trainSkipGram, unigramDistribution, unitRows,
} from "../lib/src/scratch/embeddings";
import { Random } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("cpu");
});

function randomModel(V: number, d: number, seed: number) {
  const m = createSkipGram(V, d, new Random(seed));
  const r = new Random(seed + 1);
  for (let i = 0; i < m.output.length; i++) m.output[i] = r.normal(0, 0.5);
  for (let i = 0; i < m.input.length; i++) m.input[i] = r.normal(0, 0.5);
  return m;
}

describe("skip-gram with negative sampling: loss and gradients", () => {
  const m = randomModel(7, 5, 3);
  const c = 2, o = 4, negs = [1, 6, 1, 0];

  it("loss = −log σ(u_o·v_c) − Σ log σ(−u_k·v_c)", () => {
    const dot = (a: number, b: number) => Array.from(row(m.output, 5, a)).reduce((s, x, j) => s + x * m.input[b * 5 + j]!, 0);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const expected = -Math.log(sig(dot(o, c))) - negs.reduce((s, k) => s + Math.log(sig(-dot(k, c))), 0);
    expect(sgnsLoss(m, c, o, negs)).toBeCloseTo(expected, 10);
    expect(sgnsGradients(m, c, o, negs).loss).toBeCloseTo(expected, 10);
  });

  it("gradients match central finite differences", () => {
    const g = sgnsGradients(m, c, o, negs);
    const h = 1e-3;
    const fd = (arr: Float32Array, idx: number) => {
      const keep = arr[idx]!;
      arr[idx] = keep + h;
      const up = sgnsLoss(m, c, o, negs);
      arr[idx] = keep - h;
      const down = sgnsLoss(m, c, o, negs);
      arr[idx] = keep;
      return (up - down) / (2 * h);
    };
    for (let j = 0; j < 5; j++) {
      expect(g.center[j]!).toBeCloseTo(fd(m.input, c * 5 + j), 3);
      expect(g.context[j]!).toBeCloseTo(fd(m.output, o * 5 + j), 3);
      // negative 6 appears once: its row's gradient is its one entry
      expect(g.negatives[1 * 5 + j]!).toBeCloseTo(fd(m.output, 6 * 5 + j), 3);
      // negative 1 was drawn twice: the gradient of its row is the sum of its two entries
      expect(g.negatives[0 * 5 + j]! + g.negatives[2 * 5 + j]!).toBeCloseTo(fd(m.output, 1 * 5 + j), 3);
    }
  });

  it("gradients match TensorFlow.js autodiff", () => {
    const g = sgnsGradients(m, c, o, negs);
    const [dV, dU] = tf.tidy(() => {
      const V = tf.tensor2d(m.input, [7, 5]);
      const U = tf.tensor2d(m.output, [7, 5]);
      const loss = (Vt: tf.Tensor, Ut: tf.Tensor) => {
        const vc = Vt.gather([c]); // 1 × d
        const pos = tf.log(tf.sigmoid(Ut.gather([o]).mul(vc).sum())).neg();
        const neg = tf.log(tf.sigmoid(Ut.gather(negs).mul(vc).sum(1).neg())).sum().neg();
        return pos.add(neg) as tf.Scalar;
      };
      const grads = tf.grads((Vt: tf.Tensor, Ut: tf.Tensor) => loss(Vt, Ut))([V, U]);
      return grads.map((t) => t.arraySync() as number[][]);
    });
    for (let j = 0; j < 5; j++) {
      expect(g.center[j]!).toBeCloseTo(dV![c]![j]!, 4);
      expect(g.context[j]!).toBeCloseTo(dU![o]![j]!, 4);
      expect(g.negatives[5 + j]!).toBeCloseTo(dU![6]![j]!, 4);
      expect(g.negatives[j]! + g.negatives[10 + j]!).toBeCloseTo(dU![1]![j]!, 4);
    }
    // sparse: rows not touched have zero gradient
    expect(dV![3]!.every((v) => v === 0) && dU![3]!.every((v) => v === 0)).toBe(true);
  });

  it("one SGD step applies exactly −lr × those gradients (distinct negatives)", () => {
    const a = randomModel(7, 5, 9);
    const distinct = [1, 6, 0];
    const g = sgnsGradients(a, c, o, distinct);
    const before = { v: Float32Array.from(a.input), u: Float32Array.from(a.output) };
    const loss = sgnsStep(a, c, o, distinct, 0.1);
    expect(loss).toBeCloseTo(g.loss, 6);
    for (let j = 0; j < 5; j++) {
      expect(a.input[c * 5 + j]!).toBeCloseTo(before.v[c * 5 + j]! - 0.1 * g.center[j]!, 5);
      expect(a.output[o * 5 + j]!).toBeCloseTo(before.u[o * 5 + j]! - 0.1 * g.context[j]!, 5);
      expect(a.output[6 * 5 + j]!).toBeCloseTo(before.u[6 * 5 + j]! - 0.1 * g.negatives[5 + j]!, 5);
      expect(a.input[3 * 5 + j]).toBe(before.v[3 * 5 + j]); // untouched row
    }
    expect(sgnsLoss(a, c, o, distinct)).toBeLessThan(g.loss);
  });
});

describe("sampling", () => {
  it("keep probabilities follow word2vec's √(t/f) + t/f, capped at 1", () => {
    const p = keepProbabilities([900, 90, 10], 0.01);
    expect(p[0]).toBeCloseTo(Math.sqrt(0.01 / 0.9) + 0.01 / 0.9, 12);
    expect(p[2]).toBe(1);
  });
  it("the alias sampler draws with the given probabilities", () => {
    const w = unigramDistribution([1000, 100, 10, 0, 1], 0.75);
    expect(w[0]! / w[1]!).toBeCloseTo(10 ** 0.75, 10);
    expect(w[3]).toBe(0);
    const s = new AliasSampler(w);
    const r = new Random(5);
    const counts = new Float64Array(5);
    const N = 200_000;
    for (let i = 0; i < N; i++) counts[s.sample(r)]!++;
    for (let k = 0; k < 5; k++) expect(Math.abs(counts[k]! / N - w[k]!)).toBeLessThan(4 * Math.sqrt(w[k]! / N) + 1e-9);
    expect(counts[3]).toBe(0);
  });
});

describe("trainSkipGram", () => {
  it("counts the pairs of each window and never crosses a boundary", () => {
    const m = createSkipGram(5, 4, new Random(1));
    // window 1 (b is always 1): 2·(len − 1) pairs per segment: segments of 4 and 3 → 6 + 4
    const r = trainSkipGram(m, Int32Array.from([0, 1, 2, 3, -1, 4, 0, 1]), { window: 1, subsample: 0, random: new Random(2) });
    expect(r.pairs).toBe(10);
    expect(r.tokens).toBe(8);
  });
  it("learns that words sharing contexts are similar", () => {
    // Words 0–4 appear among themselves, 5–9 among themselves, with random order.
    const r = new Random(3);
    const corpus: number[] = [];
    for (let s = 0; s < 2000; s++) {
      const base = s % 2 === 0 ? 0 : 5;
      for (let t = 0; t < 8; t++) corpus.push(base + r.int(5));
      corpus.push(-1);
    }
    const m = createSkipGram(10, 8, new Random(4));
    const res = trainSkipGram(m, Int32Array.from(corpus), { window: 3, negatives: 4, epochs: 3, subsample: 0, random: new Random(5) });
    expect(res.losses[res.losses.length - 1]!).toBeLessThan(res.losses[0]! + 1e-9);
    const unit = unitRows(m.input, 8);
    const nb = nearest(unit, 8, row(unit, 8, 0), 4, [0]).map((n) => n.index);
    expect(nb.every((i) => i < 5)).toBe(true);
  });
});

describe("neighbours, analogies, PCA", () => {
  it("cosine and nearest agree with brute force", () => {
    const r = new Random(8);
    const E = r.normalArray(50 * 6);
    const unit = unitRows(E, 6);
    const q = r.normalArray(6);
    const brute = Array.from({ length: 50 }, (_, i) => ({ index: i, similarity: cosine(row(E, 6, i), q) }))
      .filter((x) => x.index !== 7)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, 5);
    const got = nearest(unit, 6, q, 5, [7]);
    expect(got.map((g) => g.index)).toEqual(brute.map((b) => b.index));
    got.forEach((g, i) => expect(g.similarity).toBeCloseTo(brute[i]!.similarity, 5));
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 1], [2, 2])).toBeCloseTo(1, 12);
  });
  it("centreRows removes the mean row", () => {
    const c = centreRows(Float32Array.from([1, 2, 3, 6]), 2);
    expect(Array.from(c)).toEqual([-1, -2, 1, 2]);
  });
  it("3CosAdd solves an analogy built into the vectors", () => {
    // man, woman, king, queen, apple: queen = king − man + woman exactly
    const E = Float32Array.from([1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1]);
    const unit = unitRows(E, 4);
    expect(analogy(unit, 4, 0, 1, 2)[0]!.index).toBe(3);
    expect(analogyAccuracy(unit, 4, [{ a: 0, b: 1, c: 2, d: 3 }, { a: 0, b: 1, c: 2, d: 4 }]).accuracy).toBe(0.5);
  });
  it("PCA finds the directions of largest variance", () => {
    const r = new Random(11);
    const n = 2000;
    const X = new Float64Array(n * 3);
    // variance 9 along (1,1,0)/√2, 1 along (1,−1,0)/√2, 0.01 along z
    for (let i = 0; i < n; i++) {
      const a = r.normal(0, 3), b = r.normal(0, 1), z = r.normal(0, 0.1);
      X[i * 3] = (a + b) / Math.SQRT2 + 5;
      X[i * 3 + 1] = (a - b) / Math.SQRT2 - 2;
      X[i * 3 + 2] = z;
    }
    const p = pca(X, n, 3, 2);
    expect(Math.abs(p.components[0]!)).toBeCloseTo(Math.SQRT1_2, 2);
    expect(Math.abs(p.components[1]!)).toBeCloseTo(Math.SQRT1_2, 2);
    expect(p.variances[0]!).toBeGreaterThan(8);
    expect(p.variances[1]!).toBeGreaterThan(0.8);
    expect(p.variances[1]!).toBeLessThan(1.2);
    expect(p.explained[0]! + p.explained[1]!).toBeGreaterThan(0.99);
    // the projections are centred and have the component variances
    let m0 = 0, v0 = 0;
    for (let i = 0; i < n; i++) m0 += p.projected[i * 2]! / n;
    for (let i = 0; i < n; i++) v0 += (p.projected[i * 2]! - m0) ** 2 / n;
    expect(Math.abs(m0)).toBeLessThan(1e-9);
    expect(v0).toBeCloseTo(p.variances[0]!, 6);
  });
});

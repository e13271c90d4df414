import { describe, expect, it } from "vitest";
import { Random } from "../lib/src/core/random";
import * as forecast from "../lib/src/scratch/forecast";
import * as sequences from "../lib/src/data/sequences";

describe("sequences", () => {
  it("windows, differencing, padding, vocabulary, bag of words", () => {
    const w = sequences.windows([0, 1, 2, 3, 4, 5], 3, { horizon: 2 });
    expect(w.count).toBe(2);
    expect(Array.from(w.x)).toEqual([0, 1, 2, 1, 2, 3]);
    expect(Array.from(w.y)).toEqual([3, 4, 4, 5]);
    expect(Array.from(w.targetIndex)).toEqual([3, 4]);
    expect(Array.from(sequences.difference([1, 4, 9, 16]))).toEqual([3, 5, 7]);
    expect(Array.from(sequences.padSequences([[1, 2], [3, 4, 5, 6]], 3))).toEqual([0, 1, 2, 4, 5, 6]);
    expect(Array.from(sequences.padSequences([[1, 2], [3, 4, 5, 6]], 3, { padding: "post", truncating: "post" }))).toEqual([1, 2, 0, 3, 4, 5]);
    expect(sequences.tokenize("I don't like it.<br />NOT good!")).toEqual(["i", "don't", "like", "it", "not", "good"]);
    const v = sequences.Vocabulary.build([["a", "b", "a"], ["c", "a", "b"]], { maxSize: 4 });
    expect(v.words).toEqual(["<pad>", "<unk>", "a", "b"]);
    expect(Array.from(v.encode(["a", "c", "b"]))).toEqual([2, 1, 3]);
    expect(Array.from(sequences.bagOfWords([Int32Array.from([0, 2, 2, 3])], 4))).toEqual([0, 0, 2, 1]);
  });
  it("recall task: the label is the first step's marker", () => {
    const s = sequences.recallTask(50, 10, { random: new Random(2) });
    for (let i = 0; i < 50; i++) expect(s.x[i * 20]).toBe(s.labels[i] === 1 ? 1 : -1);
  });
});

describe("forecast baselines", () => {
  it("a linear AR fit recovers an exact AR(2) recursion; persistence and RMSE", () => {
    const x = [1, 0.5];
    for (let t = 2; t < 60; t++) x.push(1.2 * x[t - 1]! - 0.5 * x[t - 2]! + 0.3);
    const w = sequences.windows(x, 2);
    const m = forecast.fitLinearAR(w.x, w.y, 2, 0);
    expect(m.weights[0]).toBeCloseTo(-0.5, 6);
    expect(m.weights[1]).toBeCloseTo(1.2, 6);
    expect(m.bias).toBeCloseTo(0.3, 6);
    expect(Array.from(forecast.persistence([1, 2, 4], [1, 2]))).toEqual([1, 2]);
    expect(forecast.rmse([1, 3], [2, 3])).toBeCloseTo(Math.SQRT1_2);
    const path = forecast.recursiveForecast([1, 2], 3, (win) => win[1]! + 1);
    expect(Array.from(path)).toEqual([3, 4, 5]);
  });
});

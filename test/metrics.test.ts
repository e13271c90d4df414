import { describe, expect, it } from "vitest";
import { intersectionOverUnion, rocAuc, rocCurve } from "../lib/src/core/metrics";
import { Random } from "../lib/src/core/random";

describe("rocCurve and rocAuc", () => {
  it("give the hand-computed curve of a small example", () => {
    // scores 0.9 (+), 0.8 (−), 0.7 (+), 0.6 (+), 0.2 (−): P = 3, N = 2.
    const roc = rocCurve([0.2, 0.9, 0.6, 0.8, 0.7], [0, 1, 1, 0, 1]);
    expect(roc.thresholds).toEqual([Infinity, 0.9, 0.8, 0.7, 0.6, 0.2]);
    expect(roc.tpr).toEqual([0, 1 / 3, 1 / 3, 2 / 3, 1, 1]);
    expect(roc.fpr).toEqual([0, 0, 0.5, 0.5, 0.5, 1]);
    // Pairs (positive, negative) ranked right: 0.9 beats both, 0.7 and 0.6 beat 0.2 only → 4 of 6.
    expect(rocAuc([0.2, 0.9, 0.6, 0.8, 0.7], [0, 1, 1, 0, 1])).toBeCloseTo(4 / 6, 12);
  });

  it("counts ties as one half (the Mann–Whitney statistic) and accepts boolean labels", () => {
    expect(rocAuc([1, 1, 1, 1], [true, false, true, false])).toBeCloseTo(0.5, 12);
    expect(rocCurve([1, 1, 0], [1, 0, 0]).fpr).toEqual([0, 0.5, 1]);
    expect(rocAuc([3, 2, 2, 1], [1, 1, 0, 0])).toBeCloseTo((2 + 1.5) / 4, 12);
  });

  it("is 1 for a perfect score, 0 for a reversed one, and equals the pairwise count on random data", () => {
    expect(rocAuc([5, 4, 1, 0], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0, 1, 4, 5], [1, 1, 0, 0])).toBe(0);
    const rand = new Random(9);
    const labels = Array.from({ length: 300 }, () => (rand.bernoulli(0.3) ? 1 : 0));
    const scores = labels.map((l) => Math.round((rand.normal() + l) * 4) / 4); // rounded: many ties
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < 300; i++)
      for (let j = 0; j < 300; j++)
        if (labels[i] === 1 && labels[j] === 0) {
          pairs++;
          wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
        }
    expect(rocAuc(scores, labels)).toBeCloseTo(wins / pairs, 12);
    const roc = rocCurve(scores, labels);
    for (let i = 1; i < roc.fpr.length; i++) {
      expect(roc.fpr[i]).toBeGreaterThanOrEqual(roc.fpr[i - 1]!);
      expect(roc.tpr[i]).toBeGreaterThanOrEqual(roc.tpr[i - 1]!);
      expect(roc.thresholds[i]).toBeLessThan(roc.thresholds[i - 1]!);
    }
  });

  it("refuses one-class labels and mismatched lengths", () => {
    expect(() => rocAuc([1, 2], [1, 1])).toThrow(/both positives and negatives/);
    expect(() => rocCurve([1, 2, 3], [1, 0])).toThrow(/3 scores but 2 labels/);
  });
});

describe("intersectionOverUnion", () => {
  it("is |A ∩ B| / |A ∪ B| of the thresholded masks", () => {
    expect(intersectionOverUnion([0.9, 0.8, 0.1, 0.6], [1, 0, 0, 1])).toBeCloseTo(2 / 3, 12);
    expect(intersectionOverUnion([0, 0], [0, 0])).toBe(1);
    expect(intersectionOverUnion([1, 0], [0, 1])).toBe(0);
    expect(intersectionOverUnion([0.3, 0.45], [1, 1], 0.4)).toBeCloseTo(0.5, 12);
  });
});

import { describe, expect, it } from "vitest";
import { andUnit, dataRadius, geometricMargin, novikoffBound, orUnit, ThresholdUnit, trainPerceptron } from "../lib/src/scratch/perceptron";
import { Random } from "../lib/src/core/random";
import { linearlySeparable } from "../lib/src/data/toy";

const inputs = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

describe("threshold unit", () => {
  it("computes AND and OR by hand-set weights", () => {
    expect(inputs.map((x) => andUnit().predict(x))).toEqual([0, 0, 0, 1]);
    expect(inputs.map((x) => orUnit().predict(x))).toEqual([0, 1, 1, 1]);
  });

  it("computes z = w0 + wᵀx and rejects inputs of the wrong size", () => {
    const u = new ThresholdUnit([2, -1], 0.5);
    expect(u.z([1, 3])).toBe(-0.5);
    expect(u.predict([1, 3])).toBe(0);
    expect(u.predict([1, 2.5])).toBe(1); // z = 0 → 1
    expect(() => u.z([1])).toThrow(/1 components but the unit has 2 weights/);
  });
});

describe("perceptron algorithm", () => {
  it("learns AND and OR from zero and from random starts", () => {
    const random = new Random(3);
    for (const [target, ys] of [
      ["AND", [0, 0, 0, 1]],
      ["OR", [0, 1, 1, 1]],
    ] as const) {
      for (const init of [undefined, [random.uniform(-1, 1), random.uniform(-1, 1), random.uniform(-1, 1)]]) {
        const r = trainPerceptron(inputs, ys, { init });
        expect(r.converged, target).toBe(true);
        expect(inputs.map((x) => r.unit.predict(x))).toEqual(ys);
        expect(r.mistakesPerEpoch.at(-1)).toBe(0);
        expect(r.steps.length).toBe(r.mistakes + 1);
      }
    }
  });

  it("moves only on mistakes, by η(y − ŷ)x", () => {
    const r = trainPerceptron([[2, 1]], [1], { eta: 0.5, init: [-1, 0, 0] });
    // ŷ = step(−1) = 0, y = 1: w0 += 0.5, w += 0.5·[2, 1]
    expect(r.steps[1]).toMatchObject({ epoch: 1, index: 0, w0: -0.5 });
    expect(Array.from(r.steps[1]!.w)).toEqual([1, 0.5]);
    expect(r.converged).toBe(true);
    expect(r.epochs).toBe(2);
  });

  it("converges on separable data within Novikoff's bound", () => {
    const random = new Random(7);
    const teacher = new ThresholdUnit([1, -2], 0.3);
    for (let trial = 0; trial < 5; trial++) {
      const set = linearlySeparable({ n: 200, w: teacher.w, w0: teacher.w0, margin: 0.05, random });
      const X = set.data.xRows();
      const y = Array.from(set.data.y);
      const R = dataRadius(X);
      const gamma = geometricMargin(X, y, teacher);
      expect(R).toBeCloseTo(set.R, 5);
      expect(gamma).toBeCloseTo(set.gamma, 5);
      expect(gamma).toBeGreaterThanOrEqual(0.05);
      const zero = trainPerceptron(X, y, { maxEpochs: 10_000 });
      expect(zero.converged).toBe(true);
      expect(zero.mistakes).toBeLessThanOrEqual(novikoffBound(R, gamma));
      expect(X.every((x, i) => zero.unit.predict(x) === y[i])).toBe(true);
      const init = [random.normal(), random.normal(), random.normal()];
      const eta = 0.1;
      const rand = trainPerceptron(X, y, { maxEpochs: 10_000, init, eta });
      expect(rand.converged).toBe(true);
      expect(rand.mistakes).toBeLessThanOrEqual(novikoffBound(R, gamma, { initNorm: Math.hypot(...init), eta }));
    }
  });

  it("never converges on XOR", () => {
    const r = trainPerceptron(inputs, [0, 1, 1, 0], { maxEpochs: 1000, init: [0.1, -0.2, 0.3] });
    expect(r.converged).toBe(false);
    expect(r.epochs).toBe(1000);
    expect(Math.min(...r.mistakesPerEpoch)).toBeGreaterThan(0);
  });

  it("with the notes' minus sign, it does not learn even AND", () => {
    const r = trainPerceptron(inputs, [0, 0, 0, 1], { sign: -1, maxEpochs: 50 });
    expect(r.converged).toBe(false);
    expect(r.mistakesPerEpoch.at(-1)).toBeGreaterThan(0);
  });

  it("rejects bad input with a clear message", () => {
    expect(() => trainPerceptron([], [])).toThrow(/D is empty/);
    expect(() => trainPerceptron(inputs, [0, 1, 2, 0])).toThrow(/labels must be 0 or 1/);
    expect(() => trainPerceptron(inputs, [0, 1])).toThrow(/4 inputs but 2 labels/);
    expect(() => trainPerceptron(inputs, [0, 0, 0, 1], { init: [0, 0] })).toThrow(/pass 3/);
    expect(() => novikoffBound(1, -0.1)).toThrow(/separable/);
  });
});

describe("Novikoff's bound", () => {
  it("is (R/γ)² from zero, plus 2‖w_init‖/(ηγ) from w_init", () => {
    expect(novikoffBound(2, 0.5)).toBe(16);
    expect(novikoffBound(2, 0.5, { initNorm: 1, eta: 0.1 })).toBe(56);
    expect(dataRadius([[3, 4], [0, 1]])).toBeCloseTo(Math.sqrt(26), 12);
    expect(geometricMargin([[0, 0], [1, 1]], [0, 1], andUnit())).toBeCloseTo(0.5 / Math.hypot(1.5, 1, 1), 12);
  });
});

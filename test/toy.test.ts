import { describe, expect, it } from "vitest";
import { classCounts } from "../lib/src/data/dataset";
import { dataRadius, geometricMargin, ThresholdUnit, trainPerceptron, novikoffBound } from "../lib/src/scratch/perceptron";
import { Random, seed } from "../lib/src/core/random";
import { blobs, circles, linearlySeparable, moons, noisyFunction, spirals, xor, xorCloud } from "../lib/src/data/toy";

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe("toy sets", () => {
  it("are seeded: same seed, same data; another seed, other data", () => {
    seed(1);
    const a = moons();
    seed(1);
    const b = moons();
    seed(2);
    const c = moons();
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(b.y)).toEqual(Array.from(a.y));
    expect(Array.from(c.x)).not.toEqual(Array.from(a.x));
  });

  it("blobs sit around their centres with the requested spread, classes balanced", () => {
    const ds = blobs({ n: 3000, centers: [[-2, 0], [2, 0], [0, 3]], std: 0.5, random: new Random(1) });
    expect(classCounts(ds.y)).toEqual([1000, 1000, 1000]);
    const xs = (c: number, j: number) => Array.from({ length: ds.rows }, (_, i) => i).filter((i) => ds.y[i] === c).map((i) => ds.x[2 * i + j]!);
    expect(mean(xs(0, 0))).toBeCloseTo(-2, 1);
    expect(mean(xs(2, 1))).toBeCloseTo(3, 1);
    const v = xs(1, 0);
    expect(Math.sqrt(mean(v.map((a) => (a - mean(v)) ** 2)))).toBeCloseTo(0.5, 1);
  });

  it("xor is the truth table; the cloud is labelled by its corner", () => {
    const d = xor();
    expect(d.xRows()).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(Array.from(d.y)).toEqual([0, 1, 1, 0]);
    const cloud = xorCloud({ n: 400, noise: 0.1, random: new Random(2) });
    expect(classCounts(cloud.y)).toEqual([200, 200]);
    let agree = 0;
    for (let i = 0; i < cloud.rows; i++) agree += Number((Math.round(cloud.x[2 * i]!) ^ Math.round(cloud.x[2 * i + 1]!)) === cloud.y[i]);
    expect(agree / cloud.rows).toBeGreaterThan(0.99);
  });

  it("moons, circles and spirals have the expected geometry", () => {
    const m = moons({ n: 400, noise: 0, random: new Random(3) });
    expect(classCounts(m.y)).toEqual([200, 200]);
    for (let i = 0; i < m.rows; i++) {
      const [a, b] = [m.x[2 * i]!, m.x[2 * i + 1]!];
      const r = m.y[i] === 0 ? Math.hypot(a, b) : Math.hypot(a - 1, b - 0.5);
      expect(r).toBeCloseTo(1, 5);
    }
    const c = circles({ n: 200, noise: 0, factor: 0.3, random: new Random(4) });
    for (let i = 0; i < c.rows; i++) expect(Math.hypot(c.x[2 * i]!, c.x[2 * i + 1]!)).toBeCloseTo(c.y[i] === 0 ? 1 : 0.3, 5);
    const s = spirals({ n: 300, classes: 3, random: new Random(5) });
    expect(classCounts(s.y)).toEqual([100, 100, 100]);
    for (let i = 0; i < s.rows; i++) expect(Math.hypot(s.x[2 * i]!, s.x[2 * i + 1]!)).toBeLessThan(1);
    expect(() => spirals({ classes: 1 })).toThrow(/classes must be an integer ≥ 2/);
  });

  it("the separable set has the margin it reports, and the perceptron obeys Novikoff's bound on it", () => {
    const set = linearlySeparable({ n: 200, margin: 0.1, random: new Random(6) });
    expect(set.gamma).toBeGreaterThanOrEqual(0.1);
    const X = set.data.xRows();
    const unit = new ThresholdUnit(set.w, set.w0);
    expect(geometricMargin(X, set.data.y, unit)).toBeCloseTo(set.gamma, 5);
    expect(set.R).toBeCloseTo(dataRadius(X), 5);
    const result = trainPerceptron(X, set.data.y, { maxEpochs: 1000 });
    expect(result.converged).toBe(true);
    expect(result.mistakes).toBeLessThanOrEqual(novikoffBound(set.R, set.gamma));
    expect(() => linearlySeparable({ margin: 2 })).toThrow(/use a smaller margin/);
  });

  it("noisyFunction samples sin with the requested noise, x sorted", () => {
    const d = noisyFunction({ n: 2000, noise: 0.1, random: new Random(7) });
    const x = Array.from(d.x);
    expect(x).toEqual([...x].sort((a, b) => a - b));
    expect(x.every((v) => v >= 0 && v < 2 * Math.PI)).toBe(true);
    const residual = x.map((v, i) => d.y[i]! - Math.sin(v));
    expect(Math.abs(mean(residual))).toBeLessThan(0.01);
    expect(Math.sqrt(mean(residual.map((r) => r * r)))).toBeCloseTo(0.1, 2);
  });
});

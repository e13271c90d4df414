import { describe, expect, it } from "vitest";
import { mean, median, runningMax, std, variance } from "../lib/src/core/stats";
import { Random } from "../lib/src/core/random";

describe("summary statistics", () => {
  // The textbook example: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32.
  const x = [2, 4, 4, 4, 5, 5, 7, 9];

  it("give the textbook values: mean, population and sample variance and standard deviation", () => {
    expect(mean(x)).toBe(5);
    expect(variance(x)).toBe(4);
    expect(std(x)).toBe(2);
    expect(variance(x, 1)).toBeCloseTo(32 / 7, 14);
    expect(std(x, 1)).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(mean(Float32Array.from(x))).toBe(5);
    expect(variance([3])).toBe(0);
  });

  it("agree with the definitions on random data, and the variance does not depend on a shift", () => {
    const r = new Random(7);
    const v = Float64Array.from({ length: 1001 }, () => r.normal(3, 2));
    let sum = 0;
    for (const a of v) sum += a;
    const m = sum / v.length;
    expect(mean(v)).toBe(m);
    expect(variance(v)).toBeCloseTo(v.reduce((s, a) => s + (a - m) ** 2, 0) / v.length, 12);
    expect(variance(v.map((a) => a + 1e6))).toBeCloseTo(variance(v), 6);
    expect(std(v, 1) / std(v)).toBeCloseTo(Math.sqrt(1001 / 1000), 12);
    expect(std(v)).toBeGreaterThan(1.8);
    expect(std(v)).toBeLessThan(2.2);
  });

  it("median: the middle value, or the mean of the two middle values, without reordering the input", () => {
    const odd = [9, 1, 5];
    expect(median(odd)).toBe(5);
    expect(odd).toEqual([9, 1, 5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 2])).toBe(6); // numeric order, not the default string sort ("10" < "2")
    expect(median(Float32Array.from([7]))).toBe(7);
  });

  it("runningMax: the best so far at each step", () => {
    expect(runningMax([0.5, 0.7, 0.6, 0.9, 0.8])).toEqual([0.5, 0.7, 0.7, 0.9, 0.9]);
    expect(runningMax([-3, -5])).toEqual([-3, -3]);
    expect(runningMax([])).toEqual([]);
  });

  it("reject empty input and a sample variance of one value, naming the problem", () => {
    expect(() => mean([])).toThrow(/mean: no values/);
    expect(() => variance([])).toThrow(/variance: no values/);
    expect(() => median(new Float64Array(0))).toThrow(/median: no values/);
    expect(() => std([1], 1)).toThrow(/at least two values/);
  });
});

/** The small core helpers the notebooks use instead of defining their own. */
import { describe, expect, it } from "vitest";
import { maxAbsDiff, relativeChange } from "../lib/src/core/check";
import { evaluateGrid, pointwise } from "../lib/src/core/grid";
import { movingAverage } from "../lib/src/core/metrics";

describe("maxAbsDiff and relativeChange", () => {
  it("compare numbers and nested arrays of the same shape", () => {
    expect(maxAbsDiff([[1, 2], [3, 4]], [[1, 2.5], [2, 4]])).toBe(1);
    expect(maxAbsDiff([[[1]], [[-2]]], [[[1]], [[2]]])).toBe(4);
    expect(maxAbsDiff(3, 3)).toBe(0);
    expect(relativeChange([[3, 4]], [[0, 0.5]])).toBeCloseTo(Math.hypot(3, 3.5) / 0.5, 12);
    expect(relativeChange([1, 1], [1, 1])).toBe(0);
  });
  it("refuse arrays of different shapes", () => {
    expect(() => maxAbsDiff([[1, 2]], [[1], [2]])).toThrow(/shapes \[1,2\] and \[2,1\] differ/);
    expect(() => relativeChange([1, 2, 3], [1, 2])).toThrow(/relativeChange: shapes/);
  });
});

describe("pointwise", () => {
  it("evaluates a one-point function on every grid point, in the grid's order", () => {
    const grid = evaluateGrid(pointwise(([a, b]) => 10 * a! + b!), { x: [0, 1], y: [0, 2] }, 2);
    expect(grid.z).toEqual([[0, 10], [2, 12]]);
  });
});

describe("movingAverage", () => {
  it("is the trailing mean over the window, over fewer values at the start", () => {
    expect(movingAverage([2, 4, 6, 8, 10], 3)).toEqual([2, 3, 4, 6, 8]);
    expect(movingAverage(Float64Array.from([1, 3]), 1)).toEqual([1, 3]);
    expect(movingAverage([], 5)).toEqual([]);
  });
  it("matches the direct mean on a long noisy series", () => {
    const v = Array.from({ length: 200 }, (_, i) => Math.sin(i) * 10 + i);
    const m = movingAverage(v, 20);
    for (const i of [0, 7, 19, 20, 150, 199]) {
      const w = v.slice(Math.max(0, i - 19), i + 1);
      expect(m[i]).toBeCloseTo(w.reduce((s, x) => s + x, 0) / w.length, 9);
    }
    expect(() => movingAverage(v, 0)).toThrow(/window/);
  });
});

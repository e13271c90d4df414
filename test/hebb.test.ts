import { describe, expect, it } from "vitest";
import { centre, covariance, hebbAssociate, hebbUpdate, leadingEigenvector, ojaUpdate, trainHebbian } from "../lib/src/scratch/hebb";
import { Random } from "../lib/src/core/random";

/** Correlated 3-D Gaussian data x = A·n with n ~ N(0, I). */
function correlated(n: number, random: Random): number[][] {
  const A = [
    [2, 0.5, 0],
    [0.5, 1, 0.3],
    [0, 0.3, 0.4],
  ];
  return Array.from({ length: n }, () => {
    const g = [random.normal(), random.normal(), random.normal()];
    return A.map((row) => row.reduce((s, a, j) => s + a * g[j]!, 0) + 5);
  });
}

describe("Hebb's rule", () => {
  it("updates Δw = η·x·y and Oja's Δw = η·y·(x − y·w)", () => {
    expect(Array.from(hebbUpdate(Float64Array.from([1, 0]), [2, 3], 0.5, 0.1))).toEqual([1.1, 0.15000000000000002]);
    const w = ojaUpdate(Float64Array.from([1, 0]), [2, 3], 2, 0.1);
    expect(w[0]).toBeCloseTo(1 + 0.1 * 2 * (2 - 2), 12);
    expect(w[1]).toBeCloseTo(0.1 * 2 * 3, 12);
  });

  it("stores and recalls orthogonal associations", () => {
    const X = [
      [1, 1, -1, -1],
      [1, -1, 1, -1],
    ];
    const Y = [
      [1, -1],
      [-1, 1],
    ];
    const W = hebbAssociate(X, Y, 0.25);
    for (let k = 0; k < 2; k++) {
      const recall = [0, 1].map((i) => X[k]!.reduce((s, x, j) => s + W[i * 4 + j]! * x, 0));
      expect(recall).toEqual(Y[k]);
    }
    expect(() => hebbAssociate(X, [Y[0]!])).toThrow(/same number/);
  });

  it("plain Hebb grows without bound while Oja's rule keeps ‖w‖ near 1", () => {
    const X = centre(correlated(300, new Random(1)));
    const init = [0.1, 0.1, 0.1];
    const hebb = trainHebbian(X, { rule: "hebb", eta: 0.01, epochs: 3, init });
    expect(hebb.norms.at(-1)!).toBeGreaterThan(1e6);
    for (let t = 1; t < hebb.norms.length; t++) expect(hebb.norms[t]!).toBeGreaterThanOrEqual(hebb.norms[t - 1]!);
    const oja = trainHebbian(X, { rule: "oja", eta: 0.005, epochs: 20, init });
    expect(Math.abs(oja.norms.at(-1)! - 1)).toBeLessThan(0.02);
  });

  it("Oja's rule converges to the covariance's leading eigenvector (up to sign)", () => {
    const X = correlated(1000, new Random(2));
    const { vector } = leadingEigenvector(covariance(X), 3);
    const oja = trainHebbian(centre(X), { rule: "oja", eta: 0.002, epochs: 30, init: [0.3, -0.2, 0.1] });
    const w = oja.w;
    const cos = (w[0]! * vector[0]! + w[1]! * vector[1]! + w[2]! * vector[2]!) / Math.hypot(...w);
    expect(Math.abs(cos)).toBeGreaterThan(0.999);
  });
});

describe("covariance and power iteration", () => {
  it("computes the sample covariance", () => {
    const C = covariance([
      [1, 2],
      [3, 6],
    ]);
    expect(Array.from(C)).toEqual([1, 2, 2, 4]);
  });

  it("finds the leading eigenpair of a symmetric matrix", () => {
    // [[2, 1], [1, 2]] has eigenvalues 3 (along [1, 1]/√2) and 1
    const { vector, value } = leadingEigenvector([2, 1, 1, 2], 2);
    expect(value).toBeCloseTo(3, 10);
    expect(Math.abs(vector[0]!)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(vector[0]! * vector[1]!).toBeGreaterThan(0);
    const diag = leadingEigenvector([1, 0, 0, 0, 5, 0, 0, 0, 2], 3);
    expect(diag.value).toBeCloseTo(5, 10);
    expect(Math.abs(diag.vector[1]!)).toBeCloseTo(1, 10);
    expect(() => leadingEigenvector([1, 2, 3], 2)).toThrow(/2×2/);
  });
});

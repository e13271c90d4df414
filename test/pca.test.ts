import { describe, expect, it } from "vitest";
import { covariance, fit, meanSquaredError, orthonormalize, principalAngles, reconstruct, residualVariance, symmetricEigen, transform } from "../lib/src/scratch/pca";
import { Random } from "../lib/src/core/random";

/** A random orthogonal n × n matrix (rows orthonormal): a product of Householder reflections of seeded vectors. */
function randomOrthogonal(n: number, rand: Random): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let r = 0; r < n; r++) {
    const v = Float64Array.from({ length: n }, () => rand.normal());
    const norm2 = v.reduce((s, x) => s + x * x, 0);
    // Q ← Q (I − 2 v vᵀ / vᵀv)
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += q[i * n + j]! * v[j]!;
      for (let j = 0; j < n; j++) q[i * n + j]! -= (2 * dot * v[j]!) / norm2;
    }
  }
  return q;
}

/** Q diag(λ) Qᵀ with the rows of Q as eigenvectors: Σ λ_i q_i q_iᵀ. */
function compose(q: Float64Array, lambda: number[], n: number): Float64Array {
  const a = new Float64Array(n * n);
  lambda.forEach((l, k) => {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j]! += l * q[k * n + i]! * q[k * n + j]!;
  });
  return a;
}

describe("symmetricEigen", () => {
  it("gives the hand-computed decomposition of [[2, 1], [1, 2]]", () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0]! * vectors[1]!).toBeGreaterThan(0); // (1, 1)/√2
    expect(vectors[2]! * vectors[3]!).toBeLessThan(0); // (1, −1)/√2
  });

  it("recovers a known decomposition Q diag(λ) Qᵀ (n = 40, with a repeated and a zero eigenvalue)", () => {
    const n = 40;
    const rand = new Random(3);
    const q = randomOrthogonal(n, rand);
    const lambda = Array.from({ length: n }, (_, i) => (i === 5 ? 7 : i === 39 ? 0 : 30 - 0.7 * i));
    lambda[6] = 7; // a repeated eigenvalue
    const { values, vectors } = symmetricEigen(compose(q, lambda, n), n);
    const sorted = [...lambda].sort((x, y) => y - x);
    sorted.forEach((l, i) => expect(values[i]).toBeCloseTo(l, 10));
    // Simple eigenvalues: the vector is ±q_k. Every vector: unit, and A v = λ v.
    const a = compose(q, lambda, n);
    for (let i = 0; i < n; i++) {
      const vi = vectors.subarray(i * n, i * n + n);
      expect(vi.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 12);
      for (let r = 0; r < n; r++) {
        let av = 0;
        for (let c = 0; c < n; c++) av += a[r * n + c]! * vi[c]!;
        expect(av).toBeCloseTo(values[i]! * vi[r]!, 10);
      }
      const k = lambda.indexOf(values[i]!) >= 0 ? lambda.findIndex((l) => Math.abs(l - values[i]!) < 1e-9) : -1;
      if (k >= 0 && lambda[k] !== 7) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += q[k * n + c]! * vi[c]!;
        expect(Math.abs(dot)).toBeCloseTo(1, 10);
      }
    }
    // Eigenvectors of different eigenvalues are orthogonal, and so are the two found for λ = 7.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += vectors[i * n + c]! * vectors[j * n + c]!;
        expect(Math.abs(dot)).toBeLessThan(1e-10);
      }
    }
  });

  it("handles a diagonal matrix and 1 × 1, and rejects an asymmetric one", () => {
    const { values } = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, 3], 3);
    expect(Array.from(values)).toEqual([5, 3, 1]);
    expect(Array.from(symmetricEigen([4], 1).values)).toEqual([4]);
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(/not symmetric/);
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/not an n × n/);
  });
});

describe("PCA", () => {
  // Data with a known covariance: x = μ + Qᵀ diag(σ) g, g standard normal, so Σ = Σ_i σ_i² q_i q_iᵀ.
  const d = 6;
  const rows = 4000;
  const rand = new Random(11);
  const q = randomOrthogonal(d, rand);
  const sigma = [3, 2, 1, 0.5, 0.2, 0.1];
  const mu = [1, -2, 0, 0.5, 3, 0];
  const x = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const g = sigma.map((s) => s * rand.normal());
    for (let j = 0; j < d; j++) x[r * d + j] = mu[j]! + g.reduce((s, gi, i) => s + gi * q[i * d + j]!, 0);
  }

  it("covariance: the mean and 1/N covariance agree with the definition, including zero entries", () => {
    const small = [1, 0, 2, 0, 3, 1, 0, 0, 4]; // 3 rows × 3
    const { mean, cov } = covariance(small, 3, 3);
    [1 / 3, 1, 7 / 3].forEach((m, j) => expect(mean[j]).toBeCloseTo(m, 14));
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let r = 0; r < 3; r++) s += (small[r * 3 + i]! - mean[i]!) * (small[r * 3 + j]! - mean[j]!);
        expect(cov[i * 3 + j]).toBeCloseTo(s / 3, 12);
      }
  });

  it("finds the generating directions and variances", () => {
    const model = fit(x, rows, d, 3);
    sigma.forEach((s, i) => expect(model.variances[i]! / (s * s)).toBeGreaterThan(0.9));
    sigma.forEach((s, i) => expect(model.variances[i]! / (s * s)).toBeLessThan(1.1));
    mu.forEach((m, j) => expect(Math.abs(model.mean[j]! - m)).toBeLessThan(0.15));
    for (let i = 0; i < 3; i++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += model.components[i * d + j]! * q[i * d + j]!;
      expect(Math.abs(dot)).toBeGreaterThan(0.99);
    }
    const angles = principalAngles(model.components, 3, q.subarray(0, 3 * d), 3, d);
    expect(Math.max(...angles)).toBeLessThan(0.05);
  });

  it("the training reconstruction error of k components is the variance left out, (1/d) Σ_{i>k} λ_i", () => {
    for (const k of [1, 2, 4, 6]) {
      const model = fit(x, rows, d, k);
      const xHat = reconstruct(model, transform(model, x, rows), rows);
      expect(meanSquaredError(x, xHat)).toBeCloseTo(residualVariance(model, k), 10);
    }
    expect(residualVariance(fit(x, rows, d, 6), 6)).toBe(0);
  });

  it("skips constant inputs and still returns k orthonormal components", () => {
    const data = [1, 5, 0, 2, 5, 1, 4, 5, 1, 0, 5, 3]; // 4 rows × 3, the middle input constant
    const model = fit(data, 4, 3, 3);
    expect(model.variances[2]).toBe(0);
    const c = model.components;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(c[i * 3] ! * c[j * 3]! + c[i * 3 + 1]! * c[j * 3 + 1]! + c[i * 3 + 2]! * c[j * 3 + 2]!).toBeCloseTo(i === j ? 1 : 0, 12);
    expect(Math.abs(c[2 * 3 + 1]!)).toBe(1);
  });

  it("codes are uncorrelated with variances λ_i", () => {
    const model = fit(x, rows, d, 3);
    const z = transform(model, x, rows);
    const { mean, cov } = covariance(z, rows, 3);
    mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-9));
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(cov[i * 3 + j]).toBeCloseTo(i === j ? model.variances[i]! : 0, 8);
  });
});

describe("principal angles", () => {
  it("between span{e1, e2} and span{e1, cos θ e2 + sin θ e3} are 0 and θ", () => {
    for (const theta of [0.3, 1.2, Math.PI / 2, 1e-6]) {
      const a = [1, 0, 0, 0, 0, 1, 0, 0];
      const b = [1, 0, 0, 0, 0, Math.cos(theta), Math.sin(theta), 0];
      const angles = principalAngles(a, 2, b, 2, 4);
      expect(angles[0]).toBeCloseTo(0, 7);
      expect(angles[1]).toBeCloseTo(theta, 7);
    }
  });

  it("do not depend on the basis chosen (non-orthonormal bases of the same plane give 0, 0)", () => {
    const a = [1, 2, 3, 0, -1, 1, 0, 2];
    const b = [0, 3, 3, 2, 5, 1, 6, -6]; // a1 + a2, 2a1 − 3a2
    const angles = principalAngles(a, 2, b, 2, 4);
    angles.forEach((t) => expect(t).toBeLessThan(1e-6));
  });

  it("of a line against a plane: the angle between the line and its projection", () => {
    const angles = principalAngles([1, 0, 1], 1, [1, 0, 0, 0, 1, 0], 2, 3);
    expect(angles.length).toBe(1);
    expect(angles[0]).toBeCloseTo(Math.PI / 4, 10);
  });

  it("orthonormalize rejects dependent vectors", () => {
    expect(() => orthonormalize([1, 2, 2, 4], 2, 2)).toThrow(/span/);
    const q = orthonormalize([3, 4, 1, 0], 2, 2);
    expect(Array.from(q).map((v) => Number(v.toFixed(10)))).toEqual([0.6, 0.8, 0.8, -0.6]);
  });
});

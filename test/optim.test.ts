import { beforeAll, describe, expect, it } from "vitest";
import {
  AdaGrad, Adam, Momentum, MomentumEMA, Nesterov, RMSProp, SGD, descend, illConditionedQuadratic, rosenbrock, saddle, wellsAndPlateau,
  type Optimizer, type Surface2D,
} from "../lib/src/scratch/optim";
import { Random } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("cpu");
});

const STEPS = 6;
/** Two parameter vectors of different sizes, and a fixed gradient sequence for each step. */
function problem() {
  const r = new Random(7);
  const params = [Float64Array.from({ length: 5 }, () => r.normal()), Float64Array.from({ length: 3 }, () => r.normal())];
  const grads = Array.from({ length: STEPS }, () => params.map((p) => Float64Array.from({ length: p.length }, () => r.normal(0, 0.5))));
  return { params, grads };
}

/** Runs ours and tfjs's optimizer on the same parameters and gradients; returns the largest relative deviation over all steps. */
function compareWithTf(ours: Optimizer, theirs: tf.Optimizer): number {
  const { params, grads } = problem();
  const vars = params.map((p, i) => tf.variable(tf.tensor1d(Float32Array.from(p)), true, `p${i}_${ours.name}_${Math.random()}`));
  let worst = 0;
  for (const g of grads) {
    ours.step(params, g);
    tf.tidy(() => theirs.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor1d(Float32Array.from(g[i]!))]))));
    vars.forEach((v, i) => {
      const tfValues = v.dataSync();
      params[i]!.forEach((x, j) => {
        worst = Math.max(worst, Math.abs(x - tfValues[j]!) / Math.max(1, Math.abs(x)));
      });
    });
  }
  vars.forEach((v) => v.dispose());
  theirs.dispose();
  return worst;
}

describe("optimizers step for step against TensorFlow.js (float32, so 1e-6 relative)", () => {
  const TOL = 1e-6;
  it("SGD = tf.train.sgd", () => {
    expect(compareWithTf(new SGD(0.1), tf.train.sgd(0.1))).toBeLessThan(TOL);
  });
  it("Momentum (Goodfellow 8.2: v ← αv − εg) = tf.train.momentum(ε, α)", () => {
    expect(compareWithTf(new Momentum(0.05, { momentum: 0.9 }), tf.train.momentum(0.05, 0.9))).toBeLessThan(TOL);
  });
  it("Momentum in the averaged form (v ← αv + (1−α)g, w ← w − ηv) = tf.train.momentum(η(1−α), α)", () => {
    expect(compareWithTf(new MomentumEMA(0.5, { momentum: 0.9 }), tf.train.momentum(0.5 * (1 - 0.9), 0.9))).toBeLessThan(TOL);
  });
  it("Nesterov = tf.train.momentum(ε, α, useNesterov = true)", () => {
    expect(compareWithTf(new Nesterov(0.05, { momentum: 0.9 }), tf.train.momentum(0.05, 0.9, true))).toBeLessThan(TOL);
  });
  it("AdaGrad = tf.train.adagrad when both start the accumulator at 0.1 (tfjs's default; ours defaults to the lecture's 0)", () => {
    expect(compareWithTf(new AdaGrad(0.1, { initialAccumulator: 0.1 }), tf.train.adagrad(0.1, 0.1))).toBeLessThan(TOL);
    // With the lecture's G₀ = 0 the first step is ±η·g/|g| = ±η exactly: the two really differ.
    expect(compareWithTf(new AdaGrad(0.1), tf.train.adagrad(0.1, 0.1))).toBeGreaterThan(1e-3);
  });
  it("RMSProp = tf.train.rmsprop (ε = 1e-7 inside the root in both), plain and with momentum", () => {
    expect(compareWithTf(new RMSProp(0.01, { rho: 0.9 }), tf.train.rmsprop(0.01, 0.9))).toBeLessThan(TOL);
    expect(compareWithTf(new RMSProp(0.01, { rho: 0.8, momentum: 0.5, epsilon: 1e-6 }), tf.train.rmsprop(0.01, 0.8, 0.5, 1e-6))).toBeLessThan(TOL);
  });
  it("centered RMSProp = tf.train.rmsprop(…, centered) up to tfjs subtracting ε where we add it (√(s − m² − ε) vs √(s − m² + ε))", () => {
    const eps = 1e-10; // small enough that the sign of ε is below float32 resolution
    expect(compareWithTf(new RMSProp(0.01, { centered: true, epsilon: eps }), tf.train.rmsprop(0.01, 0.9, 0, eps, true))).toBeLessThan(TOL);
  });
  it("Adam = tf.train.adam (ε = 1e-7 added to √v̂ in both)", () => {
    expect(compareWithTf(new Adam(0.01), tf.train.adam(0.01, 0.9, 0.999, 1e-7))).toBeLessThan(TOL);
    expect(compareWithTf(new Adam(0.003, { beta1: 0.8, beta2: 0.99, epsilon: 1e-4 }), tf.train.adam(0.003, 0.8, 0.99, 1e-4))).toBeLessThan(TOL);
  });
});

describe("optimizer updates by hand", () => {
  it("SGD takes θ − εg and accepts Float32Array parameters", () => {
    const p = Float32Array.from([1, 2]);
    new SGD(0.5).step([p], [Float32Array.from([2, -4])]);
    expect(Array.from(p)).toEqual([0, 4]);
  });
  it("Momentum's second step adds α times the first", () => {
    const p = Float64Array.from([0]);
    const opt = new Momentum(0.1, { momentum: 0.5 });
    opt.step([p], [Float64Array.from([1])]); // v = −0.1
    opt.step([p], [Float64Array.from([1])]); // v = −0.05 − 0.1 = −0.15
    expect(p[0]).toBeCloseTo(-0.25, 12);
    expect(opt.t).toBe(2);
  });
  it("AdaGrad's first step from G = 0 has size η whatever the gradient's size", () => {
    for (const g of [1e-3, 1, 1e3]) {
      const p = Float64Array.from([0]);
      new AdaGrad(0.1, { epsilon: 0 }).step([p], [Float64Array.from([g])]);
      expect(p[0]).toBeCloseTo(-0.1, 12);
    }
  });
  it("Adam's first step is ≈ η·sign(g) (bias correction)", () => {
    const p = Float64Array.from([0, 0]);
    new Adam(0.01, { epsilon: 0 }).step([p], [Float64Array.from([5, -1e-3])]);
    expect(p[0]).toBeCloseTo(-0.01, 12);
    expect(p[1]).toBeCloseTo(0.01, 12);
  });
  it("rejects mismatched shapes, changed parameter lists and bad hyper-parameters with clear errors", () => {
    const opt = new SGD(0.1);
    expect(() => opt.step([new Float64Array(2)], [new Float64Array(3)])).toThrow(/parameter 0 has 2 entries but its gradient has 3/);
    expect(() => opt.step([new Float64Array(2)], [])).toThrow(/1 parameter vectors but 0 gradient/);
    opt.step([new Float64Array(2)], [new Float64Array(2)]);
    expect(() => opt.step([new Float64Array(4)], [new Float64Array(4)])).toThrow(/changed shape/);
    expect(() => new SGD(-1)).toThrow(/positive/);
    expect(() => new Momentum(0.1, { momentum: 1 })).toThrow(/\[0, 1\)/);
  });
});

function numericGrad(s: Surface2D, a: number, b: number): [number, number] {
  const h = 1e-6;
  return [(s.f(a + h, b) - s.f(a - h, b)) / (2 * h), (s.f(a, b + h) - s.f(a, b - h)) / (2 * h)];
}

describe("two-parameter surfaces and trajectories", () => {
  it("each surface's gradient matches centred differences", () => {
    for (const s of [illConditionedQuadratic(20), rosenbrock(), saddle(), wellsAndPlateau()]) {
      for (const [a, b] of [[0.3, -0.7], [1.2, 0.4], [-1.5, 2]] as const) {
        const [ga, gb] = s.grad(a, b);
        const [na, nb] = numericGrad(s, a, b);
        expect(ga).toBeCloseTo(na, 4);
        expect(gb).toBeCloseTo(nb, 4);
      }
    }
  });
  it("gradient descent on the quadratic converges for ε < 2/κ and diverges above", () => {
    const q = illConditionedQuadratic(20);
    const ok = descend(q, new SGD(0.09), [-10, 3], 200);
    expect(ok.loss.at(-1)!).toBeLessThan(1e-6);
    const bad = descend(q, new SGD(0.11), [-10, 3], 500);
    expect(bad.loss.at(-1)!).toBeGreaterThan(1e6);
    expect(bad.points.length).toBeLessThan(501); // stopped when it blew up
  });
  it("momentum beats plain GD on the ill-conditioned quadratic at the same step count", () => {
    const q = illConditionedQuadratic(20);
    const gd = descend(q, new SGD(0.04), [-10, 3], 60);
    const mom = descend(q, new Momentum(0.04, { momentum: 0.8 }), [-10, 3], 60);
    expect(mom.loss.at(-1)!).toBeLessThan(gd.loss.at(-1)! / 100);
  });
  it("Adam reaches Rosenbrock's minimum (1, 1)", () => {
    const path = descend(rosenbrock(), new Adam(0.02), [-1.5, 2], 4000);
    expect(path.points.at(-1)![0]).toBeCloseTo(1, 2);
    expect(path.points.at(-1)![1]).toBeCloseTo(1, 2);
  });
  it("GD on the saddle: stuck on the ridge when started on it, escapes when nudged off", () => {
    const stuck = descend(saddle(), new SGD(0.1), [1.5, 0], 50);
    expect(Math.hypot(stuck.points.at(-1)![0], stuck.points.at(-1)![1])).toBeLessThan(1e-4); // converged to the saddle point itself
    const escape = descend(saddle(), new SGD(0.1), [1.5, 1e-3], 50);
    expect(escape.loss.at(-1)!).toBeLessThan(-1);
  });
  it("wells and plateau: the global well, the local well, and a start on the plateau that barely moves", () => {
    const s = wellsAndPlateau();
    const global = descend(s, new SGD(0.1), [-0.2, 0.8], 300);
    expect(global.points.at(-1)![0]).toBeCloseTo(-1, 2);
    const local = descend(s, new SGD(0.1), [1.1, 1], 300);
    expect(local.points.at(-1)![0]).toBeCloseTo(1.5, 1);
    expect(local.loss.at(-1)!).toBeGreaterThan(global.loss.at(-1)! + 0.3);
    const plateau = descend(s, new SGD(0.1), [3, -2], 300);
    expect(Math.hypot(plateau.points.at(-1)![0] - 3, plateau.points.at(-1)![1] + 2)).toBeLessThan(0.01);
  });
});

describe("gradient clipping", () => {
  it("clipGradNorm scales all vectors together to the global norm and leaves small gradients alone", async () => {
    const { clipGradNorm } = await import("../lib/src/scratch/optim");
    const g = [Float64Array.from([3, 0]), Float64Array.from([0, 4])];
    expect(clipGradNorm(g, 1)).toBeCloseTo(5, 12);
    expect(Array.from(g[0]!)).toEqual([0.6, 0]);
    expect(g[1]![1]).toBeCloseTo(0.8, 12);
    const h = [Float64Array.from([0.3, 0.4])];
    expect(clipGradNorm(h, 1)).toBeCloseTo(0.5, 12);
    expect(Array.from(h[0]!)).toEqual([0.3, 0.4]);
    expect(() => clipGradNorm(h, 0)).toThrow(/positive/);
  });
});

import { describe, expect, it } from "vitest";
import { activationStats, layerGradientNorms } from "../lib/src/scratch/init";
import { Dense, MLP, initLayer, weightVariance } from "../lib/src/scratch/mlp";
import { Random } from "../lib/src/core/random";
import { constantLR, cosineDecay, exponentialDecay, stepDecay } from "../lib/src/scratch/schedules";

function variance(a: Float64Array): number {
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
}

describe("initialisation", () => {
  it("PyTorch's default stays inside ±1/√m, biases too, with variance 1/(3m)", () => {
    const layer = initLayer(new Dense(400, 300), "pytorch", new Random(1));
    const lim = 1 / Math.sqrt(400);
    expect(Math.max(...layer.W.map(Math.abs))).toBeLessThanOrEqual(lim);
    expect(Math.max(...layer.b.map(Math.abs))).toBeLessThanOrEqual(lim);
    expect(Math.max(...layer.W.map(Math.abs))).toBeGreaterThan(0.99 * lim);
    expect(variance(layer.W) / weightVariance("pytorch", 400, 300)).toBeCloseTo(1, 1);
  });
  it("Glorot: U(±√(6/(m+n))), zero biases; He: N(0, 2/m)", () => {
    const g = initLayer(new Dense(400, 200), "glorot", new Random(2));
    expect(Math.max(...g.W.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 600));
    expect(variance(g.W) * 600 / 2).toBeCloseTo(1, 1);
    expect(g.b.every((v) => v === 0)).toBe(true);
    const h = initLayer(new Dense(400, 200), "he", new Random(3));
    expect(variance(h.W) * 400 / 2).toBeCloseTo(1, 1);
    expect(Math.max(...h.W.map(Math.abs))).toBeGreaterThan(Math.sqrt(6 / 400)); // a normal has tails beyond the uniform's edge
  });
  it("MLP.random initialises every layer by the scheme, Glorot by default (as Dense.random)", () => {
    const glorot = MLP.random([5, 4, 3], "tanh", new Random(9));
    const r = new Random(9);
    const byHand = [initLayer(new Dense(5, 4, "tanh"), "glorot", r), initLayer(new Dense(4, 3, "tanh"), "glorot", r)];
    glorot.layers.forEach((l, i) => expect(Array.from(l.W)).toEqual(Array.from(byHand[i]!.W)));
    const pytorch = MLP.random([5, 4], "relu", new Random(1), "pytorch");
    expect(pytorch.layers[0]!.b.some((v) => v !== 0)).toBe(true);
    expect(Array.from(Dense.random(5, 4, "relu", new Random(1), "pytorch").W)).toEqual(Array.from(pytorch.layers[0]!.W));
  });
  it("is reproducible for a seed", () => {
    const a = MLP.random([5, 4, 3], "tanh", new Random(9), "he");
    const b = MLP.random([5, 4, 3], "tanh", new Random(9), "he");
    expect(Array.from(a.layers[1]!.W)).toEqual(Array.from(b.layers[1]!.W));
  });

  const depth = 10;
  const width = 200;
  const X = (() => {
    const r = new Random(4);
    return Float64Array.from({ length: 100 * width }, () => r.normal());
  })();
  const stdAtDepth = (act: "tanh" | "relu", scheme: "pytorch" | "glorot" | "he") =>
    activationStats(MLP.random(Array(depth + 1).fill(width), act, new Random(5), scheme), X).map((s) => s.std);

  it("activation statistics: tanh activations shrink layer by layer under PyTorch's default, not under Glorot", () => {
    const torch = stdAtDepth("tanh", "pytorch");
    const glorot = stdAtDepth("tanh", "glorot");
    expect(torch[depth - 1]!).toBeLessThan(0.15 * torch[0]!); // down to the floor set by the U(±1/√m) biases
    expect(glorot[depth - 1]!).toBeGreaterThan(0.3 * glorot[0]!);
  });
  it("activation statistics: ReLU activations keep their scale under He, die out under Glorot", () => {
    const he = stdAtDepth("relu", "he");
    const glorot = stdAtDepth("relu", "glorot");
    expect(he[depth - 1]! / he[0]!).toBeGreaterThan(0.4);
    expect(he[depth - 1]! / he[0]!).toBeLessThan(2.5);
    expect(glorot[depth - 1]! / glorot[0]!).toBeLessThan(0.1);
    const stats = activationStats(MLP.random([width, width], "relu", new Random(6), "he"), X)[0]!;
    expect(stats.flat).toBeGreaterThan(0.4); // about half the ReLU units sit at z ≤ 0
    expect(stats.flat).toBeLessThan(0.6);
  });
  it("gradient norms: a deep sigmoid network's first layers get orders of magnitude less gradient than a ReLU one's", () => {
    const r = new Random(8);
    const x = Float64Array.from({ length: 32 * 20 }, () => r.normal());
    const labels = Float64Array.from({ length: 32 }, () => r.int(3));
    const sizes = [20, ...Array(8).fill(32), 3];
    const acts = (a: "sigmoid" | "relu") => [...Array(8).fill(a), "softmax"];
    const sig = layerGradientNorms(MLP.random(sizes, acts("sigmoid"), new Random(1), "glorot"), x, labels, "crossEntropy");
    const relu = layerGradientNorms(MLP.random(sizes, acts("relu"), new Random(1), "he"), x, labels, "crossEntropy");
    expect(sig).toHaveLength(9);
    expect(sig[0]! / sig[8]!).toBeLessThan(1e-3);
    expect(relu[0]! / relu[8]!).toBeGreaterThan(1e-1);
  });
});

describe("learning-rate schedules", () => {
  it("step, exponential, cosine and constant give the formulas' values", () => {
    const s = stepDecay(0.1, 10, 0.5);
    expect([0, 9, 10, 25].map(s)).toEqual([0.1, 0.1, 0.05, 0.025]);
    const e = exponentialDecay(0.1, 0.9);
    expect(e(0)).toBe(0.1);
    expect(e(3)).toBeCloseTo(0.1 * 0.729, 15);
    const c = cosineDecay(0.1, 100, 0.001);
    expect(c(0)).toBeCloseTo(0.1, 15);
    expect(c(50)).toBeCloseTo(0.0505, 15);
    expect(c(100)).toBeCloseTo(0.001, 15);
    expect(c(150)).toBeCloseTo(0.001, 15);
    expect(constantLR(0.3)(1000)).toBe(0.3);
  });
  it("reject bad arguments", () => {
    expect(() => stepDecay(0.1, 0)).toThrow(/whole number/);
    expect(() => exponentialDecay(0.1, 1.5)).toThrow(/\(0, 1\]/);
    expect(() => cosineDecay(0.1, 10, 0.5)).toThrow(/final learning rate/);
  });
});

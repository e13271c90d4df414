import { beforeAll, describe, expect, it } from "vitest";
import { composeLinear, countParams, staircaseNetwork, Dense, MLP } from "../lib/src/scratch/mlp";
import { fromTfModel, toTfModel } from "../lib/src/tfjs/bridge";
import { Random } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

/** The lecture's toy sigmoid network (000, weights in the lectures' README). */
const toy = () =>
  new MLP([
    Dense.fromRows([[1, -2], [-1, 1]], [1, 0], "sigmoid"),
    Dense.fromRows([[2, -1], [-2, -1]], [0, 0], "sigmoid"),
    Dense.fromRows([[3, -1], [-1, 4]], [-2, 2], "sigmoid"),
  ]);

const round2 = (a: Float64Array) => Array.from(a, (v) => Math.round(v * 100) / 100);

beforeAll(async () => {
  await initBackend("cpu");
});

describe("dense layer and network, from scratch", () => {
  it("reproduces the lecture's toy network: [1, −1] → [0.98, 0.12] → [0.86, 0.11] → [0.62, 0.83]", () => {
    const net = toy();
    expect(Array.from(net.layers[0]!.preActivation([1, -1]))).toEqual([4, -2]);
    const [x, a1, a2, a3] = net.trace([1, -1]);
    expect(Array.from(x!)).toEqual([1, -1]);
    expect(round2(a1!)).toEqual([0.98, 0.12]);
    expect(round2(a2!)).toEqual([0.86, 0.11]);
    expect(round2(a3!)).toEqual([0.62, 0.83]);
    expect(Array.from(net.forward([1, -1]))).toEqual(Array.from(a3!));
  });

  it("keeps W row-major units×inputs", () => {
    const d = Dense.fromRows([[1, 2, 3], [4, 5, 6]], [0.5, -0.5]);
    expect(d.inputs).toBe(3);
    expect(d.units).toBe(2);
    expect(Array.from(d.W)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(d.forward([1, 0, -1]))).toEqual([-1.5, -2.5]);
    expect(d.weightRows()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it("counts a 3-4-2 network's 20 weights + 6 biases = 26 parameters", () => {
    expect(countParams([3, 4, 2])).toEqual({ weights: 20, biases: 6, total: 26 });
    expect(MLP.random([3, 4, 2], "sigmoid", new Random(1)).paramCount).toBe(26);
    expect(countParams([784, 128, 10]).total).toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(() => countParams([3])).toThrow(/at least two/);
  });

  it("collapses without non-linearity: two linear layers equal one", () => {
    const random = new Random(5);
    const net = MLP.random([3, 5, 2], "linear", random);
    const [l1, l2] = net.layers as [Dense, Dense];
    const one = composeLinear(l1, l2);
    expect(one.inputs).toBe(3);
    expect(one.units).toBe(2);
    const x = [0.3, -1.1, 2];
    const deep = net.forward(x);
    const flat = one.forward(x);
    for (let i = 0; i < 2; i++) expect(deep[i]).toBeCloseTo(flat[i]!, 12);
    expect(() => composeLinear(Dense.random(3, 5, "relu", random), l2)).toThrow(/only linear layers/);
  });

  it("approximates a continuous function better as the hidden layer widens (staircase construction)", () => {
    const f = (x: number) => Math.sin(2 * x) + 0.5 * Math.cos(5 * x);
    const maxError = (width: number) => {
      const net = staircaseNetwork(f, -1.5, 1.5, width);
      let e = 0;
      for (let i = 0; i <= 600; i++) {
        const x = -1.5 + (3 * i) / 600;
        e = Math.max(e, Math.abs(net.forward([x])[0]! - f(x)));
      }
      return e;
    };
    const errors = [4, 16, 64, 256].map(maxError);
    for (let i = 1; i < errors.length; i++) expect(errors[i]!).toBeLessThan(errors[i - 1]! / 2);
    expect(errors[3]!).toBeLessThan(0.05);
    expect(staircaseNetwork(f, 0, 1, 8).paramCount).toBe(8 + 8 + 8 + 1);
    expect(() => staircaseNetwork(f, 1, 0, 8)).toThrow(/a < b/);
  });

  it("rejects mismatched shapes with clear messages", () => {
    expect(() => new Dense(2, 2, "linear", [1, 2, 3])).toThrow(/needs 4/);
    expect(() => new MLP([new Dense(2, 3), new Dense(4, 1)])).toThrow(/layer 1 takes 4 inputs but layer 0 has 3 units/);
    expect(() => new Dense(2, 1).forward([1])).toThrow(/takes 2/);
  });
});

describe("the TensorFlow.js twin", () => {
  it("matches a TensorFlow.js model's countParams() for 3-4-2", () => {
    const model = toTfModel(MLP.random([3, 4, 2], ["sigmoid", "sigmoid"], new Random(2)));
    expect(model.countParams()).toBe(26);
    model.dispose();
  });

  it("gives the same forward pass as TensorFlow.js on random weights, for every activation it has", () => {
    const random = new Random(11);
    const net = MLP.random([5, 8, 7, 6, 4], ["relu", "tanh", "leakyRelu", "softmax"], random);
    for (const layer of net.layers) for (let i = 0; i < layer.b.length; i++) layer.b[i] = random.normal(0, 0.5);
    const elu = MLP.random([5, 3, 2], ["elu", "sigmoid"], random);
    for (const n of [net, elu]) {
      const model = toTfModel(n);
      const X = Array.from({ length: 16 }, () => Array.from({ length: 5 }, () => random.normal(0, 2)));
      const out = tf.tidy(() => model.predict(tf.tensor2d(X)) as tf.Tensor).arraySync() as number[][];
      X.forEach((x, k) => {
        const mine = n.forward(x);
        mine.forEach((v, i) => expect(Math.abs(v - out[k]![i]!)).toBeLessThan(1e-5));
      });
      const back = fromTfModel(model);
      expect(back.sizes).toEqual(n.sizes);
      expect(back.layers.map((l) => l.activation)).toEqual(n.layers.map((l) => l.activation));
      back.layers.forEach((l, i) => l.W.forEach((w, j) => expect(w).toBeCloseTo(n.layers[i]!.W[j]!, 6)));
      model.dispose();
    }
  });

  it("reproduces the toy network in TensorFlow.js", () => {
    const model = toTfModel(toy());
    const y = tf.tidy(() => (model.predict(tf.tensor2d([[1, -1]])) as tf.Tensor).arraySync()) as number[][];
    expect(y[0]!.map((v) => Math.round(v * 100) / 100)).toEqual([0.62, 0.83]);
    model.dispose();
  });

  it("refuses the step activation, which TensorFlow.js layers lack", () => {
    expect(() => toTfModel(new MLP([new Dense(2, 1, "step")]))).toThrow(/step activation/);
  });
});

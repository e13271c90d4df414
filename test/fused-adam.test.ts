import { afterAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { FUSED_ADAM, makeFusedAdam } from "../lib/src/tfjs/kernels/adam";
import { adamWasm } from "../lib/src/tfjs/kernels/adam_wasm";

/** A small regression model and fixed data; returns the weights after `steps` Adam steps and the optimizer's state. */
async function train(steps: number) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [5], units: 7, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: "ones" }),
    ],
  });
  const optimizer = tf.train.adam(0.05, 0.8, 0.95, 1e-6);
  model.compile({ optimizer, loss: "meanSquaredError" });
  const x = tf.randomNormal([16, 5], 0, 1, "float32", 3);
  const y = tf.randomNormal([16, 2], 0, 1, "float32", 4);
  const initial = model.getWeights().map((w) => Array.from(w.dataSync()));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  const state = (await optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return { initial, weights, state, losses, iterations: optimizer.iterations };
}

function maxRelDiff(a: number[][], b: number[][]): number {
  let err = 0;
  let scale = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      err = Math.max(err, Math.abs(v - b[i]![j]!));
      scale = Math.max(scale, Math.abs(b[i]![j]!));
    }),
  );
  return err / scale;
}

describe("fused Adam (one kernel per variable) used by tf.train.adam", () => {
  afterAll(async () => {
    await initBackend("wasm");
  });

  for (const backend of ["wasm", "cpu"] as const) {
    it(`follows the stock tfjs update step for step on ${backend}: weights, moments, iterations`, async () => {
      await initBackend(backend);
      expect(tf.getKernel(FUSED_ADAM, backend)).toBeDefined();
      const fused = await train(20);
      tf.unregisterKernel(FUSED_ADAM, backend); // the stock update runs when the backend has no fused kernel
      let stock: Awaited<ReturnType<typeof train>>;
      try {
        stock = await train(20);
      } finally {
        tf.registerKernel(makeFusedAdam(backend));
      }
      expect(fused.iterations).toBe(20);
      expect(stock.iterations).toBe(20);
      expect(fused.state.length).toBe(stock.state.length);
      expect(maxRelDiff(fused.weights, stock.weights)).toBeLessThan(1e-5);
      expect(maxRelDiff(fused.state, stock.state)).toBeLessThan(1e-5);
      expect(maxRelDiff(fused.weights, fused.initial)).toBeGreaterThan(1e-2); // it did train
      expect(fused.losses.at(-1)!).toBeLessThan(0.7 * fused.losses[0]!);
    });
  }

  it("runs on wasm as a SIMD loop over all but the last n mod 4 values, in float32 like the stock update", async () => {
    await initBackend("wasm");
    const n = 11;
    const k = { beta1: 0.9, oneMinusBeta1: Math.fround(0.1), beta2: 0.999, oneMinusBeta2: Math.fround(0.001), learningRate: 0.01, correction1: 0.1, correction2: 0.001, epsilon: 1e-7 };
    const [x, g, m, v] = [1, 2, 3, 4].map((s) => tf.randomUniform([n], 0.1, 1, "float32", s));
    const outs = [0, 1, 2].map(() => tf.fill([n], 9));
    expect(adamWasm(tf.backend(), [x!, g!, m!, v!], outs, n, k)).toBe(8);
    const [X, G, M, V] = [x!, g!, m!, v!].map((t) => t.dataSync());
    const [X1, M1, V1] = outs.map((t) => t.dataSync());
    const f = Math.fround;
    for (let i = 0; i < 8; i++) {
      const mi = f(f(f(k.beta1) * M[i]!) + f(k.oneMinusBeta1 * G[i]!));
      const vi = f(f(f(k.beta2) * V[i]!) + f(f(k.oneMinusBeta2 * G[i]!) * G[i]!));
      const step = f(f(f(k.learningRate) * f(mi / f(k.correction1))) / f(f(Math.sqrt(f(vi / f(k.correction2)))) + f(k.epsilon)));
      expect([M1![i], V1![i], X1![i]]).toEqual([mi, vi, f(X[i]! - step)]);
    }
    for (let i = 8; i < n; i++) expect([X1![i], M1![i], V1![i]]).toEqual([9, 9, 9]); // the tail is the caller's
    tf.dispose([x!, g!, m!, v!, ...outs]);
    await initBackend("cpu");
    expect(adamWasm(tf.backend(), [], [], n, k)).toBe(0);
    await initBackend("wasm");
  });

  it("takes a first step of the learning rate against the gradient's sign (m̂/√v̂ = g/|g|)", async () => {
    await initBackend("wasm");
    const v = tf.variable(tf.tensor1d([1, -2, 3, 0.5]));
    const optimizer = tf.train.adam(0.1);
    const info = await tf.profile(() => {
      optimizer.minimize(() => v.mul(tf.tensor1d([2, -3, 0.5, -4])).sum() as tf.Scalar);
    });
    expect(info.kernelNames).toContain(FUSED_ADAM);
    expect(info.kernelNames).not.toContain("Sqrt"); // the stock update's
    const got = Array.from(v.dataSync());
    [1 - 0.1, -2 + 0.1, 3 - 0.1, 0.5 + 0.1].forEach((want, i) => expect(got[i]).toBeCloseTo(want, 5));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) optimizer.minimize(() => v.square().sum() as tf.Scalar);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([v]);
    optimizer.dispose();
  });
});

import { describe, expect, it } from "vitest";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { numericalGradient } from "../lib/src/scratch/gradcheck";
import { values } from "./support/inputs";

// [shape, axis, keepDims]: the bias gradients of LeNet-5 (conv1, conv2) and of a wide dense layer, unordered and
// negative axes, odd sizes, and cases left to the stock kernel (fc1's few rows, the last axis summed, a small
// tensor, one axis of three, a single row).
const cases: [number[], number | number[], boolean][] = [
  [[64, 28, 28, 6], [0, 1, 2], false],
  [[64, 10, 10, 16], [2, 0, 1], true],
  [[64, 1000], 0, false],
  [[64, 120], 0, false],
  [[1, 20000], 0, false],
  [[7, 9, 11, 13], [-2, 0, -3], false],
  [[2051, 3], -2, true],
  [[64, 28, 28, 6], [1, 2, 3], false],
  [[5, 6, 7], [0, 1], false],
  [[20, 30, 40], [0], false],
];

function run() {
  return tf.tidy(() =>
    cases.map(([shape, axis, keepDims]) => {
      const y = tf.sum(tf.tensor(values(tf.util.sizeFromShape(shape), 1), shape), axis, keepDims);
      return { shape: y.shape, values: Array.from(y.dataSync()) };
    }),
  );
}

describe("wasm Sum over the leading axes in exact pooling windows", () => {
  it("matches the cpu backend (float32 sums in another order) on every case, keepDims and axis forms", async () => {
    await initBackend("cpu");
    const ref = run();
    await initBackend("wasm");
    const got = run();
    got.forEach((g, i) => {
      expect(g.shape).toEqual(ref[i]!.shape);
      const n = tf.util.sizeFromShape(cases[i]![0]) / g.values.length; // values summed per result
      // Each value is a sum of n terms in [−1, 1): float32 summation error stays well below n·2⁻²⁰.
      g.values.forEach((v, j) => expect(Math.abs(v - ref[i]!.values[j]!)).toBeLessThan(n * 2 ** -20));
    });
    expect(ref[0]!.shape).toEqual([6]);
    expect(ref[1]!.shape).toEqual([1, 1, 1, 16]);
  });

  it("counts exactly: the column sums of a one-hot matrix are the class counts, as integers", async () => {
    await initBackend("wasm");
    for (const n of [1000, 3000, 3072, 8192]) { // rows in windows of 8 (JavaScript), 1024 and 8192 (pooling)
      const labels = Array.from({ length: n }, (_, i) => ((i * 7919) % 10 === 3 ? 3 : i % 9));
      const counts = tf.tidy(() => Array.from(tf.oneHot(tf.tensor1d(labels, "int32"), 10).toFloat().sum(0).dataSync()));
      expect(counts).toEqual(Array.from({ length: 10 }, (_, k) => labels.filter((l) => l === k).length));
    }
  });

  it("its derivative matches centred finite differences: ∂(w · Σ_rows x)/∂x[r, c] = w[c]", async () => {
    await initBackend("wasm");
    const shape = [2051, 2];
    const w = [0.75, -1.5];
    const base = Float64Array.from(values(2051 * 2, 2));
    const f = () => tf.tidy(() => {
      const s = tf.sum(tf.tensor2d(Float32Array.from(base), shape as [number, number]), 0).dataSync();
      return w[0]! * s[0]! + w[1]! * s[1]!;
    });
    const [numeric] = numericalGradient(f, [base], 0.25);
    numeric!.forEach((d, i) => expect(Math.abs(d - w[i % 2]!)).toBeLessThan(1e-3));
  });

  it("leaks no tensors or wasm memory", async () => {
    await initBackend("wasm");
    run();
    const before = tf.memory();
    run();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});

import { describe, expect, it } from "vitest";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { numericalGradient } from "../lib/src/scratch/gradcheck";
import { maxRelError, values } from "./support/inputs";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  pad: Pad;
}

const cases: Case[] = [
  { name: "LeNet conv1 (5×5 same, batch 64)", x: [64, 28, 28, 1], filter: [5, 5, 1, 6], pad: "same" },
  { name: "4×5 same, odd height", x: [3, 9, 10, 1], filter: [4, 5, 1, 3], pad: "same" },
  { name: "3×3 valid, one filter short of a tile", x: [3, 11, 10, 1], filter: [3, 3, 1, 7], pad: "valid" },
  { name: "3×4 (even width) explicit asymmetric pads", x: [2, 6, 10, 1], filter: [3, 4, 1, 3], pad: [[0, 0], [1, 1], [2, 1], [0, 0]] },
  { name: "2×5 explicit pads, one filter", x: [2, 7, 12, 1], filter: [2, 5, 1, 1], pad: [[0, 0], [1, 0], [2, 2], [0, 0]] },
  // Left to the stock kernel: odd left pad, odd width, odd output width, two channels, eight filters.
  { name: "3×3 same (odd left pad)", x: [2, 6, 8, 1], filter: [3, 3, 1, 2], pad: "same" },
  { name: "odd image width", x: [2, 6, 9, 1], filter: [3, 3, 1, 2], pad: "valid" },
  { name: "odd output width", x: [2, 6, 8, 1], filter: [3, 4, 1, 2], pad: "valid" },
  { name: "two channels", x: [2, 6, 8, 2], filter: [3, 3, 2, 2], pad: "valid" },
  { name: "eight filters", x: [2, 6, 8, 1], filter: [3, 3, 1, 8], pad: "valid" },
];

function inputsOf(c: Case) {
  return {
    x: tf.tensor4d(values(tf.util.sizeFromShape(c.x), 1), c.x),
    w: tf.tensor4d(values(tf.util.sizeFromShape(c.filter), 2), c.filter),
  };
}

/** The convolution and the gradients of Σ conv2d(x, w) ⊙ g on the active backend. */
function run(c: Case) {
  return tf.tidy(() => {
    const { x, w } = inputsOf(c);
    const y = tf.conv2d(x, w, 1, c.pad);
    const g = tf.tensor(values(y.size, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad).mul(g).sum())([x, w]);
    return { shape: y.shape, y: y.dataSync() as Float32Array, dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

describe("wasm Conv2D on column pairs (one input channel)", () => {
  it("matches the cpu backend, output and both gradients, on every case", async () => {
    await initBackend("cpu");
    const ref = cases.map(run);
    await initBackend("wasm");
    cases.forEach((c, i) => {
      const got = run(c);
      expect(got.shape, c.name).toEqual(ref[i]!.shape);
      expect(maxRelError(got.y, ref[i]!.y), c.name).toBeLessThan(1e-6);
      expect(maxRelError(got.dx, ref[i]!.dx), c.name).toBeLessThan(1e-5);
      expect(maxRelError(got.dw, ref[i]!.dw), c.name).toBeLessThan(1e-5);
    });
  });

  it("its filter gradient matches centred finite differences of its own output", async () => {
    await initBackend("wasm");
    for (const c of cases.slice(1, 5)) {
      // L(w) = ½ Σ conv2d(x, w)² is quadratic in w: the centred difference is exact up to float32 rounding.
      const { x, w } = inputsOf(c);
      const loss = (filter: tf.Tensor4D): number => {
        const y = tf.tidy(() => tf.conv2d(x, filter, 1, c.pad).dataSync());
        let s = 0;
        for (const v of y) s += v * v;
        return s / 2;
      };
      const dw = tf.tidy(() => tf.grad((b: tf.Tensor) => tf.conv2d(x, b as tf.Tensor4D, 1, c.pad).square().sum().div(2))(w).dataSync());
      const base = Float64Array.from(w.dataSync());
      const [numeric] = numericalGradient(() => loss(tf.tensor4d(Float32Array.from(base), c.filter)), [base], 1e-2);
      expect(maxRelError(dw, numeric!), c.name).toBeLessThan(2e-4);
      tf.dispose([x, w]);
    }
  });

  it("leaks no tensors or wasm memory", async () => {
    await initBackend("wasm");
    run(cases[0]!);
    const before = tf.memory();
    for (let i = 0; i < 3; i++) run(cases[0]!);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});

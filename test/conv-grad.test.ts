import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { numericalGradient } from "../lib/src/scratch/gradcheck";
import { switch2x2Wasm } from "../lib/src/tfjs/kernels/pool_grad_wasm";
import { batchToInnerWasm } from "../lib/src/tfjs/kernels/transpose_wasm";
import { maxRelError, values } from "./support/inputs";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

const cases: Case[] = [
  { name: "3×3 stride 1 same", x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: "same" },
  { name: "3×2 stride 2 valid (unused last rows)", x: [2, 9, 8, 2], filter: [3, 2, 2, 3], strides: [2, 2], pad: "valid" },
  { name: "4×3 strides 2×3 same", x: [3, 10, 11, 2], filter: [4, 3, 2, 5], strides: [2, 3], pad: "same" },
  { name: "5×5 stride 2 explicit pads", x: [2, 9, 10, 1], filter: [5, 5, 1, 2], strides: [2, 2], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: "2×2 stride 3×2 pad 1 (the lecture's example)", x: [1, 3, 3, 1], filter: [2, 2, 1, 1], strides: [3, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { name: "5×3 stride 1 valid, one channel, odd sizes (depthwise path on wasm)", x: [3, 11, 9, 1], filter: [5, 3, 1, 4], strides: [1, 1], pad: "valid" },
  { name: "3×4 stride 1 asymmetric pads, one channel (depthwise path on wasm)", x: [2, 8, 7, 1], filter: [3, 4, 1, 3], strides: [1, 1], pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { name: "LeNet conv1 (5×5, same, batch 64)", x: [64, 28, 28, 1], filter: [5, 5, 1, 6], strides: [1, 1], pad: "same" },
  { name: "LeNet conv2 (5×5, valid, batch 64)", x: [64, 14, 14, 6], filter: [5, 5, 6, 16], strides: [1, 1], pad: "valid" },
];

/** The cases small enough for finite differences (every entry), and LeNet-5's second convolution. */
const small = cases.filter((c) => !c.name.startsWith("LeNet"));
const lenetConv2 = cases.find((c) => c.name.startsWith("LeNet conv2"))!;

function inputsOf(c: Case) {
  const x = tf.tensor4d(values(tf.util.sizeFromShape(c.x), 1), c.x);
  const w = tf.tensor4d(values(tf.util.sizeFromShape(c.filter), 2), c.filter);
  const yShape = tf.conv2d(x, w, c.strides, c.pad).shape;
  const dy = tf.tensor4d(values(tf.util.sizeFromShape(yShape), 3), yShape);
  return { x, w, dy };
}

/** ∂/∂x and ∂/∂w of Σ conv2d(x, w) ⊙ dy, i.e. the backprop kernels applied to dy, on the active backend. */
function grads(c: Case): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const { x, w, dy } = inputsOf(c);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad).mul(dy).sum())([x, w]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

/** The filter gradient by its definition, in float64: dW[i,j,c,o] = Σ_{b,y,x} X[b, y·s_h + i − p_t, x·s_w + j − p_l, c] dY[b,y,x,o]. */
function filterGradByDefinition(c: Case): Float64Array {
  const { x, dy } = inputsOf(c);
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  const [B, H, W, C] = c.x;
  const [fh, fw, , O] = c.filter;
  const [, oh, ow] = dy.shape;
  const xs = x.dataSync();
  const dys = dy.dataSync();
  const dw = new Float64Array(fh * fw * C * O);
  for (let b = 0; b < B; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let i = 0; i < fh; i++) {
          const r = y * info.strideHeight + i - info.padInfo.top;
          if (r < 0 || r >= H) continue;
          for (let j = 0; j < fw; j++) {
            const col = xx * info.strideWidth + j - info.padInfo.left;
            if (col < 0 || col >= W) continue;
            for (let ch = 0; ch < C; ch++) {
              const xv = xs[((b * H + r) * W + col) * C + ch]!;
              for (let o = 0; o < O; o++) dw[((i * fw + j) * C + ch) * O + o] += xv * dys[((b * oh + y) * ow + xx) * O + o]!;
            }
          }
        }
  tf.dispose([x, dy]);
  return dw;
}

describe("Conv2DBackpropFilter (wasm and cpu) and Conv2DBackpropInput (wasm)", () => {
  const reference = new Map<string, { dx: Float32Array; dw: Float32Array }>();
  beforeAll(async () => {
    await initBackend("cpu");
    for (const c of cases) reference.set(c.name, grads(c));
    await initBackend("wasm");
  });

  for (const c of cases) {
    it(`match the definition and the cpu backend: ${c.name}`, () => {
      const exact = filterGradByDefinition(c);
      const ref = reference.get(c.name)!;
      const got = grads(c);
      expect(got.dw.length).toBe(tf.util.sizeFromShape(c.filter));
      expect(maxRelError(got.dw, exact)).toBeLessThan(1e-5);
      expect(maxRelError(ref.dw, exact)).toBeLessThan(1e-5);
      expect(maxRelError(got.dw, ref.dw)).toBeLessThan(1e-5);
      expect(maxRelError(got.dx, ref.dx)).toBeLessThan(1e-5);
    });
  }

  for (const c of small) {
    it(`match centred finite differences: ${c.name}`, () => {
      // L(w) = ½ Σ conv2d(x, w)² is quadratic in w, so the centred difference has no truncation error:
      // what is left is float32 rounding of the forward pass. Every filter entry is checked.
      const { x, w } = inputsOf(c);
      const loss = (filter: tf.Tensor4D): number => {
        const y = tf.tidy(() => tf.conv2d(x, filter, c.strides, c.pad).dataSync());
        let s = 0;
        for (const v of y) s += v * v;
        return s / 2;
      };
      const dw = tf.tidy(() => tf.grad((b: tf.Tensor) => tf.conv2d(x, b as tf.Tensor4D, c.strides, c.pad).square().sum().div(2))(w).dataSync());
      const base = Float64Array.from(w.dataSync());
      const [numeric] = numericalGradient(() => loss(tf.tensor4d(Float32Array.from(base), c.filter)), [base], 1e-2);
      expect(maxRelError(dw, numeric!)).toBeLessThan(2e-4);
      tf.dispose([x, w]);
    });
  }

  it("leaks no tensors or wasm memory across training steps", () => {
    const c = lenetConv2;
    grads(c);
    const before = tf.memory();
    for (let i = 0; i < 3; i++) grads(c);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
  });
});

describe("wasm UnsortedSegmentSum", () => {
  it("matches the cpu backend, with repeated, missing and out-of-range ids", async () => {
    const x = values(6 * 4, 7);
    const ids = [2, 0, 2, -1, 5, 2];
    const run = () =>
      tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x, [6, 4]), tf.tensor1d(ids, "int32"), 4).arraySync());
    const runInt = () =>
      tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32"), tf.tensor1d([1, 1, 0], "int32"), 3).arraySync());
    await initBackend("cpu");
    const [ref, refInt] = [run(), runInt()];
    await initBackend("wasm");
    const got = run();
    expect(got.flat().length).toBe(16);
    got.flat().forEach((v, i) => expect(v).toBeCloseTo(ref.flat()[i]!, 6));
    expect(got[1]).toEqual([0, 0, 0, 0]);
    expect(runInt()).toEqual(refInt);
    expect(refInt).toEqual([[5, 6], [4, 6], [0, 0]]);
  });

  it("gives embedding (gather) gradients on wasm", async () => {
    await initBackend("wasm");
    const table = tf.variable(tf.zeros([5, 3]));
    const { grads } = tf.variableGrads(() => tf.gather(table, tf.tensor1d([1, 3, 1, 4], "int32")).mul(tf.tensor1d([1, 2, 3])).sum());
    expect(grads[table.name]!.arraySync()).toEqual([[0, 0, 0], [2, 4, 6], [0, 0, 0], [1, 2, 3], [1, 2, 3]]);
  });
});

/** A tensor as plain data, to compare across backends. */
interface Plain {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

/** The tensors `make` returns (inside a tidy), computed on the cpu backend and then on wasm, as plain data. */
async function onCpuThenWasm(make: () => tf.Tensor[]): Promise<{ ref: Plain[]; got: Plain[] }> {
  const run = () => tf.tidy(() => make().map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) })));
  await initBackend("cpu");
  const ref = run();
  await initBackend("wasm");
  return { ref, got: run() };
}

describe("wasm GatherV2 by row copies", () => {
  it("matches the cpu backend: axes 0, 1 and −1, repeated ids, index tensors of rank 2, int32 and bool values", async () => {
    const x = values(4 * 5 * 3, 11);
    const { ref, got } = await onCpuThenWasm(() => [
      tf.gather(tf.tensor3d(x, [4, 5, 3]), tf.tensor1d([3, 0, 3, 1], "int32")),
      tf.gather(tf.tensor3d(x, [4, 5, 3]), tf.tensor2d([4, 0, 2, 2], [2, 2], "int32"), 1),
      tf.gather(tf.tensor3d(x, [4, 5, 3]), tf.tensor1d([2, 0], "int32"), -1),
      tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32"), tf.tensor1d([2, 2, 0], "int32")),
      tf.gather(tf.tensor1d([true, false, true], "bool"), tf.tensor1d([1, 0, 1, 2], "int32")),
    ]);
    expect(got).toEqual(ref);
    expect(ref[1]!.shape).toEqual([4, 2, 2, 3]);
    expect(ref[3]!.values).toEqual([5, 6, 5, 6, 1, 2]);
    expect(ref[4]!.values).toEqual([0, 1, 0, 1]);
  });

  it("rejects an index outside the axis and leaks no tensors", async () => {
    await initBackend("wasm");
    const before = tf.memory().numTensors;
    const table = tf.tensor2d(values(6, 3), [3, 2]);
    const [past, negative] = [tf.tensor1d([0, 3], "int32"), tf.tensor1d([-1], "int32")];
    expect(() => tf.gather(table, past)).toThrow(/not in \[0, 2\]/);
    expect(() => tf.gather(table, negative)).toThrow(/not in/);
    tf.dispose([table, past, negative]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("wasm Concat and SplitV by rows", () => {
  it("match the cpu backend: channel and inner axes, short and long rows, three inputs, an empty one, int32 and bool; the gradient splits", async () => {
    const { ref, got } = await onCpuThenWasm(() => {
      const a = tf.tensor4d(values(2 * 3 * 3 * 8, 31), [2, 3, 3, 8]);
      const b = tf.tensor4d(values(2 * 3 * 3 * 5, 32), [2, 3, 3, 5]);
      const long = tf.tensor3d(values(2 * 3 * 70, 33), [2, 3, 70]);
      const g = tf.tensor4d(values(2 * 3 * 3 * 13, 34), [2, 3, 3, 13]);
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.concat([p, q], -1).mul(g).sum())([a, b]);
      return [
        tf.concat([a, b], 3), // the U-Net's skip connection: rows of 8 and 5
        tf.concat([a, b, a], -1),
        tf.concat([long, long], 1), // rows of 210 values: the long-row path
        tf.concat([long, tf.zeros([2, 0, 70])], 1),
        tf.concat([a.slice([0, 0, 0, 0], [2, 1, 3, 8]), a], 1),
        tf.concat([tf.tensor2d([1, 2, 3, 4], [2, 2], "int32"), tf.tensor2d([5, 6], [2, 1], "int32")], 1),
        tf.concat([tf.tensor2d([true, false], [2, 1], "bool"), tf.tensor2d([false, true], [2, 1], "bool")], 1),
        ...tf.split(long, [30, -1, 10], 2),
        ...tf.split(a, 2, 3),
        ...tf.split(a, [1, 2], 1),
        da!,
        db!,
      ];
    });
    expect(got).toEqual(ref);
    expect(ref[0]!.shape).toEqual([2, 3, 3, 13]);
    expect(ref[5]!.values).toEqual([1, 2, 5, 3, 4, 6]);
    expect(ref[6]!.values).toEqual([1, 0, 0, 1]);
    expect(ref.slice(7, 10).map((r) => r.shape)).toEqual([[2, 3, 30], [2, 3, 30], [2, 3, 10]]);
    // The gradient of a concatenation is the upstream gradient cut back into the inputs' shapes.
    expect(ref[ref.length - 2]!.shape).toEqual([2, 3, 3, 8]);
  });

  it("leak no tensors", async () => {
    await initBackend("wasm");
    const before = tf.memory().numTensors;
    const a = tf.tensor2d(values(6, 35), [3, 2]);
    const joined = tf.concat([a, a, a], 1);
    const parts = tf.split(joined, 3, 1);
    expect(parts.map((p) => Array.from(p.dataSync()))).toEqual([0, 1, 2].map(() => Array.from(a.dataSync())));
    tf.dispose([a, joined, ...parts]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("wasm transpose of the batch axis next to the channels (the filter gradient's dY)", () => {
  it("equals tf.transpose to [1, …, 0, last] on LeNet-5's shapes, odd shapes and one example; cpu is refused", async () => {
    await initBackend("wasm");
    for (const shape of [[64, 28, 28, 6], [64, 10, 10, 16], [3, 5, 7, 2], [1, 4, 3], [5, 1, 1, 1], [2, 3, 1, 9]]) {
      const x = tf.tensor(values(tf.util.sizeFromShape(shape), 41), shape);
      const perm = [...shape.keys()].slice(1, -1).concat([0, shape.length - 1]);
      const want = tf.transpose(x, perm);
      const info = batchToInnerWasm(tf.backend(), x)!;
      expect(info.shape).toEqual(want.shape);
      const got = tf.engine().makeTensorFromTensorInfo(info);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([x, want, got]);
    }
    await initBackend("cpu");
    const x = tf.zeros([2, 3, 4]);
    expect(batchToInnerWasm(tf.backend(), x)).toBeUndefined();
    x.dispose();
    await initBackend("wasm");
  });
});

describe("a small CNN on wasm", () => {
  it("gets gradients through conv2d for every variable, and a few steps reduce the loss", async () => {
    await initBackend("wasm");
    const seed = 7;
    const xs = tf.randomNormal([32, 12, 12, 1], 0, 1, "float32", seed) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d(values(32, 11).map((v) => (v > 0 ? 1 : 0)), "int32"), 2);
    // A learnable rule: the label is whether the image's top half is brighter than its bottom half.
    const ys = tf.tidy(() => {
      const top = xs.slice([0, 0, 0, 0], [32, 6, 12, 1]).sum([1, 2, 3]);
      const bottom = xs.slice([0, 6, 0, 0], [32, 6, 12, 1]).sum([1, 2, 3]);
      return tf.oneHot(top.greater(bottom).cast("int32"), 2);
    });
    labels.dispose();
    const k1 = tf.variable(tf.randomNormal([3, 3, 1, 4], 0, 0.3, "float32", seed + 1)) as tf.Variable<tf.Rank.R4>;
    const k2 = tf.variable(tf.randomNormal([3, 3, 4, 8], 0, 0.3, "float32", seed + 2)) as tf.Variable<tf.Rank.R4>;
    const dense = tf.variable(tf.randomNormal([3 * 3 * 8, 2], 0, 0.1, "float32", seed + 3));
    const loss = () =>
      tf.tidy(() => {
        const h1 = tf.maxPool(tf.relu(tf.conv2d(xs, k1, 1, "same")), 2, 2, "valid");
        const h2 = tf.maxPool(tf.relu(tf.conv2d(h1, k2, 1, "same")), 2, 2, "valid");
        return tf.losses.softmaxCrossEntropy(ys, h2.reshape([32, -1]).matMul(dense)) as tf.Scalar;
      });
    const first = tf.variableGrads(loss);
    for (const v of [k1, k2, dense]) {
      const norm = first.grads[v.name]!.norm().dataSync()[0]!;
      expect(norm).toBeGreaterThan(1e-4);
      expect(Number.isFinite(norm)).toBe(true);
    }
    const initial = first.value.dataSync()[0]!;
    const optimizer = tf.train.sgd(0.1);
    for (let step = 0; step < 30; step++) optimizer.minimize(loss);
    const final = loss().dataSync()[0]!;
    expect(final).toBeLessThan(0.8 * initial);
  });
});

describe("wasm BatchMatMul with transposed operands", () => {
  it("matches the product of explicitly transposed matrices, batched and broadcast", async () => {
    await initBackend("wasm");
    const a = tf.tensor3d(values(2 * 5 * 3, 21), [2, 5, 3]);
    const b = tf.tensor3d(values(1 * 5 * 4, 22), [1, 5, 4]);
    const plain = tf.matMul(a.transpose([0, 2, 1]), b).arraySync() as number[][][]; // [2, 3, 4]
    const viaFlag = tf.matMul(a, b, true, false).arraySync();
    expect(viaFlag).toEqual(plain);
    const bt = b.transpose([0, 2, 1]); // [1, 4, 5]
    const both = tf.matMul(a, bt, true, true).arraySync() as number[][][];
    both.flat(2).forEach((v, i) => expect(v).toBeCloseTo(plain.flat(2)[i]!, 5));
    const m = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    expect(tf.matMul(m, m, false, true).arraySync()).toEqual([[5, 11, 17], [11, 25, 39], [17, 39, 61]]);
    expect(tf.matMul(m, m, true, false).arraySync()).toEqual([[35, 44], [44, 56]]);
  });
});

describe("strided Conv2DBackpropInput on wasm: strided convolutions' backward pass, transposed convolutions, upsampling", () => {
  interface TCase {
    name: string;
    y: [number, number, number, number];
    filter: [number, number, number, number];
    out: [number, number, number, number];
    strides: [number, number];
    pad: "same" | "valid";
  }
  // conv2dTranspose(y, W, out) is the input gradient of conv2d(out-shaped x, W): the kernel computes both.
  const tcases: TCase[] = [
    { name: "3×3 stride 2 same 7→14 (the conv autoencoder's decoder)", y: [3, 7, 7, 6], filter: [3, 3, 4, 6], out: [3, 14, 14, 4], strides: [2, 2], pad: "same" },
    { name: "3×3 stride 2 same 14→28 to one channel", y: [2, 14, 14, 5], filter: [3, 3, 1, 5], out: [2, 28, 28, 1], strides: [2, 2], pad: "same" },
    { name: "2×2 stride 2 (the U-Net's up-convolution)", y: [2, 7, 7, 8], filter: [2, 2, 3, 8], out: [2, 14, 14, 3], strides: [2, 2], pad: "same" },
    { name: "3×3 stride 2 valid 4→9", y: [2, 4, 4, 3], filter: [3, 3, 2, 3], out: [2, 9, 9, 2], strides: [2, 2], pad: "valid" },
    { name: "4×3 strides 3×2 same, odd sizes", y: [1, 4, 5, 2], filter: [4, 3, 3, 2], out: [1, 11, 10, 3], strides: [3, 2], pad: "same" },
  ];

  function run(c: TCase) {
    return tf.tidy(() => {
      const y = tf.tensor4d(values(tf.util.sizeFromShape(c.y), 4), c.y);
      const w = tf.tensor4d(values(tf.util.sizeFromShape(c.filter), 5), c.filter);
      const out = tf.conv2dTranspose(y, w, c.out, c.strides, c.pad);
      const g = tf.tensor4d(values(tf.util.sizeFromShape(c.out), 6), c.out);
      const [dy, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.out, c.strides, c.pad).mul(g).sum())([y, w]);
      return { out: out.dataSync() as Float32Array, dy: dy!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
    });
  }

  const ref = new Map<string, { out: Float32Array; dy: Float32Array; dw: Float32Array }>();
  const upRef: number[][] = [];
  const upsample = () =>
    tf.tidy(() => {
      // Square images: tfjs 4.22's cpu ResizeBilinearGrad returns a wrongly shaped gradient for non-square ones.
      const x = tf.tensor4d(values(2 * 5 * 5 * 3, 8), [2, 5, 5, 3]);
      const g = tf.tensor4d(values(2 * 10 * 10 * 3, 9), [2, 10, 10, 3]);
      const layer = tf.layers.upSampling2d({ size: [2, 2] });
      const dx = tf.grad((a: tf.Tensor) => (layer.apply(a) as tf.Tensor).mul(g).sum())(x);
      return [Array.from(dx.dataSync()), Array.from(tf.grad((a: tf.Tensor) => tf.image.resizeBilinear(a as tf.Tensor4D, [10, 10]).mul(g).sum())(x).dataSync())];
    });
  beforeAll(async () => {
    await initBackend("cpu");
    for (const c of tcases) ref.set(c.name, run(c));
    upRef.push(...upsample());
    await initBackend("wasm");
  });

  for (const c of tcases) {
    it(`conv2dTranspose forward and both gradients match the cpu backend: ${c.name}`, () => {
      const got = run(c);
      const r = ref.get(c.name)!;
      expect(got.out.length).toBe(tf.util.sizeFromShape(c.out));
      expect(maxRelError(got.out, r.out)).toBeLessThan(1e-5);
      expect(maxRelError(got.dy, r.dy)).toBeLessThan(1e-5);
      expect(maxRelError(got.dw, r.dw)).toBeLessThan(1e-5);
    });
  }

  for (const c of [...small.slice(1), small[0]!]) {
    it(`the input gradient matches centred finite differences: ${c.name}`, () => {
      // L(x) = ½ Σ conv2d(x, w)² is quadratic in x: the centred difference is exact up to float32 rounding.
      const { x, w } = inputsOf(c);
      const loss = (input: tf.Tensor4D): number => {
        const y = tf.tidy(() => tf.conv2d(input, w, c.strides, c.pad).dataSync());
        let s = 0;
        for (const v of y) s += v * v;
        return s / 2;
      };
      const dx = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w, c.strides, c.pad).square().sum().div(2))(x).dataSync());
      const base = Float64Array.from(x.dataSync());
      const [numeric] = numericalGradient(() => loss(tf.tensor4d(Float32Array.from(base), c.x)), [base], 1e-2);
      expect(maxRelError(dx, numeric!)).toBeLessThan(2e-4);
      tf.dispose([x, w]);
    });
  }

  it("the upsampling gradients (nearest, bilinear) agree on wasm and cpu for a batch of several images", () => {
    expect(tf.getKernel("ResizeNearestNeighborGrad", "wasm")).toBeDefined();
    expect(tf.getKernel("ResizeBilinearGrad", "wasm")).toBeDefined();
    const [nearest, bilinear] = upsample();
    expect(maxRelError(nearest!, upRef[0]!)).toBeLessThan(1e-5);
    expect(maxRelError(bilinear!, upRef[1]!)).toBeLessThan(1e-5);
  });

  for (const backend of ["cpu", "wasm"] as const) {
    it(`nearest-neighbour upsampling's gradient matches finite differences on ${backend} (batch 2, corner alignments; tfjs 4.22's own kernels did not)`, async () => {
      await initBackend(backend);
      for (const [alignCorners, halfPixelCenters, size] of [[false, false, [10, 12]], [true, false, [9, 7]], [false, true, [7, 13]]] as [boolean, boolean, [number, number]][]) {
        const shape: [number, number, number, number] = [2, 4, 5, 3];
        const x = tf.tensor4d(values(tf.util.sizeFromShape(shape), 12), shape);
        const g = tf.tensor4d(values(2 * size[0] * size[1] * 3, 13), [2, ...size, 3]);
        const f = (a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, alignCorners, halfPixelCenters).mul(g).sum();
        const analytic = tf.tidy(() => tf.grad(f)(x).dataSync());
        // Linear in x: a centred difference of any step is exact up to rounding.
        const base = Float64Array.from(x.dataSync());
        const [numeric] = numericalGradient(() => tf.tidy(() => f(tf.tensor4d(Float32Array.from(base), shape)).dataSync()[0]!), [base], 0.5);
        expect(maxRelError(analytic, numeric!)).toBeLessThan(1e-5);
        tf.dispose([x, g]);
      }
      await initBackend("wasm");
    });
  }

  it("leaks no tensors or wasm memory", () => {
    run(tcases[0]!);
    const before = tf.memory();
    for (let i = 0; i < 3; i++) run(tcases[0]!);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});

describe("MaxPoolGrad (wasm and cpu): the gradient switch", () => {
  interface PCase {
    name: string;
    x: [number, number, number, number];
    size: [number, number];
    strides: [number, number];
    pad: "same" | "valid";
  }
  const pcases: PCase[] = [
    { name: "2×2 stride 2 (LeNet-5), odd size", x: [3, 9, 8, 5], size: [2, 2], strides: [2, 2], pad: "valid" },
    { name: "2×2 stride 2, even size (the windows tile the image: no zeroing)", x: [2, 10, 8, 6], size: [2, 2], strides: [2, 2], pad: "valid" },
    { name: "3×3 stride 3 same (disjoint, padded)", x: [2, 8, 7, 3], size: [3, 3], strides: [3, 3], pad: "same" },
    { name: "2×2 stride 3 (gaps between windows)", x: [2, 8, 8, 2], size: [2, 2], strides: [3, 3], pad: "valid" },
    { name: "3×3 stride 2 same (overlapping)", x: [2, 7, 9, 4], size: [3, 3], strides: [2, 2], pad: "same" },
  ];

  /** The definition in float64: each window's gradient goes to its first maximum in row-major order. */
  function byDefinition(c: PCase, xs: ArrayLike<number>, g: ArrayLike<number>): Float64Array {
    const info = tf.backend_util.computePool2DInfo(c.x, c.size, c.strides, 1, c.pad);
    const [B, H, W, C] = c.x;
    const dx = new Float64Array(xs.length);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < info.outHeight; i++)
        for (let j = 0; j < info.outWidth; j++)
          for (let d = 0; d < C; d++) {
            let best = -Infinity;
            let at = -1;
            for (let r = i * c.strides[0] - info.padInfo.top; r < i * c.strides[0] - info.padInfo.top + c.size[0]; r++)
              for (let q = j * c.strides[1] - info.padInfo.left; q < j * c.strides[1] - info.padInfo.left + c.size[1]; q++) {
                if (r < 0 || r >= H || q < 0 || q >= W) continue;
                const k = ((b * H + r) * W + q) * C + d;
                if (xs[k]! > best) [best, at] = [xs[k]!, k];
              }
            dx[at] += g[((b * info.outHeight + i) * info.outWidth + j) * C + d]!;
          }
    return dx;
  }

  /** ReLU'd inputs on four levels (0, ⅓, ⅔, 1): most windows tie, at 0 and above it, in every cell order. */
  const inputOf = (c: PCase) => values(tf.util.sizeFromShape(c.x), 31).map((v) => Math.max(0, Math.round(3 * v) / 3));

  for (const backend of ["wasm", "cpu"] as const) {
    for (const c of pcases) {
      it(`equals the definition, ties to the first maximum, on ${backend}: ${c.name}`, async () => {
        await initBackend(backend);
        const xs = inputOf(c);
        const [got, g] = tf.tidy(() => {
          const x = tf.tensor4d(xs, c.x);
          const gShape = tf.maxPool(x, c.size, c.strides, c.pad).shape;
          const gt = tf.tensor4d(values(tf.util.sizeFromShape(gShape), 32), gShape);
          const dx = tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad).mul(gt).sum())(x);
          return [dx.dataSync() as Float32Array, gt.dataSync() as Float32Array];
        });
        expect(maxRelError(got, byDefinition(c, xs, g))).toBeLessThan(1e-6);
        await initBackend("wasm");
      });
    }
  }

  it("the wasm switch runs in the backend's memory at LeNet-5's sizes and equals the definition; odd sizes are refused", async () => {
    await initBackend("wasm");
    const shapes: [number, number, number, number][] = [[64, 28, 28, 6], [64, 10, 10, 16], [1, 2, 2, 1], [3, 4, 6, 5]];
    for (const shape of shapes) {
      const c: PCase = { name: "lenet", x: shape, size: [2, 2], strides: [2, 2], pad: "valid" };
      const xs = inputOf(c);
      const x = tf.tensor4d(xs, shape);
      const y = tf.maxPool(x, 2, 2, "valid");
      const g = tf.tensor4d(values(y.size, 34), y.shape as [number, number, number, number]);
      const dx = tf.fill(shape, 7); // stale values: the switch must write every cell
      expect(switch2x2Wasm(tf.backend(), x, y, g, dx)).toBe(true);
      expect(maxRelError(dx.dataSync(), byDefinition(c, xs, g.dataSync()))).toBe(0);
      tf.dispose([x, y, g, dx]);
    }
    const odd = tf.zeros([1, 3, 4, 1]);
    expect(switch2x2Wasm(tf.backend(), odd, odd, odd, odd)).toBe(false);
    odd.dispose();
  });

  it("matches centred finite differences on wasm (distinct integers, steps of ¼: exact in float32)", async () => {
    await initBackend("wasm");
    for (const c of pcases) {
      const n = tf.util.sizeFromShape(c.x);
      // A fixed permutation of 0 … n−1: every window has one maximum, more than a step above the rest. With
      // gradients in eighths, every product and sum of the loss is exact in float32, so the difference is too.
      const base = Float64Array.from({ length: n }, (_, k) => (k * 7919) % n);
      const gShape = tf.tidy(() => tf.maxPool(tf.zeros(c.x) as tf.Tensor4D, c.size, c.strides, c.pad).shape);
      const gt = tf.tensor4d(values(tf.util.sizeFromShape(gShape), 33).map((v) => Math.round(8 * v) / 8), gShape);
      const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad).mul(gt).sum();
      const analytic = tf.tidy(() => tf.grad(f)(tf.tensor4d(Float32Array.from(base), c.x)).dataSync());
      const [numeric] = numericalGradient(() => tf.tidy(() => f(tf.tensor4d(Float32Array.from(base), c.x)).dataSync()[0]!), [base], 0.25);
      expect(maxRelError(analytic, numeric!)).toBe(0);
      gt.dispose();
    }
  });
});

describe("wasm Identity and same-type Cast share memory", () => {
  it("a clone or cast survives its source's disposal, other casts convert, and the engine's saved tensors leak nothing", async () => {
    await initBackend("wasm");
    const before = tf.memory();
    const a = tf.tensor1d([1, 2.5, 3]);
    const b = tf.clone(a);
    const c32 = tf.cast(a, "float32");
    const i32 = tf.cast(a, "int32");
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2.5, 3]);
    expect(Array.from(c32.dataSync())).toEqual([1, 2.5, 3]);
    expect(i32.dtype).toBe("int32");
    expect(Array.from(i32.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([b, c32, i32]);
    const c = lenetConv2;
    grads(c);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});

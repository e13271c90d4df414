import { beforeAll, describe, expect, it } from "vitest";
import { LAPLACIAN, SOBEL_X, SOBEL_Y, conv2dBackward, conv2dChannelsBackward, convolve2d, dilate2d, flip2d, avgPool2d, avgPool2dBackward, conv2d, conv2dChannels, conv2dIm2col, im2col, maxPool2d, maxPool2dBackward, outputSize, pad2d, relu2d, shift2d, shiftedCopies, testPattern, type FeatureMap, type Volume } from "../lib/src/scratch/conv";
import { conv2dGradsTf, kernelsToTensor, tensorToKernels, tensorToVolume, volumeToTensor } from "../lib/src/tfjs/bridge";
import { gradientCheck } from "../lib/src/scratch/gradcheck";
import { Dataset } from "../lib/src/data/dataset";
import { Random } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

const rand = new Random(5);
const randomMap = (h: number, w: number): FeatureMap => Array.from({ length: h }, () => Array.from({ length: w }, () => Math.round(rand.uniform(-2, 2) * 8) / 8));
const randomVolume = (c: number, h: number, w: number): Volume => Array.from({ length: c }, () => randomMap(h, w));

function expectClose(actual: number[][] | number[][][], expected: number[][] | number[][][], digits = 5) {
  expect(JSON.stringify(shape(actual))).toBe(JSON.stringify(shape(expected)));
  const a = (actual as number[][]).flat(2) as number[];
  const e = (expected as number[][]).flat(2) as number[];
  a.forEach((v, i) => expect(v).toBeCloseTo(e[i]!, digits));
}
function shape(x: unknown): number[] {
  return Array.isArray(x) ? [x.length, ...shape(x[0])] : [];
}

const mapTensor = (x: FeatureMap) => volumeToTensor([x]);

beforeAll(async () => {
  await initBackend("wasm");
});

describe("the lecture's convolution examples", () => {
  it("5×5 ⊛ 3×3 gives [[4,3,4],[2,4,3],[2,3,4]]", () => {
    const image = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]];
    const filter = [[1, 0, 1], [0, 1, 0], [1, 0, 1]];
    expect(conv2d(image, filter)).toEqual([[4, 3, 4], [2, 4, 3], [2, 3, 4]]);
  });

  it("padding 1 and stride 3 rows × 2 columns give [[0,8],[6,8]]", () => {
    const x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]];
    expect(pad2d(x, 1)[1]).toEqual([0, 0, 1, 2, 0]);
    expect(conv2d(x, [[0, 1], [2, 3]], { padding: 1, stride: [3, 2] })).toEqual([[0, 8], [6, 8]]);
  });

  it("output size ⌊(W + 2P − K)/S⌋ + 1: 224 ⊛ 5 → 220, and the stride example → 2", () => {
    expect(outputSize(224, 5)).toBe(220);
    expect(outputSize(220, 5)).toBe(216);
    expect(outputSize(3, 2, 1, 3)).toBe(2);
    expect(outputSize(3, 2, 1, 2)).toBe(2);
    expect(outputSize(28, 5, 2, 1)).toBe(28);
    expect(() => outputSize(3, 5)).toThrow(/does not fit/);
  });

  it("2×2 max pooling of the 4×4 example gives [[4,5],[3,4]]", () => {
    expect(maxPool2d([[1, 3, 5, 3], [4, 2, 3, 1], [3, 1, 1, 3], [0, 1, 0, 4]])).toEqual([[4, 5], [3, 4]]);
    expect(avgPool2d([[1, 3, 5, 3], [4, 2, 3, 1], [3, 1, 1, 3], [0, 1, 0, 4]])).toEqual([[2.5, 3], [1.25, 2]]);
  });
});

describe("conv2d against tf.conv2d", () => {
  const settings: { padding: number | [number, number]; stride: number | [number, number]; k: [number, number] }[] = [
    { padding: 0, stride: 1, k: [3, 3] },
    { padding: 1, stride: 2, k: [3, 3] },
    { padding: [2, 0], stride: [3, 2], k: [5, 2] },
    { padding: [0, 1], stride: [1, 3], k: [2, 4] },
  ];
  for (const s of settings) {
    it(`one channel, kernel ${s.k}, padding ${s.padding}, stride ${s.stride}`, () => {
      const x = randomMap(9, 11);
      const kernel = randomMap(...s.k);
      const [pr, pc] = typeof s.padding === "number" ? [s.padding, s.padding] : s.padding;
      const expected = tf.tidy(() =>
        tensorToVolume(tf.conv2d(mapTensor(x), kernelsToTensor([[kernel]]), s.stride, [[0, 0], [pr, pr], [pc, pc], [0, 0]])),
      );
      expectClose([conv2d(x, kernel, s)], expected);
    });
  }

  it("three channels, four kernels, bias: conv2dChannels = conv2dIm2col = tf.conv2d", () => {
    const x = randomVolume(3, 8, 7);
    const kernels = Array.from({ length: 4 }, () => randomVolume(3, 3, 3));
    const bias = [0.5, -1, 0, 2];
    const options = { padding: 1, stride: [2, 1] as [number, number], bias };
    const direct = conv2dChannels(x, kernels, options);
    const expected = tf.tidy(() =>
      tensorToVolume(tf.conv2d(volumeToTensor(x), kernelsToTensor(kernels), [2, 1], [[0, 0], [1, 1], [1, 1], [0, 0]]).add(tf.tensor1d(bias)) as tf.Tensor4D),
    );
    expectClose(direct, expected);
    expectClose(conv2dIm2col(x, kernels, options), expected);
    expect(shape(direct)).toEqual([4, outputSize(8, 3, 1, 2), outputSize(7, 3, 1, 1)]);
  });

  it("im2col has one row per output position and C·kh·kw columns", () => {
    const x = randomVolume(2, 5, 6);
    const patches = im2col(x, 3, { stride: [1, 2] });
    expect(shape(patches)).toEqual([3 * 2, 2 * 3 * 3]);
    expect(patches[1]!.slice(0, 3)).toEqual(x[0]![0]!.slice(2, 5)); // output (0, 1): columns 2..4 of row 0, channel 0
    expect(patches[1]!.slice(9, 12)).toEqual(x[1]![0]!.slice(2, 5));
  });

  it("rejects ragged input, missing channels and kernels that do not fit", () => {
    expect(() => conv2d([[1, 2], [3]], [[1]])).toThrow(/ragged: row 1 has 1 values where row 0 has 2/);
    expect(() => conv2d([[1, 2]], [[1], [1]])).toThrow(/does not fit/);
    expect(() => conv2dChannels([[[1]], [[2]]], [[[[1]]]])).toThrow(/kernel 0 has 1 channel slices but the input has 2 channels/);
    expect(() => conv2d([[1]], [[1]], { stride: 0.5 })).toThrow(/stride must be a non-negative integer/);
  });
});

describe("pooling against tf.maxPool / tf.avgPool and their gradients", () => {
  const cases: { size: number; stride: number; h: number; w: number }[] = [
    { size: 2, stride: 2, h: 8, w: 6 },
    { size: 3, stride: 2, h: 9, w: 7 }, // overlapping windows
    { size: 3, stride: 1, h: 6, w: 6 },
  ];
  for (const backend of ["wasm", "cpu"] as const) {
    for (const c of cases) {
      it(`${backend}: ${c.size}×${c.size} windows, stride ${c.stride}: forward and backward`, async () => {
        await initBackend(backend);
        const x = randomMap(c.h, c.w);
        for (const [r, col] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) x[r]![col] = 5; // a 4-way tie for the first window's maximum: only the first cell gets its gradient
        const pooled = maxPool2d(x, c.size, c.stride);
        const dy = randomMap(pooled.length, pooled[0]!.length);
        const [tfMax, tfMaxGrad, tfAvg, tfAvgGrad] = tf.tidy(() => {
          const xt = mapTensor(x);
          const dyt = mapTensor(dy);
          const maxGrad = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, c.size, c.stride, "valid").mul(dyt).sum())(xt);
          const avgGrad = tf.grad((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, c.size, c.stride, "valid").mul(dyt).sum())(xt);
          return [tf.maxPool(xt, c.size, c.stride, "valid"), maxGrad, tf.avgPool(xt, c.size, c.stride, "valid"), avgGrad].map((t) => tensorToVolume(t as tf.Tensor4D)[0]!);
        });
        expectClose(pooled, tfMax!);
        expectClose(maxPool2dBackward(x, dy, c.size, c.stride), tfMaxGrad!);
        expectClose(avgPool2d(x, c.size, c.stride), tfAvg!);
        expectClose(avgPool2dBackward(x, dy, c.size, c.stride), tfAvgGrad!);
      });
    }
  }

  it("routes the gradient to the arg-max only (the gradient switch) on the lecture's example", () => {
    const x = [[1, 3, 5, 3], [4, 2, 3, 1], [3, 1, 1, 3], [0, 1, 0, 4]];
    expect(maxPool2dBackward(x, [[10, 20], [30, 40]])).toEqual([[0, 0, 20, 0], [10, 0, 0, 0], [30, 0, 0, 0], [0, 0, 0, 40]]);
    expect(() => maxPool2dBackward(x, [[1, 2, 3]])).toThrow(/output gradient is 1×3 but the pooled output is 2×2/);
  });
});

describe("filters, translation and the test pattern", () => {
  it("relu2d zeroes the negative cells of a feature map and keeps the rest", () => {
    expect(relu2d([[-1, 2], [0, -0.5]])).toEqual([[0, 2], [0, 0]]);
    expect(relu2d([Float32Array.from([3, -3])])).toEqual([[3, 0]]);
  });

  it("Laplacian is zero on flat regions; Sobel responds to edges of its own orientation only", () => {
    const flat = Array.from({ length: 6 }, () => new Array(6).fill(3));
    expect(conv2d(flat, LAPLACIAN).flat().every((v) => v === 0)).toBe(true);
    const vertical = Array.from({ length: 5 }, () => [0, 0, 1, 1, 1]); // a vertical edge
    expect(conv2d(vertical, SOBEL_X)).toEqual(Array(3).fill([4, 4, 0]));
    expect(conv2d(vertical, SOBEL_Y).flat().every((v) => v === 0)).toBe(true);
  });

  it("convolution is translation-equivariant: conv(shift(x)) = shift(conv(x)) away from the border", () => {
    const x = pad2d(randomMap(6, 6), 3);
    const k = randomMap(3, 3);
    const a = conv2d(shift2d(x, 2, 1), k);
    const b = shift2d(conv2d(x, k), 2, 1);
    expectClose(a, b);
  });

  it("testPattern is a size × size image in [0, 1] with edges", () => {
    const img = testPattern(64);
    expect(shape(img)).toEqual([64, 64]);
    const flat = img.flat();
    expect(Math.min(...flat)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...flat)).toBe(1);
    expect(new Set(flat).size).toBeGreaterThan(3);
    expect(() => testPattern(8)).toThrow(/at least 32/);
  });
});

describe("shiftedCopies (augmentation by translation)", () => {
  it("appends copies moved by at most maxShift pixels, with the same labels, repeatably", () => {
    const size = 8;
    const x = new Float32Array(2 * size * size);
    x[3 * size + 4] = 1; // image 0: one bright pixel at (3, 4)
    x[size * size + 5 * size + 2] = 0.5; // image 1: at (5, 2)
    const ds = new Dataset(x, new Uint8Array([7, 1]), size * size);
    const aug = shiftedCopies(ds, { copies: 3, maxShift: 2, size, random: new Random(9) });
    expect(aug.rows).toBe(8);
    expect(Array.from(aug.y)).toEqual([7, 1, 7, 1, 7, 1, 7, 1]);
    expect(Array.from(aug.x.subarray(0, 2 * size * size))).toEqual(Array.from(x));
    const moves = new Set<string>();
    for (let i = 2; i < 8; i++) {
      const img = aug.x.subarray(i * size * size, (i + 1) * size * size);
      const at = img.findIndex((v) => v > 0);
      const [r, c] = [Math.floor(at / size), at % size];
      const [r0, c0] = i % 2 === 0 ? [3, 4] : [5, 2];
      expect(Math.abs(r - r0)).toBeLessThanOrEqual(2);
      expect(Math.abs(c - c0)).toBeLessThanOrEqual(2);
      expect(img.reduce((s, v) => s + v, 0)).toBe(i % 2 === 0 ? 1 : 0.5); // nothing falls off: the pixel is away from the border
      moves.add(`${r - r0},${c - c0}`);
    }
    expect(moves.size).toBeGreaterThan(1);
    const again = shiftedCopies(ds, { copies: 3, maxShift: 2, size, random: new Random(9) });
    expect(Array.from(again.x)).toEqual(Array.from(aug.x));
    expect(() => shiftedCopies(ds, { size: 9 })).toThrow(/not 9×9 images/);
  });
});

describe("the convolution's backward pass (conv2dBackward, conv2dChannelsBackward)", () => {
  const shapes = [
    { h: 5, w: 5, k: [3, 3], padding: 0, stride: 1 },
    { h: 7, w: 6, k: [3, 2], padding: 1, stride: 2 },
    { h: 9, w: 8, k: [3, 3], padding: 0, stride: [2, 3] }, // h + 2P − K not divisible by S: unused last rows/columns
    { h: 3, w: 3, k: [2, 2], padding: 1, stride: [3, 2] }, // the lecture's stride example
    { h: 8, w: 10, k: [5, 4], padding: [2, 1], stride: [3, 2] },
  ] as const;
  for (const s of shapes) {
    const opts = { padding: s.padding as number | [number, number], stride: s.stride as number | [number, number] };
    it(`2 channels, 3 kernels ${s.k[0]}×${s.k[1]}, padding ${JSON.stringify(s.padding)}, stride ${JSON.stringify(s.stride)}: = tf.grads of tf.conv2d`, () => {
      const x = randomVolume(2, s.h, s.w);
      const kernels = Array.from({ length: 3 }, () => randomVolume(2, s.k[0], s.k[1]));
      const out = conv2dChannels(x, kernels, opts);
      const g = out.map((m) => randomMap(m.length, m[0]!.length));
      const ours = conv2dChannelsBackward(x, kernels, g, opts);
      const theirs = conv2dGradsTf(x, kernels, g, opts);
      expectClose(ours.dx, theirs.dx, 4);
      expectClose(ours.dKernels.flat(), theirs.dKernels.flat(), 4);
      ours.dBias.forEach((b, k) => expect(b).toBeCloseTo(theirs.dBias[k]!, 4));
    });
    it(`one channel, the same shapes: = centred finite differences of L = Σ (conv2d + b) ⊙ G`, () => {
      const [kh, kw] = s.k;
      const xf = Float64Array.from({ length: s.h * s.w }, () => rand.uniform(-1, 1));
      const vf = Float64Array.from({ length: kh * kw }, () => rand.uniform(-1, 1));
      const bf = Float64Array.from([0.3]);
      const toMap = (f: Float64Array, w: number) => Array.from({ length: f.length / w }, (_, i) => Array.from(f.subarray(i * w, (i + 1) * w)));
      const out = conv2d(toMap(xf, s.w), toMap(vf, kw), opts);
      const g = out.map((row) => row.map(() => rand.uniform(-1, 1)));
      const loss = () => conv2d(toMap(xf, s.w), toMap(vf, kw), opts).reduce((acc, row, i) => row.reduce((a, v, j) => a + (v + bf[0]!) * g[i]![j]!, acc), 0);
      const grads = conv2dBackward(toMap(xf, s.w), toMap(vf, kw), g, opts);
      const r = gradientCheck(loss, [xf, vf, bf], [grads.dx.flat(), grads.dKernel.flat(), [grads.dBias]]);
      expect(r.maxRelativeError).toBeLessThan(1e-7);
    });
  }
  it("stride 1, no padding: ∂L/∂X is the full true convolution G ∗ V, ∂L/∂V the correlation X ⊛ G", () => {
    const x = randomMap(5, 6);
    const v = randomMap(3, 2);
    const g = randomMap(3, 5);
    const { dx, dKernel, dBias } = conv2dBackward(x, v, g);
    expectClose(dx, convolve2d(pad2d(g, [2, 1]), v), 10);
    expectClose(dKernel, conv2d(x, g), 10);
    expect(dBias).toBeCloseTo(g.flat().reduce((a, b) => a + b, 0), 10);
  });
  it("rows the windows never reach get a zero input gradient", () => {
    const x = randomMap(6, 6);
    const g = [[1, 1], [1, 1]];
    const { dx } = conv2dBackward(x, [[1, 1], [1, 1]], g, { stride: 3 });
    expect(dx[2]!.every((v) => v === 0) && dx[5]!.every((v) => v === 0)).toBe(true);
    expect(dx[0]![0]).toBe(1);
  });
  it("flip2d, convolve2d, dilate2d, tensorToKernels", () => {
    expect(flip2d([[0, 1], [2, 3]])).toEqual([[3, 2], [1, 0]]);
    // the true convolution flips: a delta image returns the kernel itself (the correlation returns it flipped)
    const delta = [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]];
    const k = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    expect(convolve2d(delta, k, { padding: 1 }).slice(1, 4).map((r) => r.slice(1, 4))).toEqual(k);
    expect(conv2d(delta, k, { padding: 1 }).slice(1, 4).map((r) => r.slice(1, 4))).toEqual(flip2d(k));
    expect(dilate2d([[1, 2], [3, 4]], [2, 3])).toEqual([[1, 0, 0, 2], [0, 0, 0, 0], [3, 0, 0, 4]]);
    const kernels = Array.from({ length: 3 }, () => randomVolume(2, 3, 2));
    expect(tf.tidy(() => tensorToKernels(kernelsToTensor(kernels)))).toEqual(kernels);
    expect(() => conv2dBackward(randomMap(5, 5), randomMap(3, 3), randomMap(2, 3))).toThrow(/3×3/);
  });
});

/** Augmentation and noise injection (lib/src/data/augment.ts) and the tuning helpers (lib/src/scratch/tuning.ts). */
import { describe, expect, it } from "vitest";
import { Random } from "../lib/src/core/random";
import { Dataset, crossValidate, kFold, labelCorrelation, topK } from "../lib/src/data/dataset";
import { downsample, flipLabels, noisyCopies, rotateImage, rotatedCopies } from "../lib/src/data/augment";
import { accuracy, gridConfigs, meanStd, nearestCentroid, randomConfigs, randomFeatureClassifier } from "../lib/src/scratch/tuning";

const image = (size: number, f: (r: number, c: number) => number) => Float32Array.from({ length: size * size }, (_, k) => f(Math.floor(k / size), k % size));

describe("augmentation", () => {
  it("rotating by 0° is the identity, by 90° moves a pixel as a rotation does, and 4 × 90° comes back", () => {
    const img = image(5, (r, c) => r * 5 + c);
    expect(Array.from(rotateImage(img, 5, 0))).toEqual(Array.from(img));
    const once = rotateImage(image(5, (r, c) => (r === 0 && c === 2 ? 1 : 0)), 5, 90);
    const at = Array.from(once).findIndex((v) => v > 0.99);
    expect([Math.floor(at / 5), at % 5]).toEqual([2, 0]); // top-centre → left-centre (counter-clockwise)
    let x: Float32Array = img;
    for (let k = 0; k < 4; k++) x = rotateImage(x, 5, 90);
    expect(Math.max(...Array.from(x, (v, i) => Math.abs(v - img[i]!)))).toBeLessThan(1e-4);
  });

  it("rotatedCopies and noisyCopies append copies with the same labels", () => {
    const ds = new Dataset(new Float32Array(3 * 16).fill(0.5), Uint8Array.from([0, 1, 2]), 16);
    const rot = rotatedCopies(ds, { copies: 2, size: 4, random: new Random(1) });
    expect(rot.rows).toBe(9);
    expect(Array.from(rot.y)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    const noisy = noisyCopies(ds, { copies: 1, std: 0.2, clip: [0, 1], random: new Random(2) });
    expect(noisy.rows).toBe(6);
    const added = Array.from(noisy.x.subarray(48));
    expect(added.every((v) => v >= 0 && v <= 1)).toBe(true);
    const sd = Math.sqrt(added.reduce((s, v) => s + (v - 0.5) ** 2, 0) / added.length);
    expect(sd).toBeGreaterThan(0.12);
    expect(sd).toBeLessThan(0.25);
  });

  it("downsample averages blocks", () => {
    const ds = new Dataset(image(4, (r, c) => r * 4 + c), Uint8Array.from([3]), 16);
    const small = downsample(ds, 2, 4);
    expect(Array.from(small.x)).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(small.cols).toBe(4);
  });

  it("flipLabels changes exactly the chosen fraction, always to another class", () => {
    const ds = new Dataset(new Float32Array(200), Uint8Array.from({ length: 200 }, (_, i) => i % 10), 1);
    const { data, flipped } = flipLabels(ds, 0.25, 10, new Random(3));
    expect(flipped.length).toBe(50);
    const changed = Array.from(data.y).filter((v, i) => v !== ds.y[i]).length;
    expect(changed).toBe(50);
    expect(Array.from(data.y).every((v) => v >= 0 && v < 10)).toBe(true);
  });
});

describe("cross-validation without leakage", () => {
  it("crossValidate calls the scorer once per fold of kFold; labelCorrelation and topK; selectColumns", () => {
    const r = new Random(4);
    const ds = new Dataset(Float32Array.from({ length: 50 * 3 }, () => r.normal()), Uint8Array.from({ length: 50 }, (_, i) => i % 2), 3);
    const seen: number[][] = [];
    const cv = crossValidate(ds, 5, (train, val, j) => (seen.push([train.rows, val.rows]), j), { random: new Random(1) });
    expect(seen).toEqual(Array(5).fill([40, 10]));
    expect(cv.mean).toBe(2);
    expect(cv.std).toBeCloseTo(Math.sqrt(2.5), 12);
    const folds = kFold(ds, 5, { random: new Random(1) });
    expect(folds.length).toBe(5);
    const x = Float32Array.from({ length: 40 }, (_, k) => (k % 2 === 0 ? Math.floor(k / 2) % 2 : 7)); // column 0 = label, column 1 constant
    const two = new Dataset(x, Uint8Array.from({ length: 20 }, (_, i) => i % 2), 2);
    expect(Array.from(labelCorrelation(two))).toEqual([1, 0]);
    expect(Array.from(topK([0.1, 0.9, 0.5, 0.9], 3))).toEqual([1, 3, 2]);
    expect(Array.from(two.selectColumns([1, 0]).row(3))).toEqual([7, 1]);
  });

  it("selecting features on all rows before cross-validating pure noise leaks; selecting inside each fold does not", () => {
    const r = new Random(5);
    const n = 60;
    const ds = new Dataset(Float32Array.from({ length: n * 500 }, () => r.normal()), Uint8Array.from({ length: n }, () => r.int(2)), 500);
    const leakyCols = topK(labelCorrelation(ds), 10);
    const leaky = crossValidate(ds.selectColumns(leakyCols), 5, (tr, va) => accuracy(nearestCentroid(tr, 2)(va.x), va.y), { random: new Random(1) });
    const honest = crossValidate(ds, 5, (tr, va) => {
      const cols = topK(labelCorrelation(tr), 10);
      return accuracy(nearestCentroid(tr.selectColumns(cols), 2)(va.selectColumns(cols).x), va.y);
    }, { random: new Random(1) });
    expect(leaky.mean).toBeGreaterThan(0.75);
    expect(honest.mean).toBeLessThan(0.65);
  });
});

describe("tuning", () => {
  it("a grid has perAxis^d configurations with perAxis distinct values per axis; random search has n distinct values", () => {
    const space = { lr: { min: 1e-3, max: 1e-1, log: true }, p: { min: 0, max: 0.5 } };
    const grid = gridConfigs(space, 3);
    expect(grid.length).toBe(9);
    expect(new Set(grid.map((c) => c.lr!.toFixed(6)))).toEqual(new Set(["0.001000", "0.010000", "0.100000"]));
    expect(new Set(grid.map((c) => c.p)).size).toBe(3);
    const rand = randomConfigs(space, 9, new Random(1));
    expect(new Set(rand.map((c) => c.lr)).size).toBe(9);
    expect(rand.every((c) => c.lr! >= 1e-3 && c.lr! <= 0.1 && c.p! >= 0 && c.p! <= 0.5)).toBe(true);
  });

  it("meanStd uses the sample standard deviation", () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanStd([5])).toEqual({ mean: 5, std: 0 });
  });

  it("the random-feature classifier learns a separable problem", () => {
    const r = new Random(6);
    const rows = 200;
    const x = Float32Array.from({ length: rows * 2 }, () => r.normal());
    const y = Uint8Array.from({ length: rows }, (_, i) => (x[2 * i]! * x[2 * i + 1]! > 0 ? 1 : 0)); // XOR-like quadrants
    const ds = new Dataset(x, y, 2);
    const [train, test] = [ds.subset(Int32Array.from({ length: 150 }, (_, i) => i)), ds.subset(Int32Array.from({ length: 50 }, (_, i) => 150 + i))];
    const predict = randomFeatureClassifier(train, 2, { features: 100, ridge: 1e-2, scale: 2, random: new Random(2) });
    expect(accuracy(predict(test.x), test.y)).toBeGreaterThan(0.85);
    expect(accuracy(nearestCentroid(train, 2)(test.x), test.y)).toBeLessThan(0.7); // a linear-ish rule cannot
  });
});

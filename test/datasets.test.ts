import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DATA_FILES, DataFileError, dataDir, loadFortunes, loadSentiment, loadTimeSeries, parseCsv, readDataFile } from "../lib/src/data/datasets";

const temp = mkdtempSync(join(tmpdir(), "reti-data-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A private copy of the data folder, to break without touching the real files. */
function copyOfData(name: string): string {
  const dir = join(temp, name);
  cpSync(dataDir(), dir, { recursive: true });
  return dir;
}

describe("shipped data", () => {
  it("is found from the lib's location, and data/README.md lists the same checksums as the loader", () => {
    const readme = readFileSync(join(dataDir(), "README.md"), "utf8");
    const listed = Object.fromEntries([...readme.matchAll(/^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$/gm)].map((m) => [m[1], m[2]]));
    expect(listed).toEqual(DATA_FILES);
    for (const name of Object.keys(DATA_FILES) as (keyof typeof DATA_FILES)[]) expect(readDataFile(name).length).toBeGreaterThan(1000);
  });

  it("time series have their months, in order", () => {
    const air = loadTimeSeries("airpassengers");
    expect([air.values.length, air.column, air.values[0], air.values[143]]).toEqual([144, "AirPassengers", 112, 432]);
    expect([air.year[0], air.period[0], air.year[143], air.period[143]]).toEqual([1949, 1, 1960, 12]);
    for (let i = 1; i < 144; i++) expect(air.time[i]! - air.time[i - 1]!).toBeCloseTo(1 / 12, 5);
    expect(loadTimeSeries("sunspot-month").values.length).toBe(3177);
    expect(loadTimeSeries("co2-mauna-loa").values.length).toBe(468);
    expect(loadTimeSeries("nottingham-temp").values.length).toBe(240);
    // @ts-expect-error: not a shipped series
    expect(() => loadTimeSeries("lynx")).toThrow(/unknown time series "lynx"/);
  });

  it("sentiment reviews have their labels (2,600 / 658 great)", () => {
    const train = loadSentiment("train");
    const test = loadSentiment("test");
    expect([train.review.length, test.review.length]).toEqual([4000, 1000]);
    expect([train.label.reduce((a, b) => a + b, 0), test.label.reduce((a, b) => a + b, 0)]).toEqual([2600, 658]);
    expect(train.product[0]).toBe("B000J0LSBG");
    expect(train.label[0]).toBe(0);
    expect(train.review[1]).toMatch(/^I absolutely LOVE this dried fruit\./);
  });

  it("fortunes split into 4,153 entries", () => {
    const { text, entries } = loadFortunes();
    expect(entries).toHaveLength(4153);
    expect(entries[3]).toBe("Non vorrei mai far parte di un club che accettasse tra i suoi soci uno\ncome me.\n\t\t-- Groucho Marx");
    expect(text.length).toBeGreaterThan(700_000);
  });

  it("parses quoted CSV fields with commas, doubled quotes and newlines", () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere"\r\n1,\n')).toEqual([["a", "b"], ["x, y", 'say "hi"\nthere'], ["1", ""]]);
  });

  it("fails clearly when a file is missing or altered (on a private copy)", () => {
    const missing = copyOfData("missing");
    unlinkSync(join(missing, "timeseries/airpassengers.csv"));
    expect(() => loadTimeSeries("airpassengers", { dir: missing })).toThrow(DataFileError);
    expect(() => loadTimeSeries("airpassengers", { dir: missing })).toThrow(/airpassengers\.csv is missing: restore it with `git checkout -- data\/timeseries\/airpassengers\.csv`/);
    const altered = copyOfData("altered");
    const file = join(altered, "sentiment/fine-foods-test.csv");
    writeFileSync(file, readFileSync(file, "utf8").replace("great", "other"));
    expect(() => loadSentiment("test", { dir: altered })).toThrow(/fine-foods-test\.csv has been altered: SHA-256 [0-9a-f]{64}, expected 2785a141/);
    // The real files are untouched.
    expect(loadSentiment("test").label.length).toBe(1000);
  });
});

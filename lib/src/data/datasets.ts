/**
 * Loaders for the small real datasets shipped in the course's `data/` folder (see data/README.md):
 * monthly time series, Amazon fine-food reviews for sentiment, Italian fortunes for character models.
 * Every read verifies the file's SHA-256 and fails with a message naming the file and how to restore it.
 * Lectures 002 and 004 (RNN — time-series forecasting, sentiment (many-to-one), character-level language model).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The shipped data files (paths under `data/`) and their SHA-256, as listed in data/README.md. */
export const DATA_FILES = {
  "timeseries/airpassengers.csv": "a9d4c32c390041b3286eee24e626d5fe47cbdd873612e5985d5487c40dc425c4",
  "timeseries/sunspot-month.csv": "bdb01986c6095b2a931c138d41b20a07205e2981137d8d8db9362a6fd789bdf9",
  "timeseries/co2-mauna-loa.csv": "6acc0ea8717d63d668d803920e685bb9c6210a49d3f6a11db527438ee2b2cfbe",
  "timeseries/nottingham-temp.csv": "9810d3ff1cae21ab3afcd2f404bb717107ee1cf1f4c8aea557730a85d5bd4917",
  "sentiment/fine-foods-train.csv": "5fadd64255e08d7142e9d2c87cbf0f66f0f82e30d8aabcc2b9a36618662666c3",
  "sentiment/fine-foods-test.csv": "2785a14188ced4f955ea9499f08043cbe74ed8166a199e1fac8131dea7a75c13",
  "text/fortunes-it.txt": "3413ad0a43c9894eab4830afd1564608657a7127acf7fa5c852ddb8e5aa90e10",
} as const;

/** A file under `data/` that the course ships. */
export type DataFile = keyof typeof DATA_FILES;

/** A shipped data file is missing, altered or malformed: the message names it and the fix. */
export class DataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataFileError";
  }
}

/** Where to find the data folder (for tests; notebooks use the default). */
export interface DataOptions {
  /** The data folder (default `$RETI_DATA_DIR`, else the course's `data/`, found from the lib's own location). */
  dir?: string;
}

/** The course's `data/` folder: `$RETI_DATA_DIR` if set, else `data/` beside the lib package (works from any working directory). */
export function dataDir(): string {
  // This file runs as lib/src/data/datasets.ts (tests) or lib/dist/data/datasets.js (notebooks): data/ is three levels up.
  return process.env.RETI_DATA_DIR ?? resolve(__dirname, "..", "..", "..", "data");
}

/** The bytes of a shipped data file, after checking its SHA-256 against `DATA_FILES`. Every notebook that loads a shipped data file. */
export function readDataFile(name: DataFile, options: DataOptions = {}): Uint8Array {
  const expected = DATA_FILES[name];
  if (expected === undefined) throw new DataFileError(`unknown data file "${name}": the shipped files are ${Object.keys(DATA_FILES).join(", ")}`);
  const file = join(options.dir ?? dataDir(), name);
  if (!existsSync(file)) {
    throw new DataFileError(`data file ${file} is missing: restore it with \`git checkout -- data/${name}\` in the course folder (or set RETI_DATA_DIR to the folder that holds it)`);
  }
  const bytes = readFileSync(file);
  const hash = createHash("sha256").update(bytes).digest("hex");
  if (hash !== expected) {
    throw new DataFileError(`data file ${file} has been altered: SHA-256 ${hash}, expected ${expected}; restore it with \`git checkout -- data/${name}\``);
  }
  return bytes;
}

/** A shipped text file, checksum-verified, decoded as UTF-8. */
function readDataText(name: DataFile, options: DataOptions): string {
  return new TextDecoder("utf-8").decode(readDataFile(name, options));
}

/** Parses CSV text (RFC 4180: quoted fields may hold commas, doubled quotes and newlines) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[i++];
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** Reads a shipped CSV file, checks its header, and returns the data rows. */
function readCsv(name: DataFile, header: (h: string[]) => boolean, expectedHeader: string, options: DataOptions): string[][] {
  const [head, ...rows] = parseCsv(readDataText(name, options));
  if (!head || !header(head)) throw new DataFileError(`data file ${name}: header is "${head?.join(",")}", expected ${expectedHeader}`);
  return rows;
}

/** The monthly time series shipped in data/timeseries/. */
export type TimeSeriesName = "airpassengers" | "sunspot-month" | "co2-mauna-loa" | "nottingham-temp";

/** A monthly time series: one entry per month, in time order. */
export interface TimeSeries {
  /** Which series. */
  name: TimeSeriesName;
  /** The value column's name in the CSV (e.g. `AirPassengers`). */
  column: string;
  /** Decimal year of each month (1949.083… is February 1949). */
  time: Float64Array;
  /** Calendar year. */
  year: Int32Array;
  /** Month 1–12. */
  period: Int32Array;
  /** The observed values. */
  values: Float32Array;
}

/**
 * A monthly time series from data/timeseries/ (airline passengers, sunspots, Mauna Loa CO₂, Nottingham
 * temperatures). Lecture 004 (RNN time-series forecasting, persistence and linear baselines).
 */
export function loadTimeSeries(name: TimeSeriesName, options: DataOptions = {}): TimeSeries {
  const file = `timeseries/${name}.csv` as DataFile;
  if (!(file in DATA_FILES)) {
    throw new DataFileError(`unknown time series "${name}": choose airpassengers, sunspot-month, co2-mauna-loa or nottingham-temp`);
  }
  let column = "";
  const rows = readCsv(
    file,
    (h) => h.length === 4 && h[0] === "time" && h[1] === "year" && h[2] === "period" && (column = h[3]!) !== "",
    "time,year,period,<name>",
    options,
  );
  const series: TimeSeries = {
    name,
    column,
    time: new Float64Array(rows.length),
    year: new Int32Array(rows.length),
    period: new Int32Array(rows.length),
    values: new Float32Array(rows.length),
  };
  rows.forEach((r, i) => {
    const numbers = r.map(Number);
    if (r.length !== 4 || numbers.some((v) => !Number.isFinite(v))) throw new DataFileError(`data file ${file}: row ${i + 2} is not four numbers: "${r.join(",")}"`);
    [series.time[i], series.year[i], series.period[i], series.values[i]] = numbers as [number, number, number, number];
  });
  return series;
}

/** Labelled reviews for sentiment classification. */
export interface SentimentSet {
  /** Amazon product id of each review. */
  product: string[];
  /** The review text (original, with HTML line breaks `<br />`). */
  review: string[];
  /** 1 where the score is `great`, 0 where it is `other`. */
  label: Uint8Array;
}

/**
 * Amazon fine-food reviews (4,000 train, 1,000 test), labelled great (1) or other (0). Lectures 002 and 004 (RNN
 * many-to-one, sentiment analysis; word embeddings).
 */
export function loadSentiment(part: "train" | "test", options: DataOptions = {}): SentimentSet {
  if (part !== "train" && part !== "test") throw new DataFileError(`loadSentiment: part must be "train" or "test", got "${part}"`);
  const file = `sentiment/fine-foods-${part}.csv` as const;
  const rows = readCsv(file, (h) => h.join(",") === "product,review,score", "product,review,score", options);
  const set: SentimentSet = { product: [], review: [], label: new Uint8Array(rows.length) };
  rows.forEach(([product, review, score], i) => {
    if (score !== "great" && score !== "other") throw new DataFileError(`data file ${file}: row ${i + 2} has score "${score}", expected great or other`);
    set.product.push(product!);
    set.review.push(review!);
    set.label[i] = score === "great" ? 1 : 0;
  });
  return set;
}

/**
 * The Italian fortunes (Debian fortunes-it): the whole text, for a character-level language model,
 * and its entries (split at the lines holding `%`). Lecture 004 (character-level language model).
 */
export function loadFortunes(options: DataOptions = {}): { text: string; entries: string[] } {
  const text = readDataText("text/fortunes-it.txt", options);
  const entries = text
    .split(/^%\n/m)
    .map((e) => e.replace(/\n$/, ""))
    .filter((e) => e.trim() !== "");
  return { text, entries };
}

/**
 * Sequence data for recurrent networks: sliding windows over a series, differencing, a synthetic sum of
 * sinusoids, tokenisation, vocabularies, padding (with the padding id 0 that an embedding masks), bags of
 * words, and a long-dependency recall task. Notebook 06 (lectures 002, 004: time series, sentiment, BPTT).
 */
import { type Random, rng } from "../core/random";

/** Windows of a series: x holds `count` rows of `length` consecutive values, y the `horizon` values after each. */
export interface Windows {
  x: Float32Array;
  y: Float32Array;
  count: number;
  length: number;
  horizon: number;
  /** Index in the series of each window's first target value. */
  targetIndex: Int32Array;
}

/**
 * Sliding windows: row i is series[start+i … start+i+length−1], its target series[start+i+length … +horizon−1];
 * the targets of the windows lie in [start + length, end). Notebook 06 (lecture 004, predict t+1 from the values up to t).
 */
export function windows(series: ArrayLike<number>, length: number, options: { horizon?: number; start?: number; end?: number } = {}): Windows {
  const horizon = options.horizon ?? 1;
  const start = options.start ?? 0;
  const end = options.end ?? series.length;
  if (!(Number.isInteger(length) && length >= 1 && Number.isInteger(horizon) && horizon >= 1)) throw new RangeError(`windows: length and horizon must be positive integers, got ${length}, ${horizon}`);
  if (start < 0 || end > series.length || start > end) throw new RangeError(`windows: need 0 ≤ start ≤ end ≤ ${series.length}, got ${start}, ${end}`);
  const count = Math.max(0, end - start - length - horizon + 1);
  const x = new Float32Array(count * length);
  const y = new Float32Array(count * horizon);
  const targetIndex = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < length; j++) x[i * length + j] = series[start + i + j]!;
    for (let j = 0; j < horizon; j++) y[i * horizon + j] = series[start + i + length + j]!;
    targetIndex[i] = start + i + length;
  }
  return { x, y, count, length, horizon, targetIndex };
}

/** First differences d_t = x_t − x_{t−lag} (length n − lag): removes a trend (lag 1) or a season (lag 12). Notebook 06 (lecture 004, differencing). */
export function difference(series: ArrayLike<number>, lag = 1): Float32Array {
  if (!(Number.isInteger(lag) && lag >= 1 && lag < series.length)) throw new RangeError(`difference: lag must be an integer in [1, ${series.length}), got ${lag}`);
  return Float32Array.from({ length: series.length - lag }, (_, i) => series[i + lag]! - series[i]!);
}

/** Options of `sumOfSines`. */
export interface SinesOptions {
  /** Frequencies in cycles per step (default [1/20, 1/7.3]: two incommensurate periods). */
  frequencies?: number[];
  /** Amplitudes (default 1, 0.5). */
  amplitudes?: number[];
  /** Gaussian noise standard deviation (default 0.05). */
  noise?: number;
  random?: Random;
}

/** A sum of sinusoids with noise, the synthetic series of Géron's forecasting example cited by lecture 004. Notebook 06 (time series). */
export function sumOfSines(n: number, options: SinesOptions = {}): Float32Array {
  const { frequencies = [1 / 20, 1 / 7.3], amplitudes = [1, 0.5], noise = 0.05, random = rng() } = options;
  const phases = frequencies.map(() => random.uniform(0, 2 * Math.PI));
  return Float32Array.from({ length: n }, (_, t) => frequencies.reduce((s, f, k) => s + (amplitudes[k] ?? 1) * Math.sin(2 * Math.PI * f * t + phases[k]!), 0) + noise * random.normal());
}

/**
 * Lower-case word tokens: HTML line breaks removed, words of letters, digits and inner apostrophes
 * ("don't" stays one token, so negations survive). Notebook 06 (lecture 004, NLP; sentiment).
 */
export function tokenize(text: string): string[] {
  const clean = text.toLowerCase().replace(/<br\s*\/?>/g, " ").replace(/[’`]/g, "'");
  return (clean.match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? []);
}

/** Id 0 pads (masked by the embedding), id 1 stands for any word outside the vocabulary. */
export const PAD = 0;
export const UNKNOWN = 1;

/**
 * A word vocabulary (vocabolario): ids 2, 3, … by decreasing frequency in the training texts (ties
 * alphabetical), 0 for padding and 1 for unknown words. Notebook 06 (sentiment: tokenisation, vocabulary).
 */
export class Vocabulary {
  readonly words: string[];
  private readonly ids: Map<string, number>;

  constructor(words: string[]) {
    this.words = ["<pad>", "<unk>", ...words];
    this.ids = new Map(this.words.map((w, i) => [w, i]));
  }

  /** The `maxSize` most frequent tokens (including the two special ids) seen at least `minCount` times. */
  static build(texts: readonly string[][], options: { maxSize?: number; minCount?: number } = {}): Vocabulary {
    const { maxSize = Infinity, minCount = 1 } = options;
    const counts = new Map<string, number>();
    for (const tokens of texts) for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const words = [...counts].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
    return new Vocabulary(words.slice(0, Math.max(0, maxSize - 2)));
  }

  /** Number of ids (with padding and unknown). */
  get size(): number {
    return this.words.length;
  }

  /** The id of a word (UNKNOWN if absent). */
  id(word: string): number {
    return this.ids.get(word) ?? UNKNOWN;
  }

  /** Token ids of a token list. */
  encode(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (t) => this.id(t));
  }

  /** The words of ids (padding dropped). */
  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids).filter((i) => i !== PAD).map((i) => this.words[i] ?? "<unk>");
  }
}

/**
 * Sequences to one [N, length] Int32Array: shorter ones padded with 0, longer ones truncated. Keras's defaults:
 * padding and truncation at the start ("pre"), so the last words sit next to the final state. Notebook 06 (padding and masking).
 */
export function padSequences(seqs: readonly ArrayLike<number>[], length: number, options: { padding?: "pre" | "post"; truncating?: "pre" | "post" } = {}): Int32Array {
  const { padding = "pre", truncating = "pre" } = options;
  const out = new Int32Array(seqs.length * length);
  seqs.forEach((s, i) => {
    const n = Math.min(s.length, length);
    const from = truncating === "pre" ? s.length - n : 0;
    const at = padding === "pre" ? length - n : 0;
    for (let j = 0; j < n; j++) out[i * length + at + j] = s[from + j]!;
  });
  return out;
}

/** Bag of words [N, V]: each text's word counts (or presence with `binary`), ignoring padding. Notebook 06 (the bag-of-words baseline). */
export function bagOfWords(seqs: readonly ArrayLike<number>[], vocabularySize: number, options: { binary?: boolean } = {}): Float32Array {
  const out = new Float32Array(seqs.length * vocabularySize);
  seqs.forEach((s, i) => {
    for (let j = 0; j < s.length; j++) {
      const id = s[j]!;
      if (id === PAD || id >= vocabularySize) continue;
      out[i * vocabularySize + id] = options.binary ? 1 : out[i * vocabularySize + id]! + 1;
    }
  });
  return out;
}

/** A labelled set of real-valued sequences: x [count, steps, features], labels 0/1. */
export interface SequenceSet {
  x: Float32Array;
  labels: Float32Array;
  count: number;
  steps: number;
  features: number;
}

/**
 * A long-dependency task: each sequence starts with a marker ±1 on feature 0 and then has `steps` − 1 steps
 * of Gaussian noise (std `noise`) on feature 1; the label is 1 when the marker was +1. The network must carry
 * one bit across the whole sequence. Notebook 06 (lectures 002, 004: why gates help).
 */
export function recallTask(count: number, steps: number, options: { noise?: number; random?: Random } = {}): SequenceSet {
  const { noise = 1, random = rng() } = options;
  const x = new Float32Array(count * steps * 2);
  const labels = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const positive = random.bernoulli(0.5);
    labels[i] = positive ? 1 : 0;
    x[i * steps * 2] = positive ? 1 : -1;
    for (let t = 1; t < steps; t++) x[(i * steps + t) * 2 + 1] = noise * random.normal();
  }
  return { x, labels, count, steps, features: 2 };
}

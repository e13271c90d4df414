/**
 * Language-model maths on plain arrays: character n-gram models (unigram, bigram, trigram, add-α smoothing) as
 * baselines, perplexity, sampling with a temperature and its entropy, and one step of dot-product attention.
 * Lecture: character-level language model, machine translation with attention (004); encoder–decoder (003).
 */
import { rng, type Random } from "../core/random";

/**
 * A character n-gram model: P(x_t | x_{t−n+1} … x_{t−1}) = (count(context, x_t) + α) / (count(context) + α·m),
 * add-α (Laplace/Lidstone) smoothing over a vocabulary of m symbols. Notebook 07 (lecture 004, language model baselines).
 */
export interface NgramModel {
  /** n: 1 = unigram, 2 = bigram, 3 = trigram. */
  order: number;
  /** Vocabulary size m. */
  vocabSize: number;
  /** Smoothing α. */
  alpha: number;
  /** counts[context · m + next], contexts in base m (m^(n−1) × m). */
  counts: Float64Array;
  /** Total count of each context. */
  contextCounts: Float64Array;
}

/**
 * Counts the n-grams of a sequence of ids (n ≤ 3: the table has m^n entries). Negative ids (boundaries) are not
 * counted and break the context. Notebook 07 (lecture 004, unigram and bigram character baselines).
 */
export function fitNgram(ids: ArrayLike<number>, vocabSize: number, order: number, alpha = 1): NgramModel {
  if (!(Number.isInteger(order) && order >= 1 && order <= 3)) throw new Error(`fitNgram: order must be 1, 2 or 3, got ${order}`);
  if (!(alpha > 0)) throw new Error(`fitNgram: alpha must be > 0 (else unseen n-grams get probability 0), got ${alpha}`);
  const m = vocabSize;
  const contexts = m ** (order - 1);
  const counts = new Float64Array(contexts * m);
  const contextCounts = new Float64Array(contexts);
  for (let t = order - 1; t < ids.length; t++) {
    const c = contextOf(ids, t, order, m);
    const x = ids[t]!;
    if (c < 0 || x < 0) continue;
    if (x >= m) throw new RangeError(`fitNgram: id ${x} at position ${t} is outside the vocabulary of ${m}`);
    counts[c * m + x]!++;
    contextCounts[c]!++;
  }
  return { order, vocabSize: m, alpha, counts, contextCounts };
}

/** The context index of position t (the n−1 previous ids in base m), or −1 if it holds a boundary. */
function contextOf(ids: ArrayLike<number>, t: number, order: number, m: number): number {
  let c = 0;
  for (let k = t - order + 1; k < t; k++) {
    const v = k >= 0 ? ids[k]! : -1;
    if (v < 0) return -1;
    c = c * m + v;
  }
  return c;
}

/** P(next | the n−1 ids before position t of `ids`). Notebook 07 (lecture 004). */
export function ngramProbability(model: NgramModel, ids: ArrayLike<number>, t: number, next: number): number {
  const { order, vocabSize: m, alpha } = model;
  const c = contextOf(ids, t, order, m);
  if (c < 0) return 1 / m;
  return (model.counts[c * m + next]! + alpha) / (model.contextCounts[c]! + alpha * m);
}

/**
 * Mean negative log-likelihood (nats per character) of the ids at positions `from`… of `ids` under the model:
 * −(1/N) Σ_t log P(x_t | context). Perplexity is its exponential. Notebook 07 (lecture 004).
 */
export function ngramNll(model: NgramModel, ids: ArrayLike<number>, from = model.order - 1): number {
  let sum = 0;
  let n = 0;
  for (let t = Math.max(from, 0); t < ids.length; t++) {
    const x = ids[t]!;
    if (x < 0) continue;
    sum -= Math.log(ngramProbability(model, ids, t, x));
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Perplexity exp(NLL): the number of equally likely choices the model is as unsure as. Notebook 07 (lecture 004). */
export function perplexity(meanNll: number): number {
  return Math.exp(meanNll);
}

/**
 * The distribution softmax(z/T) for logits z, or from probabilities p the same thing, p_i^(1/T) / Σ_j p_j^(1/T):
 * T < 1 sharpens it (T → 0: the arg-max), T > 1 flattens it (T → ∞: uniform). Notebook 07 (lecture 004, sampling with temperature).
 */
export function withTemperature(values: ArrayLike<number>, temperature: number, kind: "logits" | "probabilities" = "probabilities"): Float64Array {
  if (!(temperature > 0)) throw new RangeError(`withTemperature: the temperature must be > 0, got ${temperature}`);
  const z = Float64Array.from(values, (v) => (kind === "logits" ? v : v > 0 ? Math.log(v) : -Infinity) / temperature);
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    z[i] = z[i] === -Infinity ? 0 : Math.exp(z[i]! - max);
    sum += z[i]!;
  }
  for (let i = 0; i < z.length; i++) z[i]! /= sum;
  return z;
}

/** Shannon entropy H(p) = −Σ p_i log p_i in nats (0 for a one-hot, log m for uniform). Notebook 07 (lecture 004). */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) h -= p[i]! * Math.log(p[i]!);
  return h;
}

/** An index drawn from probabilities p (any non-negative weights). Notebook 07 (lecture 004, generating text). */
export function sampleIndex(p: ArrayLike<number>, random: Random = rng()): number {
  return random.weightedIndex(p);
}

/** What `dotAttention` returns. Notebook 07 (lecture 004, attention). */
export interface AttentionStep {
  /** Scores e_j = s·h_j (−∞ where masked). */
  scores: Float64Array;
  /** Attention weights α = softmax(e), summing to 1. */
  weights: Float64Array;
  /** The context vector c = Σ_j α_j h_j. */
  context: Float64Array;
}

/**
 * One step of (Luong) dot-product attention: the decoder state s (the query) scores every encoder state h_j
 * (the keys, also the values) by e_j = s·h_j, the scores become weights α = softmax(e), and the context is
 * c = Σ α_j h_j. Positions with mask 0 (padding) get weight 0. Notebook 07 (lecture 004, machine translation with attention).
 */
export function dotAttention(query: ArrayLike<number>, keys: readonly ArrayLike<number>[], values: readonly ArrayLike<number>[] = keys, mask?: ArrayLike<number>): AttentionStep {
  const T = keys.length;
  if (values.length !== T) throw new Error(`dotAttention: ${T} keys but ${values.length} values`);
  const scores = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    const k = keys[j]!;
    if (k.length !== query.length) throw new Error(`dotAttention: key ${j} has length ${k.length}, the query ${query.length}`);
    let s = 0;
    for (let i = 0; i < query.length; i++) s += query[i]! * k[i]!;
    scores[j] = mask !== undefined && mask[j] === 0 ? -Infinity : s;
  }
  const weights = withTemperature(scores, 1, "logits");
  const dv = values[0]?.length ?? 0;
  const context = new Float64Array(dv);
  for (let j = 0; j < T; j++) for (let i = 0; i < dv; i++) context[i]! += weights[j]! * values[j]![i]!;
  return { scores, weights, context };
}

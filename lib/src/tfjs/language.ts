/**
 * Language models in TensorFlow.js on the lib's fused recurrent layer: the lecture's character-level language
 * model (20 characters → the 21st) and text generation by feeding predictions back, and an encoder–decoder
 * (codificatore/decodificatore) with dot-product attention (attenzione) for translation, trained with teacher
 * forcing and decoded greedily (the decoder starts from the encoder's final state). Plain arrays in and out;
 * seeded initialisers.
 * Lecture: character-level language model, neural machine translation (004); encoder–decoder (003).
 */
import { nextSeed } from "../core/random";
import { tf } from "./backend";
import { Recurrent, recurrentLayer } from "./recurrent";

/** The recurrent cell of a model. Notebook 07 (lecture 004, LSTM and GRU). */
export type CellKind = "lstm" | "gru";

function embedding(inputDim: number, outputDim: number, name: string, inputLength?: number): tf.layers.Layer {
  return tf.layers.embedding({
    inputDim,
    outputDim,
    name,
    ...(inputLength === undefined ? {} : { inputLength }),
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: nextSeed() }),
  });
}

/** Options of `charLanguageModel`. Notebook 07 (lecture 004, character-level language model). */
export interface CharModelOptions {
  /** Number of characters m. */
  vocabSize: number;
  /** Characters read per prediction (the lecture's 20). */
  window?: number;
  /** Size of the character embedding (default 24). */
  embedding?: number;
  /** Units of the recurrent layer (default 128). */
  units?: number;
  /** "lstm" (default) or "gru". */
  cell?: CellKind;
}

/**
 * The lecture's character-level language model: ids of `window` characters → an embedding → one LSTM/GRU →
 * softmax over the m characters, P(x_{t+1} | x_{t−19} … x_t). The recurrent layer is the lib's fused `Recurrent`
 * (notebook 06: one operation per sequence, orthogonal recurrent weights, the memory gate's bias at 1).
 * Uncompiled. Notebook 07 (lecture 004, language models).
 */
export function charLanguageModel(options: CharModelOptions): tf.Sequential {
  const { vocabSize, window = 20, embedding: e = 24, units = 128, cell = "lstm" } = options;
  return tf.sequential({
    name: `char_${cell}`,
    layers: [
      embedding(vocabSize, e, "char_embedding", window),
      new Recurrent({ kind: cell, units, name: cell }),
      tf.layers.dense({ units: vocabSize, activation: "softmax", name: "next_char", kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) }),
    ],
  });
}

/**
 * Mean negative log-likelihood (nats per character) of the next characters y given the windows x (n × window ids),
 * in batches: −(1/n) Σ log P(y_i | x_i). Its exponential is the perplexity. Notebook 07 (lecture 004).
 */
export function charNll(model: tf.LayersModel, x: Int32Array, y: Int32Array, window: number, batchSize = 1024): number {
  const n = y.length;
  if (x.length !== n * window) throw new Error(`charNll: x has ${x.length} ids, ${n} windows of ${window} need ${n * window}`);
  let sum = 0;
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    // One forward pass per batch (predict's default would split it into batches of 32).
    const p = tf.tidy(() => (model.predict(tf.tensor2d(x.subarray(s * window, (s + b) * window), [b, window], "int32"), { batchSize: b }) as tf.Tensor).dataSync());
    const m = p.length / b;
    for (let i = 0; i < b; i++) sum -= Math.log(Math.max(p[i * m + y[s + i]!]!, 1e-12));
  }
  return sum / n;
}

/**
 * Generates text the lecture's way: predict the next character from the last `window` ones, pick one with
 * `pick(probabilities, row)` (e.g. sampling at a temperature), append it and repeat, for several prompts at once
 * (one row each, in one batch). Returns the `length` new ids of each row. Notebook 07 (lecture 004, generating text).
 */
export function generate(model: tf.LayersModel, prompts: readonly ArrayLike<number>[], length: number, window: number, pick: (probabilities: Float32Array, row: number) => number): Int32Array[] {
  const rows = prompts.map((p) => {
    if (p.length < window) throw new Error(`generate: a prompt has ${p.length} ids, the model reads ${window}`);
    return Array.from(p);
  });
  const out = rows.map(() => new Int32Array(length));
  const x = new Int32Array(rows.length * window);
  for (let t = 0; t < length; t++) {
    rows.forEach((r, i) => x.set(r.slice(r.length - window), i * window));
    const p = tf.tidy(() => (model.predict(tf.tensor2d(x, [rows.length, window], "int32")) as tf.Tensor).dataSync() as Float32Array);
    const m = p.length / rows.length;
    rows.forEach((r, i) => {
      const next = pick(p.subarray(i * m, (i + 1) * m), i);
      r.push(next);
      out[i]![t] = next;
    });
  }
  return out;
}

/** Options of `averagedEmbeddingClassifier`. Notebook 07 (lecture 004, using embeddings for sentiment). */
export interface AveragedEmbeddingOptions {
  /** Vocabulary size m (id 0 is padding). */
  vocabSize: number;
  /** Embedding dimension d. */
  dim: number;
  /** Ids per example (padded). */
  length: number;
  /** Start from these vectors (m × d, row-major) instead of random ones, e.g. skip-gram vectors. */
  weights?: Float32Array;
  /** Whether the embedding is trained (default true); false keeps given vectors frozen. */
  trainable?: boolean;
}

/**
 * A sentiment classifier on word embeddings: embedding lookup → average over the positions → logistic
 * regression P(positive). The embedding is learned from scratch, or starts from given vectors (frozen or
 * fine-tuned). Uncompiled. Notebook 07 (lecture 004, word embeddings; 002, many-to-one sentiment).
 */
export function averagedEmbeddingClassifier(options: AveragedEmbeddingOptions): tf.Sequential {
  const { vocabSize, dim, length, weights, trainable = true } = options;
  if (weights !== undefined && weights.length !== vocabSize * dim) throw new Error(`averagedEmbeddingClassifier: ${weights.length} weights are not ${vocabSize} × ${dim}`);
  const emb = tf.layers.embedding({
    inputDim: vocabSize,
    outputDim: dim,
    inputLength: length,
    name: "embedding",
    trainable,
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: nextSeed() }),
  });
  const model = tf.sequential({
    layers: [
      emb,
      tf.layers.globalAveragePooling1d({ name: "average" }),
      tf.layers.dense({ units: 1, activation: "sigmoid", name: "positive", kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) }),
    ],
  });
  if (weights !== undefined) {
    const w = tf.tensor2d(weights, [vocabSize, dim]);
    emb.setWeights([w]);
    w.dispose();
  }
  return model;
}

/**
 * Dot-product attention as a layer (Luong et al. 2015). Inputs [queries (B, T_q, H), encoder states (B, T_k, H)]
 * and optionally the source ids (B, T_k), whose 0s (padding) get no attention. Outputs [contexts (B, T_q, H),
 * weights (B, T_q, T_k)]: scores e = Q Kᵀ, weights α = softmax(e) over the source positions, contexts α K.
 * Notebook 07 (lecture 004, machine translation with attention).
 */
export class DotAttention extends tf.layers.Layer {
  static readonly className = "RetiDotAttention";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const [q, k] = inputShape as tf.Shape[];
    return [
      [q![0]!, q![1]!, k![2]!],
      [q![0]!, q![1]!, k![1]!],
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [q, k, ids] = inputs as tf.Tensor[];
      let scores = tf.matMul(q as tf.Tensor3D, k as tf.Tensor3D, false, true);
      if (ids !== undefined) {
        const padding = tf.equal(ids, 0).cast("float32").expandDims(1); // (B, 1, T_k)
        scores = scores.add(padding.mul(-1e9));
      }
      const weights = tf.softmax(scores);
      return [tf.matMul(weights, k as tf.Tensor3D), weights];
    });
  }
}
tf.serialization.registerClass(DotAttention);

/** Options of `seq2seqAttention`. Notebook 07 (lecture 004, machine translation). */
export interface Seq2SeqOptions {
  /** Source vocabulary size (id 0 is padding). */
  sourceVocab: number;
  /** Target vocabulary size (id 0 is padding). */
  targetVocab: number;
  /** Source length (padded). */
  sourceLength: number;
  /** Target length (padded), counting the start symbol fed to the decoder. */
  targetLength: number;
  /** Embedding size (default 32). */
  embedding?: number;
  /** Units of the encoder and decoder (default 128). */
  units?: number;
  /** "gru" (default) or "lstm". */
  cell?: CellKind;
  /** Without attention the decoder sees only the encoder's last state (default true). */
  attention?: boolean;
  /** The lib's fused recurrent layers (default true) or tfjs's stock ones, the reference (`bench:rnn -- --seq2seq`). */
  fast?: boolean;
}

/** An encoder–decoder: the model to train and a twin that also outputs the attention weights. Notebook 07 (lecture 004). */
export interface Seq2Seq {
  /** [source ids (B, T_s), decoder input ids (B, T_t)] → next-symbol probabilities (B, T_t, m_t). Uncompiled. */
  model: tf.LayersModel;
  /** The same layers, outputs [probabilities, attention weights (B, T_t, T_s)] (null without attention). */
  withAttention: tf.LayersModel | null;
}

/**
 * An encoder–decoder (codificatore/decodificatore) with attention: the encoder RNN reads the source and hands its
 * last state to the decoder RNN; at each output step the decoder's state attends over all encoder states
 * (`DotAttention`), and [state; context] → tanh layer → softmax gives the next symbol. Trained with teacher forcing
 * (the decoder reads the true previous symbols). Notebook 07 (lecture 004, machine translation; 003, encoder–decoder).
 */
export function seq2seqAttention(options: Seq2SeqOptions): Seq2Seq {
  const { sourceVocab, targetVocab, sourceLength, targetLength, embedding: e = 32, units = 128, cell = "gru", attention = true, fast = true } = options;
  const source = tf.input({ shape: [sourceLength], dtype: "int32", name: "source" });
  const target = tf.input({ shape: [targetLength], dtype: "int32", name: "decoder_input" });
  const sourceEmb = embedding(sourceVocab, e, "source_embedding").apply(source) as tf.SymbolicTensor;
  // Biases start at 0: with the memory gate's at 1 the GRU keeps its state at first, and after notebook 07's quick
  // three epochs the held-out exact match was 61 % against 97 %.
  const layer = (name: string, returnState: boolean) => recurrentLayer(cell, units, { returnSequences: true, returnState, memoryBias: false, fast, name });
  const encoded = layer("encoder", true).apply(sourceEmb) as tf.SymbolicTensor[];
  const [states, ...finalState] = encoded as [tf.SymbolicTensor, ...tf.SymbolicTensor[]];
  const targetEmb = embedding(targetVocab, e, "target_embedding").apply(target) as tf.SymbolicTensor;
  // The fused layer reads its initial state as inputs; tfjs's takes it as an option.
  const decoder = layer("decoder", false);
  const decoded = (fast ? decoder.apply([targetEmb, ...finalState]) : decoder.apply(targetEmb, { initialState: finalState })) as tf.SymbolicTensor;
  let features = decoded;
  let weights: tf.SymbolicTensor | null = null;
  if (attention) {
    const [context, alpha] = new DotAttention({ name: "attention" }).apply([decoded, states, source]) as tf.SymbolicTensor[];
    weights = alpha!;
    features = tf.layers.concatenate({ name: "state_and_context" }).apply([decoded, context!]) as tf.SymbolicTensor;
  }
  const hidden = tf.layers.dense({ units, activation: "tanh", name: "attentional", kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) }).apply(features) as tf.SymbolicTensor;
  const probs = tf.layers.dense({ units: targetVocab, activation: "softmax", name: "next_symbol", kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [source, target], outputs: probs, name: attention ? "seq2seq_attention" : "seq2seq" });
  const withAttention = weights === null ? null : tf.model({ inputs: [source, target], outputs: [probs, weights], name: "seq2seq_attention_weights" });
  return { model, withAttention };
}

/**
 * Greedy decoding: start every row with `start`, run the decoder, take the most probable symbol at step t, feed it
 * back as the input of step t + 1, for all rows in one batch. Returns the n × T_t predicted ids (after the start
 * symbol; what follows an end symbol is the model's business to ignore). Notebook 07 (lecture 004, machine translation).
 */
export function greedyDecode(model: tf.LayersModel, source: Int32Array, n: number, sourceLength: number, targetLength: number, start: number): Int32Array {
  if (source.length !== n * sourceLength) throw new Error(`greedyDecode: ${source.length} source ids are not ${n} rows of ${sourceLength}`);
  const decoderInput = new Int32Array(n * targetLength);
  for (let i = 0; i < n; i++) decoderInput[i * targetLength] = start;
  const out = new Int32Array(n * targetLength);
  const src = tf.tensor2d(source, [n, sourceLength], "int32");
  try {
    for (let t = 0; t < targetLength; t++) {
      // All rows in one forward pass (predict's default would split them into batches of 32).
      const p = tf.tidy(() => (model.predict([src, tf.tensor2d(decoderInput, [n, targetLength], "int32")], { batchSize: n }) as tf.Tensor).slice([0, t, 0], [n, 1, -1]).argMax(-1).dataSync());
      for (let i = 0; i < n; i++) {
        out[i * targetLength + t] = p[i]!;
        if (t + 1 < targetLength) decoderInput[i * targetLength + t + 1] = p[i]!;
      }
    }
  } finally {
    src.dispose();
  }
  return out;
}

/**
 * The attention weights of one example: rows = output steps, columns = source positions, for the decoder input
 * `decoderInput` (e.g. start + the greedy output). Notebook 07 (lecture 004, the attention heatmap).
 */
export function attentionWeights(withAttention: tf.LayersModel, source: ArrayLike<number>, decoderInput: ArrayLike<number>): number[][] {
  return tf.tidy(() => {
    const [, w] = withAttention.predict([tf.tensor2d(Array.from(source), [1, source.length], "int32"), tf.tensor2d(Array.from(decoderInput), [1, decoderInput.length], "int32")]) as tf.Tensor[];
    return (w!.squeeze([0]) as tf.Tensor2D).arraySync();
  });
}

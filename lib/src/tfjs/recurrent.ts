/**
 * Recurrent layers for TensorFlow.js that train fast: `recurrentOp` runs a whole SimpleRNN, LSTM or GRU
 * sequence forward and backward as one custom-gradient operation (kernels/recurrent.ts), and `Recurrent`
 * is a drop-in layer with the stock layers' weights, gate order, masking and goBackwards; the builders make
 * the notebook's sequence models (stacked, bidirectional, with an embedding). Stock tfjs layers (made with
 * `fast: false`) give the reference. Notebook 06 (lectures 002, 003, 004: RNN, LSTM, GRU, stacked and bidirectional RNN).
 */
import { nextSeed, Random } from "../core/random";
import { tf } from "./backend";
import { GATE_COUNT, recurrentBackward, recurrentForward, type RecurrentKind } from "./kernels/recurrent";

export type { RecurrentKind } from "./kernels/recurrent";

/** The state tensors of a recurrent layer: h, and for the LSTM also the memory cell c. */
function stateCount(kind: RecurrentKind): number {
  return kind === "lstm" ? 2 : 1;
}

/** Options of `recurrentOp`. */
export interface RecurrentOpOptions {
  kind: RecurrentKind;
  /** Return the whole output sequence [B, T, H] (default false: the last output [B, H]). */
  returnSequences?: boolean;
  /** Process the sequence backwards (outputs in processing order, as Keras). */
  goBackwards?: boolean;
  /** SimpleRNN's activation (default tanh). */
  activation?: "tanh" | "relu";
  /** [B, T] mask, 1/true where the step is real, 0/false for padding (the state is carried over). */
  mask?: tf.Tensor | null;
  /** Compute dL/dx (default true); false when x is data, which saves one large product (its gradient is then zero). */
  inputGradient?: boolean;
  /** The state to start from (default zeros): [h] ([h, c] for the LSTM), each [B, H]; gradients flow back into it. */
  initialState?: tf.Tensor[];
  /** Also return the final state: [output, h] ([output, h, c] for the LSTM), as Keras's returnState. */
  returnState?: boolean;
}

/**
 * A whole recurrent layer as one operation with its own gradient (tf.customGrad): x [B, T, I], kernel
 * [I, G·H], recurrentKernel [H, G·H], bias [G·H] in the stock layers' layout (LSTM gates i, f, c, o; GRU z, r, h
 * with the reset gate applied before the recurrent product, tfjs's only GRU, resetAfter = false; sigmoid
 * gates); optionally from a given initial state and returning the final one (an encoder–decoder's hand-over).
 * Notebooks 06 (fast recurrent training) and 07 (encoder–decoder).
 */
export function recurrentOp(x: tf.Tensor, kernel: tf.Tensor, recurrentKernel: tf.Tensor, bias: tf.Tensor, options: RecurrentOpOptions & { returnState: true }): tf.Tensor[];
export function recurrentOp(x: tf.Tensor, kernel: tf.Tensor, recurrentKernel: tf.Tensor, bias: tf.Tensor, options: RecurrentOpOptions): tf.Tensor;
export function recurrentOp(x: tf.Tensor, kernel: tf.Tensor, recurrentKernel: tf.Tensor, bias: tf.Tensor, options: RecurrentOpOptions): tf.Tensor | tf.Tensor[] {
  const { kind, returnSequences = false, goBackwards = false, activation = "tanh", returnState = false, initialState = [] } = options;
  if (x.rank !== 3) throw new Error(`recurrentOp: x must be [batch, steps, features], got shape [${x.shape}]`);
  const [B, T, I] = x.shape as [number, number, number];
  const G = GATE_COUNT[kind];
  const H = recurrentKernel.shape[0]!;
  if (kernel.shape[0] !== I || kernel.shape[1] !== G * H || recurrentKernel.shape[1] !== G * H || bias.size !== G * H) {
    throw new Error(`recurrentOp: a ${kind} with ${H} units on ${I} features needs kernel [${I}, ${G * H}], recurrent kernel [${H}, ${G * H}], bias [${G * H}]; got [${kernel.shape}], [${recurrentKernel.shape}], [${bias.shape}]`);
  }
  const S = stateCount(kind);
  if (initialState.length > 0 && (initialState.length !== S || initialState.some((s) => s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== H))) {
    throw new Error(`recurrentOp: a ${kind}'s initial state is ${S === 2 ? "[h, c]" : "[h]"}, each [${B}, ${H}]; got ${initialState.map((s) => `[${s.shape}]`).join(", ")}`);
  }
  const maskData = options.mask == null ? null : options.mask.dataSync();
  const dims = { kind, batch: B, steps: T, inputs: I, units: H, activation, goBackwards };
  // One value per row: the output (the whole sequence or its last step), then the final state when returned.
  const outSize = returnSequences ? T * H : H;
  const rowSize = outSize + (returnState ? S * H : 0);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, k, r, b, ...init] = args.slice(0, 4 + initialState.length) as tf.Tensor[] as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, ...tf.Tensor[]];
    const initial = init.length === 0 ? null : { h: init[0]!.dataSync() as Float32Array, c: (init[1]?.dataSync() as Float32Array | undefined) ?? null };
    const { y, final, tape } = recurrentForward(dims, xs.dataSync() as Float32Array, k.dataSync() as Float32Array, r.dataSync() as Float32Array, b.dataSync() as Float32Array, maskData, initial);
    const rows = new Float32Array(B * rowSize);
    for (let i = 0; i < B; i++) {
      const at = i * rowSize;
      rows.set(returnSequences ? y.subarray(i * T * H, (i + 1) * T * H) : y.subarray((i * T + T - 1) * H, (i * T + T) * H), at);
      if (!returnState) continue;
      rows.set(final.h.subarray(i * H, (i + 1) * H), at + outSize);
      if (final.c) rows.set(final.c.subarray(i * H, (i + 1) * H), at + outSize + H);
    }
    const gradFunc = (dy: tf.Tensor) => {
      const d = dy.dataSync() as Float32Array;
      const full = new Float32Array(B * T * H);
      const dFinal = returnState ? { h: new Float32Array(B * H), c: S === 2 ? new Float32Array(B * H) : null } : null;
      for (let i = 0; i < B; i++) {
        const at = i * rowSize;
        full.set(d.subarray(at, at + outSize), returnSequences ? i * T * H : (i * T + T - 1) * H);
        if (!dFinal) continue;
        dFinal.h.set(d.subarray(at + outSize, at + outSize + H), i * H);
        dFinal.c?.set(d.subarray(at + outSize + H, at + outSize + 2 * H), i * H);
      }
      const g = recurrentBackward(tape, full, options.inputGradient ?? true, dFinal);
      const dInitial = init.length === 0 ? [] : [g.dInitial.h, ...(S === 2 ? [g.dInitial.c!] : [])].map((v) => tf.tensor2d(v, [B, H]));
      return [tf.tensor3d(g.dx, [B, T, I]), tf.tensor2d(g.dKernel, [I, G * H]), tf.tensor2d(g.dRecurrent, [H, G * H]), tf.tensor1d(g.dBias), ...dInitial];
    };
    return { value: tf.tensor2d(rows, [B, rowSize]), gradFunc };
  });
  return tf.tidy(() => {
    const packed = op(x, kernel, recurrentKernel, bias, ...initialState);
    const output = (returnState ? packed.slice([0, 0], [B, outSize]) : packed).reshape(returnSequences ? [B, T, H] : [B, H]);
    if (!returnState) return output;
    return [output, ...Array.from({ length: S }, (_, s) => packed.slice([0, outSize + s * H], [B, H]))];
  });
}

/** tfjs's Initializer base class (exported at run time, not in its type declarations). */
type InitializerLike = ReturnType<typeof tf.initializers.zeros>;
const InitializerBase = Object.getPrototypeOf(tf.initializers.zeros().constructor) as new () => InitializerLike;
type Registrable = Parameters<typeof tf.serialization.registerClass>[0];

/**
 * An orthogonal initialiser for recurrent kernels [H, G·H], one orthogonal H×H block per gate (Gram–Schmidt
 * on seeded Gaussian columns, without tfjs's slow-QR warning). Notebook 06 (initialising recurrent weights).
 */
export class BlockOrthogonal extends InitializerBase {
  static className = "RetiBlockOrthogonal";
  constructor(private readonly seed: number = nextSeed()) {
    super();
  }
  override apply(shape: number[]): tf.Tensor {
    const [H, cols] = shape as [number, number];
    const random = new Random(this.seed);
    const out = new Float32Array(H * cols);
    for (let block = 0; block * H < cols; block++) {
      const q: Float64Array[] = [];
      while (q.length < H) {
        const v = Float64Array.from({ length: H }, () => random.normal());
        for (const u of q) {
          let d = 0;
          for (let i = 0; i < H; i++) d += u[i]! * v[i]!;
          for (let i = 0; i < H; i++) v[i]! -= d * u[i]!;
        }
        const n = Math.hypot(...v);
        if (n > 1e-6) q.push(v.map((e) => e / n));
      }
      q.forEach((u, j) => {
        if (block * H + j < cols) for (let i = 0; i < H; i++) out[i * cols + block * H + j] = u[i]!;
      });
    }
    return tf.tensor2d(out, [H, cols]);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { seed: this.seed };
  }
}
tf.serialization.registerClass(BlockOrthogonal as unknown as Registrable);

/**
 * Bias initialiser that opens the memory path: 1 on the LSTM's forget gate (Keras's unitForgetBias) or on the
 * GRU's z gate (tfjs keeps z⊙h_{t−1}, so z near 1 remembers), 0 elsewhere. Without it a GRU starts with
 * z ≈ 0.5 and halves its memory at every step. Notebook 06 (why gates help).
 */
export class MemoryBias extends InitializerBase {
  static className = "RetiMemoryBias";
  constructor(private readonly kind: RecurrentKind = "lstm") {
    super();
  }
  override apply(shape: number[]): tf.Tensor {
    const GH = shape[0]!;
    const H = GH / GATE_COUNT[this.kind];
    const b = new Float32Array(GH);
    if (this.kind === "lstm") b.fill(1, H, 2 * H);
    if (this.kind === "gru") b.fill(1, 0, H);
    return tf.tensor1d(b);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { kind: this.kind };
  }
}
tf.serialization.registerClass(MemoryBias as unknown as Registrable);

/** Options of the `Recurrent` layer and of `recurrentLayer`. */
export interface RecurrentArgs {
  kind: RecurrentKind;
  units: number;
  /** Return the whole output sequence (default false: the last output only). */
  returnSequences?: boolean;
  /** Also return the final state: outputs [output, h] ([output, h, c] for the LSTM), as Keras's returnState. */
  returnState?: boolean;
  /** Process the sequence backwards (default false). */
  goBackwards?: boolean;
  /** SimpleRNN's activation (default tanh). */
  activation?: "tanh" | "relu";
  /**
   * Start the memory gate's bias at 1 (default true: the LSTM's forget gate and the GRU's update gate keep the
   * state at first, for long dependencies); false: every bias at 0, as tfjs's layers start (an encoder–decoder's
   * short sequences learn faster so).
   */
  memoryBias?: boolean;
  /** [steps, features] for a first layer. */
  inputShape?: number[];
  name?: string;
  /** Backpropagate to the layer's input (default true); false for a first layer reading data. */
  inputGradient?: boolean;
}

/**
 * A SimpleRNN, LSTM or GRU layer computed by `recurrentOp`: the same weights as `tf.layers.simpleRNN/lstm/gru`
 * (kernel, recurrent_kernel, bias; sigmoid gates), Glorot-uniform input weights, orthogonal recurrent weights,
 * zero biases except the memory gate at 1 (`MemoryBias`, unless `memoryBias` is false); supports masks from an
 * embedding with maskZero. Applied to [x, h₀] ([x, h₀, c₀] for the LSTM) it starts from that state, and with
 * `returnState` it also outputs its final state: an encoder hands its state to a decoder so.
 * Notebooks 06 (fast recurrent training) and 07 (encoder–decoder).
 */
export class Recurrent extends tf.layers.Layer {
  static className = "RetiRecurrent";
  readonly kind: RecurrentKind;
  readonly units: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly activation: "tanh" | "relu";
  readonly inputGradient: boolean;
  readonly memoryBias: boolean;
  private kernel!: tf.LayerVariable;
  private recurrentKernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: RecurrentArgs) {
    super({ name: args.name, inputShape: args.inputShape } as ConstructorParameters<typeof tf.layers.Layer>[0]);
    if (GATE_COUNT[args.kind] === undefined) throw new Error(`Recurrent: unknown kind "${args.kind}": choose simpleRNN, lstm or gru`);
    this.kind = args.kind;
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.activation = args.activation ?? "tanh";
    this.inputGradient = args.inputGradient ?? true;
    this.memoryBias = args.memoryBias ?? true;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const I = shape[shape.length - 1]!;
    const GH = GATE_COUNT[this.kind] * this.units;
    this.kernel = this.addWeight("kernel", [I, GH], "float32", tf.initializers.glorotUniform({ seed: nextSeed() }));
    this.recurrentKernel = this.addWeight("recurrent_kernel", [this.units, GH], "float32", new BlockOrthogonal(nextSeed()));
    this.bias = this.addWeight("bias", [GH], "float32", this.memoryBias ? new MemoryBias(this.kind) : tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const [x, ...initialState] = Array.isArray(inputs) ? inputs : [inputs];
    const mask = (kwargs?.["mask"] ?? null) as tf.Tensor | tf.Tensor[] | null;
    return recurrentOp(x!, this.kernel.read(), this.recurrentKernel.read(), this.bias.read(), {
      kind: this.kind,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      activation: this.activation,
      mask: Array.isArray(mask) ? (mask[0] ?? null) : mask,
      inputGradient: this.inputGradient,
      initialState,
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const output = this.returnSequences ? [s[0]!, s[1]!, this.units] : [s[0]!, this.units];
    if (!this.returnState) return output;
    return [output, ...Array.from({ length: stateCount(this.kind) }, () => [s[0]!, this.units])];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    // The input's mask on the output sequence (for goBackwards it describes the input order, which
    // `sequenceModel` restores); none on a last output or a state.
    const input = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const output = this.returnSequences ? input : null;
    if (!this.returnState) return output as tf.Tensor;
    return [output, ...Array.from({ length: stateCount(this.kind) }, () => null)] as tf.Tensor[];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kind: this.kind, units: this.units, returnSequences: this.returnSequences, returnState: this.returnState, goBackwards: this.goBackwards, activation: this.activation, inputGradient: this.inputGradient, memoryBias: this.memoryBias };
  }
}
tf.serialization.registerClass(Recurrent as unknown as Registrable);

/** Options of `recurrentLayer`: the layer's, and whether to use the fast operation (default) or the stock tfjs layer. */
export interface RecurrentLayerOptions extends Omit<RecurrentArgs, "kind" | "units"> {
  /** true (default): `Recurrent` (one fused operation); false: `tf.layers.simpleRNN/lstm/gru` with the same initialisation. */
  fast?: boolean;
}

/**
 * A recurrent layer: the fast `Recurrent` or the stock tfjs layer with sigmoid gates (tfjs's default is the
 * hard sigmoid), seeded initialisers and the same weight layout, so weights copy between the two. Notebook 06.
 */
export function recurrentLayer(kind: RecurrentKind, units: number, options: RecurrentLayerOptions = {}): tf.layers.Layer {
  const { fast = true, inputGradient, ...rest } = options;
  if (fast) return new Recurrent({ kind, units, inputGradient, ...rest });
  const biasInitializer = (rest.memoryBias ?? true) ? new MemoryBias(kind) : tf.initializers.zeros();
  const common = {
    units,
    returnSequences: rest.returnSequences ?? false,
    returnState: rest.returnState ?? false,
    goBackwards: rest.goBackwards ?? false,
    inputShape: rest.inputShape,
    name: rest.name,
    kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
    recurrentInitializer: new BlockOrthogonal(nextSeed()),
  };
  if (kind === "simpleRNN") return tf.layers.simpleRNN({ ...common, activation: rest.activation ?? "tanh" });
  if (kind === "lstm") return tf.layers.lstm({ ...common, recurrentActivation: "sigmoid", biasInitializer });
  return tf.layers.gru({ ...common, recurrentActivation: "sigmoid", biasInitializer });
}

/** Options of `sequenceModel`. */
export interface SequenceModelOptions {
  kind: RecurrentKind;
  /** Units of each recurrent layer (one entry per stacked layer), e.g. [32] or [32, 32]. */
  units: number[];
  /** Sequence length (fixed). */
  steps: number;
  /** Features per step (for real-valued inputs; omit with `vocabulary`). */
  features?: number;
  /** Token inputs: vocabulary size (ids 0…V−1, 0 = padding, masked) and embedding size. */
  vocabulary?: number;
  embedding?: number;
  /** Each recurrent layer reads the sequence both ways and concatenates (default false). */
  bidirectional?: boolean;
  /** Outputs of the dense head (default 1) and its activation (default linear). */
  outputs?: number;
  outputActivation?: "linear" | "sigmoid" | "softmax";
  /** One output per step (many-to-many) instead of one per sequence (default false). */
  perStep?: boolean;
  /** Fast fused layers (default true) or stock tfjs layers. */
  fast?: boolean;
}

/**
 * A recurrent sequence model: [embedding (maskZero) →] one or more (stacked) recurrent layers, optionally
 * bidirectional (forward and goBackwards layers concatenated), → a dense head on the last state (many-to-one)
 * or on every step (many-to-many). Notebook 06 (lectures 002, 003, 004: sequence types, stacked and bidirectional RNNs).
 */
export function sequenceModel(options: SequenceModelOptions): tf.LayersModel {
  const { kind, units, steps, bidirectional = false, outputs = 1, outputActivation = "linear", perStep = false, fast = true } = options;
  if (units.length === 0) throw new Error("sequenceModel: give at least one recurrent layer in units");
  const tokens = options.vocabulary !== undefined;
  if (!tokens && options.features === undefined) throw new Error("sequenceModel: give features (real-valued steps) or vocabulary (tokens)");
  const input = tf.input({ shape: tokens ? [steps] : [steps, options.features!], dtype: tokens ? "int32" : "float32" });
  let h: tf.SymbolicTensor = input;
  if (tokens) {
    h = tf.layers
      .embedding({ inputDim: options.vocabulary!, outputDim: options.embedding ?? 16, maskZero: true, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: nextSeed() }) })
      .apply(h) as tf.SymbolicTensor;
  }
  units.forEach((u, l) => {
    const returnSequences = perStep || l < units.length - 1;
    const inputGradient = tokens || l > 0; // the first layer on real-valued data needs no dL/dx
    const forward = recurrentLayer(kind, u, { returnSequences, fast, inputGradient }).apply(h) as tf.SymbolicTensor;
    if (!bidirectional) {
      h = forward;
      return;
    }
    let backward = recurrentLayer(kind, u, { returnSequences, goBackwards: true, fast, inputGradient }).apply(h) as tf.SymbolicTensor;
    if (returnSequences) backward = new ReverseTime().apply(backward) as tf.SymbolicTensor;
    h = tf.layers.concatenate().apply([forward, backward]) as tf.SymbolicTensor;
  });
  const head = tf.layers.dense({ units: outputs, activation: outputActivation, kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) });
  const out = (perStep ? tf.layers.timeDistributed({ layer: head }) : head).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Reverses the time axis of [B, T, F] (to realign a goBackwards layer's output sequence); passes masks through. */
class ReverseTime extends tf.layers.Layer {
  static className = "RetiReverseTime";
  constructor() {
    super({});
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.reverse(Array.isArray(inputs) ? inputs[0]! : inputs, 1);
  }
}
tf.serialization.registerClass(ReverseTime as unknown as Registrable);

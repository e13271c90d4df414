/**
 * Deep Q-learning (Mnih et al., "Playing Atari with Deep Reinforcement Learning", 2013; "Human-level
 * control through deep reinforcement learning", 2015) in TensorFlow.js: a Q-network that maps a state to
 * one Q-value per action, a replay buffer, a target network, ε decay and the Huber loss. Training runs
 * in TensorFlow.js on mini-batches (forward passes on the online and target networks, a hand-written
 * backward pass, TensorFlow.js's Adam), each update inside `tf.tidy`, so the number of live tensors stays
 * flat; acting and evaluating, one small forward pass per environment step, use a plain-JavaScript copy
 * of the weights, since for a small network a TensorFlow.js call per step costs more in dispatch than in
 * arithmetic (bench/dqn.ts: ≈ 3× more steps per second for a 64–64 MLP; at 256–256 TensorFlow.js wins).
 * Environments are taken structurally (anything with `reset(seed)` and `step(action)`), so this module
 * needs no import of the environments. Notebook 08 (lecture 004, deep Q-learning).
 */
import { Random, nextSeed, rng } from "../core/random";
import { mean as average } from "../core/stats";
import { tf } from "./backend";

/** What the agent needs of an environment with vector observations. Notebook 08 (lecture 004, deep Q-learning). */
export interface VectorEnv {
  readonly nActions: number;
  reset(seed?: number): ArrayLike<number>;
  step(action: number): { observation: ArrayLike<number>; reward: number; terminated: boolean; truncated: boolean };
}

/**
 * Experience replay: a ring buffer of transitions ⟨s, a, r, s′, terminated⟩ from which mini-batches are
 * drawn uniformly, which breaks the correlation between consecutive steps. Notebook 08 (lecture 004, deep Q-learning).
 */
export class ReplayBuffer {
  readonly states: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly nextStates: Float32Array;
  readonly terminated: Float32Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number, readonly observationSize: number) {
    this.states = new Float32Array(capacity * observationSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.nextStates = new Float32Array(capacity * observationSize);
    this.terminated = new Float32Array(capacity);
  }

  /** Transitions held (at most `capacity`; the oldest are overwritten). */
  get size(): number {
    return this.count;
  }

  push(state: ArrayLike<number>, action: number, reward: number, nextState: ArrayLike<number>, terminated: boolean): void {
    const i = this.next;
    const d = this.observationSize;
    for (let k = 0; k < d; k++) {
      this.states[i * d + k] = state[k]!;
      this.nextStates[i * d + k] = nextState[k]!;
    }
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.terminated[i] = terminated ? 1 : 0;
    this.next = (i + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** A mini-batch of `n` transitions drawn uniformly with replacement, copied into fresh arrays. */
  sample(n: number, random: Random): { states: Float32Array; actions: Int32Array; rewards: Float32Array; nextStates: Float32Array; terminated: Float32Array } {
    if (this.count === 0) throw new Error("the replay buffer is empty");
    const d = this.observationSize;
    const out = { states: new Float32Array(n * d), actions: new Int32Array(n), rewards: new Float32Array(n), nextStates: new Float32Array(n * d), terminated: new Float32Array(n) };
    for (let j = 0; j < n; j++) {
      const i = random.int(this.count);
      out.states.set(this.states.subarray(i * d, (i + 1) * d), j * d);
      out.nextStates.set(this.nextStates.subarray(i * d, (i + 1) * d), j * d);
      out.actions[j] = this.actions[i]!;
      out.rewards[j] = this.rewards[i]!;
      out.terminated[j] = this.terminated[i]!;
    }
    return out;
  }
}

/**
 * The Huber loss, mean over the batch: ½e² for |e| ≤ δ, δ(|e| − ½δ) beyond (e = prediction − target),
 * written as c(|e| − ½c) with c = min(|e|, δ): its gradient is e clipped to [−δ, δ], so one bad
 * target cannot blow up an update. Same values as `tf.losses.huberLoss`, with fewer operations.
 * Notebook 08 (lecture 004, deep Q-learning).
 */
export function huberLoss(target: tf.Tensor, prediction: tf.Tensor, delta = 1): tf.Scalar {
  return tf.tidy(() => {
    const a = tf.abs(tf.sub(prediction, target));
    const c = tf.minimum(a, delta);
    return tf.mean(tf.mul(c, tf.sub(a, tf.mul(c, 0.5))));
  });
}

/**
 * A Q-network: an MLP from the observation to one Q-value per action (ReLU hidden layers, linear
 * output). Its parameters live in one flat vector θ = [W₁, b₁, W₂, b₂, …] (each W row-major, fan-in ×
 * fan-out), so Adam updates them in one go and a plain-JavaScript copy can act without TensorFlow.js.
 * He-uniform weights, zero biases, seeded. Notebook 08 (lecture 004, deep Q-learning: "per ogni stato di
 * input, fornisce in output un valore di qualità per ogni possibile azione").
 */
export class QNetwork {
  /** [fan-in, fan-out] of each dense layer. */
  readonly layers: [number, number][];
  /** Where each layer's W and b start in the flat parameter vector. */
  readonly offsets: { w: number; b: number }[];
  /** Number of parameters (weights and biases). */
  readonly size: number;
  constructor(readonly inputs: number, readonly actions: number, readonly hidden: readonly number[] = [64, 64]) {
    const widths = [inputs, ...hidden, actions];
    this.layers = widths.slice(1).map((w, i) => [widths[i]!, w]);
    let at = 0;
    this.offsets = this.layers.map(([i, o]) => {
      const w = at;
      at += i * o + o;
      return { w, b: w + i * o };
    });
    this.size = at;
  }

  /** Fresh flat parameters θ: He-uniform weights U(±√(6/fan-in)), zero biases (seeded from the global generator). */
  initFlat(): Float32Array {
    const random = new Random(nextSeed(), 12);
    const theta = new Float32Array(this.size);
    this.layers.forEach(([i, o], l) => {
      const limit = Math.sqrt(6 / i);
      const w = this.offsets[l]!.w;
      for (let k = 0; k < i * o; k++) theta[w + k] = random.uniform(-limit, limit);
    });
    return theta;
  }

  /** The per-layer tensors [W₁ (fan-in × fan-out), b₁, W₂, b₂, …] of a flat parameter vector (a tensor or plain numbers). */
  unflatten(theta: tf.Tensor1D | Float32Array): tf.Tensor[] {
    return tf.tidy(() => {
      const flat = theta instanceof Float32Array ? tf.tensor1d(theta) : theta;
      return this.layers.flatMap(([i, o], l) => {
        const { w, b } = this.offsets[l]!;
        return [tf.reshape(tf.slice(flat, w, i * o), [i, o]), tf.slice(flat, b, o)];
      });
    });
  }

  /** Fresh parameters as per-layer tensors [W₁, b₁, …] (see `initFlat`). */
  init(): tf.Tensor[] {
    return this.unflatten(this.initFlat());
  }

  /** Q-values [batch, actions] of observations x [batch, inputs] under the per-layer parameters `p`, in TensorFlow.js. */
  apply(x: tf.Tensor2D, p: readonly tf.Tensor[]): tf.Tensor2D {
    return tf.tidy(() => this.activations(x, p).pop()!);
  }

  /** Every layer's output [x, h₁, h₂, …, Q] (one fused matrix product with bias and ReLU per layer). */
  activations(x: tf.Tensor2D, p: readonly tf.Tensor[]): tf.Tensor2D[] {
    const out = [x];
    this.layers.forEach((_, l) => {
      out.push(tf.fused.matMul({ a: out[l]!, b: p[2 * l] as tf.Tensor2D, bias: p[2 * l + 1], activation: l < this.layers.length - 1 ? "relu" : "linear" }) as tf.Tensor2D);
    });
    return out;
  }

  /**
   * The same forward pass in plain JavaScript on the flat parameters θ, for `count` observations stored
   * row after row: Q-values row after row. Acting and evaluating use it, one environment step at a time,
   * where a TensorFlow.js call would cost more in dispatch than the whole arithmetic.
   */
  forward(theta: Float32Array, x: ArrayLike<number>, count: number): Float32Array {
    const out = new Float32Array(count * this.actions);
    const width = Math.max(...this.layers.map(([, o]) => o), this.inputs);
    let h = new Float64Array(width);
    let z = new Float64Array(width);
    const L = this.layers.length;
    for (let r = 0; r < count; r++) {
      for (let k = 0; k < this.inputs; k++) h[k] = x[r * this.inputs + k]!;
      for (let l = 0; l < L; l++) {
        const [ni, no] = this.layers[l]!;
        const { w, b } = this.offsets[l]!;
        for (let j = 0; j < no; j++) z[j] = theta[b + j]!;
        for (let i = 0; i < ni; i++) {
          const hi = h[i]!;
          if (hi === 0) continue;
          const row = w + i * no;
          for (let j = 0; j < no; j++) z[j] += hi * theta[row + j]!;
        }
        if (l < L - 1) for (let j = 0; j < no; j++) z[j] = z[j]! > 0 ? z[j]! : 0;
        [h, z] = [z, h];
      }
      for (let a = 0; a < this.actions; a++) out[r * this.actions + a] = h[a]!;
    }
    return out;
  }
}

/** Options of `DqnAgent`. Notebook 08 (lecture 004, deep Q-learning). */
export interface DqnOptions {
  /** Size of an observation (4 for CartPole). */
  observationSize: number;
  /** Number of actions. */
  nActions: number;
  /** Hidden layer widths (default [64, 64]). */
  hidden?: readonly number[];
  /** Discount γ (default 0.99). */
  gamma?: number;
  /** Adam's learning rate (default 1e-3). */
  learningRate?: number;
  /** Mini-batch size (default 64). */
  batchSize?: number;
  /** Replay buffer capacity (default 50,000). */
  bufferSize?: number;
  /** Huber loss threshold δ (default 1): quadratic for |error| ≤ δ, linear beyond. */
  huberDelta?: number;
  /** Refresh the target network every this many gradient updates (default 250). */
  targetUpdate?: number;
  /** How far each refresh moves the target towards the online network: 1 (default) copies it, τ < 1 is a soft (Polyak) update θ′ ← τθ + (1 − τ)θ′. */
  tau?: number;
  /** Double DQN: the online network picks a′, the target network values it (default false). */
  double?: boolean;
  /** Seed of the replay sampling and of the exploration (default: from the global generator). */
  seed?: number;
}

/**
 * A DQN agent: the online Q-network's flat parameters θ (a TensorFlow.js variable, with a plain copy
 * `weights` for acting), the target network's θ′, TensorFlow.js's Adam, and the replay buffer. `act`
 * chooses ε-greedy actions for a batch of observations; `trainStep` does one gradient update on a
 * replayed mini-batch towards y = r + γ (1 − terminated) max_a′ Q_target(s′, a′) (Double DQN:
 * Q_target(s′, argmax_a′ Q(s′, a′))).
 *
 * Speed: on the wasm backend each TensorFlow.js kernel costs ≈ 20 µs of dispatch whatever its size, and
 * `optimizer.minimize` on this small network runs ≈ 230 kernels per update (autodiff's bookkeeping and
 * Adam on six tensors). `trainStep` writes the backward pass by hand (the backpropagation of notebook 03:
 * δ = (δ_next Wᵀ) ⊙ [h > 0], ∂L/∂W = hᵀ δ, ∂L/∂b = Σ δ; checked against `tf.grad` in the tests),
 * computes the 64 targets and the Huber loss's gradient in plain JavaScript, and gives Adam one flat
 * gradient: ≈ 40 kernels, several times faster. Notebook 08 (lecture 004, deep Q-learning).
 */
export class DqnAgent {
  readonly network: QNetwork;
  /** The online network's flat parameters θ (trained). */
  readonly theta: tf.Variable<tf.Rank.R1>;
  /** The online network's per-layer parameters [W₁, b₁, …], views of θ refreshed after each update. */
  params: tf.Tensor[];
  /** A plain copy of θ, refreshed after each update: what `act`, `greedy` and `qValues` use. */
  weights: Float32Array;
  /** The target network's flat parameters θ′ (a frozen copy, refreshed by `syncTarget`). */
  targetTheta: tf.Tensor1D;
  /** The target network's per-layer parameters. */
  targetParams: tf.Tensor[];
  readonly buffer: ReplayBuffer;
  readonly options: Required<DqnOptions>;
  /** Gradient updates done. */
  updates = 0;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly random: Random;

  constructor(options: DqnOptions) {
    this.options = {
      hidden: [64, 64], gamma: 0.99, learningRate: 1e-3, batchSize: 64, bufferSize: 50_000, huberDelta: 1, targetUpdate: 250, tau: 1,
      double: false, seed: rng().nextUint32(), ...options,
    };
    const { observationSize, nActions, hidden } = this.options;
    this.network = new QNetwork(observationSize, nActions, hidden);
    this.weights = this.network.initFlat();
    this.theta = tf.tidy(() => tf.variable(tf.tensor1d(this.weights)));
    this.params = this.network.unflatten(this.theta);
    this.targetTheta = tf.clone(this.theta);
    this.targetParams = this.network.unflatten(this.targetTheta);
    this.optimizer = tf.train.adam(this.options.learningRate);
    this.buffer = new ReplayBuffer(this.options.bufferSize, observationSize);
    this.random = new Random(this.options.seed, 11);
  }

  /** Copies the online network's parameters into the target network (with τ < 1, moves it a fraction τ towards them). */
  syncTarget(tau = 1): void {
    const old = this.targetTheta;
    this.targetTheta = tau >= 1 ? tf.clone(this.theta) : tf.tidy(() => tf.add(tf.mul(this.theta, tau), tf.mul(old, 1 - tau)));
    tf.dispose([old, ...this.targetParams]);
    this.targetParams = this.network.unflatten(this.targetTheta);
  }

  /** Q-values of a batch of observations (flat, `count` rows) from the online network, row after row (plain JavaScript). */
  qValues(observations: ArrayLike<number>, count: number): Float32Array {
    return this.network.forward(this.weights, observations, count);
  }

  /** The greedy actions of a batch of observations. */
  greedy(observations: ArrayLike<number>, count: number): Int32Array {
    const q = this.qValues(observations, count);
    const n = this.options.nActions;
    return Int32Array.from({ length: count }, (_, i) => {
      let best = 0;
      for (let a = 1; a < n; a++) if (q[i * n + a]! > q[i * n + best]!) best = a;
      return best;
    });
  }

  /** ε-greedy actions for a batch of observations: random with probability ε each, else greedy. */
  act(observations: ArrayLike<number>, count: number, epsilon: number): Int32Array {
    const explore = Array.from({ length: count }, () => this.random.uniform() < epsilon);
    const greedy = explore.every(Boolean) ? new Int32Array(count) : this.greedy(observations, count);
    return greedy.map((a, i) => (explore[i] ? this.random.int(this.options.nActions) : a));
  }

  /**
   * The mean Huber loss of a mini-batch and its gradient with respect to the flat θ (a tensor the caller
   * disposes). The forward pass runs on [s; s′] stacked (2B rows: Q(s, ·) and, for Double DQN, Q(s′, ·));
   * the rows of s′ get a zero gradient.
   */
  lossAndGradient(b: { states: Float32Array; actions: Int32Array; rewards: Float32Array; nextStates: Float32Array; terminated: Float32Array }): { loss: number; gradient: tf.Tensor1D } {
    const { gamma, nActions: A, observationSize: d, huberDelta, double } = this.options;
    const B = b.actions.length;
    const net = this.network;
    const x = new Float32Array(2 * B * d);
    x.set(b.states);
    x.set(b.nextStates, B * d);
    let loss = 0;
    const gradient = tf.tidy(() => {
      const acts = net.activations(tf.tensor2d(x, [2 * B, d]), this.params);
      const q = acts[acts.length - 1]!.dataSync();
      const qt = net.apply(tf.tensor2d(b.nextStates, [B, d]), this.targetParams).dataSync();
      const dq = new Float32Array(2 * B * A);
      for (let j = 0; j < B; j++) {
        let next = 0;
        if (b.terminated[j] === 0) {
          let pick = 0;
          const ranked = double ? q : qt;
          const row = double ? (B + j) * A : j * A;
          for (let a = 1; a < A; a++) if (ranked[row + a]! > ranked[row + pick]!) pick = a;
          next = qt[j * A + pick]!;
        }
        const y = b.rewards[j]! + gamma * next;
        const e = q[j * A + b.actions[j]!]! - y;
        const c = Math.min(Math.abs(e), huberDelta);
        loss += c * (Math.abs(e) - 0.5 * c);
        dq[j * A + b.actions[j]!] = (Math.sign(e) * c) / B;
      }
      let g: tf.Tensor2D = tf.tensor2d(dq, [2 * B, A]);
      const parts: tf.Tensor[] = [];
      for (let l = net.layers.length - 1; l >= 0; l--) {
        const input = acts[l]!;
        parts[2 * l] = tf.reshape(tf.matMul(input, g, true, false), [-1]);
        parts[2 * l + 1] = tf.sum(g, 0);
        if (l > 0) g = tf.mul(tf.matMul(g, this.params[2 * l] as tf.Tensor2D, false, true), tf.step(input));
      }
      return tf.concat(parts) as tf.Tensor1D;
    });
    return { loss: loss / B, gradient };
  }

  /** One gradient update on a replayed mini-batch; returns the Huber loss. Refreshes the target network when due. */
  trainStep(): number {
    const batch = this.buffer.sample(this.options.batchSize, this.random);
    const { loss, gradient } = this.lossAndGradient(batch);
    this.optimizer.applyGradients([{ name: this.theta.name, tensor: gradient }]);
    gradient.dispose();
    this.refresh();
    this.updates++;
    if (this.updates % this.options.targetUpdate === 0) this.syncTarget(this.options.tau);
    return loss;
  }

  /** Re-derives the per-layer views and the plain copy of θ after it changed. */
  private refresh(): void {
    tf.dispose(this.params);
    this.params = this.network.unflatten(this.theta);
    this.weights = this.theta.dataSync().slice() as Float32Array;
  }

  /** The online parameters θ as plain numbers (a snapshot to restore later). */
  snapshot(): Float32Array {
    return this.weights.slice();
  }

  /** Restores the online (and target) parameters from a snapshot. */
  restore(theta: Float32Array): void {
    tf.tidy(() => this.theta.assign(tf.tensor1d(theta)));
    this.refresh();
    this.syncTarget();
  }

  /** Frees the parameters and the optimizer's state. */
  dispose(): void {
    tf.dispose([this.theta, this.targetTheta, ...this.params, ...this.targetParams]);
    this.optimizer.dispose();
  }
}

/**
 * Runs the greedy policy of `agent` for `episodes` episodes side by side (one copy of the environment
 * each, one forward pass per step for all of them) and returns each episode's undiscounted return.
 * Episode i is reset with seed `seed + i`. Notebook 08 (lecture 004, deep Q-learning).
 */
export function evaluateGreedy(agent: DqnAgent, makeEnv: () => VectorEnv, episodes: number, seed: number): Float64Array {
  const envs = Array.from({ length: episodes }, makeEnv);
  const d = agent.options.observationSize;
  const obs = envs.map((e, i) => e.reset(seed + i));
  const returns = new Float64Array(episodes);
  let alive = envs.map((_, i) => i);
  while (alive.length > 0) {
    const batch = new Float32Array(alive.length * d);
    alive.forEach((i, j) => batch.set(Array.from(obs[i]!), j * d));
    const actions = agent.greedy(batch, alive.length);
    alive = alive.filter((i, j) => {
      const r = envs[i]!.step(actions[j]!);
      returns[i] += r.reward;
      obs[i] = r.observation;
      return !(r.terminated || r.truncated);
    });
  }
  return returns;
}

/** Options of `trainDqn` (the agent's own options included). Notebook 08 (lecture 004, deep Q-learning). */
export interface TrainDqnOptions extends Omit<DqnOptions, "observationSize" | "nActions"> {
  /** Environment steps in all (summed over the parallel environments). */
  steps: number;
  /** Environments acting in parallel, one batched forward pass per step for all (default 4). */
  envs?: number;
  /** Steps collected with random actions before learning starts (default 1,000). */
  learningStarts?: number;
  /** Gradient updates per environment step (summed over the parallel environments; default 0.5). */
  updatesPerStep?: number;
  /** ε decays linearly from `epsilonStart` (default 1) to `epsilonEnd` (default 0.05) over the first `epsilonDecaySteps` (default steps/5). */
  epsilonStart?: number;
  epsilonEnd?: number;
  epsilonDecaySteps?: number;
  /** Evaluate the greedy policy every this many steps (default steps/20) on `evalEpisodes` episodes (default 10). */
  evalEvery?: number;
  evalEpisodes?: number;
  /** Stop once an evaluation's mean return reaches this (default Infinity: never), and its confirmation too when `confirmEpisodes` > 0. */
  stopAt?: number;
  /**
   * An evaluation that reaches `stopAt` is confirmed on this many further episodes (default 0: none); the
   * confirmed mean then replaces the evaluation's as that policy's score, so one lucky short evaluation
   * neither stops training nor wins the selection of the kept weights.
   */
  confirmEpisodes?: number;
  /** Keep the online weights of the best evaluation at the end (default true). */
  keepBest?: boolean;
  /** Called after every finished training episode and every evaluation (progress displays). */
  onProgress?: (p: DqnProgress) => void;
}

/** Progress of a `trainDqn` run. Notebook 08 (lecture 004, deep Q-learning). */
export interface DqnProgress {
  steps: number;
  updates: number;
  epsilon: number;
  /** Return of each finished training episode (with exploration). */
  episodeReturns: number[];
  /** Environment steps at which each training episode ended. */
  episodeEnds: number[];
  /** Evaluations so far: steps and mean greedy return. */
  evaluations: { steps: number; meanReturn: number; confirmed?: number }[];
  /** Mean Huber loss since the previous progress report (the earlier mean if no update happened since; NaN before the first). */
  loss: number;
  /** Live tensors (tf.memory().numTensors) at this point. */
  tensors: number;
  seconds: number;
  done: boolean;
}

/**
 * Deep Q-learning on an environment factory: `envs` copies act in parallel with ε-greedy actions from
 * one batched forward pass, transitions go into the replay buffer, gradient updates start after
 * `learningStarts` steps, the target network is refreshed every `targetUpdate` updates, and the greedy
 * policy is evaluated now and then (on seeds from 10⁶ up, kept apart from a final evaluation's on small seeds), and
 * the best evaluated weights are kept.
 * Truncated episodes are not terminal: their last transition still bootstraps. With `onProgress`, every
 * report is followed by an awaited yield so the kernel can send a live display's update while training goes on.
 * Notebook 08 (lecture 004, deep Q-learning).
 */
export async function trainDqn(makeEnv: () => VectorEnv, options: TrainDqnOptions): Promise<{ agent: DqnAgent; progress: DqnProgress }> {
  const nEnvs = options.envs ?? 4;
  const envs = Array.from({ length: nEnvs }, makeEnv);
  const probe = envs[0]!;
  const seed = options.seed ?? rng().nextUint32();
  const obs: ArrayLike<number>[] = envs.map((e, i) => e.reset(seed + i));
  const agent = new DqnAgent({ ...options, seed, observationSize: obs[0]!.length, nActions: probe.nActions });
  const d = agent.options.observationSize;
  const { steps, learningStarts = 1000, updatesPerStep = 0.5, epsilonStart = 1, epsilonEnd = 0.05, evalEpisodes = 10, stopAt = Infinity, confirmEpisodes = 0, keepBest = true } = options;
  const decay = options.epsilonDecaySteps ?? Math.round(steps / 5);
  const evalEvery = options.evalEvery ?? Math.max(1, Math.round(steps / 20));
  const start = Date.now();
  const progress: DqnProgress = { steps: 0, updates: 0, epsilon: epsilonStart, episodeReturns: [], episodeEnds: [], evaluations: [], loss: NaN, tensors: tf.memory().numTensors, seconds: 0, done: false };
  const running = new Float64Array(nEnvs);
  let lossSum = 0;
  let lossCount = 0;
  let updateCredit = 0;
  let nextEval = evalEvery;
  let best = -Infinity;
  let bestWeights: Float32Array | undefined;
  const report = () => {
    progress.updates = agent.updates;
    if (lossCount > 0) progress.loss = lossSum / lossCount; // else the previous report's
    progress.tensors = tf.memory().numTensors;
    progress.seconds = (Date.now() - start) / 1000;
    lossSum = 0;
    lossCount = 0;
    options.onProgress?.(progress);
  };
  while (progress.steps < steps) {
    const epsilon = progress.steps < learningStarts ? 1 : Math.max(epsilonEnd, epsilonStart + ((epsilonEnd - epsilonStart) * progress.steps) / decay);
    progress.epsilon = epsilon;
    const batch = new Float32Array(nEnvs * d);
    obs.forEach((o, i) => batch.set(Array.from(o), i * d));
    const actions = agent.act(batch, nEnvs, epsilon);
    let finished = false;
    for (let i = 0; i < nEnvs; i++) {
      const r = envs[i]!.step(actions[i]!);
      agent.buffer.push(obs[i]!, actions[i]!, r.reward, r.observation, r.terminated);
      running[i] += r.reward;
      progress.steps++;
      if (r.terminated || r.truncated) {
        progress.episodeReturns.push(running[i]!);
        progress.episodeEnds.push(progress.steps);
        running[i] = 0;
        obs[i] = envs[i]!.reset();
        finished = true;
      } else {
        obs[i] = r.observation;
      }
    }
    if (progress.steps >= learningStarts) {
      updateCredit += nEnvs * updatesPerStep;
      while (updateCredit >= 1) {
        lossSum += agent.trainStep();
        lossCount++;
        updateCredit--;
      }
    }
    let stop = false;
    if (progress.steps >= nextEval) {
      nextEval += evalEvery;
      const mean = average(evaluateGreedy(agent, makeEnv, evalEpisodes, 1_000_000 + progress.steps));
      const evaluation: { steps: number; meanReturn: number; confirmed?: number } = { steps: progress.steps, meanReturn: mean };
      let score = mean;
      if (mean >= stopAt && confirmEpisodes > 0) {
        evaluation.confirmed = average(evaluateGreedy(agent, makeEnv, confirmEpisodes, 2_000_000 + progress.steps * 1000));
        score = evaluation.confirmed;
      }
      progress.evaluations.push(evaluation);
      if (score >= best) {
        best = score;
        if (keepBest) bestWeights = agent.snapshot();
      }
      stop = score >= stopAt;
      finished = true;
    }
    if (finished) {
      report();
      if (options.onProgress) await tf.nextFrame();
    }
    if (stop) break;
  }
  if (keepBest && bestWeights !== undefined) agent.restore(bestWeights);
  progress.done = true;
  report();
  return { agent, progress };
}

/**
 * DeepMind's Atari Q-network (Mnih et al., Nature 2015): the last 4 grey 84×84 frames stacked as
 * channels → conv 32 8×8 stride 4 → conv 64 4×4 stride 2 → conv 64 3×3 stride 1 → dense 512 →
 * one Q-value per action, ReLU throughout. Built, not trained here. Notebook 08 (lecture 004, deep Q-learning on Atari).
 */
export function atariQNetwork(nActions: number, frames = 4, size = 84): tf.Sequential {
  const init = () => tf.initializers.heUniform({ seed: nextSeed() });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [size, size, frames], filters: 32, kernelSize: 8, strides: 4, activation: "relu", kernelInitializer: init() }),
      tf.layers.conv2d({ filters: 64, kernelSize: 4, strides: 2, activation: "relu", kernelInitializer: init() }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 1, activation: "relu", kernelInitializer: init() }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 512, activation: "relu", kernelInitializer: init() }),
      tf.layers.dense({ units: nActions, kernelInitializer: init() }),
    ],
  });
}

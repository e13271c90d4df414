/**
 * Deep Q-learning (Mnih et al., "Playing Atari with Deep Reinforcement Learning", 2013; "Human-level
 * control through deep reinforcement learning", 2015) in TensorFlow.js: a Q-network that maps a state to
 * one Q-value per action, a replay buffer, a target network, ε decay and the Huber loss. Forward passes
 * are batched (several environments act with one pass; evaluation runs all its episodes side by side)
 * and every step runs inside `tf.tidy`, so the number of live tensors stays flat while training.
 * Environments are taken structurally (anything with `reset(seed)` and `step(action)`), so this module
 * needs no import of the environments. Notebook 08 (lecture 004, deep Q-learning).
 */
import { Random, nextSeed, rng } from "../core/random";
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
 * output), written with one fused matrix product per layer on a list of parameter tensors
 * [W₁, b₁, W₂, b₂, …] rather than a `tf.Sequential`: a training step then runs a few dozen kernels
 * instead of a few hundred, which is what makes DQN fast enough on wasm. He-uniform weights, zero
 * biases, seeded. Notebook 08 (lecture 004, deep Q-learning: "per ogni stato di input, fornisce in output
 * un valore di qualità per ogni possibile azione").
 */
export class QNetwork {
  /** [fan-in, fan-out] of each dense layer. */
  readonly layers: [number, number][];
  /** Number of parameters (weights and biases). */
  readonly size: number;
  constructor(readonly inputs: number, readonly actions: number, readonly hidden: readonly number[] = [64, 64]) {
    const widths = [inputs, ...hidden, actions];
    this.layers = widths.slice(1).map((w, i) => [widths[i]!, w]);
    this.size = this.layers.reduce((n, [i, o]) => n + i * o + o, 0);
  }
  /** Fresh parameters [W₁, b₁, …]: He-uniform weights U(±√(6/fan-in)), zero biases. */
  init(): tf.Tensor[] {
    return this.layers.flatMap(([i, o]) => {
      const limit = Math.sqrt(6 / i);
      return [tf.randomUniform([i, o], -limit, limit, "float32", nextSeed()), tf.zeros([o])];
    });
  }
  /** Q-values [batch, actions] of observations x [batch, inputs] under the parameters `p`. */
  apply(x: tf.Tensor2D, p: readonly tf.Tensor[]): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      this.layers.forEach((_, l) => {
        h = tf.fused.matMul({ a: h, b: p[2 * l] as tf.Tensor2D, bias: p[2 * l + 1], activation: l < this.layers.length - 1 ? "relu" : "linear" }) as tf.Tensor2D;
      });
      return h;
    });
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
  /** Seed of the replay sampling (default: from the global generator). */
  seed?: number;
}

/**
 * A DQN agent: the online Q-network's parameters, the target network's copy, Adam, and the replay
 * buffer. `act` chooses ε-greedy actions for a batch of observations with one forward pass;
 * `trainStep` does one gradient update on a replayed mini-batch towards
 * y = r + γ (1 − terminated) max_a′ Q_target(s′, a′). Notebook 08 (lecture 004, deep Q-learning).
 */
export class DqnAgent {
  readonly network: QNetwork;
  /** The online network's parameters [W₁, b₁, …] (trained). */
  readonly params: tf.Variable[];
  /** The target network's parameters (a frozen copy, refreshed by `syncTarget`). */
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
    const init = this.network.init();
    this.params = init.map((t) => tf.variable(t));
    this.targetParams = init;
    this.optimizer = tf.train.adam(this.options.learningRate);
    this.buffer = new ReplayBuffer(this.options.bufferSize, observationSize);
    this.random = new Random(this.options.seed, 11);
  }

  /** Copies the online network's parameters into the target network (with τ < 1, moves it a fraction τ towards them). */
  syncTarget(tau = 1): void {
    const old = this.targetParams;
    this.targetParams = tau >= 1 ? this.params.map((v) => tf.clone(v)) : tf.tidy(() => this.params.map((v, i) => tf.add(tf.mul(v, tau), tf.mul(old[i]!, 1 - tau))));
    tf.dispose(old);
  }

  /** Q-values of a batch of observations (flat, `count` rows) from the online network, row after row. */
  qValues(observations: ArrayLike<number>, count: number): Float32Array {
    return tf.tidy(() => this.network.apply(tf.tensor2d(Float32Array.from(observations), [count, this.options.observationSize]), this.params).dataSync() as Float32Array);
  }

  /** The greedy actions of a batch of observations (one forward pass). */
  greedy(observations: ArrayLike<number>, count: number): Int32Array {
    const q = this.qValues(observations, count);
    const n = this.options.nActions;
    return Int32Array.from({ length: count }, (_, i) => {
      let best = 0;
      for (let a = 1; a < n; a++) if (q[i * n + a]! > q[i * n + best]!) best = a;
      return best;
    });
  }

  /** ε-greedy actions for a batch of observations: random with probability ε each, else greedy (one forward pass for all). */
  act(observations: ArrayLike<number>, count: number, epsilon: number): Int32Array {
    const explore = Array.from({ length: count }, () => this.random.uniform() < epsilon);
    const greedy = explore.every(Boolean) ? new Int32Array(count) : this.greedy(observations, count);
    return greedy.map((a, i) => (explore[i] ? this.random.int(this.options.nActions) : a));
  }

  /** One gradient update on a replayed mini-batch; returns the Huber loss. Copies into the target network when due. */
  trainStep(): number {
    const { batchSize, gamma, nActions, observationSize, huberDelta, double } = this.options;
    const b = this.buffer.sample(batchSize, this.random);
    const net = this.network;
    const loss = tf.tidy(() => {
      const s = tf.tensor2d(b.states, [batchSize, observationSize]);
      const s2 = tf.tensor2d(b.nextStates, [batchSize, observationSize]);
      const qNext = net.apply(s2, this.targetParams);
      const maxNext = double ? qNext.mul(tf.oneHot(net.apply(s2, this.params).argMax(1), nActions)).sum(1) : qNext.max(1);
      const y = tf.add(tf.tensor1d(b.rewards), maxNext.mul(tf.sub(1, tf.tensor1d(b.terminated))).mul(gamma));
      const mask = tf.oneHot(tf.tensor1d(b.actions, "int32"), nActions);
      return this.optimizer.minimize(() => huberLoss(y, net.apply(s, this.params).mul(mask).sum(1), huberDelta), true, this.params) as tf.Scalar;
    });
    const value = loss.dataSync()[0]!;
    loss.dispose();
    this.updates++;
    if (this.updates % this.options.targetUpdate === 0) this.syncTarget(this.options.tau);
    return value;
  }

  /** The online parameters as plain arrays (a snapshot to restore later). */
  snapshot(): Float32Array[] {
    return this.params.map((v) => v.dataSync().slice() as Float32Array);
  }

  /** Restores the online (and target) parameters from a snapshot. */
  restore(params: readonly Float32Array[]): void {
    tf.tidy(() => this.params.forEach((v, i) => v.assign(tf.tensor(params[i]!, v.shape))));
    this.syncTarget();
  }

  /** Frees the parameters and the optimizer's state. */
  dispose(): void {
    tf.dispose(this.params);
    tf.dispose(this.targetParams);
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
  /** Stop once an evaluation's mean return reaches this (default Infinity: never). */
  stopAt?: number;
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
  evaluations: { steps: number; meanReturn: number }[];
  /** Mean Huber loss since the previous progress report. */
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
 * policy is evaluated now and then (on seeds 10⁶ + …, kept apart from the final evaluation's).
 * Truncated episodes are not terminal: their last transition still bootstraps. Notebook 08 (lecture 004, deep Q-learning).
 */
export function trainDqn(makeEnv: () => VectorEnv, options: TrainDqnOptions): { agent: DqnAgent; progress: DqnProgress } {
  const nEnvs = options.envs ?? 4;
  const envs = Array.from({ length: nEnvs }, makeEnv);
  const probe = envs[0]!;
  const seed = options.seed ?? rng().nextUint32();
  const obs: ArrayLike<number>[] = envs.map((e, i) => e.reset(seed + i));
  const agent = new DqnAgent({ ...options, seed, observationSize: obs[0]!.length, nActions: probe.nActions });
  const d = agent.options.observationSize;
  const { steps, learningStarts = 1000, updatesPerStep = 0.5, epsilonStart = 1, epsilonEnd = 0.05, evalEpisodes = 10, stopAt = Infinity, keepBest = true } = options;
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
  let bestWeights: Float32Array[] | undefined;
  const report = () => {
    progress.updates = agent.updates;
    progress.loss = lossCount > 0 ? lossSum / lossCount : NaN;
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
      const mean = evaluateGreedy(agent, makeEnv, evalEpisodes, 1_000_000 + progress.steps).reduce((s, v) => s + v, 0) / evalEpisodes;
      progress.evaluations.push({ steps: progress.steps, meanReturn: mean });
      if (mean >= best) {
        best = mean;
        if (keepBest) bestWeights = agent.snapshot();
      }
      stop = mean >= stopAt;
      finished = true;
    }
    if (finished) report();
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

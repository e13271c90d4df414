/**
 * Tabular reinforcement learning on plain arrays: the discounted return, the Q table, ε-greedy
 * action selection, the Q-learning update from the quadruple ⟨s_t, a_t, r_{t+1}, s_{t+1}⟩ (the
 * Bellman equation), SARSA, a training loop for any `Env`, and, for environments whose model is known,
 * policy evaluation and value iteration (Q*, V*). Notebook 08 (lecture 004, reinforcement learning).
 */
import { Random, rng } from "../core/random";
import type { DiscreteEnv, Env, StepResult } from "./envs";
import type { Schedule } from "./schedules";

/**
 * The discounted return from step t = 0: R = r₁ + γ r₂ + γ² r₃ + … ("meglio un uovo oggi che una
 * gallina domani": 0 ≤ γ ≤ 1 weighs near rewards more). `rewards[k]` is r_{k+1}. Notebook 08 (lecture 004).
 */
export function discountedReturn(rewards: ArrayLike<number>, gamma: number): number {
  let R = 0;
  for (let k = rewards.length - 1; k >= 0; k--) R = rewards[k]! + gamma * R;
  return R;
}

/** The return from every step, by the recursion R_t = r_t + γ R_{t+1} (the lecture's), backwards from the end. Notebook 08 (lecture 004). */
export function returns(rewards: ArrayLike<number>, gamma: number): Float64Array {
  const out = new Float64Array(rewards.length);
  let R = 0;
  for (let k = rewards.length - 1; k >= 0; k--) out[k] = R = rewards[k]! + gamma * R;
  return out;
}

/** The index of the largest value; ties go to the first one, or to a random one when `random` is given. Notebook 08 (lecture 004, greedy action). */
export function argmax(values: ArrayLike<number>, random?: Random): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < values.length; i++) {
    if (values[i]! > values[best]!) {
      best = i;
      ties = 1;
    } else if (random !== undefined && values[i] === values[best]) {
      ties++;
      if (random.int(ties) === 0) best = i; // reservoir sampling: each tied index equally likely
    }
  }
  return best;
}

/**
 * The table Q(s, a): |S| · |A| numbers (row s holds the values of the actions in state s).
 * Notebook 08 (lecture 004, Q-learning: "quanto è grande Q?").
 */
export class QTable {
  readonly values: Float64Array;
  constructor(readonly nStates: number, readonly nActions: number, values?: ArrayLike<number>) {
    this.values = new Float64Array(nStates * nActions);
    if (values !== undefined) {
      if (values.length !== this.values.length) throw new RangeError(`Q needs ${nStates}·${nActions} = ${this.values.length} values, got ${values.length}`);
      this.values.set(values);
    }
  }
  /** A table with every entry uniform in [lo, hi) (the lecture: "inizializza Q(s,a) in modo casuale"). */
  static random(nStates: number, nActions: number, random: Random = rng(), lo = 0, hi = 0.01): QTable {
    const q = new QTable(nStates, nActions);
    for (let i = 0; i < q.values.length; i++) q.values[i] = random.uniform(lo, hi);
    return q;
  }
  get(s: number, a: number): number {
    return this.values[s * this.nActions + a]!;
  }
  set(s: number, a: number, v: number): void {
    this.values[s * this.nActions + a] = v;
  }
  /** The values Q(s, ·) of every action in state s (a view). */
  row(s: number): Float64Array {
    return this.values.subarray(s * this.nActions, (s + 1) * this.nActions);
  }
  /** max_a Q(s, a). */
  max(s: number): number {
    return Math.max(...this.row(s));
  }
  /** The greedy action argmax_a Q(s, a) (ties: first, or random with `random`). */
  greedy(s: number, random?: Random): number {
    return argmax(this.row(s), random);
  }
  /** The greedy policy: one action per state. */
  policy(): Int32Array {
    return Int32Array.from({ length: this.nStates }, (_, s) => this.greedy(s));
  }
  /** max_a Q(s, a) for every state: the state values V(s) the table implies. */
  stateValues(): Float64Array {
    return Float64Array.from({ length: this.nStates }, (_, s) => this.max(s));
  }
  /** The rows as nested arrays (for tables and checks). */
  toArray(): number[][] {
    return Array.from({ length: this.nStates }, (_, s) => Array.from(this.row(s)));
  }
}

/**
 * ε-greedy selection (esplorazione e sfruttamento): with probability ε a uniformly random action
 * (exploration), otherwise the greedy one (exploitation; ties broken at random). Notebook 08 (lecture 004).
 */
export function epsilonGreedy(q: QTable, s: number, epsilon: number, random: Random = rng()): number {
  if (epsilon > 0 && random.uniform() < epsilon) return random.int(q.nActions);
  return q.greedy(s, random);
}

/**
 * The lecture's Q-learning update from one quadruple ⟨s, a, r, s′⟩:
 * Q(s, a) ← Q(s, a) + α (r + γ max_a′ Q(s′, a′) − Q(s, a)), with the target r alone when the
 * episode terminated in s′ (a truncated episode still bootstraps). Returns the TD error. Notebook 08 (lecture 004).
 */
export function qLearningUpdate(q: QTable, s: number, a: number, r: number, next: number, terminated: boolean, alpha: number, gamma: number): number {
  const target = terminated ? r : r + gamma * q.max(next);
  const delta = target - q.get(s, a);
  q.set(s, a, q.get(s, a) + alpha * delta);
  return delta;
}

/**
 * SARSA's update from ⟨s, a, r, s′, a′⟩: the target uses the action a′ the policy actually takes
 * next (on-policy) instead of the greedy max (Q-learning, off-policy). Returns the TD error. Notebook 08 (lecture 004).
 */
export function sarsaUpdate(q: QTable, s: number, a: number, r: number, next: number, nextAction: number, terminated: boolean, alpha: number, gamma: number): number {
  const target = terminated ? r : r + gamma * q.get(next, nextAction);
  const delta = target - q.get(s, a);
  q.set(s, a, q.get(s, a) + alpha * delta);
  return delta;
}

/** A number, or a schedule over the episode index 0, 1, 2, …. */
export type Param = number | Schedule;

function valueAt(p: Param, t: number): number {
  return typeof p === "number" ? p : p(t);
}

/** Options of `train`. Notebook 08 (lecture 004, Q-learning). */
export interface TrainOptions<Obs> {
  /** Number of episodes (the lecture's m). */
  episodes: number;
  /** "q-learning" (default, the lecture's) or "sarsa". */
  method?: "q-learning" | "sarsa";
  /** Discount γ (default 0.9, the lecture's typical value). */
  gamma?: number;
  /** Learning rate α, constant or a schedule over episodes (default 0.5, the lecture's typical start). */
  alpha?: Param;
  /** Exploration rate ε, constant or a schedule over episodes (default 0.1; 0 is the lecture's purely greedy pseudo-code). */
  epsilon?: Param;
  /** Start from this table (it is updated in place), e.g. `QTable.random(…)`; default all zeros. */
  q?: QTable;
  /** Greedy ties: "random" (default) or "first" (the lowest action index). */
  ties?: "random" | "first";
  /** Maps an observation to a state index (a discretisation); default: the observation is the index. */
  stateOf?: (observation: Obs) => number;
  /** Whether an episode's last step is a win (default: terminated with a positive reward). */
  isWin?: (last: StepResult<Obs>) => boolean;
  /** Seed of the first episode's reset and of the agent's draws (default: from the global generator). */
  seed?: number;
  /** Called after each episode (progress displays). */
  onEpisode?: (episode: number, result: { return: number; length: number; win: boolean }) => void;
}

/** What `train` returns: the table and one entry per episode. Notebook 08 (lecture 004, Q-learning). */
export interface TrainResult {
  q: QTable;
  /** Undiscounted return (sum of rewards) of each episode. */
  returns: Float64Array;
  /** Steps of each episode. */
  lengths: Int32Array;
  /** 1 when the episode was won. */
  wins: Uint8Array;
}

function defaultState(observation: unknown): number {
  if (typeof observation !== "number") throw new Error("the observation is not a state index: pass stateOf (a discretisation)");
  return observation;
}

/**
 * Tabular Q-learning (the lecture's algorithm, with ε-greedy exploration) or SARSA on any
 * environment with a discrete action space: m episodes, each step choose a_t, observe r_{t+1} and
 * s_{t+1}, update Q. The environment is reset with `seed` once and then continues its stream.
 * Notebook 08 (lecture 004, Q-learning).
 */
export function train<Obs>(env: Env<Obs> & { nStates?: number }, options: TrainOptions<Obs>): TrainResult {
  const { episodes, method = "q-learning", gamma = 0.9, alpha = 0.5, epsilon = 0.1, ties = "random" } = options;
  const stateOf = options.stateOf ?? (defaultState as (o: Obs) => number);
  const isWin = options.isWin ?? ((last: StepResult<Obs>) => last.terminated && last.reward > 0);
  let q = options.q;
  if (q === undefined) {
    if (env.nStates === undefined) throw new Error("train: pass q (a QTable) for an environment without nStates");
    q = new QTable(env.nStates, env.nActions);
  }
  const seed = options.seed ?? rng().nextUint32();
  const random = new Random(seed, 7);
  const tieRandom = ties === "random" ? random : undefined;
  const choose = (s: number, eps: number) => (eps > 0 && random.uniform() < eps ? random.int(q!.nActions) : q!.greedy(s, tieRandom));
  const out: TrainResult = { q, returns: new Float64Array(episodes), lengths: new Int32Array(episodes), wins: new Uint8Array(episodes) };
  for (let e = 0; e < episodes; e++) {
    const a_ = valueAt(alpha, e);
    const eps = valueAt(epsilon, e);
    let s = stateOf(env.reset(e === 0 ? seed : undefined));
    let a = choose(s, eps);
    let total = 0;
    let length = 0;
    for (;;) {
      const result = env.step(a);
      const next = stateOf(result.observation);
      total += result.reward;
      length++;
      const done = result.terminated || result.truncated;
      if (method === "sarsa") {
        const nextAction = done ? 0 : choose(next, eps);
        sarsaUpdate(q, s, a, result.reward, next, nextAction, result.terminated, a_, gamma);
        a = nextAction;
      } else {
        qLearningUpdate(q, s, a, result.reward, next, result.terminated, a_, gamma);
        if (!done) a = choose(next, eps);
      }
      s = next;
      if (done) {
        out.wins[e] = isWin(result) ? 1 : 0;
        break;
      }
    }
    out.returns[e] = total;
    out.lengths[e] = length;
    options.onEpisode?.(e, { return: total, length, win: out.wins[e] === 1 });
  }
  return out;
}

/**
 * The share of won episodes in consecutive blocks of `window` episodes (the lecture's plot: "la
 * percentuale di episodi vinti ogni 100 episodi"); a last partial block is dropped. Notebook 08 (lecture 004).
 */
export function winRates(wins: ArrayLike<number>, window = 100): Float64Array {
  const n = Math.floor(wins.length / window);
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let k = 0;
    for (let i = b * window; i < (b + 1) * window; i++) k += wins[i]! ? 1 : 0;
    out[b] = k / window;
  }
  return out;
}

/** Mean of each block of `window` values (e.g. returns per 100 episodes); a last partial block is dropped. Notebook 08 (lecture 004). */
export function blockMeans(values: ArrayLike<number>, window: number): Float64Array {
  return winRates(Array.from(values), window).map((_, b) => {
    let s = 0;
    for (let i = b * window; i < (b + 1) * window; i++) s += values[i]!;
    return s / window;
  });
}

/** Options of `evaluate`. Notebook 08 (lecture 004). */
export interface EvaluateOptions<Obs> {
  episodes: number;
  /** Seed of the first reset (then the environment's stream continues). */
  seed?: number;
  isWin?: (last: StepResult<Obs>) => boolean;
}

/** Runs a fixed policy (no learning) and reports the mean undiscounted return and the share of wins. Notebook 08 (lecture 004). */
export function evaluate<Obs>(env: Env<Obs>, policy: (observation: Obs) => number, options: EvaluateOptions<Obs>): { meanReturn: number; winRate: number; returns: Float64Array } {
  const isWin = options.isWin ?? ((last: StepResult<Obs>) => last.terminated && last.reward > 0);
  const rets = new Float64Array(options.episodes);
  let wins = 0;
  for (let e = 0; e < options.episodes; e++) {
    let obs = env.reset(e === 0 ? options.seed ?? rng().nextUint32() : undefined);
    for (;;) {
      const r = env.step(policy(obs));
      rets[e]! += r.reward;
      obs = r.observation;
      if (r.terminated || r.truncated) {
        if (isWin(r)) wins++;
        break;
      }
    }
  }
  return { meanReturn: rets.reduce((s, v) => s + v, 0) / options.episodes, winRate: wins / options.episodes, returns: rets };
}

// ---------------------------------------------------------------------------------------------
// Known models: policy evaluation and value iteration

/** The expected value of action a in state s under the model: Σ p (r + γ V(s′)), V(s′) left out after termination. */
function actionValue(env: DiscreteEnv, V: ArrayLike<number>, s: number, a: number, gamma: number): number {
  let v = 0;
  for (const t of env.P[s]![a]!) v += t.p * (t.reward + (t.terminated ? 0 : gamma * V[t.next]!));
  return v;
}

/** Q(s, a) = Σ_{s′} p(s′ | s, a) (r + γ V(s′)) for every state and action. Notebook 08 (lecture 004, Bellman equation). */
export function qFromValues(env: DiscreteEnv, V: ArrayLike<number>, gamma: number): QTable {
  const q = new QTable(env.nStates, env.nActions);
  for (let s = 0; s < env.nStates; s++) for (let a = 0; a < env.nActions; a++) q.set(s, a, actionValue(env, V, s, a, gamma));
  return q;
}

/**
 * One sweep of value iteration: V′(s) = max_a Σ_{s′} p(s′ | s, a) (r + γ V(s′)) for every state,
 * from the old V (a synchronous, "Jacobi" sweep). Notebook 08 (lecture 004, Bellman equation).
 */
export function bellmanSweep(env: DiscreteEnv, V: ArrayLike<number>, gamma: number): Float64Array {
  const out = new Float64Array(env.nStates);
  for (let s = 0; s < env.nStates; s++) {
    let best = -Infinity;
    for (let a = 0; a < env.nActions; a++) best = Math.max(best, actionValue(env, V, s, a, gamma));
    out[s] = best;
  }
  return out;
}

/** What `valueIteration` returns. Notebook 08 (lecture 004). */
export interface ValueIterationResult {
  /** The optimal state values V*(s) = max_a Q*(s, a). */
  V: Float64Array;
  /** The optimal action values Q*. */
  q: QTable;
  /** A greedy (optimal) policy: argmax_a Q*(s, a), ties to the first action. */
  policy: Int32Array;
  /** Sweeps done, and the largest change max_s |V′(s) − V(s)| of each. */
  sweeps: number;
  deltas: number[];
}

/**
 * Value iteration: Bellman sweeps from V = 0 until no value changes by more than `tol` (or
 * `maxSweeps`; with `sweeps`, exactly that many — V is then the best expected return within that many
 * steps). Notebook 08 (lecture 004, Bellman equation).
 */
export function valueIteration(env: DiscreteEnv, gamma: number, options: { tol?: number; maxSweeps?: number; sweeps?: number } = {}): ValueIterationResult {
  const { tol = 1e-10, maxSweeps = 100_000 } = options;
  let V: Float64Array = new Float64Array(env.nStates);
  const deltas: number[] = [];
  const limit = options.sweeps ?? maxSweeps;
  for (let k = 0; k < limit; k++) {
    const next = bellmanSweep(env, V, gamma);
    let delta = 0;
    for (let s = 0; s < env.nStates; s++) delta = Math.max(delta, Math.abs(next[s]! - V[s]!));
    V = next;
    deltas.push(delta);
    if (options.sweeps === undefined && delta <= tol) break;
  }
  const q = qFromValues(env, V, gamma);
  return { V, q, policy: q.policy(), sweeps: deltas.length, deltas };
}

/**
 * Policy evaluation: the values V^π(s) of a fixed deterministic policy (one action per state), by
 * repeated Bellman backups V(s) ← Σ p (r + γ V(s′)) with a = π(s), until converged; with `sweeps`,
 * exactly that many (the expected return within that many steps). With γ = 1 and reward 1 at the goal
 * only (FrozenLake), V^π(s₀) is the probability of reaching the goal. Notebook 08 (lecture 004).
 */
export function policyEvaluation(env: DiscreteEnv, policy: ArrayLike<number>, gamma: number, options: { tol?: number; maxSweeps?: number; sweeps?: number } = {}): Float64Array {
  const { tol = 1e-12, maxSweeps = 100_000 } = options;
  let V: Float64Array = new Float64Array(env.nStates);
  const limit = options.sweeps ?? maxSweeps;
  for (let k = 0; k < limit; k++) {
    const next = Float64Array.from({ length: env.nStates }, (_, s) => actionValue(env, V, s, policy[s]!, gamma));
    let delta = 0;
    for (let s = 0; s < env.nStates; s++) delta = Math.max(delta, Math.abs(next[s]! - V[s]!));
    V = next;
    if (options.sweeps === undefined && delta <= tol) break;
  }
  return V;
}

// ---------------------------------------------------------------------------------------------
// Discretisation

/**
 * Cuts each dimension of a continuous observation into bins and numbers the cells: a table needs a
 * finite state set, which the lecture's pseudo-code takes for granted. `edges[d]` are the inner bin
 * edges of dimension d (k edges make k + 1 bins; values beyond the ends fall in the outer bins).
 * Notebook 08 (lecture 004, Q-learning: the state discretisation).
 */
export class Discretizer {
  readonly nStates: number;
  constructor(readonly edges: readonly (readonly number[])[]) {
    this.nStates = edges.reduce((n, e) => n * (e.length + 1), 1);
  }
  /** Evenly spaced bins: `bins[d]` bins over [low[d], high[d]] per dimension. */
  static uniform(low: readonly number[], high: readonly number[], bins: readonly number[]): Discretizer {
    return new Discretizer(bins.map((b, d) => Array.from({ length: b - 1 }, (_, i) => low[d]! + ((high[d]! - low[d]!) * (i + 1)) / b)));
  }
  /** The cell (state index) of an observation. */
  state(observation: ArrayLike<number>): number {
    let s = 0;
    for (let d = 0; d < this.edges.length; d++) {
      const e = this.edges[d]!;
      let bin = 0;
      while (bin < e.length && observation[d]! >= e[bin]!) bin++;
      s = s * (e.length + 1) + bin;
    }
    return s;
  }
}

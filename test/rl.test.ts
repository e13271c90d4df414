import { describe, expect, it } from "vitest";
import {
  Discretizer, QTable, argmax, bellmanSweep, discountedReturn, epsilonGreedy, evaluate, policyEvaluation, qLearningUpdate, returns,
  sarsaUpdate, train, valueIteration, winRates,
} from "../lib/src/scratch/rl";
import { GraspWorld, LEFT, RIGHT, UP, DOWN, cliffWalking, frozenLake, gridWorld } from "../lib/src/scratch/envs";
import { Random } from "../lib/src/core/random";

describe("returns", () => {
  it("discounted return by the sum and by the recursion R_t = r_t + γ R_{t+1}", () => {
    const r = [1, 0, -2, 3];
    expect(discountedReturn(r, 0.5)).toBeCloseTo(1 + 0 - 2 * 0.25 + 3 * 0.125, 14);
    const all = returns(r, 0.9);
    for (let t = 0; t < r.length; t++) expect(all[t]).toBeCloseTo(discountedReturn(r.slice(t), 0.9), 14);
    expect(discountedReturn(r, 1)).toBe(2);
    expect(discountedReturn(r, 0)).toBe(1);
  });
});

describe("Q table and action selection", () => {
  it("argmax ties: first, or uniform over the tied actions", () => {
    expect(argmax([1, 3, 3, 0])).toBe(1);
    const r = new Random(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[argmax([1, 3, 3, 3], r)]!++;
    expect(counts[0]).toBe(0);
    for (const k of [1, 2, 3]) expect(counts[k]! / 20000).toBeCloseTo(1 / 3, 1);
  });

  it("ε-greedy picks the greedy action with probability 1 − ε + ε/|A|", () => {
    const q = new QTable(1, 4, [0, 2, 1, 0]);
    const r = new Random(2);
    let greedy = 0;
    for (let i = 0; i < 40000; i++) if (epsilonGreedy(q, 0, 0.2, r) === 1) greedy++;
    expect(greedy / 40000).toBeCloseTo(1 - 0.2 + 0.2 / 4, 2);
    expect(epsilonGreedy(q, 0, 0, r)).toBe(1);
  });

  it("the Q-learning and SARSA updates by hand", () => {
    const q = new QTable(3, 2, [0, 0, 1, 5, 0, 0]);
    // Q(0,1) ← 0 + 0.5 (2 + 0.9 · max(1, 5) − 0) = 3.25
    expect(qLearningUpdate(q, 0, 1, 2, 1, false, 0.5, 0.9)).toBeCloseTo(6.5, 14);
    expect(q.get(0, 1)).toBeCloseTo(3.25, 14);
    // terminated: the target is r alone
    qLearningUpdate(q, 0, 0, 2, 1, true, 0.5, 0.9);
    expect(q.get(0, 0)).toBeCloseTo(1, 14);
    // SARSA uses Q(s′, a′) of the action taken: 1 + 0.5 (0 + 0.9 · 1 − 1) = 0.95
    sarsaUpdate(q, 0, 0, 0, 1, 0, false, 0.5, 0.9);
    expect(q.get(0, 0)).toBeCloseTo(0.95, 14);
  });
});

describe("known models", () => {
  it("FrozenLake: value iteration gives Gymnasium's optimum (V*(0) at γ = 0.99 and the 100-step success 0.7442, reference from Gymnasium 1.3.0's P)", () => {
    const env = frozenLake();
    const vi = valueIteration(env, 0.99);
    expect(vi.V[0]).toBeCloseTo(0.5420259319840658, 7); // both stop when a sweep changes V by < 1e-12
    expect(Array.from(vi.policy)).toEqual([0, 3, 3, 3, 0, 0, 0, 0, 3, 1, 0, 0, 0, 2, 1, 0]);
    expect(valueIteration(env, 1, { sweeps: 100 }).V[0]).toBeCloseTo(0.7441902878292689, 12);
    // The optimal stationary policy reaches the goal with probability 0.8235 without a time limit.
    expect(policyEvaluation(env, vi.policy, 1)[0]).toBeCloseTo(0.8235, 4);
    // Q* satisfies the Bellman optimality equation: one more sweep changes nothing.
    const again = bellmanSweep(env, vi.V, 0.99);
    for (let s = 0; s < 16; s++) expect(again[s]).toBeCloseTo(vi.V[s]!, 9);
  });

  it("policy evaluation equals the Monte Carlo success rate of the same policy", () => {
    const env = frozenLake();
    const policy = valueIteration(env, 0.99).policy;
    const exact = policyEvaluation(env, policy, 1, { sweeps: 100 })[0]!;
    const mc = evaluate(env, (s) => policy[s]!, { episodes: 20000, seed: 3 });
    expect(Math.abs(mc.winRate - exact)).toBeLessThan(0.015);
  });

  it("the small deterministic grid: V* = γ^(steps to the goal − 1)", () => {
    const env = gridWorld();
    const vi = valueIteration(env, 0.9);
    expect(vi.V[0]).toBeCloseTo(0.9 ** 4, 12); // 5 moves: S → … → G
    expect(vi.V[10]).toBeCloseTo(1, 12);
    expect(vi.policy[10]).toBe(RIGHT);
  });
});

describe("learning", () => {
  it("Q-learning on FrozenLake finds the optimal policy (γ = 0.99)", () => {
    const env = frozenLake();
    const optimum = valueIteration(env, 0.99);
    const run = train(env, { episodes: 20000, gamma: 0.99, alpha: (e) => Math.max(0.01, 0.5 * 0.9997 ** e), epsilon: (e) => Math.max(0.05, 1 - e / 10000), seed: 3 });
    const learned = run.q.policy();
    const success = policyEvaluation(env, learned, 1, { sweeps: 100 })[0]!;
    expect(success).toBeGreaterThan(0.72);
    expect(success).toBeLessThanOrEqual(valueIteration(env, 1, { sweeps: 100 }).V[0]! + 1e-12);
    expect(Math.abs(run.q.get(0, learned[0]!) - optimum.V[0]!)).toBeLessThan(0.1);
  });

  it("purely greedy with Q = 0 and first-index ties never wins FrozenLake; ε-greedy does", () => {
    const env = frozenLake();
    expect(train(env, { episodes: 500, epsilon: 0, ties: "first", seed: 1 }).wins.reduce((s, w) => s + w, 0)).toBe(0);
    expect(train(env, { episodes: 500, epsilon: 0.5, seed: 1 }).wins.reduce((s, w) => s + w, 0)).toBeGreaterThan(5);
  });

  it("on the cliff, SARSA walks the safe path and Q-learning the edge (greedy policies after training)", () => {
    const env = cliffWalking();
    const rollout = (q: QTable) => {
      const e = cliffWalking({ maxEpisodeSteps: 100 });
      let s = e.reset(0);
      const rows: number[] = [];
      for (;;) {
        const r = e.step(q.greedy(s));
        s = r.observation;
        rows.push(Math.floor(s / 12));
        if (r.terminated || r.truncated) return { rows, reached: r.terminated, length: rows.length };
      }
    };
    const ql = rollout(train(env, { episodes: 500, gamma: 1, alpha: 0.5, epsilon: 0.1, seed: 2 }).q);
    const sa = rollout(train(env, { method: "sarsa", episodes: 500, gamma: 1, alpha: 0.5, epsilon: 0.1, seed: 2 }).q);
    expect(ql.reached && sa.reached).toBe(true);
    expect(ql.length).toBe(13); // the optimal path along the edge
    expect(sa.length).toBeGreaterThan(13);
    expect(Math.min(...sa.rows.slice(1, -2))).toBeLessThan(2); // SARSA climbs away from the cliff
  });

  it("the grasping task: Q-learning with the lecture's ε, γ, α wins most episodes; random actions almost none", () => {
    const env = new GraspWorld();
    const isWin = (l: { reward: number }) => l.reward >= 100;
    const run = train(env, { episodes: 1500, gamma: 0.6, alpha: 0.2, epsilon: 0.1, seed: 5, isWin });
    const rates = winRates(run.wins, 100);
    expect(rates[rates.length - 1]).toBeGreaterThan(0.9);
    const r = new Random(1);
    expect(evaluate(env, () => r.int(7), { episodes: 300, seed: 1, isWin }).winRate).toBeLessThan(0.05);
  });

  it("training is deterministic given the seed", () => {
    const a = train(frozenLake(), { episodes: 300, seed: 9 });
    const b = train(frozenLake(), { episodes: 300, seed: 9 });
    expect(Array.from(a.q.values)).toEqual(Array.from(b.q.values));
  });
});

describe("helpers", () => {
  it("win rates per block and the discretizer's cells", () => {
    expect(Array.from(winRates([1, 0, 1, 1, 0, 0, 1], 2))).toEqual([0.5, 1, 0]);
    const d = Discretizer.uniform([-1, 0], [1, 10], [4, 2]);
    expect(d.nStates).toBe(8);
    expect(d.state([-5, 1])).toBe(0);
    expect(d.state([0.1, 7])).toBe(2 * 2 + 1);
    expect(d.state([0.9, 12])).toBe(3 * 2 + 1);
    expect([LEFT, DOWN, RIGHT, UP]).toEqual([0, 1, 2, 3]);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { DqnAgent, QNetwork, ReplayBuffer, evaluateGreedy, huberLoss, trainDqn } from "../lib/src/tfjs/dqn";
import { CartPole } from "../lib/src/scratch/envs";
import { Random, seed } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("replay buffer", () => {
  it("keeps the last `capacity` transitions and samples whole transitions", () => {
    const b = new ReplayBuffer(3, 2);
    for (let i = 0; i < 5; i++) b.push([i, -i], i % 2, 10 * i, [i + 1, -i - 1], i === 4);
    expect(b.size).toBe(3);
    const seen = new Set<number>();
    const batch = b.sample(200, new Random(1));
    for (let j = 0; j < 200; j++) {
      const i = batch.states[2 * j]!;
      seen.add(i);
      expect(batch.states[2 * j + 1]).toBe(-i);
      expect(batch.nextStates[2 * j]).toBe(i + 1);
      expect(batch.rewards[j]).toBe(10 * i);
      expect(batch.actions[j]).toBe(i % 2);
      expect(batch.terminated[j]).toBe(i === 4 ? 1 : 0);
    }
    expect([...seen].sort()).toEqual([2, 3, 4]); // 0 and 1 were overwritten
  });
});

describe("Q-network and loss", () => {
  it("the Huber loss equals tf.losses.huberLoss, and its gradient is the error clipped to ±δ", () => {
    const y = tf.tensor1d([0, 1, 2, -3, 0.5]);
    const q = tf.tensor1d([0.3, -1, 2.2, 1, 0.5]);
    expect(huberLoss(y, q, 1).dataSync()[0]).toBeCloseTo(tf.losses.huberLoss(y, q, undefined, 1).dataSync()[0]!, 6);
    expect(huberLoss(y, q, 0.5).dataSync()[0]).toBeCloseTo(tf.losses.huberLoss(y, q, undefined, 0.5).dataSync()[0]!, 6);
    const g = tf.grad((p: tf.Tensor) => huberLoss(y, p, 1))(q).dataSync();
    expect(Array.from(g).map((v) => v * 5)).toEqual([0.3, -1, 0.2, 1, 0].map((v) => expect.closeTo(v, 6)));
  });

  it("the forward pass is relu(relu(x W₁ + b₁) W₂ + b₂) W₃ + b₃, checked in plain JavaScript", () => {
    seed(1);
    const net = new QNetwork(3, 2, [4, 5]);
    expect(net.size).toBe(3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2);
    const p = net.init().map((t, i) => (i % 2 === 1 ? tf.randomNormal(t.shape, 0, 1, "float32", i) : t));
    const x = [[0.5, -1, 2], [0, 0.3, -0.7]];
    const ours = net.apply(tf.tensor2d(x), p).arraySync();
    const [W1, b1, W2, b2, W3, b3] = p.map((t) => t.arraySync()) as [number[][], number[], number[][], number[], number[][], number[]];
    const dense = (h: number[], W: number[][], b: number[], relu: boolean) => b.map((bj, j) => { const v = h.reduce((s, hi, i) => s + hi * W[i]![j]!, bj); return relu ? Math.max(0, v) : v; });
    x.forEach((row, r) => {
      const expected = dense(dense(dense(row, W1, b1, true), W2, b2, true), W3, b3, false);
      expected.forEach((v, k) => expect(ours[r]![k]).toBeCloseTo(v, 5));
    });
  });
  it("the plain-JavaScript forward pass on the flat θ equals the TensorFlow.js one, and θ unflattens row-major", () => {
    seed(5);
    const net = new QNetwork(4, 3, [8, 6]);
    const theta = net.initFlat().map((v, i) => v + 0.1 * Math.sin(i)); // non-zero biases too
    const p = net.unflatten(theta);
    expect(p.map((t) => t.shape)).toEqual([[4, 8], [8], [8, 6], [6], [6, 3], [3]]);
    expect(p[2]!.arraySync() as number[][]).toEqual(Array.from({ length: 8 }, (_, i) => Array.from(theta.subarray(net.offsets[1]!.w + 6 * i, net.offsets[1]!.w + 6 * i + 6))));
    const x = new Float32Array(4 * 7).map((_, i) => Math.cos(3 * i));
    const ours = net.forward(theta, x, 7);
    const tfq = net.apply(tf.tensor2d(x, [7, 4]), p).dataSync();
    Array.from(tfq).forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 5));
    tf.dispose(p);
  });
});

describe("the hand-written DQN gradient", () => {
  for (const double of [false, true]) {
    it(`equals TensorFlow.js autodiff of the mean Huber loss towards the ${double ? "Double DQN" : "DQN"} targets`, () => {
      seed(6);
      const agent = new DqnAgent({ observationSize: 4, nActions: 2, hidden: [16, 8], gamma: 0.9, double, huberDelta: 0.7, seed: 6 });
      agent.restore(agent.snapshot().map((v, i) => v + 0.05 * Math.sin(7 * i))); // non-zero biases; the target equals θ …
      tf.tidy(() => agent.theta.assign(tf.add(agent.theta, 0.02))); // … then θ moves so that online and target differ
      (agent as unknown as { refresh(): void }).refresh();
      const r = new Random(7);
      const B = 12;
      const b = {
        states: Float32Array.from({ length: 4 * B }, () => r.normal()), nextStates: Float32Array.from({ length: 4 * B }, () => r.normal()),
        actions: Int32Array.from({ length: B }, () => r.int(2)), rewards: Float32Array.from({ length: B }, () => 3 * r.normal()),
        terminated: Float32Array.from({ length: B }, (_, j) => (j % 4 === 0 ? 1 : 0)),
      };
      const { loss, gradient } = agent.lossAndGradient(b);
      const expected = tf.tidy(() => {
        const s2 = tf.tensor2d(b.nextStates, [B, 4]);
        const qNext = agent.network.apply(s2, agent.targetParams);
        const pick = double ? agent.network.apply(s2, agent.params).argMax(1) : qNext.argMax(1);
        const y = tf.add(tf.tensor1d(b.rewards), qNext.mul(tf.oneHot(pick, 2)).sum(1).mul(tf.sub(1, tf.tensor1d(b.terminated))).mul(0.9));
        const mask = tf.oneHot(tf.tensor1d(b.actions, "int32"), 2);
        const f = (theta: tf.Tensor) => huberLoss(y, agent.network.apply(tf.tensor2d(b.states, [B, 4]), agent.network.unflatten(theta as tf.Tensor1D)).mul(mask).sum(1), 0.7);
        const { value, grad } = tf.valueAndGrad(f)(agent.theta);
        return { value: value.dataSync()[0]!, grad: Array.from(grad.dataSync()) };
      });
      expect(loss).toBeCloseTo(expected.value, 5);
      const ours = Array.from(gradient.dataSync());
      expect(ours.length).toBe(agent.network.size);
      expect(Math.max(...expected.grad.map(Math.abs))).toBeGreaterThan(1e-3);
      ours.forEach((g, i) => expect(g).toBeCloseTo(expected.grad[i]!, 5));
      gradient.dispose();
      agent.dispose();
    });
  }
});

describe("DQN agent", () => {
  it("with γ = 0, training drives Q(s, a) to the reward of (s, a); the target network moves only when synchronised", () => {
    seed(2);
    const agent = new DqnAgent({ observationSize: 2, nActions: 2, hidden: [16], gamma: 0, learningRate: 1e-2, batchSize: 32, targetUpdate: 1_000_000 });
    const r = new Random(3);
    for (let i = 0; i < 500; i++) {
      const s = [r.uniform(-1, 1), r.uniform(-1, 1)];
      const a = r.int(2);
      agent.buffer.push(s, a, a === 0 ? s[0]! : 2 * s[1]!, s, false);
    }
    const before = agent.targetParams.map((t) => Array.from(t.dataSync()));
    const first = agent.trainStep();
    let last = first;
    for (let i = 0; i < 400; i++) last = agent.trainStep();
    expect(last).toBeLessThan(first / 10);
    const q = agent.qValues([0.5, -0.4], 1);
    expect(q[0]).toBeCloseTo(0.5, 1);
    expect(q[1]).toBeCloseTo(-0.8, 1);
    expect(agent.targetParams.map((t) => Array.from(t.dataSync()))).toEqual(before);
    agent.syncTarget();
    agent.targetParams.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(agent.params[i]!.dataSync())));
    agent.dispose();
  });

  it("ε-greedy: ε = 1 acts uniformly at random, ε = 0 greedily; one forward pass for a batch", () => {
    seed(3);
    const agent = new DqnAgent({ observationSize: 4, nActions: 2 });
    const obs = new Float32Array(4 * 400).map((_, i) => Math.sin(i));
    const greedy = agent.greedy(obs, 400);
    expect(Array.from(agent.act(obs, 400, 0))).toEqual(Array.from(greedy));
    const random = agent.act(obs, 400, 1);
    const agree = random.filter((a, i) => a === greedy[i]).length / 400;
    expect(agree).toBeGreaterThan(0.4);
    expect(agree).toBeLessThan(0.6);
    agent.dispose();
  });

  it("an evaluation that reaches stopAt is confirmed on confirmEpisodes more episodes before training stops", async () => {
    const options = { steps: 3000, learningStarts: 400, hidden: [8], batchSize: 8, updatesPerStep: 0.25, evalEvery: 1000, evalEpisodes: 2, seed: 8 };
    seed(8); // the network's initial weights come from the global generator
    const free = await trainDqn(() => new CartPole(), options);
    expect(free.progress.evaluations.map((e) => e.steps)).toEqual([1000, 2000, 3000]);
    expect(free.progress.evaluations.every((e) => e.confirmed === undefined)).toBe(true);
    seed(8);
    const stopped = await trainDqn(() => new CartPole(), { ...options, stopAt: 0, confirmEpisodes: 5 }); // any return reaches 0
    expect(stopped.progress.steps).toBe(1000);
    const [first] = stopped.progress.evaluations;
    expect(first!.meanReturn).toBe(free.progress.evaluations[0]!.meanReturn); // same seed, same first 1,000 steps
    expect(first!.confirmed).toBeGreaterThan(8); // a CartPole episode lasts at least 8 steps
    expect(first!.confirmed).not.toBe(first!.meanReturn); // other episodes
    seed(8);
    const unconfirmed = await trainDqn(() => new CartPole(), { ...options, stopAt: 1e6, confirmEpisodes: 5 });
    expect(unconfirmed.progress.steps).toBe(3000);
    [free, stopped, unconfirmed].forEach((r) => r.agent.dispose());
  }, 120_000);

  it("training keeps the number of live tensors flat, lets the event loop run between reports, and is deterministic given the seed", async () => {
    const run = async () => {
      seed(4);
      const counts: number[] = [];
      let turns = 0; // event-loop turns seen while training: a live display's messages go out in them
      const ticker = setInterval(() => turns++, 0);
      const { agent, progress } = await trainDqn(() => new CartPole(), {
        steps: 1200, learningStarts: 400, hidden: [16, 16], batchSize: 16, updatesPerStep: 0.25, targetUpdate: 50, evalEvery: 200, evalEpisodes: 2, seed: 4, double: true,
        onProgress: (p) => { if (p.updates > 0) counts.push(p.tensors); }, // Adam creates its moments at the first update
      });
      clearInterval(ticker);
      return { agent, progress, counts, turns };
    };
    const start = tf.memory().numTensors;
    const a = await run();
    expect(a.turns).toBeGreaterThan(5);
    const fixed = tf.memory().numTensors - start; // parameters, target copy, Adam's moments and step counters
    expect(a.counts.length).toBeGreaterThan(10);
    expect(new Set(a.counts).size).toBe(1);
    expect(a.counts[a.counts.length - 1]).toBe(start + fixed);
    expect(a.progress.updates).toBe((1200 - 400) * 0.25 + 1); // 4 environments: updates start on the step that reaches 400
    expect(a.progress.evaluations.length).toBe(6);
    const b = await run();
    expect(Array.from(b.agent.params[0]!.dataSync())).toEqual(Array.from(a.agent.params[0]!.dataSync()));
    expect(b.progress.episodeReturns).toEqual(a.progress.episodeReturns);
    a.agent.dispose();
    b.agent.dispose();
    expect(tf.memory().numTensors).toBe(start);
  }, 300_000);
});

/**
 * Deep Q-learning throughput (notebook 08): CartPole-v1 environment steps per second (plain stepping;
 * acting ε-greedily with the plain-JavaScript forward pass `DqnAgent.act` uses; and, for reference, with
 * one TensorFlow.js forward pass per step), and DQN gradient updates per second (batch 64) for two network
 * widths: `DqnAgent.trainStep` (hand-written backward pass, one flat Adam update) against the textbook
 * TensorFlow.js step (`optimizer.minimize` with autodiff on per-layer variables), on one backend. Rates use this process's CPU
 * time, so a busy machine inflates them less than wall time; the load average is printed beside them.
 * Usage: npx tsx bench/dqn.ts [-- --seconds 3 --backend wasm]
 */
import { loadavg } from "node:os";
import { Random, seed } from "../lib/src/core/random";
import { CartPole } from "../lib/src/scratch/envs";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { DqnAgent, huberLoss } from "../lib/src/tfjs/dqn";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const SECONDS = Number(option("seconds") ?? 3);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Runs `work` (which returns how many units it did) until `SECONDS` of CPU time have passed; units per CPU second and wall second. */
function rate(work: () => number): { cpu: number; wall: number } {
  work();
  let units = 0;
  const c0 = cpu();
  const w0 = performance.now();
  while (cpu() - c0 < SECONDS) units += work();
  return { cpu: units / (cpu() - c0), wall: units / ((performance.now() - w0) / 1000) };
}

async function main(): Promise<void> {
  const backend = await initBackend(option("backend") ?? "wasm");
  seed(0);
  const r = new Random(1);
  const rows: [string, { cpu: number; wall: number }][] = [];

  const env = new CartPole();
  env.reset(0);
  rows.push([
    "CartPole steps/s (random actions, no network)",
    rate(() => {
      for (let i = 0; i < 1000; i++) {
        const s = env.step(r.int(2));
        if (s.terminated || s.truncated) env.reset();
      }
      return 1000;
    }),
  ]);

  for (const hidden of [[64, 64], [256, 256]]) {
    const agent = new DqnAgent({ observationSize: 4, nActions: 2, hidden, batchSize: 64, seed: 1 });
    const envs = Array.from({ length: 4 }, (_, i) => {
      const e = new CartPole();
      e.reset(i);
      return e;
    });
    const obs: Float32Array[] = envs.map((e) => Float32Array.from(e.state));
    const step = (actions: ArrayLike<number>) =>
      envs.forEach((e, i) => {
        const s = e.step(actions[i]!);
        agent.buffer.push(obs[i]!, actions[i]!, s.reward, s.observation, s.terminated);
        obs[i] = s.terminated || s.truncated ? e.reset() : s.observation;
      });
    const batch = new Float32Array(16);
    rows.push([
      `CartPole steps/s acting ε-greedy (ε = 0.05), 4 envs, plain-JS forward pass (DqnAgent.act), MLP ${hidden.join("-")}`,
      rate(() => {
        obs.forEach((o, i) => batch.set(o, 4 * i));
        step(agent.act(batch, 4, 0.05));
        return 4;
      }),
    ]);
    rows.push([
      `CartPole steps/s acting greedily, 4 envs, one TensorFlow.js forward pass per step (reference), MLP ${hidden.join("-")}`,
      rate(() => {
        obs.forEach((o, i) => batch.set(o, 4 * i));
        const q = tf.tidy(() => agent.network.apply(tf.tensor2d(batch, [4, 4]), agent.params).argMax(1).dataSync());
        step(q);
        return 4;
      }),
    ]);
    agent.trainStep(); // Adam creates its moments on the first update
    const tensors = tf.memory().numTensors;
    rows.push([`gradient updates/s, batch 64, MLP ${hidden.join("-")}: DqnAgent.trainStep (hand-written backward, flat Adam)`, rate(() => (agent.trainStep(), 1))]);
    if (tf.memory().numTensors !== tensors) throw new Error(`tensors leaked: ${tensors} → ${tf.memory().numTensors}`);
    // The textbook TensorFlow.js update on the same network and batches: autodiff through optimizer.minimize.
    const vars = agent.network.unflatten(agent.theta).map((t) => tf.variable(t));
    const target = agent.network.unflatten(agent.targetTheta);
    const adam = tf.train.adam(1e-3);
    const textbook = () => {
      const b = agent.buffer.sample(64, r);
      tf.tidy(() => {
        const s2 = tf.tensor2d(b.nextStates, [64, 4]);
        const y = tf.add(tf.tensor1d(b.rewards), agent.network.apply(s2, target).max(1).mul(tf.sub(1, tf.tensor1d(b.terminated))).mul(0.99));
        const mask = tf.oneHot(tf.tensor1d(b.actions, "int32"), 2);
        adam.minimize(() => huberLoss(y, agent.network.apply(tf.tensor2d(b.states, [64, 4]), vars).mul(mask).sum(1)), false, vars);
      });
      return 1;
    };
    rows.push([`gradient updates/s, batch 64, MLP ${hidden.join("-")}: optimizer.minimize with autodiff (reference)`, rate(textbook)]);
    tf.dispose([...vars, ...target]);
    adam.dispose();
    agent.dispose();
  }
  console.log(`DQN throughput on ${backend} (${SECONDS} s of CPU each; load average ${loadavg()[0]!.toFixed(1)})`);
  for (const [what, { cpu: c, wall }] of rows) console.log(`  ${what}: ${c.toFixed(0)} per CPU second (${wall.toFixed(0)} per wall second)`);
}

void main();

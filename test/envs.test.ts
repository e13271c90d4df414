import { describe, expect, it } from "vitest";
import { CartPole, DOWN, GraspWorld, LEFT, RIGHT, TOGGLE_GRIPPER, UP, cliffWalking, frozenLake, gridWorld } from "../lib/src/scratch/envs";
import { Random, seed } from "../lib/src/core/random";

/** Runs `steps` random actions from reset(seedValue) and returns everything observed. */
function rollout(env: { nActions: number; reset(s?: number): unknown; step(a: number): { observation: unknown; reward: number; terminated: boolean; truncated: boolean } }, seedValue: number, steps: number) {
  const r = new Random(5);
  const out: unknown[] = [env.reset(seedValue)];
  for (let i = 0; i < steps; i++) {
    const s = env.step(r.int(env.nActions));
    out.push(s);
    if (s.terminated || s.truncated) out.push(env.reset());
  }
  return JSON.stringify(out, (_, v) => (v instanceof Float32Array ? Array.from(v) : v));
}

describe("CartPole-v1", () => {
  it("follows Gymnasium's equations step by step (reference: Gymnasium 1.3.0 from state [0.01, −0.02, 0.03, 0.04])", () => {
    // env.unwrapped.state = [0.01, -0.02, 0.03, 0.04]; actions 1,0,1,1,0,0,1,0,1,1; env.unwrapped.state after each step.
    const reference = [
      [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081],
      [0.013093583914951107, -0.020868848948191993, 0.025938625640799837, 0.0591679999394166],
      [0.012676206935987267, 0.1738717748734813, 0.02712198563958817, -0.22521957255967326],
      [0.016153642433456895, 0.36859581150093934, 0.022617594188394704, -0.509225318312219],
      [0.023525558663475683, 0.17316263692575581, 0.012433087822150324, -0.20950152868114708],
      [0.0269888114019908, -0.02213486334940068, 0.008243057248527383, 0.0870773136085351],
      [0.026546114135002786, 0.17286796720471084, 0.009984603520698085, -0.20299356335440677],
      [0.030003473479097, -0.022395342623891756, 0.00592473225360995, 0.09282222648365457],
      [0.029555566626619165, 0.17264119011507909, 0.007781176783283042, -0.19798557685246437],
      [0.033008390428920745, 0.36765098601918744, 0.0038214652462337543, -0.4882037724625794],
    ];
    const env = new CartPole();
    env.setState([0.01, -0.02, 0.03, 0.04]);
    [1, 0, 1, 1, 0, 0, 1, 0, 1, 1].forEach((a, t) => {
      const r = env.step(a);
      reference[t]!.forEach((v, k) => expect(env.state[k]).toBeCloseTo(v, 14));
      expect(Array.from(r.observation)).toEqual(Array.from(Float32Array.from(reference[t]!)));
      expect(r.reward).toBe(1);
      expect(r.terminated).toBe(false);
    });
  });

  it("matches the hand-derived accelerations at rest: θ̈ = −F/(M l (4/3 − m/M)), ẍ = F/M − m l θ̈/M", () => {
    const env = new CartPole();
    env.setState([0, 0, 0, 0]);
    env.step(1);
    const thetaAcc = -10 / 1.1 / (0.5 * (4 / 3 - 0.1 / 1.1));
    const xAcc = 10 / 1.1 - (0.05 * thetaAcc) / 1.1;
    expect(env.state[1]).toBeCloseTo(0.02 * xAcc, 12);
    expect(env.state[3]).toBeCloseTo(0.02 * thetaAcc, 12);
  });

  it("pushing right from rest topples the pole past 12° on step 9 (Gymnasium: 9 steps, θ = −0.21518604988500967)", () => {
    const env = new CartPole();
    env.setState([0, 0, 0, 0]);
    let n = 0;
    let r;
    do {
      r = env.step(1);
      n++;
    } while (!r.terminated);
    expect(n).toBe(9);
    expect(env.state[2]).toBeCloseTo(-0.21518604988500967, 12);
    expect(r.reward).toBe(1);
    expect(() => env.step(0)).toThrow(/reset/);
  });

  it("terminates at |x| > 2.4, truncates at 500 steps, starts within ±0.05", () => {
    const env = new CartPole();
    env.setState([2.39, 1, 0, 0]);
    expect(env.step(0).terminated).toBe(true); // x = 2.39 + 0.02 > 2.4
    const obs = env.reset(3);
    expect(Array.from(obs).every((v) => Math.abs(v) <= 0.05)).toBe(true);
    const short = new CartPole({ maxEpisodeSteps: 3 });
    short.reset(1);
    const flags = [0, 1, 0].map((a) => short.step(a));
    expect(flags.map((f) => f.truncated)).toEqual([false, false, true]);
    expect(flags[2]!.terminated).toBe(false);
  });

  it("mirror symmetry: the mirrored state with the opposite push gives the mirrored next state", () => {
    const a = new CartPole();
    const b = new CartPole();
    a.setState([0.3, -0.4, 0.1, 0.5]);
    b.setState([-0.3, 0.4, -0.1, -0.5]);
    a.step(1);
    b.step(0);
    for (let k = 0; k < 4; k++) expect(b.state[k]).toBeCloseTo(-a.state[k]!, 14);
  });
});

describe("grid worlds", () => {
  it("FrozenLake's model is Gymnasium's (P[6][1], P[14][2], P[0][0], reference Gymnasium 1.3.0)", () => {
    const env = frozenLake();
    const third = 1 / 3;
    expect(env.P[6]![DOWN]!.map((t) => [t.next, t.reward, t.terminated])).toEqual([[5, 0, true], [10, 0, false], [7, 0, true]]);
    expect(env.P[14]![RIGHT]!.map((t) => [t.next, t.reward, t.terminated])).toEqual([[14, 0, false], [15, 1, true], [10, 0, false]]);
    expect(env.P[0]![LEFT]!.map((t) => t.next)).toEqual([0, 0, 4]);
    for (const row of env.P) for (const outcomes of row) expect(outcomes.reduce((s, t) => s + t.p, 0)).toBeCloseTo(1, 12);
    expect(env.P[5]![UP]).toEqual([{ p: 1, next: 5, reward: 0, terminated: true }]); // a hole is absorbing
    expect(env.P[0]![LEFT]![1]!.p).toBeCloseTo(third, 15);
    expect(env.maxEpisodeSteps).toBe(100);
  });

  it("slippery steps follow 1/3, 1/3, 1/3 and the 100-step limit truncates", () => {
    const env = frozenLake();
    env.reset(1);
    const counts = new Map<number, number>();
    for (let i = 0; i < 30000; i++) {
      env.reset();
      const s = env.step(RIGHT).observation; // from 0: right → 1, down → 4, up → 0
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    for (const s of [0, 1, 4]) expect(counts.get(s)! / 30000).toBeCloseTo(1 / 3, 1);
    const stuck = frozenLake();
    stuck.reset(2);
    let r;
    let n = 0;
    // LEFT then UP alternately from the corner: never leaves row 0/col 0 through the holes? it can slip down; count until the end.
    do {
      r = stuck.step(n % 2 === 0 ? LEFT : UP);
      n++;
    } while (!r.terminated && !r.truncated);
    expect(n).toBeLessThanOrEqual(100);
    if (!r.terminated) expect(n).toBe(100);
  });

  it("the cliff walk: −1 per step, −100 and back to the start off the cliff (Gymnasium's P[36])", () => {
    const env = cliffWalking();
    expect(env.start).toBe(36);
    expect(env.P[36]![RIGHT]).toEqual([{ p: 1, next: 36, reward: -100, terminated: false }]);
    expect(env.P[36]![UP]).toEqual([{ p: 1, next: 24, reward: -1, terminated: false }]);
    expect(env.P[35]![DOWN]).toEqual([{ p: 1, next: 47, reward: -1, terminated: true }]);
  });

  it("the small grid: walls stop moves, the trap and the goal end the episode", () => {
    const env = gridWorld();
    expect(env.move(1, DOWN)).toBe(1); // the wall below (1, 1)
    env.reset(0);
    const path = [RIGHT, RIGHT, DOWN, DOWN, RIGHT].map((a) => env.step(a));
    expect(path.map((p) => p.observation)).toEqual([1, 2, 6, 10, 11]);
    expect(path[4]).toEqual({ observation: 11, reward: 1, terminated: true, truncated: false });
    env.reset();
    [RIGHT, RIGHT, RIGHT].forEach((a) => env.step(a));
    expect(env.step(DOWN)).toEqual({ observation: 7, reward: -1, terminated: true, truncated: false });
  });
});

describe("the grasping world", () => {
  it("rewards: +1 closer, −1 farther, −0.2 more with the gripper closed, +100 for closing on the ball", () => {
    const env = new GraspWorld();
    env.reset(4);
    const d = () => Math.hypot(env.gripper()[0] - env.ball[0], env.gripper()[1] - env.ball[1]);
    for (let a = 0; a < 6; a++) {
      const before = d();
      const r = env.step(a);
      expect(r.reward).toBe(d() < before ? 1 : d() > before ? -1 : 0);
    }
    env.step(TOGGLE_GRIPPER); // close, away from the ball
    expect(env.closed).toBe(true);
    const before = d();
    const r = env.step(0);
    expect(r.reward).toBeCloseTo((d() < before ? 1 : -1) - 0.2, 12);
    // Put the gripper on the ball: the pose that placed it is reachable; search it exhaustively.
    const env2 = new GraspWorld();
    env2.reset(9);
    const { dx, dy } = env2.decode(env2.observe());
    expect(Math.max(Math.abs(dx), Math.abs(dy))).toBeGreaterThan(0);
    let found = false;
    for (let i = 0; i <= 36 && !found; i++) for (let j = -30; j <= 30 && !found; j++) for (let k = -30; k <= 30 && !found; k++) {
      const [gx, gy] = env2.gripper([i, j, k]);
      if (Math.hypot(gx - env2.ball[0], gy - env2.ball[1]) < 1e-9) {
        env2.joints.set([i, j, k]);
        found = true;
      }
    }
    expect(found).toBe(true);
    expect(env2.decode(env2.observe())).toEqual({ dx: 0, dy: 0, closed: false });
    expect(env2.step(TOGGLE_GRIPPER)).toEqual({ observation: env2.observe(), reward: 100, terminated: true, truncated: false });
  });

  it("has 49·49·2 states, 7 actions, and packs Δx, Δy, gripper reversibly", () => {
    const env = new GraspWorld();
    expect(env.nStates).toBe(49 * 49 * 2);
    expect(env.nActions).toBe(7);
    for (const s of [0, 1, 77, 4801]) {
      const { dx, dy, closed } = env.decode(s);
      expect(((dx + 24) * 49 + dy + 24) * 2 + (closed ? 1 : 0)).toBe(s);
    }
  });
});

describe("seeding", () => {
  it("the same seed gives the same episodes; another seed, others; unseeded resets follow seed(n)", () => {
    for (const make of [() => new CartPole(), () => frozenLake(), () => new GraspWorld()]) {
      expect(rollout(make(), 3, 300)).toBe(rollout(make(), 3, 300));
      expect(rollout(make(), 3, 300)).not.toBe(rollout(make(), 4, 300));
    }
    const run = () => {
      seed(11);
      const env = new CartPole();
      return Array.from(env.reset());
    };
    expect(run()).toEqual(run());
  });
});

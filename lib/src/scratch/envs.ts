/**
 * Environments (ambienti) for reinforcement learning behind one interface in the style of Gymnasium:
 * `reset(seed)` returns the first observation, `step(action)` returns { observation, reward,
 * terminated, truncated }. A small grid world, FrozenLake 4×4 (Gymnasium's map and slippery
 * dynamics), a cliff walk (Sutton and Barto's, as Gymnasium's CliffWalking), CartPole-v1 (Gymnasium's
 * equations, constants, termination and 500-step limit) and the lecture's grasping task as a small
 * discretised reach-and-grasp world. Plain TypeScript: no TensorFlow.js. Each environment draws from
 * its own seeded generator: `reset(seed)` re-seeds it, `reset()` continues its stream (the first
 * unseeded reset takes a seed from the course's global generator, so `seed(n)` fixes everything).
 * Notebook 08 (lecture 004, reinforcement learning).
 */
import { Random, rng } from "../core/random";

/** What `step` returns, as Gymnasium's `step` (without `info`). Notebook 08 (lecture 004, reinforcement learning). */
export interface StepResult<Obs> {
  /** The new state s_{t+1} as the agent observes it. */
  observation: Obs;
  /** The reward (ricompensa) r_{t+1}. */
  reward: number;
  /** The episode ended inside the task (goal, hole, fallen pole): no future rewards follow. */
  terminated: boolean;
  /** The episode was cut by the time limit: the state still has a future, bootstrap from it. */
  truncated: boolean;
}

/** An environment with a discrete action space. Notebook 08 (lecture 004, reinforcement learning). */
export interface Env<Obs> {
  /** Number of actions; actions are 0, 1, …, nActions − 1. */
  readonly nActions: number;
  /** Step limit of an episode (`truncated` when reached), Infinity when none. */
  readonly maxEpisodeSteps: number;
  /** Starts an episode and returns s₀; with a seed, re-seeds the environment's generator first. */
  reset(seed?: number): Obs;
  /** Applies an action and returns the quadruple's rest: s_{t+1}, r_{t+1}, terminated, truncated. */
  step(action: number): StepResult<Obs>;
}

/** One outcome of an action in a known model: probability, next state, reward, terminated. Notebook 08 (lecture 004, Bellman). */
export interface Transition {
  p: number;
  next: number;
  reward: number;
  terminated: boolean;
}

/**
 * An environment with finitely many states (observations 0 … nStates − 1) whose model is known:
 * `P[s][a]` lists the outcomes of action a in state s, as Gymnasium's toy-text `env.P`.
 * Value iteration and policy evaluation read it. Notebook 08 (lecture 004, Q-learning).
 */
export interface DiscreteEnv extends Env<number> {
  readonly nStates: number;
  readonly P: readonly (readonly (readonly Transition[])[])[];
  /** The start state s₀. */
  readonly start: number;
}

function checkAction(action: number, n: number): void {
  if (!Number.isInteger(action) || action < 0 || action >= n) {
    throw new RangeError(`action must be an integer in 0…${n - 1}, got ${action}`);
  }
}

/** The seeding rule shared by every environment: a seed re-seeds, no seed continues (or seeds from `rng()` once). */
class Seeded {
  private generator: Random | undefined;
  reseed(seed?: number): Random {
    if (seed !== undefined) this.generator = new Random(seed);
    else this.generator ??= new Random(rng().nextUint32());
    return this.generator;
  }
  get random(): Random {
    return this.reseed();
  }
}

// ---------------------------------------------------------------------------------------------
// Grid worlds: FrozenLake, the cliff walk, a small grid world

/** Grid actions, in Gymnasium FrozenLake's numbering. Notebook 08 (lecture 004, reinforcement learning). */
export const LEFT = 0;
/** Move one row down. Notebook 08 (lecture 004). */
export const DOWN = 1;
/** Move one column right. Notebook 08 (lecture 004). */
export const RIGHT = 2;
/** Move one row up. Notebook 08 (lecture 004). */
export const UP = 3;
/** Arrows for the four grid actions, indexed by action. Notebook 08 (lecture 004). */
export const ARROWS: readonly string[] = ["←", "↓", "→", "↑"];

/** Options of a grid world. Notebook 08 (lecture 004, reinforcement learning). */
export interface GridWorldOptions {
  /**
   * Rows of tiles: `S` start, `F` or `.` floor, `H` hole (or cliff), `G` goal, `#` wall (moving into it,
   * as into the border, leaves the agent where it is).
   */
  map: readonly string[];
  /**
   * Probability of moving in the intended direction; the rest is split equally between the two
   * perpendicular directions (Gymnasium's `success_rate`, 1/3 in FrozenLake). 1 (default): deterministic.
   */
  successRate?: number;
  /** Reward for entering the goal (default 1). */
  goalReward?: number;
  /** Reward for entering a hole (default 0). */
  holeReward?: number;
  /** Reward for entering any other tile (default 0). */
  stepReward?: number;
  /** "terminate" (default, FrozenLake): a hole ends the episode; "restart" (cliff walk): back to the start, the episode goes on. */
  holes?: "terminate" | "restart";
  /** Time limit in steps (Gymnasium's `max_episode_steps`; default none). */
  maxEpisodeSteps?: number;
}

/**
 * A grid world with a known model: FrozenLake, the cliff walk and the notebook's small grid are all
 * instances. States are numbered row · columns + column. Notebook 08 (lecture 004, reinforcement learning).
 */
export class GridWorld implements DiscreteEnv {
  readonly nActions = 4;
  readonly nStates: number;
  readonly rows: number;
  readonly cols: number;
  readonly map: readonly string[];
  readonly start: number;
  readonly maxEpisodeSteps: number;
  readonly P: Transition[][][];
  private readonly seeded = new Seeded();
  private s = -1;
  private elapsed = 0;
  private over = true;

  constructor(options: GridWorldOptions) {
    const { map, successRate = 1, goalReward = 1, holeReward = 0, stepReward = 0, holes = "terminate" } = options;
    this.map = map.map((row) => row.replace(/\./g, "F"));
    this.rows = map.length;
    this.cols = map[0]?.length ?? 0;
    if (this.rows === 0 || this.cols === 0 || !this.map.every((r) => r.length === this.cols && /^[SFHG#]+$/.test(r))) {
      throw new Error(`map must be equally long rows of S, F (or .), H, G, #; got ${JSON.stringify(map)}`);
    }
    const starts = this.map.join("").split("").flatMap((c, i) => (c === "S" ? [i] : []));
    if (starts.length !== 1) throw new Error(`map must have exactly one start S, found ${starts.length}`);
    if (!(successRate > 0 && successRate <= 1)) throw new RangeError(`successRate must be in (0, 1], got ${successRate}`);
    this.start = starts[0]!;
    this.nStates = this.rows * this.cols;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? Infinity;
    const failRate = (1 - successRate) / 2;
    this.P = [];
    for (let s = 0; s < this.nStates; s++) {
      const tile = this.tile(s);
      const row: Transition[][] = [];
      for (let a = 0; a < 4; a++) {
        if (tile === "G" || tile === "#" || (tile === "H" && holes === "terminate")) {
          row.push([{ p: 1, next: s, reward: 0, terminated: true }]);
          continue;
        }
        const moves = successRate === 1 ? [a] : [(a + 3) % 4, a, (a + 1) % 4];
        row.push(
          moves.map((b) => {
            const p = successRate === 1 ? 1 : b === a ? successRate : failRate;
            const next = this.move(s, b);
            const t = this.tile(next);
            if (t === "G") return { p, next, reward: goalReward, terminated: true };
            if (t === "H") return holes === "terminate" ? { p, next, reward: holeReward, terminated: true } : { p, next: this.start, reward: holeReward, terminated: false };
            return { p, next, reward: stepReward, terminated: false };
          }),
        );
      }
      this.P.push(row);
    }
  }

  /** The tile letter of state s (S, F, H, G or #). */
  tile(s: number): string {
    return this.map[Math.floor(s / this.cols)]![s % this.cols]!;
  }

  /** [row, column] of state s. */
  rowCol(s: number): [number, number] {
    return [Math.floor(s / this.cols), s % this.cols];
  }

  /** Where action a leads from s on the map, ignoring slips: borders and walls stop the move. */
  move(s: number, a: number): number {
    let [r, c] = this.rowCol(s);
    if (a === LEFT) c = Math.max(c - 1, 0);
    else if (a === DOWN) r = Math.min(r + 1, this.rows - 1);
    else if (a === RIGHT) c = Math.min(c + 1, this.cols - 1);
    else if (a === UP) r = Math.max(r - 1, 0);
    const next = r * this.cols + c;
    return this.tile(next) === "#" ? s : next;
  }

  /** The current state (after `reset`). */
  get state(): number {
    return this.s;
  }

  reset(seed?: number): number {
    this.seeded.reseed(seed);
    this.s = this.start;
    this.elapsed = 0;
    this.over = false;
    return this.s;
  }

  step(action: number): StepResult<number> {
    if (this.over) throw new Error("the episode is over (or never started): call reset() first");
    checkAction(action, 4);
    const outcomes = this.P[this.s]![action]!;
    // Gymnasium's categorical_sample: the first outcome whose cumulative probability exceeds u.
    let i = 0;
    if (outcomes.length > 1) {
      const u = this.seeded.random.uniform();
      let cum = 0;
      for (i = 0; i < outcomes.length - 1; i++) {
        cum += outcomes[i]!.p;
        if (cum > u) break;
      }
    }
    const o = outcomes[i]!;
    this.s = o.next;
    this.elapsed++;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    this.over = o.terminated || truncated;
    return { observation: o.next, reward: o.reward, terminated: o.terminated, truncated };
  }
}

/** Gymnasium's FrozenLake 4×4 map. Notebook 08 (lecture 004, reinforcement learning). */
export const FROZEN_LAKE_4X4: readonly string[] = ["SFFF", "FHFH", "FFFH", "HFFG"];

/**
 * FrozenLake-v1 as Gymnasium registers it: the 4×4 map, slippery (the intended direction with
 * probability 1/3, each perpendicular one with 1/3), reward 1 at the goal and 0 elsewhere, holes end
 * the episode, 100-step limit. Notebook 08 (lecture 004, Q-learning).
 */
export function frozenLake(options: { slippery?: boolean; maxEpisodeSteps?: number } = {}): GridWorld {
  return new GridWorld({
    map: FROZEN_LAKE_4X4,
    successRate: options.slippery === false ? 1 : 1 / 3,
    maxEpisodeSteps: options.maxEpisodeSteps ?? 100,
  });
}

/**
 * The cliff walk (Sutton and Barto, Example 6.6; Gymnasium's CliffWalking-v1): a 4×12 grid, start
 * bottom-left, goal bottom-right, the cliff between them; −1 per step, −100 and back to the start
 * for stepping off the cliff. Actions use FrozenLake's numbering (Gymnasium's CliffWalking numbers
 * them up, right, down, left). Notebook 08 (lecture 004, SARSA against Q-learning).
 */
export function cliffWalking(options: { maxEpisodeSteps?: number } = {}): GridWorld {
  return new GridWorld({
    map: ["FFFFFFFFFFFF", "FFFFFFFFFFFF", "FFFFFFFFFFFF", "SHHHHHHHHHHG"],
    goalReward: -1,
    holeReward: -100,
    stepReward: -1,
    holes: "restart",
    maxEpisodeSteps: options.maxEpisodeSteps,
  });
}

/** The notebook's small deterministic grid world's map: a wall, a trap (−1) and the goal (+1). Notebook 08 (lecture 004). */
export const SMALL_GRID: readonly string[] = ["SFFF", "F#FH", "FFFG"];

/**
 * A small deterministic grid world: 3×4 tiles, a wall, a trap (reward −1, the episode ends) and the
 * goal (reward +1); 0 for every other move. Notebook 08 (lecture 004, discounted return and Bellman).
 */
export function gridWorld(options: { maxEpisodeSteps?: number } = {}): GridWorld {
  return new GridWorld({ map: SMALL_GRID, goalReward: 1, holeReward: -1, maxEpisodeSteps: options.maxEpisodeSteps ?? 50 });
}

// ---------------------------------------------------------------------------------------------
// CartPole-v1

/**
 * CartPole-v1 (Barto, Sutton and Anderson, 1983) with Gymnasium's constants, equations (explicit
 * Euler, τ = 0.02 s), start (every state variable uniform in ±0.05), reward (+1 per step, the last
 * one included), termination (|x| > 2.4 or |θ| > 12°) and 500-step limit. The state is kept in
 * float64, the observation [x, ẋ, θ, θ̇] is returned in float32, as Gymnasium does. Actions: 0 pushes
 * the cart left, 1 right, with 10 N. Notebook 08 (lecture 004, deep Q-learning and cart-pole).
 */
export class CartPole implements Env<Float32Array> {
  static readonly gravity = 9.8;
  static readonly massCart = 1.0;
  static readonly massPole = 0.1;
  static readonly totalMass = 1.1;
  /** Half the pole's length, m. */
  static readonly length = 0.5;
  static readonly poleMassLength = 0.05;
  static readonly forceMag = 10.0;
  /** Seconds between state updates. */
  static readonly tau = 0.02;
  /** 12° in radians: the pole may tilt this far. */
  static readonly thetaThreshold = (12 * 2 * Math.PI) / 360;
  static readonly xThreshold = 2.4;

  readonly nActions = 2;
  readonly maxEpisodeSteps: number;
  /** The current state [x, ẋ, θ, θ̇] in float64. */
  readonly state = new Float64Array(4);
  private readonly seeded = new Seeded();
  private elapsed = 0;
  private over = true;

  constructor(options: { maxEpisodeSteps?: number } = {}) {
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 500;
  }

  reset(seed?: number): Float32Array {
    const random = this.seeded.reseed(seed);
    for (let i = 0; i < 4; i++) this.state[i] = random.uniform(-0.05, 0.05);
    this.elapsed = 0;
    this.over = false;
    return Float32Array.from(this.state);
  }

  /** Puts the system in a given state (for tests and drawings) and starts an episode there. */
  setState(state: ArrayLike<number>): void {
    for (let i = 0; i < 4; i++) this.state[i] = state[i]!;
    this.elapsed = 0;
    this.over = false;
  }

  step(action: number): StepResult<Float32Array> {
    if (this.over) throw new Error("the episode is over (or never started): call reset() first");
    checkAction(action, 2);
    let [x, xDot, theta, thetaDot] = this.state as unknown as [number, number, number, number];
    const C = CartPole;
    const force = action === 1 ? C.forceMag : -C.forceMag;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + C.poleMassLength * thetaDot * thetaDot * sin) / C.totalMass;
    const thetaAcc = (C.gravity * sin - cos * temp) / (C.length * (4 / 3 - (C.massPole * cos * cos) / C.totalMass));
    const xAcc = temp - (C.poleMassLength * thetaAcc * cos) / C.totalMass;
    x = x + C.tau * xDot;
    xDot = xDot + C.tau * xAcc;
    theta = theta + C.tau * thetaDot;
    thetaDot = thetaDot + C.tau * thetaAcc;
    this.state.set([x, xDot, theta, thetaDot]);
    const terminated = x < -C.xThreshold || x > C.xThreshold || theta < -C.thetaThreshold || theta > C.thetaThreshold;
    this.elapsed++;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    this.over = terminated || truncated;
    return { observation: Float32Array.from(this.state), reward: 1, terminated, truncated };
  }
}

// ---------------------------------------------------------------------------------------------
// The lecture's grasping task, discretised

/** Options of `GraspWorld`. Notebook 08 (lecture 004, Q-learning: the grasping example). */
export interface GraspOptions {
  /** Lengths of the three links (default [1, 0.8, 0.6]). */
  links?: readonly [number, number, number];
  /** Joint step per action, degrees (default 5). */
  stepDegrees?: number;
  /** Size of one cell of the observed Δx, Δy (default 0.1). */
  cell?: number;
  /** Largest |Δx|, |Δy| observed, in cells (default 24; farther is clipped). */
  maxCells?: number;
  /** Time limit in steps (default 100). */
  maxEpisodeSteps?: number;
}

/** Gripper action: open it if closed, close it if open. Notebook 08 (lecture 004, grasping). */
export const TOGGLE_GRIPPER = 6;

/**
 * The lecture's grasping example as a small 2-D world. A planar arm with three joints and a gripper
 * must grasp a ball on a pedestal at a random position. State (what the agent sees): the gripper's
 * Δx, Δy from the ball, each rounded to a cell and clipped, and whether the gripper is closed.
 * 7 actions: turn joint 1, 2 or 3 by +step or −step (actions 0–5: joint ⌊a/2⌋, + for even a) and
 * toggle the gripper (6). Rewards: +1 for a move that brings the gripper closer to the ball, −1 for
 * one that takes it farther, −0.2 more for moving with the gripper closed, +100 for closing the
 * gripper on the ball (its cell is Δ = (0, 0)), which wins and ends the episode; 0 otherwise.
 *
 * Simplified against the lecture's Box2D simulation: kinematics only (a joint turns by a fixed step
 * at once; no masses, gravity, contacts or collisions: the arm may pass through the pedestal), joint
 * limits instead of a floor, a grasp is closing the gripper within half a cell of the ball, and the
 * ball is placed where some joint configuration on the step grid reaches it exactly (so every
 * episode can be won). The arm always starts upright with the gripper open. Like the lecture's, the
 * state does not show the arm's joint angles, so different arm poses look the same to the agent.
 * Notebook 08 (lecture 004, Q-learning: the grasping example).
 */
export class GraspWorld implements Env<number> {
  readonly nActions = 7;
  readonly nStates: number;
  readonly maxEpisodeSteps: number;
  readonly links: readonly [number, number, number];
  readonly cell: number;
  readonly maxCells: number;
  /** Joint angles in steps: joint 1 from the horizontal, joints 2 and 3 relative to the previous link. */
  readonly joints = new Int32Array(3);
  /** The ball's position [X, Y]. */
  readonly ball: [number, number] = [0, 0];
  closed = false;
  private readonly step0: number;
  private readonly limits: readonly [number, number][];
  private readonly seeded = new Seeded();
  private elapsed = 0;
  private over = true;

  constructor(options: GraspOptions = {}) {
    this.links = options.links ?? [1, 0.8, 0.6];
    this.step0 = ((options.stepDegrees ?? 5) * Math.PI) / 180;
    this.cell = options.cell ?? 0.1;
    this.maxCells = options.maxCells ?? 24;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 100;
    const side = 2 * this.maxCells + 1;
    this.nStates = side * side * 2;
    const deg = (d: number) => Math.round((d * Math.PI) / 180 / this.step0);
    this.limits = [[deg(0), deg(180)], [deg(-150), deg(150)], [deg(-150), deg(150)]];
  }

  /** Joint positions from the base to the gripper: [[0, 0], elbow, wrist, gripper]. */
  points(joints: ArrayLike<number> = this.joints): [number, number][] {
    const out: [number, number][] = [[0, 0]];
    let angle = 0;
    let [x, y] = [0, 0];
    for (let i = 0; i < 3; i++) {
      angle += joints[i]! * this.step0;
      x += this.links[i]! * Math.cos(angle);
      y += this.links[i]! * Math.sin(angle);
      out.push([x, y]);
    }
    return out;
  }

  /** The gripper's position. */
  gripper(joints: ArrayLike<number> = this.joints): [number, number] {
    return this.points(joints)[3]!;
  }

  private distance(): number {
    const [gx, gy] = this.gripper();
    return Math.hypot(gx - this.ball[0], gy - this.ball[1]);
  }

  /** The observed cells (Δx, Δy) and the gripper, packed as one state index. */
  observe(): number {
    const [gx, gy] = this.gripper();
    const clip = (d: number) => Math.max(-this.maxCells, Math.min(this.maxCells, Math.round(d / this.cell)));
    const side = 2 * this.maxCells + 1;
    const dx = clip(gx - this.ball[0]) + this.maxCells;
    const dy = clip(gy - this.ball[1]) + this.maxCells;
    return (dx * side + dy) * 2 + (this.closed ? 1 : 0);
  }

  /** The parts of a state index: Δx and Δy in cells, and whether the gripper is closed. */
  decode(state: number): { dx: number; dy: number; closed: boolean } {
    const side = 2 * this.maxCells + 1;
    const closed = state % 2 === 1;
    const rest = Math.floor(state / 2);
    return { dx: Math.floor(rest / side) - this.maxCells, dy: (rest % side) - this.maxCells, closed };
  }

  reset(seed?: number): number {
    const random = this.seeded.reseed(seed);
    // The ball where a random reachable pose puts the gripper, in front of the arm and above the floor.
    for (;;) {
      const pose = this.limits.map(([lo, hi]) => random.int(lo, hi + 1));
      const [bx, by] = this.gripper(pose);
      if (bx >= 0.6 && bx <= 2.0 && by >= 0.2 && by <= 1.2) {
        this.ball[0] = bx;
        this.ball[1] = by;
        break;
      }
    }
    this.joints.set([this.limits[0]![1] / 2, 0, 0]);
    this.closed = false;
    this.elapsed = 0;
    this.over = false;
    return this.observe();
  }

  step(action: number): StepResult<number> {
    if (this.over) throw new Error("the episode is over (or never started): call reset() first");
    checkAction(action, 7);
    let reward = 0;
    let terminated = false;
    if (action === TOGGLE_GRIPPER) {
      const { dx, dy } = this.decode(this.observe());
      if (!this.closed && dx === 0 && dy === 0) {
        reward = 100;
        terminated = true;
      }
      this.closed = !this.closed;
    } else {
      const joint = action >> 1;
      const before = this.distance();
      const [lo, hi] = this.limits[joint]!;
      this.joints[joint] = Math.max(lo, Math.min(hi, this.joints[joint]! + (action % 2 === 0 ? 1 : -1)));
      const after = this.distance();
      reward = after < before - 1e-12 ? 1 : after > before + 1e-12 ? -1 : 0;
      if (this.closed) reward -= 0.2;
    }
    this.elapsed++;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    this.over = terminated || truncated;
    return { observation: this.observe(), reward, terminated, truncated };
  }
}

/**
 * Pictures for reinforcement learning: a grid world's values and policy, the cart-pole and the
 * grasping arm drawn and animated (plotly frames with play and slider), and a live progress display for
 * training loops that count episodes or steps instead of epochs. Pure functions of plain arrays
 * (the environments stay out of display/). Notebook 08 (lecture 004, reinforcement learning).
 */
import { randomBytes } from "crypto";
import { displayBundle, inKernel } from "../runtime/tslab";
import { escapeHtml, showFigure } from "./display";
import { lineChart, type LineChartOptions, type Series } from "./charts";
import { COLORS, FONT_FAMILY, SEQUENTIAL_SCALE, type Figure, type Trace } from "./style";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function named(fig: Figure, name: string | undefined): Figure {
  if (name === undefined) return fig;
  if (!NAME_PATTERN.test(name)) throw new Error(`figure name "${name}" is not usable as a file name: use letters, digits, "-" and "_"`);
  return { name, ...fig };
}

function layoutBase(title: string | undefined, height: number, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(title === undefined ? {} : { title: { text: title, x: 0.02, xanchor: "left" } }),
    font: { family: FONT_FAMILY, size: 14, color: "#222222" },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    margin: { l: 40, r: 20, t: title === undefined ? 30 : 60, b: 40 },
    height,
    showlegend: false,
    ...extra,
  };
}

/** Options of `gridFigure`. Notebook 08 (lecture 004). */
export interface GridFigureOptions {
  /** A value per state (row-major), shown as colour and printed. */
  values?: ArrayLike<number>;
  /** An action per state, drawn with `arrows` (default ← ↓ → ↑, FrozenLake's numbering). */
  policy?: ArrayLike<number>;
  arrows?: readonly string[];
  /** d3 format of the printed values (default ".2f"). */
  format?: string;
  name?: string;
  title?: string;
  height?: number;
}

/**
 * A grid world as a heatmap: each tile shows its letter (S start, H hole, G goal, # wall), the
 * policy's arrow and the state's value. Notebook 08 (lecture 004, Q-learning and value iteration).
 */
export function gridFigure(map: readonly string[], options: GridFigureOptions = {}): Figure {
  const rows = map.length;
  const cols = map[0]!.length;
  const arrows = options.arrows ?? ["←", "↓", "→", "↑"];
  const fmt = options.format ?? ".2f";
  const decimals = Number(/\.(\d+)/.exec(fmt)?.[1] ?? 2);
  const z: (number | null)[][] = [];
  const text: string[][] = [];
  for (let r = 0; r < rows; r++) {
    z.push([]);
    text.push([]);
    for (let c = 0; c < cols; c++) {
      const s = r * cols + c;
      const tile = map[r]![c]!;
      const v = options.values?.[s];
      z[r]!.push(tile === "#" ? null : v ?? 0);
      const parts: string[] = [];
      if (tile !== "F" && tile !== ".") parts.push(`<b>${tile}</b>`);
      if (options.policy !== undefined && tile !== "G" && tile !== "H" && tile !== "#") parts.push(`<span style="font-size:22px">${arrows[options.policy[s]!] ?? "?"}</span>`);
      if (v !== undefined && tile !== "#") parts.push(v.toFixed(decimals));
      text[r]!.push(parts.join("<br>"));
    }
  }
  const trace: Trace = {
    type: "heatmap",
    z,
    text,
    texttemplate: "%{text}",
    hovertemplate: "row %{y}, column %{x}: %{z}<extra></extra>",
    colorscale: SEQUENTIAL_SCALE,
    showscale: options.values !== undefined,
    colorbar: { thickness: 12 },
    textfont: { size: 15 },
    xgap: 2,
    ygap: 2,
  };
  return named(
    {
      data: [trace],
      layout: layoutBase(options.title, options.height ?? 70 * rows + 90, {
        xaxis: { showgrid: false, zeroline: false, tickvals: Array.from({ length: cols }, (_, i) => i), scaleanchor: "y", constrain: "domain" },
        yaxis: { showgrid: false, zeroline: false, autorange: "reversed", tickvals: Array.from({ length: rows }, (_, i) => i) },
      }),
    },
    options.name,
  );
}

/** Play/pause buttons and a frame slider for an animation of `n` frames. */
function animationControls(names: string[], frameMs: number, label: (i: number) => string): Record<string, unknown> {
  return {
    updatemenus: [
      {
        type: "buttons",
        showactive: false,
        x: 0,
        y: -0.08,
        xanchor: "left",
        yanchor: "top",
        direction: "right",
        buttons: [
          { label: "▶ play", method: "animate", args: [null, { frame: { duration: frameMs, redraw: false }, transition: { duration: 0 }, fromcurrent: true, mode: "immediate" }] },
          { label: "❚❚ pause", method: "animate", args: [[null], { frame: { duration: 0, redraw: false }, transition: { duration: 0 }, mode: "immediate" }] },
        ],
      },
    ],
    sliders: [
      {
        x: 0.25,
        len: 0.75,
        y: -0.05,
        pad: { t: 0 },
        currentvalue: { prefix: "", font: { size: 12 } },
        steps: names.map((n, i) => ({ label: label(i), method: "animate", args: [[n], { frame: { duration: 0, redraw: false }, transition: { duration: 0 }, mode: "immediate" }] })),
      },
    ],
  };
}

/** Options of `cartPoleFigure`. Notebook 08 (lecture 004, cart-pole). */
export interface CartPoleFigureOptions {
  /** Draw every k-th state (default: as many as keep ≤ 250 frames). */
  every?: number;
  /** The pole's full length in the drawing (default 1 m = 2 × CartPole's half length 0.5). */
  poleLength?: number;
  /** Where the track ends (default 2.4, CartPole's termination). */
  xThreshold?: number;
  /** Seconds between states (default 0.02, CartPole's τ). */
  tau?: number;
  name?: string;
  title?: string;
  height?: number;
}

function cartTraces(x: number, theta: number, pole: number): Trace[] {
  const w = 0.25;
  const h = 0.15;
  return [
    { x: [x - w, x + w, x + w, x - w, x - w], y: [-h, -h, h, h, -h] },
    { x: [x, x + pole * Math.sin(theta)], y: [h, h + pole * Math.cos(theta)] },
  ];
}

/**
 * The cart-pole (carrello–palo) drawn from its states [x, ẋ, θ, θ̇]: the cart on its track between
 * ±2.4 and the pole at angle θ from the vertical, animated over the episode (play, pause, slider).
 * Notebook 08 (lecture 004, deep Q-learning: cart-pole).
 */
export function cartPoleFigure(states: readonly ArrayLike<number>[], options: CartPoleFigureOptions = {}): Figure {
  if (states.length === 0) throw new Error("cartPoleFigure: no states given");
  const pole = options.poleLength ?? 1;
  const limit = options.xThreshold ?? 2.4;
  const tau = options.tau ?? 0.02;
  const every = options.every ?? Math.max(1, Math.ceil(states.length / 250));
  const picked: number[] = [];
  for (let i = 0; i < states.length; i += every) picked.push(i);
  if (picked[picked.length - 1] !== states.length - 1) picked.push(states.length - 1);
  const [cart0, pole0] = cartTraces(states[0]![0]!, states[0]![2]!, pole);
  const data: Trace[] = [
    { type: "scatter", mode: "lines", ...cart0, fill: "toself", fillcolor: COLORS[0], line: { color: "#222222", width: 1 }, name: "cart", hoverinfo: "skip" },
    { type: "scatter", mode: "lines+markers", ...pole0, line: { color: COLORS[1], width: 8 }, marker: { size: [10, 6], color: "#222222" }, name: "pole", hoverinfo: "skip" },
    { type: "scatter", mode: "lines", x: [-limit - 0.3, limit + 0.3], y: [-0.16, -0.16], line: { color: "#888888", width: 2 }, hoverinfo: "skip" },
    { type: "scatter", mode: "lines", x: [-limit, -limit, null, limit, limit], y: [-0.3, 1.3, null, -0.3, 1.3], line: { color: COLORS[1], width: 1, dash: "dash" }, hoverinfo: "skip" },
  ];
  const names = picked.map((i) => `t${i}`);
  const frames = picked.map((i, k) => ({ name: names[k]!, data: cartTraces(states[i]![0]!, states[i]![2]!, pole), traces: [0, 1] }));
  return named(
    {
      data,
      layout: layoutBase(options.title, options.height ?? 380, {
        xaxis: { range: [-limit - 0.3, limit + 0.3], zeroline: false, showgrid: false, ticksuffix: " m" },
        yaxis: { range: [-0.35, 1.35], zeroline: false, showgrid: false, showticklabels: false, scaleanchor: "x" },
        margin: { l: 20, r: 20, t: options.title === undefined ? 30 : 60, b: 110 },
        ...animationControls(names, 1000 * tau * every, (k) => `${(picked[k]! * tau).toFixed(2)} s`),
      }),
      frames,
    },
    options.name,
  );
}

/** One drawn pose of the grasping arm: its joint points from the base to the gripper, and the gripper's state. Notebook 08 (lecture 004, grasping). */
export interface ArmPose {
  points: readonly (readonly [number, number])[];
  closed: boolean;
}

/**
 * The grasping task's arm animated over an episode: the links, the gripper (open ○, closed ●), the
 * ball on its pedestal. Notebook 08 (lecture 004, Q-learning: the grasping example).
 */
export function armFigure(poses: readonly ArmPose[], ball: readonly [number, number], options: { name?: string; title?: string; height?: number; frameMs?: number } = {}): Figure {
  if (poses.length === 0) throw new Error("armFigure: no poses given");
  const reach = Math.max(...poses[0]!.points.slice(1).map((p, i) => Math.hypot(p[0] - poses[0]!.points[i]![0], p[1] - poses[0]!.points[i]![1]))) * 3;
  const armTraces = (p: ArmPose): Trace[] => [
    { x: p.points.map((q) => q[0]), y: p.points.map((q) => q[1]) },
    { x: [p.points[p.points.length - 1]![0]], y: [p.points[p.points.length - 1]![1]], marker: { size: 16, color: p.closed ? COLORS[1] : "rgba(0,0,0,0)", line: { color: COLORS[1], width: 3 } } },
  ];
  const [arm0, grip0] = armTraces(poses[0]!);
  const data: Trace[] = [
    { type: "scatter", mode: "lines+markers", ...arm0, line: { color: COLORS[0], width: 7 }, marker: { size: 9, color: "#222222" }, hoverinfo: "skip" },
    { type: "scatter", mode: "markers", ...grip0, hoverinfo: "skip" },
    { type: "scatter", mode: "lines", x: [ball[0], ball[0]], y: [0, ball[1] - 0.06], line: { color: "#888888", width: 6 }, hoverinfo: "skip" },
    { type: "scatter", mode: "markers", x: [ball[0]], y: [ball[1]], marker: { size: 14, color: COLORS[2] }, hoverinfo: "skip" },
    { type: "scatter", mode: "lines", x: [-reach, reach], y: [0, 0], line: { color: "#444444", width: 2 }, hoverinfo: "skip" },
  ];
  const names = poses.map((_, i) => `s${i}`);
  return named(
    {
      data,
      layout: layoutBase(options.title, options.height ?? 420, {
        xaxis: { range: [-reach * 0.6, reach], zeroline: false, showgrid: false },
        yaxis: { range: [-0.2, reach * 0.9], zeroline: false, showgrid: false, scaleanchor: "x" },
        margin: { l: 30, r: 20, t: options.title === undefined ? 30 : 60, b: 110 },
        ...animationControls(names, options.frameMs ?? 150, (i) => `step ${i}`),
      }),
      frames: poses.map((p, i) => ({ name: names[i]!, data: armTraces(p), traces: [0, 1] })),
    },
    options.name,
  );
}

/** Options of `LiveProgress`. Notebook 08 (lecture 004). */
export interface LiveProgressOptions {
  /** The amount of work planned (episodes or steps). */
  total: number;
  /** What is counted (default "episodes"). */
  unit?: string;
  /** Figure name of the final curves (for the figure export). */
  name?: string;
  /** Chart options of the curves (title, axis titles). */
  chart?: Omit<LineChartOptions, "name">;
  /** Minimum time between redraws, ms (default 1000). */
  everyMs?: number;
}

/**
 * A live display for loops that count episodes or environment steps: a progress bar with a line of
 * text and line charts (e.g. returns, win rates), redrawn in place at most once a second. Outside a
 * kernel it prints about ten text lines. Notebook 08 (lecture 004, learning curves of Q-learning and DQN).
 */
export class LiveProgress {
  private readonly kernel = inKernel();
  private readonly progressId = `reti-rl-progress-${randomBytes(6).toString("hex")}`;
  private readonly curveId = `reti-rl-curve-${randomBytes(6).toString("hex")}`;
  private readonly start = Date.now();
  private last = -Infinity;
  private shown = false;
  private curveShown = false;
  private nextText = 0;

  constructor(private readonly options: LiveProgressOptions) {}

  /** Reports `done` of `total` with a line of text and, optionally, the curves so far (throttled). */
  update(done: number, text: string, series?: Series[]): void {
    const now = Date.now();
    if (!this.kernel) {
      if (done >= this.nextText) {
        console.log(this.line(done, text));
        this.nextText = done + this.options.total / 10;
      }
      return;
    }
    if (now - this.last < (this.options.everyMs ?? 1000)) return;
    this.draw(done, text, series);
  }

  /** Draws the final state. */
  finish(done: number, text: string, series?: Series[]): void {
    if (!this.kernel) {
      console.log(this.line(done, text));
      return;
    }
    this.draw(done, text, series);
  }

  private line(done: number, text: string): string {
    const s = (Date.now() - this.start) / 1000;
    return `${done.toLocaleString("en")}/${this.options.total.toLocaleString("en")} ${this.options.unit ?? "episodes"} · ${s.toFixed(1)} s${text ? ` · ${text}` : ""}`;
  }

  private draw(done: number, text: string, series: Series[] | undefined): void {
    const fraction = Math.min(1, done / this.options.total);
    const line = this.line(done, text);
    const html =
      `<div class="reti-progress" style="font-family:monospace;font-size:13px">` +
      `<progress value="${fraction.toFixed(4)}" max="1" style="width:320px;vertical-align:middle"></progress> ${escapeHtml(line)}</div>`;
    displayBundle({ data: { "text/html": html, "text/plain": line }, metadata: {}, transient: { display_id: this.progressId } }, this.shown);
    this.shown = true;
    if (series !== undefined && series.length > 0 && series.some((s) => s.y.length > 0)) {
      const fig = lineChart(series, { ...this.options.chart, name: this.options.name });
      showFigure(fig, { displayId: this.curveId, update: this.curveShown });
      this.curveShown = true;
    }
    this.last = Date.now();
  }
}

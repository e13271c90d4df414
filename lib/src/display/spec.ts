/**
 * Internal building blocks of the figure specs (not exported from the barrel): a checked figure, the
 * base layout and axes in the course's style, plain-number copies of vectors and matrices, tints,
 * and the one grid of panel domains that image grids, subplots and learning curves share.
 */
import { COLORS, FONT_FAMILY, type Figure, type Layout, type Matrix, type PlotOptions, type Trace, type Vector } from "./style";

const GRID_COLOR = "#e3e3e3";
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Returns `figure` checked: its name (if any) must be usable as a file name. */
export function figure(data: Trace[], layout: Layout, name: string | undefined): Figure {
  if (name === undefined) return { data, layout };
  if (!NAME_PATTERN.test(name)) {
    throw new Error(
      `figure name "${name}" is not usable as a file name: use letters, digits, "-" and "_" (e.g. "xor-regions")`,
    );
  }
  return { name, data, layout };
}

/** Plain-number copy of a vector (typed arrays do not serialise as JSON arrays). */
export function list(v: Vector): number[] {
  return Array.from(v, (x) => Number(x));
}

export function rows(m: Matrix): number[][] {
  return Array.from(m, (r) => list(r));
}

/** A styled axis with an optional title. */
export function axis(title?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(title === undefined ? {} : { title: { text: title } }),
    gridcolor: GRID_COLOR,
    zerolinecolor: "#bdbdbd",
    linecolor: "#444444",
    ticks: "outside",
    automargin: true,
    ...extra,
  };
}

/** The course's base layout: font, colours, margins, title. */
export function baseLayout(options: PlotOptions, extra: Layout = {}): Layout {
  return {
    ...(options.title === undefined ? {} : { title: { text: options.title, x: 0.02, xanchor: "left" } }),
    font: { family: FONT_FAMILY, size: 14, color: "#222222" },
    colorway: [...COLORS],
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    margin: { l: 60, r: 20, t: options.title === undefined ? 30 : 60, b: 55 },
    height: options.height ?? 400,
    legend: { bgcolor: "rgba(255,255,255,0.8)" },
    ...extra,
  };
}

/** A lighter tint of a hex colour (for region backgrounds). */
export function tint(hex: string, amount: number): string {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * amount);
  return `rgb(${mix(n >> 16)},${mix((n >> 8) & 255)},${mix(n & 255)})`;
}

/** The title text of a layout (a plain string or plotly's { text }), if it has one. */
export function titleText(layout: Layout): string | undefined {
  const t = layout.title;
  if (typeof t === "string") return t;
  if (t !== null && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") return (t as { text: string }).text;
  return undefined;
}

/** One panel's place in a grid: its row and column, and its x and y domains in paper fractions. */
export interface Panel {
  row: number;
  column: number;
  x: [number, number];
  y: [number, number];
}

/**
 * The domains of `count` panels laid out row by row from the top in `columns` columns, with gaps
 * `hgap` between columns and `vgap` between rows (fractions of the figure).
 */
export function panelGrid(count: number, columns: number, { hgap = 0, vgap = 0 }: { hgap?: number; vgap?: number } = {}): Panel[] {
  const gridRows = Math.ceil(count / columns);
  const cw = (1 - hgap * (columns - 1)) / columns;
  const rh = (1 - vgap * (gridRows - 1)) / gridRows;
  return Array.from({ length: count }, (_, i) => {
    const [row, column] = [Math.floor(i / columns), i % columns];
    const x0 = column * (cw + hgap);
    const y1 = 1 - row * (rh + vgap);
    return { row, column, x: [x0, x0 + cw], y: [y1 - rh, y1] };
  });
}

/** A text annotation centred horizontally at (x, y), hanging below that point ("top") or standing on it ("bottom"), `yshift` pixels up. */
export function textLabel(text: string, x: number, y: number, at: { xref: string; yref: string; anchor: "top" | "bottom"; size: number; yshift?: number }): Record<string, unknown> {
  return { text, xref: at.xref, yref: at.yref, x, y, yanchor: at.anchor, xanchor: "center", showarrow: false, font: { size: at.size }, ...(at.yshift ? { yshift: at.yshift } : {}) };
}

/** The smallest of 1, 2, 5, 10, 20, 50, … that is at least `x` (a readable tick or level step). */
export function niceStep(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/**
 * Axis settings for whole-number coordinates (epochs, layers, matrix indices) running up to `count`:
 * ticks only at integers, every one up to 12, else at a readable integer step. Issue 19 (plot polish).
 */
export function integerTicks(count: number, tick0 = 0): Record<string, unknown> {
  return { tickmode: "linear", tick0, dtick: count <= 12 ? 1 : niceStep(count / 10), tickformat: "d" };
}

/**
 * Settings of a logarithmic axis over `values`: powers of ten written as 10⁻⁴ (not SI suffixes such as
 * 100µ), one tick per decade when the data spans two decades or more, else 1-2-5 ticks (no crowded
 * minor labels). Issue 19 (plot polish).
 */
export function logAxis(values: ArrayLike<number>[]): Record<string, unknown> {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x > 0 && Number.isFinite(x)) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
  }
  const decades = lo <= hi ? Math.log10(hi / lo) : 0;
  if (!(lo <= hi) || decades >= 2) return { type: "log", exponentformat: "power", showexponent: "all", dtick: 1 };
  // Less than two decades: labelled ticks at 1, 2, 5 × 10ᵏ (every digit when that gives fewer than 3).
  const ticks = (digits: number[]): number[] => {
    const out: number[] = [];
    for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)); k++) {
      for (const m of digits) {
        const v = Number((m * 10 ** k).toPrecision(6));
        if (v >= lo / 1.05 && v <= hi * 1.05) out.push(v);
      }
    }
    return out;
  };
  let tickvals = ticks([1, 2, 5]);
  if (tickvals.length < 3) tickvals = ticks([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return { type: "log", tickmode: "array", tickvals, ticktext: tickvals.map(logTickText) };
}

const SUPERSCRIPT: Record<string, string> = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };

/** A log-axis tick label: plain for 0.001 … 9999, else m·10ᵏ (never an SI suffix). */
function logTickText(v: number): string {
  if (v >= 1e-3 && v < 1e4) return String(Number(v.toPrecision(3)));
  const k = Math.floor(Math.log10(v) + 1e-9);
  const m = Number((v / 10 ** k).toPrecision(3));
  const power = `10${String(k).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]!)}`;
  return m === 1 ? power : `${m}·${power}`;
}

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

/** A text annotation centred horizontally at (x, y), hanging below that point ("top") or standing on it ("bottom"). */
export function textLabel(text: string, x: number, y: number, at: { xref: string; yref: string; anchor: "top" | "bottom"; size: number }): Record<string, unknown> {
  return { text, xref: at.xref, yref: at.yref, x, y, yanchor: at.anchor, xanchor: "center", showarrow: false, font: { size: at.size } };
}

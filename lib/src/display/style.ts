/**
 * The course's one look for figures: the plotly spec types, the colour scheme (Okabe–Ito), the font
 * stack and the colour scales. A spec is plain JSON (no random ids, no timestamps), so the same data
 * always gives the same bytes; `show(figure)` displays it and the figure export finds it by its
 * `name`. Notebook 05 ('s plots (charts.ts, plane.ts, images.ts, subplots.ts).
 */
/** One plotly trace (minimal hand-written type: plotly accepts many more keys). Every notebook (plots). */
export interface Trace {
  type?: string;
  name?: string;
  [key: string]: unknown;
}

/** A plotly layout (minimal hand-written type). Every notebook (plots). */
export interface Layout {
  title?: unknown;
  width?: number;
  height?: number;
  [key: string]: unknown;
}

/**
 * A plotly figure spec. `name` is a stable identifier (letters, digits, `-`, `_`) under which the
 * figure export writes the figure (`build/figures/<notebook>/<name>.svg`).
 * Every notebook (plots).
 */
export interface Figure {
  name?: string;
  data: Trace[];
  layout: Layout;
  /** Animation frames (plotly's `frames`: each { name, data } restyles the traces); played by the layout's buttons or slider. */
  frames?: { name?: string; data: Trace[]; [key: string]: unknown }[];
}

/** Options every plot function accepts. Every notebook (plots). */
export interface PlotOptions {
  /** Stable figure name for export, e.g. "xor-decision-regions". */
  name?: string;
  /** Title shown above the plot. */
  title?: string;
  /** Height in CSS pixels (the width follows the notebook). */
  height?: number;
}

/** Options of plots with two labelled axes. Every notebook (plots). */
export interface AxesOptions extends PlotOptions {
  xTitle?: string;
  yTitle?: string;
}

/** The course's colour scheme: Okabe–Ito, readable for colour-blind viewers and on a projector. Every notebook (plots). */
export const COLORS: readonly string[] = [
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#009E73", // bluish green
  "#E69F00", // orange
  "#CC79A7", // reddish purple
  "#56B4E9", // sky blue
  "#F0E442", // yellow
  "#000000", // black
];

/** The course's font stack (fonts found on Linux, macOS and Windows). Every notebook (plots). */
export const FONT_FAMILY = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

/** Sequential colour scale for magnitudes (losses, activations). Every notebook (plots). */
export const SEQUENTIAL_SCALE = "Viridis";
/**
 * Diverging colour scale for signed values (weights, filters): blue < 0 (white) < red, ColorBrewer
 * RdBu; centre it on 0 with a symmetric range or `zmid: 0`. Notebook 05 (lectures 000 and 001, CNN filters and weights).
 */
export const DIVERGING_SCALE: [number, string][] = [
  [0, "#2166ac"],
  [0.25, "#92c5de"],
  [0.5, "#f7f7f7"],
  [0.75, "#f4a582"],
  [1, "#b2182b"],
];
/** Grey scale for images: 0 is black, the maximum white. Lectures 000 and 001 (CNN and MNIST images). */
export const GRAY_SCALE: [number, string][] = [
  [0, "#000000"],
  [1, "#ffffff"],
];


/** A numeric vector: a plain array or a typed array. Every notebook (plots). */
export type Vector = ArrayLike<number>;
/** A matrix given as rows. Every notebook (plots). */
export type Matrix = ArrayLike<ArrayLike<number>>;

/** Colour of series/class `i` in the course scheme. Every notebook (plots). */
export function colorOf(i: number): string {
  return COLORS[((i % COLORS.length) + COLORS.length) % COLORS.length]!;
}

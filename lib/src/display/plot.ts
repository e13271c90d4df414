/**
 * Pure functions from data to plotly figure specs, in one look for the whole course: learning curves,
 * decision regions, loss surfaces with optimizer trajectories, image grids, bar charts, confusion
 * matrices. A spec is plain JSON (no random ids, no timestamps), so the same data always gives the
 * same bytes; `show(figure)` displays it and the figure export (issue 8) finds it by its `name`.
 * Serves every lecture.
 */

import { type Extent, type GridFunction, evaluateGrid } from "../core/grid";
import { imagePng } from "./png";

/** One plotly trace (minimal hand-written type: plotly accepts many more keys). Lecture: all (plots). */
export interface Trace {
  type?: string;
  name?: string;
  [key: string]: unknown;
}

/** A plotly layout (minimal hand-written type). Lecture: all (plots). */
export interface Layout {
  title?: unknown;
  width?: number;
  height?: number;
  [key: string]: unknown;
}

/**
 * A plotly figure spec. `name` is a stable identifier (letters, digits, `-`, `_`) under which the
 * figure export writes the figure (`build/figures/<notebook>/<name>.svg`).
 * Lecture: all (plots).
 */
export interface Figure {
  name?: string;
  data: Trace[];
  layout: Layout;
  /** Animation frames (plotly's `frames`: each { name, data } restyles the traces); played by the layout's buttons or slider. */
  frames?: { name?: string; data: Trace[]; [key: string]: unknown }[];
}

/** Options every plot function accepts. Lecture: all (plots). */
export interface PlotOptions {
  /** Stable figure name for export, e.g. "xor-decision-regions". */
  name?: string;
  /** Title shown above the plot. */
  title?: string;
  /** Height in CSS pixels (the width follows the notebook). */
  height?: number;
}

/** Options of plots with two labelled axes. Lecture: all (plots). */
export interface AxesOptions extends PlotOptions {
  xTitle?: string;
  yTitle?: string;
}

/** The course's colour scheme: Okabe–Ito, readable for colour-blind viewers and on a projector. Lecture: all (plots). */
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

/** The course's font stack (fonts found on Linux, macOS and Windows). Lecture: all (plots). */
export const FONT_FAMILY = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

/** Sequential colour scale for magnitudes (losses, activations). Lecture: all (plots). */
export const SEQUENTIAL_SCALE = "Viridis";
/**
 * Diverging colour scale for signed values (weights, filters): blue < 0 (white) < red, ColorBrewer
 * RdBu; centre it on 0 with a symmetric range or `zmid: 0`. Lecture: CNN filters and weights (000, 001).
 */
export const DIVERGING_SCALE: [number, string][] = [
  [0, "#2166ac"],
  [0.25, "#92c5de"],
  [0.5, "#f7f7f7"],
  [0.75, "#f4a582"],
  [1, "#b2182b"],
];
/** Grey scale for images: 0 is black, the maximum white. Lecture: CNN and MNIST images (000, 001). */
export const GRAY_SCALE: [number, string][] = [
  [0, "#000000"],
  [1, "#ffffff"],
];

const GRID_COLOR = "#e3e3e3";
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** A numeric vector: a plain array or a typed array. Lecture: all (plots). */
export type Vector = ArrayLike<number>;
/** A matrix given as rows. Lecture: all (plots). */
export type Matrix = ArrayLike<ArrayLike<number>>;

/** Returns `figure` checked: its name (if any) must be usable as a file name. */
function figure(data: Trace[], layout: Layout, name: string | undefined): Figure {
  if (name === undefined) return { data, layout };
  if (!NAME_PATTERN.test(name)) {
    throw new Error(
      `figure name "${name}" is not usable as a file name: use letters, digits, "-" and "_" (e.g. "xor-regions")`,
    );
  }
  return { name, data, layout };
}

/** Plain-number copy of a vector (typed arrays do not serialise as JSON arrays). */
function list(v: Vector): number[] {
  return Array.from(v, (x) => Number(x));
}

function rows(m: Matrix): number[][] {
  return Array.from(m, (r) => list(r));
}

/** A styled axis with an optional title. */
function axis(title?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
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
function baseLayout(options: PlotOptions, extra: Layout = {}): Layout {
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

/** Colour of series/class `i` in the course scheme. Lecture: all (plots). */
export function colorOf(i: number): string {
  return COLORS[((i % COLORS.length) + COLORS.length) % COLORS.length]!;
}

/** One line of a line chart. Lecture: training, loss (000). */
export interface Series {
  /** Legend label. */
  name: string;
  /** Values on the y axis. */
  y: Vector;
  /** Values on the x axis (default 1, 2, …, as for epochs). */
  x?: Vector;
  /** Line style: "solid" (default), "dash", "dot". */
  dash?: "solid" | "dash" | "dot";
  /** Colour index in the course scheme (default: the series' position). */
  color?: number;
  /** Draw markers on the points too. */
  markers?: boolean;
}

/** Options of `lineChart`. Lecture: training, loss (000). */
export interface LineChartOptions extends AxesOptions {
  /** Logarithmic y axis (losses over many epochs). */
  logY?: boolean;
}

function seriesTrace(s: Series, i: number, axes: { xaxis?: string; yaxis?: string } = {}): Trace {
  const y = list(s.y);
  const x = s.x === undefined ? y.map((_, k) => k + 1) : list(s.x);
  if (x.length !== y.length) {
    throw new Error(`series "${s.name}": x has ${x.length} values but y has ${y.length}; give one x per y`);
  }
  return {
    type: "scatter",
    mode: s.markers ? "lines+markers" : "lines",
    name: s.name,
    x,
    y,
    line: { color: colorOf(s.color ?? i), dash: s.dash ?? "solid", width: 2.5 },
    ...axes,
  };
}

/** A line chart of one or more series (e.g. a loss against the epoch). Lecture: training, loss. */
export function lineChart(series: Series[], options: LineChartOptions = {}): Figure {
  if (series.length === 0) throw new Error("lineChart: no series given; pass at least one { name, y }");
  return figure(
    series.map((s, i) => seriesTrace(s, i)),
    baseLayout(options, {
      xaxis: axis(options.xTitle),
      yaxis: axis(options.yTitle, options.logY ? { type: "log" } : {}),
    }),
    options.name,
  );
}

/** Training history as Keras/TensorFlow.js records it: metric name → one value per epoch. Lecture: learning curves (003). */
export type History = Record<string, ArrayLike<number>>;

/** Options of `learningCurves`. Lecture: learning curves (003). */
export interface LearningCurveOptions extends PlotOptions {
  /** Logarithmic loss axis. */
  logLoss?: boolean;
  /**
   * The training loss within epochs, drawn as a thin light line behind the per-epoch curves; x in
   * epochs (e.g. 2.5 = half-way through the third epoch, whose mean the epoch curve shows at x = 3).
   */
  batchLoss?: { x: Vector; y: Vector };
}

const ACCURACY_KEYS = ["acc", "accuracy"];

/**
 * Learning curves: training (solid) and validation (dashed) loss, and accuracy in a second panel
 * when the history has one (`acc`/`accuracy`, `val_acc`/`val_accuracy`); optionally the loss per
 * mini-batch behind them. x is the epoch, from 1.
 * Lecture: ANN principles (003), learning curves and train/validation/test; early stopping (000).
 */
export function learningCurves(history: History, options: LearningCurveOptions = {}): Figure {
  const loss = history["loss"];
  if (loss === undefined) {
    throw new Error(`learningCurves: the history has no "loss" (keys: ${Object.keys(history).join(", ") || "none"})`);
  }
  const accKey = ACCURACY_KEYS.find((k) => history[k] !== undefined);
  const panels = accKey === undefined ? 1 : 2;
  const gap = 0.1;
  const width = (1 - gap * (panels - 1)) / panels;
  const traces: Trace[] = [];
  const add = (key: string, label: string, color: number, panel: number) => {
    const train = history[key];
    const val = history[`val_${key}`];
    const ax = panel === 1 ? { xaxis: "x", yaxis: "y" } : { xaxis: `x${panel}`, yaxis: `y${panel}` };
    if (train !== undefined) traces.push(seriesTrace({ name: `training ${label}`, y: train, color }, 0, ax));
    if (val !== undefined) traces.push(seriesTrace({ name: `validation ${label}`, y: val, color, dash: "dash" }, 0, ax));
  };
  if (options.batchLoss !== undefined) {
    traces.push({
      ...seriesTrace({ name: "training loss (mini-batches)", x: options.batchLoss.x, y: options.batchLoss.y }, 0, { xaxis: "x", yaxis: "y" }),
      line: { color: tint(colorOf(0), 0.55), width: 1 },
    });
  }
  add("loss", "loss", 0, 1);
  const layout = baseLayout(options, {
    xaxis: axis("epoch", { domain: [0, width], anchor: "y" }),
    yaxis: axis("loss", { anchor: "x", ...(options.logLoss ? { type: "log" } : {}) }),
  });
  if (accKey !== undefined) {
    add(accKey, "accuracy", 1, 2);
    layout["xaxis2"] = axis("epoch", { domain: [width + gap, 1], anchor: "y2" });
    layout["yaxis2"] = axis("accuracy", { anchor: "x2" });
  }
  return figure(traces, layout, options.name);
}

/** Points of a 2-D classification problem: one row [x1, x2] per point, one class label per point. Lecture: perceptron and MLP (001, 003). */
export interface LabelledPoints {
  points: Matrix;
  labels: Vector;
  /** Names of the classes (default "class 0", "class 1", …). */
  classNames?: string[];
}

/**
 * A 2-D classification dataset in the data module's layout: x row-major with cols = 2, y one class
 * per row. Lecture: perceptron and MLP (001, 003).
 */
export interface PlaneDataset {
  x: Vector;
  y: Vector;
  cols: number;
}

/** Points and labels from either layout (rows + labels, or a lib Dataset with two features). */
function labelled(data: LabelledPoints | PlaneDataset, fn: string, classNames?: string[]): LabelledPoints {
  if ("points" in data) return classNames === undefined ? data : { ...data, classNames };
  if (data.cols !== 2) throw new Error(`${fn}: the dataset has ${data.cols} features per example; a plane plot needs 2`);
  const points = Array.from({ length: data.x.length / 2 }, (_, i) => [Number(data.x[2 * i]), Number(data.x[2 * i + 1])]);
  return { points, labels: data.y, classNames };
}

function checkLabelled({ points, labels }: LabelledPoints, fn: string): void {
  if (points.length !== labels.length) {
    throw new Error(`${fn}: ${points.length} points but ${labels.length} labels; give one label per point`);
  }
  for (let i = 0; i < points.length; i++) {
    if (points[i]!.length !== 2) throw new Error(`${fn}: point ${i} has ${points[i]!.length} coordinates; points must be 2-D [x1, x2]`);
  }
}

function classTraces({ points, labels, classNames }: LabelledPoints): Trace[] {
  const classes = [...new Set(Array.from(labels, Number))].sort((a, b) => a - b);
  return classes.map((c) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < labels.length; i++) {
      if (Number(labels[i]) === c) {
        x.push(Number(points[i]![0]));
        y.push(Number(points[i]![1]));
      }
    }
    return {
      type: "scatter",
      mode: "markers",
      name: classNames?.[c] ?? `class ${c}`,
      x,
      y,
      marker: { color: colorOf(c), size: 7, line: { color: "#ffffff", width: 0.8 } },
    };
  });
}

/** A scatter plot of 2-D points coloured by class. Lecture: perceptron and MLP (001), toy problems. */
export function scatterClasses(dataset: LabelledPoints | PlaneDataset, options: AxesOptions & { classNames?: string[] } = {}): Figure {
  const data = labelled(dataset, "scatterClasses", options.classNames);
  checkLabelled(data, "scatterClasses");
  return figure(
    classTraces(data),
    baseLayout(options, { xaxis: axis(options.xTitle ?? "x₁"), yaxis: axis(options.yTitle ?? "x₂") }),
    options.name,
  );
}

/** Options of `decisionRegions`. Lecture: decision regions (000, 001). */
export interface DecisionRegionOptions extends AxesOptions {
  /** Grid points per axis (default 100). */
  resolution?: number;
  /** Region to evaluate (default: the points' bounding box plus 10% margin). */
  extent?: Extent;
  /**
   * "class": the function returns class indices, drawn as light class-coloured regions (default);
   * "probability": it returns P(class 1) in [0, 1], drawn as a blue–vermillion shading with the
   * 0.5 boundary as a line.
   */
  mode?: "class" | "probability";
  /** Names of the classes (default "class 0", "class 1", …). */
  classNames?: string[];
}

function boundingExtent(points: Matrix): Extent {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < points.length; i++) {
    const [a, b] = [Number(points[i]![0]), Number(points[i]![1])];
    [x0, x1, y0, y1] = [Math.min(x0, a), Math.max(x1, a), Math.min(y0, b), Math.max(y1, b)];
  }
  const mx = (x1 - x0 || 1) * 0.1;
  const my = (y1 - y0 || 1) * 0.1;
  return { x: [x0 - mx, x1 + mx], y: [y0 - my, y1 + my] };
}

/** A lighter tint of a hex colour (for region backgrounds). */
function tint(hex: string, amount: number): string {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * amount);
  return `rgb(${mix(n >> 16)},${mix((n >> 8) & 255)},${mix(n & 255)})`;
}

/**
 * Decision regions of a classifier behind the labelled points: `classify` is evaluated on a grid
 * (one batched call) and drawn as a heatmap. Lecture: perceptron (001), MLP and XOR, universal
 * approximation (000, 003).
 */
export function decisionRegions(
  classify: GridFunction,
  dataset: LabelledPoints | PlaneDataset,
  options: DecisionRegionOptions = {},
): Figure {
  const data = labelled(dataset, "decisionRegions", options.classNames);
  checkLabelled(data, "decisionRegions");
  const extent = options.extent ?? boundingExtent(data.points);
  const { x, y, z } = evaluateGrid(classify, extent, options.resolution ?? 100);
  const background: Trace[] = [];
  if ((options.mode ?? "class") === "class") {
    const k = Math.max(1, ...z.flat().map((v) => Math.round(v)), ...Array.from(data.labels, Number)) + 1;
    // A stepwise colour scale: integer class c gets the tint of colour c.
    const scale: [number, string][] = [];
    for (let c = 0; c < k; c++) {
      scale.push([c / k, tint(colorOf(c), 0.75)], [(c + 1) / k, tint(colorOf(c), 0.75)]);
    }
    background.push({
      type: "heatmap",
      name: "decision regions",
      x,
      y,
      z: z.map((r) => r.map((v) => Math.round(v))),
      zmin: -0.5,
      zmax: k - 0.5,
      colorscale: scale,
      showscale: false,
      hoverinfo: "skip",
    });
  } else {
    background.push({
      type: "heatmap",
      name: "P(class 1)",
      x,
      y,
      z,
      zmin: 0,
      zmax: 1,
      colorscale: [
        [0, tint(colorOf(0), 0.6)],
        [0.5, "#ffffff"],
        [1, tint(colorOf(1), 0.6)],
      ],
      colorbar: { title: { text: "P(1)" }, thickness: 12 },
      hoverinfo: "skip",
    });
    background.push({
      type: "contour",
      name: "boundary P = 0.5",
      x,
      y,
      z,
      contours: { start: 0.5, end: 0.5, size: 1, coloring: "none" },
      line: { color: "#444444", width: 2 },
      showscale: false,
      hoverinfo: "skip",
    });
  }
  return figure(
    [...background, ...classTraces(data)],
    baseLayout(options, {
      xaxis: axis(options.xTitle ?? "x₁", { range: extent.x, showgrid: false }),
      yaxis: axis(options.yTitle ?? "x₂", { range: extent.y, showgrid: false }),
      // The probability colour bar takes the right side: the legend goes in a row above the plot.
      ...(options.mode === "probability"
        ? { legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", bgcolor: "rgba(255,255,255,0)" } }
        : {}),
    }),
    options.name,
  );
}

/** Options of `heatmap`. Lecture: MLP weights, CNN feature maps (000). */
export interface HeatmapOptions extends AxesOptions {
  /** Column coordinates or labels (default 0, 1, …). */
  x?: Array<number | string>;
  /** Row coordinates or labels (default 0, 1, …). */
  y?: Array<number | string>;
  /** A plotly colour scale name or stops (default: the course's sequential scale). */
  colorscale?: string | [number, string][];
  /** Centre the colour scale on this value (use 0 with the diverging scale for weights). */
  zmid?: number;
  /** Draw row 0 at the top, as matrices and images are read (default true). */
  matrixOrder?: boolean;
  /** Print each cell's value in it, with this d3 format (e.g. ".2f"). */
  textFormat?: string;
}

/** A heatmap of a matrix z[row][column] (weights, activations, attention). Lecture: MLP weights, CNN feature maps. */
export function heatmap(z: Matrix, options: HeatmapOptions = {}): Figure {
  const zz = rows(z);
  const trace: Trace = {
    type: "heatmap",
    z: zz,
    colorscale: options.colorscale ?? SEQUENTIAL_SCALE,
    colorbar: { thickness: 12 },
    ...(options.x === undefined ? {} : { x: options.x }),
    ...(options.y === undefined ? {} : { y: options.y }),
    ...(options.zmid === undefined ? {} : { zmid: options.zmid }),
    ...(options.textFormat === undefined ? {} : { texttemplate: `%{z:${options.textFormat}}` }),
  };
  return figure(
    [trace],
    baseLayout(options, {
      xaxis: axis(options.xTitle, { showgrid: false }),
      yaxis: axis(options.yTitle, { showgrid: false, ...(options.matrixOrder === false ? {} : { autorange: "reversed" }) }),
    }),
    options.name,
  );
}

/** A path in the parameter plane, e.g. the iterates w⁽ᵗ⁾ of an optimizer. Lecture: gradient descent and optimizers (000, 001, 003). */
export interface Trajectory {
  name: string;
  /** One [w1, w2] per step. */
  points: Matrix;
  /** Colour index in the course scheme, e.g. to match the same run in a loss plot (default: vermillion, green, orange, …). */
  color?: number;
}

/** Options of `lossSurface`. Lecture: gradient descent and optimizers (000, 001, 003). */
export interface LossSurfaceOptions extends AxesOptions {
  /** Grid points per axis (default 80). */
  resolution?: number;
  /** Optimizer paths drawn over the contours. */
  trajectories?: Trajectory[];
  /** Contour the logarithm of the loss (for surfaces spanning orders of magnitude). */
  logZ?: boolean;
  /** Number of contour levels (default 20). */
  levels?: number;
}

/**
 * Contour plot of a loss of two parameters L(w1, w2) with optimizer trajectories over it (start as
 * a circle, end as a star). Lecture: gradient descent on a 2-parameter loss surface (000), SGD,
 * momentum, Adam (001, 003).
 */
export function lossSurface(loss: (w1: number, w2: number) => number, extent: Extent, options: LossSurfaceOptions = {}): Figure {
  const grid = evaluateGrid((pts) => pts.map(([a, b]) => loss(a!, b!)), extent, options.resolution ?? 80);
  const z = options.logZ ? grid.z.map((r) => r.map((v) => Math.log10(Math.max(v, 1e-12)))) : grid.z;
  const flat = z.flat();
  const [lo, hi] = [Math.min(...flat), Math.max(...flat)];
  const levels = options.levels ?? 20;
  const traces: Trace[] = [
    {
      type: "contour",
      name: options.logZ ? "log₁₀ L" : "L",
      x: grid.x,
      y: grid.y,
      z,
      colorscale: SEQUENTIAL_SCALE,
      contours: { start: lo, end: hi, size: (hi - lo) / levels || 1, coloring: "heatmap" },
      line: { width: 0.5, color: "rgba(255,255,255,0.5)" },
      colorbar: { title: { text: options.logZ ? "log₁₀ L" : "L" }, thickness: 12 },
      hoverinfo: "skip",
    },
  ];
  (options.trajectories ?? []).forEach((t, i) => {
    const pts = rows(t.points);
    const color = colorOf(t.color ?? (i + 1 === 6 ? 7 : i + 1)); // by default no blue (dark on Viridis) nor yellow (its top)
    traces.push({
      type: "scatter",
      mode: "lines+markers",
      name: t.name,
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      line: { color, width: 2.5 },
      marker: {
        color,
        size: pts.map((_, k) => (k === 0 || k === pts.length - 1 ? 12 : 5)),
        symbol: pts.map((_, k) => (k === 0 ? "circle" : k === pts.length - 1 ? "star" : "circle")),
        line: { color: "#ffffff", width: 1 },
      },
    });
  });
  return figure(
    traces,
    baseLayout(options, {
      xaxis: axis(options.xTitle ?? "w₁", { range: extent.x, showgrid: false }),
      yaxis: axis(options.yTitle ?? "w₂", { range: extent.y, showgrid: false }),
      legend: { bgcolor: "rgba(255,255,255,0.8)", x: 0.01, y: 0.99 },
    }),
    options.name,
  );
}

/** A contour plot of z[row = y][column = x] on given axes. Lecture: loss surfaces (000). */
export function contourPlot(x: Vector, y: Vector, z: Matrix, options: AxesOptions & { levels?: number } = {}): Figure {
  const zz = rows(z);
  if (zz.length !== y.length || zz.some((r) => r.length !== x.length)) {
    throw new Error(`contourPlot: z must have ${y.length} rows (one per y) of ${x.length} values (one per x)`);
  }
  return figure(
    [
      {
        type: "contour",
        x: list(x),
        y: list(y),
        z: zz,
        colorscale: SEQUENTIAL_SCALE,
        ncontours: options.levels ?? 20,
        colorbar: { thickness: 12 },
      },
    ],
    baseLayout(options, { xaxis: axis(options.xTitle, { showgrid: false }), yaxis: axis(options.yTitle, { showgrid: false }) }),
    options.name,
  );
}

/** A grey-scale (single channel) image: `data` holds height × width values, row by row. Lecture: CNN and MNIST (000, 001). */
export interface GrayImage {
  width: number;
  height: number;
  data: Vector;
}

/** Options of `imageGrid`. Lecture: CNN and MNIST (000, 001). */
export interface ImageGridOptions extends PlotOptions {
  /** Images per row (default: up to 10). */
  columns?: number;
  /** One caption per image (e.g. "label 7"). */
  captions?: string[];
  /** Colour scale (default grey, sent as PNG images; use DIVERGING_SCALE for filters and weights). */
  colorscale?: string | [number, string][];
  /** Value range of the colour scale (default: [0, 1] for grey, the data's symmetric range otherwise). */
  range?: [number, number];
  /** Size of one cell in CSS pixels (default 90). */
  cellSize?: number;
}

/** Normalises an image given as rows or as a GrayImage. Lecture: CNN and MNIST (000, 001). */
export function toGrayImage(image: GrayImage | Matrix): GrayImage {
  if ("width" in image && "height" in image && "data" in image) {
    const img = image as GrayImage;
    if (img.data.length !== img.width * img.height) {
      throw new Error(`image data has ${img.data.length} values but width × height = ${img.width * img.height}`);
    }
    return img;
  }
  const r = rows(image as Matrix);
  const width = r[0]?.length ?? 0;
  if (r.some((row) => row.length !== width)) throw new Error("image rows have different lengths; give a rectangular matrix");
  return { width, height: r.length, data: r.flat() };
}

/**
 * A grid of small images with captions: MNIST digits, convolution filters, feature maps.
 * Lecture: CNN (000, 001), filters and feature maps; MNIST.
 */
export function imageGrid(images: Array<GrayImage | Matrix>, options: ImageGridOptions = {}): Figure {
  if (images.length === 0) throw new Error("imageGrid: no images given");
  if (options.captions !== undefined && options.captions.length !== images.length) {
    throw new Error(`imageGrid: ${options.captions.length} captions for ${images.length} images; give one caption per image`);
  }
  const imgs = images.map(toGrayImage);
  const columns = Math.min(options.columns ?? 10, imgs.length);
  const gridRows = Math.ceil(imgs.length / columns);
  const gray = options.colorscale === undefined;
  let range = options.range;
  if (range === undefined) {
    if (gray) range = [0, 1];
    else {
      const m = Math.max(...imgs.map((im) => Math.max(...Array.from(im.data, (v) => Math.abs(v))))) || 1;
      range = [-m, m];
    }
  }
  const gap = 0.02;
  const cw = (1 - gap * (columns - 1)) / columns;
  const captionSpace = options.captions ? 0.25 : 0.04;
  const rh = 1 / gridRows;
  const traces: Trace[] = [];
  const layout = baseLayout(options, {
    height: options.height ?? Math.round(gridRows * (options.cellSize ?? 90) * (1 + captionSpace) + (options.title ? 60 : 20)),
    margin: { l: 10, r: 10, t: options.title === undefined ? 10 : 50, b: 10 },
    showlegend: false,
    ...(gray ? {} : { coloraxis: { colorscale: options.colorscale, cmin: range[0], cmax: range[1], showscale: true } }),
  });
  const annotations: Record<string, unknown>[] = [];
  imgs.forEach((im, i) => {
    const r = Math.floor(i / columns);
    const c = i % columns;
    const k = i === 0 ? "" : String(i + 1);
    if (gray) {
      // A grey image travels as a small PNG (a few hundred bytes for a digit, not kilobytes of JSON).
      const png = imagePng(im, { range, scale: 1 }).toString("base64");
      traces.push({ type: "image", source: `data:image/png;base64,${png}`, xaxis: `x${k}`, yaxis: `y${k}`, hoverinfo: "skip" });
    } else {
      const values = list(im.data);
      const z = Array.from({ length: im.height }, (_, row) => values.slice(row * im.width, (row + 1) * im.width));
      traces.push({ type: "heatmap", z, coloraxis: "coloraxis", xaxis: `x${k}`, yaxis: `y${k}`, hovertemplate: "(%{x}, %{y}): %{z}<extra></extra>" });
    }
    const top = 1 - r * rh;
    const bottom = top - rh * (1 - captionSpace / (1 + captionSpace));
    // No ticks or grid, a thin frame (a filter's near-zero cells are near-white).
    const hidden = { showgrid: false, zeroline: false, showticklabels: false, ticks: "", showline: true, mirror: true, linecolor: "#bbbbbb", linewidth: 1 };
    layout[`xaxis${k}`] = { domain: [c * (cw + gap), c * (cw + gap) + cw], anchor: `y${k}`, ...hidden, constrain: "domain" };
    layout[`yaxis${k}`] = { domain: [bottom, top], anchor: `x${k}`, autorange: "reversed", scaleanchor: `x${k}`, ...hidden, constrain: "domain" };
    if (options.captions) {
      annotations.push({
        text: options.captions[i],
        xref: `x${k} domain`,
        yref: `y${k} domain`,
        x: 0.5,
        y: 0,
        yanchor: "top",
        xanchor: "center",
        showarrow: false,
        font: { size: 12 },
      });
    }
  });
  if (annotations.length > 0) layout["annotations"] = annotations;
  return figure(traces, layout, options.name);
}

/** One group of bars. Lecture: softmax outputs, class frequencies (000, 003). */
export interface BarSeries {
  name: string;
  values: Vector;
}

/** Options of `barChart`. Lecture: softmax outputs, class frequencies (000, 003). */
export interface BarChartOptions extends AxesOptions {
  /** Horizontal bars (long category names). */
  horizontal?: boolean;
}

/** A bar chart: one or more series over named categories. Lecture: softmax outputs, class frequencies. */
export function barChart(categories: Array<string | number>, series: BarSeries | BarSeries[], options: BarChartOptions = {}): Figure {
  const all = Array.isArray(series) ? series : [series];
  const traces = all.map((s, i): Trace => {
    const v = list(s.values);
    if (v.length !== categories.length) {
      throw new Error(`barChart: series "${s.name}" has ${v.length} values for ${categories.length} categories`);
    }
    const cats = categories.map(String);
    return {
      type: "bar",
      name: s.name,
      ...(options.horizontal ? { y: cats, x: v, orientation: "h" } : { x: cats, y: v }),
      marker: { color: colorOf(i) },
    };
  });
  return figure(
    traces,
    baseLayout(options, {
      barmode: "group",
      showlegend: all.length > 1,
      xaxis: axis(options.xTitle, { type: options.horizontal ? "linear" : "category" }),
      yaxis: axis(options.yTitle, options.horizontal ? { type: "category", autorange: "reversed" } : {}),
    }),
    options.name,
  );
}

/** Options of `histogram`. Lecture: initialisation and vanishing gradients (001, 003). */
export interface HistogramOptions extends AxesOptions {
  /** Number of equal-width bins (default 30). */
  bins?: number;
  /** Range covered by the bins (default: all series' min and max). */
  range?: [number, number];
  /** Show fractions of each series' values instead of counts (series of different sizes compare). */
  normalize?: boolean;
}

/**
 * Histograms of one or more series of values, binned here (the spec holds counts, not the raw
 * values), overlaid semi-transparently: weights at initialisation, activations per layer, gradients.
 * Lecture: initialisation and vanishing gradients (001, 003).
 */
export function histogram(series: BarSeries | BarSeries[], options: HistogramOptions = {}): Figure {
  const all = Array.isArray(series) ? series : [series];
  const bins = options.bins ?? 30;
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`histogram: bins must be a positive integer, got ${bins}`);
  let [lo, hi] = options.range ?? [Infinity, -Infinity];
  if (options.range === undefined) {
    for (const s of all) for (let i = 0; i < s.values.length; i++) [lo, hi] = [Math.min(lo, s.values[i]!), Math.max(hi, s.values[i]!)];
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error("histogram: no finite values to bin");
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const centres = Array.from({ length: bins }, (_, b) => lo + (b + 0.5) * width);
  const traces = all.map((s, i): Trace => {
    const counts = new Array<number>(bins).fill(0);
    let n = 0;
    for (let k = 0; k < s.values.length; k++) {
      const v = Number(s.values[k]);
      if (!(v >= lo && v <= hi)) continue;
      counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
      n++;
    }
    return {
      type: "bar",
      name: s.name,
      x: centres,
      y: options.normalize ? counts.map((c) => (n === 0 ? 0 : c / n)) : counts,
      width,
      marker: { color: colorOf(i), opacity: all.length > 1 ? 0.55 : 0.85, line: { color: colorOf(i), width: 1 } },
    };
  });
  return figure(
    traces,
    baseLayout(options, {
      barmode: "overlay",
      bargap: 0,
      showlegend: all.length > 1,
      xaxis: axis(options.xTitle),
      yaxis: axis(options.yTitle ?? (options.normalize ? "fraction" : "count")),
    }),
    options.name,
  );
}

/** Options of `confusionMatrix`. Lecture: evaluation of classifiers (003). */
export interface ConfusionMatrixOptions extends PlotOptions {
  /** Class names (default 0, 1, …). */
  labels?: string[];
  /** Colour by row fraction (recall) instead of count; the counts are still printed. */
  normalize?: boolean;
}

/**
 * A confusion matrix m[true][predicted] as a heatmap with the count in each cell; true classes as
 * rows from the top, predicted classes as columns. Lecture: evaluation of classifiers (003), MNIST.
 */
export function confusionMatrix(matrix: Matrix, options: ConfusionMatrixOptions = {}): Figure {
  const m = rows(matrix);
  if (m.some((r) => r.length !== m.length)) throw new Error("confusionMatrix: the matrix must be square (classes × classes)");
  const labels = options.labels ?? m.map((_, i) => String(i));
  if (labels.length !== m.length) throw new Error(`confusionMatrix: ${labels.length} labels for ${m.length} classes`);
  const z = options.normalize
    ? m.map((r) => {
        const s = r.reduce((a, b) => a + b, 0);
        return r.map((v) => (s === 0 ? 0 : v / s));
      })
    : m;
  return figure(
    [
      {
        type: "heatmap",
        x: labels,
        y: labels,
        z,
        text: m.map((r) => r.map(String)),
        texttemplate: "%{text}",
        colorscale: [
          [0, "#f7fbff"],
          [1, "#08519c"],
        ],
        colorbar: { thickness: 12, title: { text: options.normalize ? "fraction of row" : "count" } },
        hovertemplate: "true %{y}, predicted %{x}: %{text}<extra></extra>",
      },
    ],
    baseLayout(options, {
      height: options.height ?? Math.max(300, 40 * m.length + 120),
      xaxis: axis("predicted", { type: "category", showgrid: false, constrain: "domain" }),
      yaxis: axis("true", { type: "category", showgrid: false, autorange: "reversed", scaleanchor: "x", constrain: "domain" }),
    }),
    options.name,
  );
}

/** Options of `subplots`. Lecture: all (plots). */
export interface SubplotOptions extends PlotOptions {
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Panel titles (default: each figure's title). */
  titles?: string[];
}

function titleText(layout: Layout): string | undefined {
  const t = layout.title;
  if (typeof t === "string") return t;
  if (t !== null && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") return (t as { text: string }).text;
  return undefined;
}

/**
 * Small multiples: places single-panel figures side by side in a grid, each keeping its traces and
 * axis settings (e.g. the same classifier at several epochs). Serves every lecture.
 */
export function subplots(figures: Figure[], options: SubplotOptions = {}): Figure {
  if (figures.length === 0) throw new Error("subplots: no figures given");
  const columns = Math.min(options.columns ?? figures.length, figures.length);
  const gridRows = Math.ceil(figures.length / columns);
  const layout = baseLayout(options, { height: options.height ?? 360 * gridRows + (options.title ? 40 : 0) });
  // Between rows: the upper panel's tick labels and axis title, then the lower panel's title (in pixels).
  const hasTitles = figures.some((f, i) => (options.titles?.[i] ?? titleText(f.layout)) !== undefined);
  const margin = layout["margin"] as { t: number; b: number };
  const plotHeight = (layout.height as number) - margin.t - margin.b;
  const hgap = 0.08;
  const vgap = gridRows === 1 ? 0 : Math.min(0.3, (hasTitles ? 90 : 65) / plotHeight);
  const cw = (1 - hgap * (columns - 1)) / columns;
  const rh = (1 - vgap * (gridRows - 1)) / gridRows;
  const traces: Trace[] = [];
  const annotations: Record<string, unknown>[] = [];
  const seenLegend = new Set<string>();
  figures.forEach((f, i) => {
    const k = i === 0 ? "" : String(i + 1);
    const multi = f.data.some((t) => (t["xaxis"] !== undefined && t["xaxis"] !== "x") || (t["yaxis"] !== undefined && t["yaxis"] !== "y"));
    if (multi) throw new Error(`subplots: figure ${i}${f.name ? ` ("${f.name}")` : ""} already has several panels; pass single-panel figures`);
    const [r, c] = [Math.floor(i / columns), i % columns];
    const x0 = c * (cw + hgap);
    const y1 = 1 - r * (rh + vgap);
    for (const t of f.data) {
      const key = String(t.name ?? "");
      const dup = key !== "" && seenLegend.has(key);
      seenLegend.add(key);
      traces.push({
        ...t,
        xaxis: `x${k}`,
        yaxis: `y${k}`,
        ...(dup ? { showlegend: false } : {}),
        // One colour bar per panel would overlap the next panel; panels keep their colours.
        ...(t.type === "heatmap" || t.type === "contour" ? { showscale: false } : {}),
      });
    }
    const fx = (f.layout["xaxis"] ?? {}) as Record<string, unknown>;
    const fy = (f.layout["yaxis"] ?? {}) as Record<string, unknown>;
    layout[`xaxis${k}`] = { ...fx, domain: [x0, x0 + cw], anchor: `y${k}` };
    const sa = fy["scaleanchor"];
    layout[`yaxis${k}`] = { ...fy, domain: [y1 - rh, y1], anchor: `x${k}`, ...(sa === undefined ? {} : { scaleanchor: `x${k}` }) };
    const title = options.titles?.[i] ?? titleText(f.layout);
    if (title !== undefined) {
      annotations.push({
        text: title,
        xref: "paper",
        yref: "paper",
        x: x0 + cw / 2,
        y: y1,
        yanchor: "bottom",
        xanchor: "center",
        showarrow: false,
        font: { size: 15 },
      });
    }
  });
  if (annotations.length > 0) layout["annotations"] = annotations;
  return figure(traces, layout, options.name);
}

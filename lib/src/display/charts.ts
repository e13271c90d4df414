/**
 * Charts of numbers against an index or a category: line charts, learning curves, bar charts,
 * histograms, confusion matrices. Every notebook (learning curves from notebook 00 on;
 * lectures 000 and 003, training and evaluation).
 */
import { type AxesOptions, type Figure, type Matrix, type PlotOptions, type Trace, type Vector, colorOf } from "./style";
import { axis, baseLayout, figure, integerTicks, list, logAxis, panelGrid, rows, tint } from "./spec";

/** One line of a line chart. Lecture 000 (training, loss). */
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
  /** Markers only, no line (a scatter of points, e.g. the evaluations of a search). Notebook 04. */
  pointsOnly?: boolean;
}

/** Options of `lineChart`. Notebooks 00–05 (lecture 000, training, loss). */
export interface LineChartOptions extends AxesOptions {
  /** Logarithmic y axis (losses over many epochs). */
  logY?: boolean;
  /** Logarithmic x axis (a sweep over λ or over the number of features). */
  logX?: boolean;
}

function seriesTrace(s: Series, i: number, axes: { xaxis?: string; yaxis?: string } = {}): Trace {
  const y = list(s.y);
  const x = s.x === undefined ? y.map((_, k) => k + 1) : list(s.x);
  if (x.length !== y.length) {
    throw new Error(`series "${s.name}": x has ${x.length} values but y has ${y.length}; give one x per y`);
  }
  return {
    type: "scatter",
    // A single point draws no line (a one-epoch run's learning curve): it gets a marker.
    mode: s.pointsOnly ? "markers" : s.markers || y.length === 1 ? "lines+markers" : "lines",
    name: s.name,
    x,
    y,
    line: { color: colorOf(s.color ?? i), dash: s.dash ?? "solid", width: 2.5 },
    ...axes,
  };
}

/** Integer ticks when every x is a whole number over a short span (epochs, layers, steps: no 1.5, 2.5). */
function wholeNumberTicks(series: Series[]): Record<string, unknown> {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const x = s.x ?? Array.from({ length: s.y.length }, (_, i) => i + 1);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (!Number.isInteger(v)) return {};
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return hi - lo >= 1 && hi - lo <= 12 ? integerTicks(hi - lo, lo) : {};
}

/** A line chart of one or more series (e.g. a loss against the epoch). Notebooks 00–05 (training, loss). */
export function lineChart(series: Series[], options: LineChartOptions = {}): Figure {
  if (series.length === 0) throw new Error("lineChart: no series given; pass at least one { name, y }");
  return figure(
    series.map((s, i) => seriesTrace(s, i)),
    baseLayout(options, {
      xaxis: axis(options.xTitle, options.logX ? logAxis(series.map((s) => s.x ?? [])) : wholeNumberTicks(series)),
      yaxis: axis(options.yTitle, options.logY ? logAxis(series.map((s) => s.y)) : {}),
    }),
    options.name,
  );
}

/** Training history as Keras/TensorFlow.js records it: metric name → one value per epoch. Lecture 003 (learning curves). */
export type History = Record<string, ArrayLike<number>>;

/** Options of `learningCurves`. Notebooks 00 and 03 (lecture 003, learning curves). */
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
 * Notebooks 00 and 03 (lectures 000 and 003, ANN principles, learning curves and train/validation/test; early stopping).
 */
export function learningCurves(history: History, options: LearningCurveOptions = {}): Figure {
  const loss = history["loss"];
  if (loss === undefined) {
    throw new Error(`learningCurves: the history has no "loss" (keys: ${Object.keys(history).join(", ") || "none"})`);
  }
  const accKey = ACCURACY_KEYS.find((k) => history[k] !== undefined);
  const panels = accKey === undefined ? 1 : 2;
  const [lossPanel, accPanel] = panelGrid(panels, panels, { hgap: 0.1 });
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
  // Epochs are whole numbers: no 1.5, 2.5 ticks when there are only a few.
  const epochs = Math.max(0, ...Object.values(history).map((v) => v.length));
  const epochTicks = integerTicks(epochs, epochs <= 12 ? 1 : 0);
  const lossValues = Object.entries(history).filter(([k]) => k === "loss" || k === "val_loss").map(([, v]) => v);
  const layout = baseLayout(options, {
    xaxis: axis("epoch", { domain: lossPanel!.x, anchor: "y", ...epochTicks }),
    yaxis: axis("loss", { anchor: "x", ...(options.logLoss ? logAxis(lossValues) : {}) }),
  });
  if (accKey !== undefined) {
    add(accKey, "accuracy", 1, 2);
    layout["xaxis2"] = axis("epoch", { domain: accPanel!.x, anchor: "y2", ...epochTicks });
    layout["yaxis2"] = axis("accuracy", { anchor: "x2" });
  }
  return figure(traces, layout, options.name);
}


/** One group of bars. Lectures 000 and 003 (softmax outputs, class frequencies). */
export interface BarSeries {
  name: string;
  values: Vector;
}

/** Options of `barChart`. Notebook 02 (lectures 000 and 003, softmax outputs, class frequencies). */
export interface BarChartOptions extends AxesOptions {
  /** Horizontal bars (long category names). */
  horizontal?: boolean;
}

/** A bar chart: one or more series over named categories. Notebook 02 (softmax outputs, class frequencies). */
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

/** Options of `histogram`. Lectures 001 and 003 (initialisation and vanishing gradients). */
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
 * Lectures 001 and 003 (initialisation and vanishing gradients).
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

/** Options of `confusionMatrix`. Notebooks 00, 02 and 05 (lecture 003, evaluation of classifiers). */
export interface ConfusionMatrixOptions extends PlotOptions {
  /** Class names (default 0, 1, …). */
  labels?: string[];
  /** Colour by row fraction (recall) instead of count; the counts are still printed. */
  normalize?: boolean;
}

/**
 * A confusion matrix m[true][predicted] as a heatmap with the count in each cell; true classes as
 * rows from the top, predicted classes as columns. Notebooks 00, 02 and 05 (lecture 003, evaluation of classifiers, MNIST).
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


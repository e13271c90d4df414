/**
 * Figures over the plane: 2-D points by class, a classifier's decision regions behind them, loss
 * surfaces with optimizer trajectories, contour plots. Notebooks 01–03 (lectures 000, 001, 003:
 * decision regions, gradient descent on a two-parameter loss).
 */
import { type Extent, type GridFunction, evaluateGrid } from "../core/grid";
import { type AxesOptions, type Figure, type Matrix, type Trace, type Vector, SEQUENTIAL_SCALE, colorOf } from "./style";
import { axis, baseLayout, figure, list, niceStep, rows, tint } from "./spec";

/** Points of a 2-D classification problem: one row [x1, x2] per point, one class label per point. Lectures 001 and 003 (perceptron and MLP). */
export interface LabelledPoints {
  points: Matrix;
  labels: Vector;
  /** Names of the classes (default "class 0", "class 1", …). */
  classNames?: string[];
}

/**
 * A 2-D classification dataset in the data module's layout: x row-major with cols = 2, y one class
 * per row. Lectures 001 and 003 (perceptron and MLP).
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

/** A scatter plot of 2-D points coloured by class. Notebooks 00 and 01 (lecture 001, perceptron and MLP, toy problems). */
export function scatterClasses(dataset: LabelledPoints | PlaneDataset, options: AxesOptions & { classNames?: string[] } = {}): Figure {
  const data = labelled(dataset, "scatterClasses", options.classNames);
  checkLabelled(data, "scatterClasses");
  return figure(
    classTraces(data),
    baseLayout(options, { xaxis: axis(options.xTitle ?? "x₁"), yaxis: axis(options.yTitle ?? "x₂") }),
    options.name,
  );
}

/** Options of `decisionRegions`. Notebooks 00, 01 and 02 (lectures 000 and 001, decision regions). */
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


/**
 * Decision regions of a classifier behind the labelled points: `classify` is evaluated on a grid
 * (one batched call) and drawn as a heatmap. Notebooks 00, 01 and 02 — lectures 001 (perceptron), 000 and 003 (MLP and XOR, universal
 * approximation).
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


/** A path in the parameter plane, e.g. the iterates w⁽ᵗ⁾ of an optimizer. Lectures 000, 001 and 003 (gradient descent and optimizers). */
export interface Trajectory {
  name: string;
  /** One [w1, w2] per step. */
  points: Matrix;
  /** Colour index in the course scheme, e.g. to match the same run in a loss plot (default: vermillion, green, orange, …). */
  color?: number;
}

/** Options of `lossSurface`. Notebook 03 (lectures 000, 001 and 003, gradient descent and optimizers). */
export interface LossSurfaceOptions extends AxesOptions {
  /** Grid points per axis (default 80). */
  resolution?: number;
  /** Optimizer paths drawn over the contours. */
  trajectories?: Trajectory[];
  /** Contour the logarithm of the loss (for surfaces spanning orders of magnitude). */
  logZ?: boolean;
  /** Number of contour levels (default 20). */
  levels?: number;
  /**
   * Where the legend goes: "top-left" (default), "bottom-right" (for trajectories that start top-left), or
   * "below" the plot, covering nothing (for surfaces whose every corner matters, e.g. Rosenbrock's).
   */
  legend?: "top-left" | "bottom-right" | "below";
}

/** Line dashes and point markers of successive trajectories (told apart where they overlap). */
const TRAJECTORY_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];
const TRAJECTORY_MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "triangle-down"];

/**
 * Contour levels at round values (issue 19: colour-bar ticks at 1.998, 1.325 before): about `count`
 * levels from `lo` to `hi`, their step one of 1, 2, 5 × 10ᵏ, start and end multiples of it.
 */
function contourLevels(lo: number, hi: number, count: number): { start: number; end: number; size: number } {
  if (!(hi > lo)) return { start: lo, end: lo + 1, size: 1 };
  const size = niceStep((hi - lo) / count);
  return { start: Math.floor(lo / size) * size, end: Math.ceil(hi / size) * size, size };
}

/**
 * Contour plot of a loss of two parameters L(w1, w2) with optimizer trajectories over it (start as
 * a circle, end as a star). Notebook 03 — lectures 000 (gradient descent on a 2-parameter loss surface), 001 and 003 (SGD,
 * momentum, Adam).
 */
export function lossSurface(loss: (w1: number, w2: number) => number, extent: Extent, options: LossSurfaceOptions = {}): Figure {
  const grid = evaluateGrid((pts) => pts.map(([a, b]) => loss(a!, b!)), extent, options.resolution ?? 80);
  const z = options.logZ ? grid.z.map((r) => r.map((v) => Math.log10(Math.max(v, 1e-12)))) : grid.z;
  const flat = z.flat();
  const levels = contourLevels(Math.min(...flat), Math.max(...flat), options.levels ?? 20);
  const traces: Trace[] = [
    {
      type: "contour",
      name: options.logZ ? "log₁₀ L" : "L",
      x: grid.x,
      y: grid.y,
      z,
      colorscale: SEQUENTIAL_SCALE,
      contours: { ...levels, coloring: "heatmap" },
      line: { width: 0.5, color: "rgba(255,255,255,0.5)" },
      colorbar: { title: { text: options.logZ ? "log₁₀ L" : "L" }, thickness: 12 },
      hoverinfo: "skip",
    },
  ];
  // Paths that share a valley overlap (Rosenbrock's): the later ones, often the fastest and longest, are
  // drawn first and widest, so that each earlier path stays visible on top; the legend keeps the given order.
  const paths: Trace[] = [];
  (options.trajectories ?? []).forEach((t, i) => {
    const pts = rows(t.points);
    const color = colorOf(t.color ?? (i + 1 === 6 ? 7 : i + 1)); // by default no blue (dark on Viridis) nor yellow (its top)
    // Each path has its own dash and marker, to be told apart where they overlap.
    const mark = TRAJECTORY_MARKERS[i % TRAJECTORY_MARKERS.length]!;
    paths.push({
      type: "scatter",
      mode: "lines+markers",
      name: t.name,
      legendrank: 1000 + i,
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      line: { color, width: 2 + 0.6 * i, dash: TRAJECTORY_DASHES[i % TRAJECTORY_DASHES.length] },
      marker: {
        color,
        size: pts.map((_, k) => (k === 0 || k === pts.length - 1 ? 13 : 6 + i)),
        symbol: pts.map((_, k) => (k === 0 ? "circle" : k === pts.length - 1 ? "star" : mark)),
        line: { color: "#ffffff", width: 1 },
      },
    });
  });
  traces.push(...paths.reverse());
  return figure(
    traces,
    baseLayout(options, {
      xaxis: axis(options.xTitle ?? "w₁", { range: extent.x, showgrid: false }),
      yaxis: axis(options.yTitle ?? "w₂", { range: extent.y, showgrid: false }),
      legend:
        options.legend === "below"
          ? { orientation: "h", x: 0, xanchor: "left", y: -0.15, yanchor: "top", bgcolor: "rgba(255,255,255,0)" }
          : options.legend === "bottom-right"
            ? { bgcolor: "rgba(255,255,255,0.8)", x: 0.99, xanchor: "right", y: 0.01, yanchor: "bottom" }
            : { bgcolor: "rgba(255,255,255,0.8)", x: 0.01, y: 0.99 },
    }),
    options.name,
  );
}

/** A contour plot of z[row = y][column = x] on given axes. Lecture 000 (loss surfaces). */
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


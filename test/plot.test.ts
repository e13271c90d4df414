import { describe, expect, it } from "vitest";
import { imagePng } from "../lib/src/display/png";
import { COLORS, DIVERGING_SCALE, type Figure } from "../lib/src/display/style";
import { barChart, confusionMatrix, histogram, learningCurves, lineChart } from "../lib/src/display/charts";
import { contourPlot, decisionRegions, lossSurface, scatterClasses } from "../lib/src/display/plane";
import { heatmap, imageGrid } from "../lib/src/display/images";
import { subplots } from "../lib/src/display/subplots";
import { panelGrid } from "../lib/src/display/spec";
import { confusionCounts } from "../lib/src/core/metrics";
import { evaluateGrid, linspace } from "../lib/src/core/grid";

const history = { loss: [1, 0.5, 0.25], val_loss: [1.2, 0.7, 0.5], acc: [0.5, 0.75, 0.9], val_acc: [0.4, 0.6, 0.8] };

describe("lineChart", () => {
  it("makes one line trace per series, x defaulting to 1..n, typed arrays as plain arrays", () => {
    const fig = lineChart([{ name: "loss", y: Float32Array.from([3, 2, 1]) }, { name: "other", x: [0, 5, 10], y: [1, 2, 3], dash: "dash" }], {
      name: "losses",
      xTitle: "epoch",
      logY: true,
    });
    expect(fig.name).toBe("losses");
    expect(fig.data).toHaveLength(2);
    expect(fig.data[0]).toMatchObject({ type: "scatter", mode: "lines", name: "loss", x: [1, 2, 3], y: [3, 2, 1] });
    expect(Array.isArray(fig.data[0]!["y"])).toBe(true);
    expect(fig.data[1]).toMatchObject({ x: [0, 5, 10], line: { dash: "dash", color: COLORS[1] } });
    expect(fig.layout["xaxis"]).toMatchObject({ title: { text: "epoch" } });
    expect(fig.layout["yaxis"]).toMatchObject({ type: "log" });
    expect(fig.layout["xaxis"]).not.toMatchObject({ type: "log" });
    expect(lineChart([{ name: "a", x: [1, 10], y: [1, 2] }], { logX: true }).layout["xaxis"]).toMatchObject({ type: "log" });
    const modes = lineChart([{ name: "m", y: [1, 2], markers: true }, { name: "p", y: [1, 2], pointsOnly: true }]).data.map((t) => t["mode"]);
    expect(modes).toEqual(["lines+markers", "markers"]);
    // A one-epoch learning curve is a single point: without a marker it would draw nothing.
    expect(learningCurves({ loss: [0.5], acc: [0.8] }).data.map((t) => t["mode"])).toEqual(["lines+markers", "lines+markers"]);
  });

  it("log axes write powers of ten (no 100µ), one tick per decade over ≥ 2 decades, else 1-2-5 (issue 19)", () => {
    const wide = lineChart([{ name: "g", y: [1e-6, 1e-3, 1] }], { logY: true });
    expect(wide.layout["yaxis"]).toMatchObject({ type: "log", exponentformat: "power", dtick: 1 });
    const narrow = lineChart([{ name: "g", y: [0.2, 0.5, 1.2] }], { logY: true });
    expect(narrow.layout["yaxis"]).toMatchObject({ type: "log", tickvals: [0.2, 0.5, 1], ticktext: ["0.2", "0.5", "1"] });
    const tiny = lineChart([{ name: "g", y: [1e-5, 3e-5, 1e-4] }], { logY: true });
    expect(tiny.layout["yaxis"]).toMatchObject({ tickvals: [1e-5, 2e-5, 5e-5, 1e-4], ticktext: ["10⁻⁵", "2·10⁻⁵", "5·10⁻⁵", "10⁻⁴"] });
    // Whole-number x over a short span: integer ticks (no 1.5, 2.5).
    expect(lineChart([{ name: "a", y: [1, 2, 3] }]).layout["xaxis"]).toMatchObject({ tickmode: "linear", tick0: 1, dtick: 1 });
    expect(lineChart([{ name: "a", x: [0.5, 1], y: [1, 2] }]).layout["xaxis"]).not.toHaveProperty("dtick");
  });

  it("rejects mismatched x/y, no series and names unusable as file names", () => {
    expect(() => lineChart([{ name: "a", x: [1, 2], y: [1, 2, 3] }])).toThrow(/x has 2 values but y has 3/);
    expect(() => lineChart([])).toThrow(/no series/);
    expect(() => lineChart([{ name: "a", y: [1] }], { name: "bad name/" })).toThrow(/not usable as a file name/);
  });
});

describe("learningCurves", () => {
  it("puts loss and accuracy in two panels, validation dashed in the same colour", () => {
    const fig = learningCurves(history, { name: "curves" });
    expect(fig.data.map((t) => t.name)).toEqual(["training loss", "validation loss", "training accuracy", "validation accuracy"]);
    expect(fig.data.map((t) => [t["xaxis"], t["yaxis"]])).toEqual([
      ["x", "y"],
      ["x", "y"],
      ["x2", "y2"],
      ["x2", "y2"],
    ]);
    expect(fig.data[1]).toMatchObject({ x: [1, 2, 3], y: [1.2, 0.7, 0.5], line: { dash: "dash", color: COLORS[0] } });
    expect(fig.data[2]).toMatchObject({ line: { dash: "solid", color: COLORS[1] } });
    expect(fig.layout["yaxis2"]).toMatchObject({ title: { text: "accuracy" }, anchor: "x2" });
    const [d1, d2] = [(fig.layout["xaxis"] as { domain: number[] }).domain, (fig.layout["xaxis2"] as { domain: number[] }).domain];
    expect(d1[1]).toBeLessThan(d2[0]!);
    // Epochs are whole numbers: one tick per epoch for a few epochs (no 1.5, 2.5), a round step for many.
    expect(fig.layout["xaxis"]).toMatchObject({ tickmode: "linear", tick0: 1, dtick: 1, tickformat: "d" });
    expect(fig.layout["xaxis2"]).toMatchObject({ dtick: 1 });
    expect(learningCurves({ loss: new Array(40).fill(1) }).layout["xaxis"]).toMatchObject({ tick0: 0, dtick: 5 });
  });

  it("has one panel without accuracy and names the missing loss", () => {
    expect(learningCurves({ loss: [1, 2] }).data).toHaveLength(1);
    expect(learningCurves({ loss: [1, 2] }).layout["xaxis2"]).toBeUndefined();
    expect(() => learningCurves({ acc: [1] })).toThrow(/no "loss" \(keys: acc\)/);
  });
});

describe("scatter and decision regions", () => {
  const points = [
    [-1, -1],
    [-0.5, 1],
    [1, 0.5],
    [2, -1],
  ];
  const labels = [0, 0, 1, 1];

  it("groups points by class, in class order, from rows or from a lib Dataset layout", () => {
    const fig = scatterClasses({ points, labels }, { classNames: ["neg", "pos"] });
    expect(fig.data.map((t) => t.name)).toEqual(["neg", "pos"]);
    expect(fig.data[1]).toMatchObject({ x: [1, 2], y: [0.5, -1], marker: { color: COLORS[1] } });
    const fromDataset = scatterClasses({ x: Float32Array.from(points.flat()), y: Int32Array.from(labels), cols: 2 }, { classNames: ["neg", "pos"] });
    expect(JSON.stringify(fromDataset)).toBe(JSON.stringify(fig));
    expect(() => scatterClasses({ points, labels: [0, 1] })).toThrow(/4 points but 2 labels/);
    expect(() => scatterClasses({ x: [1, 2, 3], y: [0], cols: 3 })).toThrow(/needs 2/);
  });

  it("evaluates the classifier once on the grid: z[row = x2][col = x1]", () => {
    let calls = 0;
    const classify = (pts: number[][]) => {
      calls++;
      return pts.map(([a]) => (a! > 0 ? 1 : 0));
    };
    const fig = decisionRegions(classify, { points, labels }, { extent: { x: [-2, 2], y: [-1, 1] }, resolution: 5 });
    expect(calls).toBe(1);
    const bg = fig.data[0]!;
    expect(bg).toMatchObject({ type: "heatmap", x: [-2, -1, 0, 1, 2], y: [-1, -0.5, 0, 0.5, 1] });
    expect(bg["z"]).toEqual(Array.from({ length: 5 }, () => [0, 0, 0, 1, 1]));
    expect(fig.data.slice(1).map((t) => t.type)).toEqual(["scatter", "scatter"]);
    expect(fig.layout["xaxis"]).toMatchObject({ range: [-2, 2] });
  });

  it("draws probabilities with the 0.5 boundary, and checks the classifier's output length", () => {
    const fig = decisionRegions((pts) => pts.map(([a]) => 1 / (1 + Math.exp(-a!))), { points, labels }, { mode: "probability", resolution: 3 });
    expect(fig.data.map((t) => t.type)).toEqual(["heatmap", "contour", "scatter", "scatter"]);
    expect(fig.data[1]!["contours"]).toMatchObject({ start: 0.5, end: 0.5 });
    expect(() => decisionRegions(() => [1], { points, labels }, { resolution: 3 })).toThrow(/returned 1 values for 9 points/);
  });

  it("grids include both ends", () => {
    expect(linspace(0, 1, 3)).toEqual([0, 0.5, 1]);
    expect(() => linspace(0, 1, 1)).toThrow(/integer ≥ 2/);
    const g = evaluateGrid((pts) => pts.map(([a, b]) => 10 * a! + b!), { x: [0, 1], y: [0, 2] }, 2);
    expect(g.z).toEqual([
      [0, 10],
      [2, 12],
    ]);
  });
});

describe("heatmaps, surfaces and contours", () => {
  it("heatmap reads matrices top-down and can centre a diverging scale", () => {
    const fig = heatmap([Float32Array.from([1, -1]), [0, 2]], { colorscale: "RdBu", zmid: 0, textFormat: ".1f" });
    expect(fig.data[0]).toMatchObject({ type: "heatmap", z: [[1, -1], [0, 2]], zmid: 0, colorscale: "RdBu", texttemplate: "%{z:.1f}" });
    expect(fig.layout["yaxis"]).toMatchObject({ autorange: "reversed" });
  });

  it("heatmap draws a matrix as a matrix: square cells, integer indices as ticks (issue 19)", () => {
    const fig = heatmap([[1, 2, 3], [4, 5, 6]]);
    expect(fig.layout["xaxis"]).toMatchObject({ tickmode: "linear", tick0: 0, dtick: 1, tickformat: "d", constrain: "domain" });
    expect(fig.layout["yaxis"]).toMatchObject({ tickmode: "linear", tick0: 0, dtick: 1, scaleanchor: "x", scaleratio: 1, autorange: "reversed" });
    // Large matrices: a readable integer step; labelled axes keep plotly's ticks and free aspect.
    expect(heatmap(Array.from({ length: 40 }, () => new Array(40).fill(0))).layout["xaxis"]).toMatchObject({ dtick: 5 });
    const labelled = heatmap([[1, 2]], { x: ["a", "b"], y: ["r"] });
    expect(labelled.layout["yaxis"]).not.toHaveProperty("scaleanchor");
    expect(labelled.layout["xaxis"]).not.toHaveProperty("dtick");
  });

  it("lossSurface contours L on the grid and marks each trajectory's start and end", () => {
    const fig = lossSurface((a, b) => a * a + 2 * b * b, { x: [-1, 1], y: [-1, 1] }, {
      resolution: 3,
      trajectories: [{ name: "SGD", points: [[1, 1], [0.5, 0.2], [0, 0]] }],
    });
    expect(fig.data[0]).toMatchObject({ type: "contour", x: [-1, 0, 1], y: [-1, 0, 1] });
    expect(fig.data[0]!["z"]).toEqual([
      [3, 2, 3],
      [1, 0, 1],
      [3, 2, 3],
    ]);
    expect(fig.data[1]).toMatchObject({ name: "SGD", x: [1, 0.5, 0], y: [1, 0.2, 0], marker: { symbol: ["circle", "circle", "star"], size: [13, 6, 13] } });
    expect(fig.layout["legend"]).toMatchObject({ x: 0.01, y: 0.99 });
    // Contour levels at round values: L from 0 to 3 in steps of 0.2.
    expect(fig.data[0]!["contours"]).toMatchObject({ start: 0, end: 3, size: 0.2 });
    const moved = lossSurface((a) => a, { x: [0, 1], y: [0, 1] }, { resolution: 2, legend: "bottom-right" });
    expect(moved.layout["legend"]).toMatchObject({ x: 0.99, xanchor: "right", y: 0.01, yanchor: "bottom" });
    // Overlapping paths are told apart by dash and marker; a legend below the plot covers nothing.
    const two = lossSurface((a) => a, { x: [0, 1], y: [0, 1] }, {
      resolution: 2,
      legend: "below",
      trajectories: [{ name: "a", points: [[0, 0], [0.5, 0.5], [1, 1]] }, { name: "b", points: [[0, 0], [0.5, 0.5], [1, 1]] }],
    });
    expect(two.layout["legend"]).toMatchObject({ orientation: "h", yanchor: "top" });
    expect((two.layout["legend"] as { y: number }).y).toBeLessThan(0);
    // Drawn last to first (the first path on top), listed first to last.
    expect(two.data.slice(1).map((t) => t.name)).toEqual(["b", "a"]);
    expect(two.data.slice(1).map((t) => t["legendrank"])).toEqual([1001, 1000]);
    expect(two.data.slice(1).map((t) => (t["line"] as { dash: string }).dash)).toEqual(["dash", "solid"]);
    expect(two.data.slice(1).map((t) => (t["marker"] as { symbol: string[] }).symbol[1])).toEqual(["square", "circle"]);
    const logged = lossSurface((a) => 10 ** a, { x: [0, 2], y: [0, 1] }, { resolution: 3, logZ: true });
    expect(logged.data[0]!["z"]).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });

  it("contourPlot checks z against the axes", () => {
    expect(contourPlot([0, 1], [0, 1, 2], [[1, 2], [3, 4], [5, 6]]).data[0]).toMatchObject({ type: "contour" });
    expect(() => contourPlot([0, 1], [0, 1], [[1, 2, 3], [1, 2, 3]])).toThrow(/2 rows \(one per y\) of 2 values/);
  });
});

describe("imageGrid", () => {
  it("makes one grey PNG image per cell on its own square, hidden axes, with captions under it", () => {
    const img = { width: 2, height: 3, data: [0, 0.5, 1, 0, 0.5, 1] };
    const fig = imageGrid([img, img, img], { columns: 2, captions: ["a", "b", "c"], name: "digits" });
    expect(fig.data).toHaveLength(3);
    const png = imagePng(img, { scale: 1, range: [0, 1] }).toString("base64");
    expect(fig.data[0]).toEqual({ type: "image", source: `data:image/png;base64,${png}`, xaxis: "x", yaxis: "y", hoverinfo: "skip" });
    expect(fig.data[2]).toMatchObject({ xaxis: "x3", yaxis: "y3" });
    expect(fig.layout["yaxis3"]).toMatchObject({ autorange: "reversed", scaleanchor: "x3", showticklabels: false });
    expect(fig.layout["coloraxis"]).toBeUndefined();
    const ann = fig.layout["annotations"] as Array<Record<string, unknown>>;
    expect(ann.map((a) => a["text"])).toEqual(["a", "b", "c"]);
    expect(ann[2]).toMatchObject({ xref: "x3 domain", yref: "y3 domain", y: 0, yanchor: "top" });
    // Row 2 sits below row 1.
    const [r1, r2] = [(fig.layout["yaxis"] as { domain: number[] }).domain, (fig.layout["yaxis3"] as { domain: number[] }).domain];
    expect(r2[1]).toBeLessThanOrEqual(r1[0]!);
  });

  it("uses a symmetric range for filters with a diverging scale and rejects bad input", () => {
    const fig = imageGrid([[[1, -3]], [[2, 0]]], { colorscale: DIVERGING_SCALE });
    expect(fig.layout["coloraxis"]).toMatchObject({ colorscale: DIVERGING_SCALE, cmin: -3, cmax: 3, showscale: true });
    expect(fig.data[0]).toMatchObject({ type: "heatmap", z: [[1, -3]], coloraxis: "coloraxis" });
    expect(() => imageGrid([])).toThrow(/no images/);
    expect(() => imageGrid([[[1]]], { captions: ["a", "b"] })).toThrow(/2 captions for 1 images/);
    expect(() => imageGrid([{ width: 2, height: 2, data: [1] }])).toThrow(/width × height = 4/);
  });
});

describe("bars and confusion matrices", () => {
  it("barChart groups series over categories", () => {
    const fig = barChart(["a", "b"], [{ name: "p", values: [0.2, 0.8] }, { name: "q", values: [0.5, 0.5] }]);
    expect(fig.data[0]).toMatchObject({ type: "bar", x: ["a", "b"], y: [0.2, 0.8] });
    expect(fig.layout).toMatchObject({ barmode: "group", showlegend: true });
    expect(barChart([0, 1], { name: "p", values: [1, 2] }, { horizontal: true }).data[0]).toMatchObject({ orientation: "h", y: ["0", "1"] });
    expect(() => barChart(["a"], { name: "p", values: [1, 2] })).toThrow(/2 values for 1 categories/);
  });

  it("histogram bins here: counts per equal-width bin, the maximum in the last bin", () => {
    const fig = histogram({ name: "w", values: Float32Array.from([0, 0.1, 0.5, 0.9, 1]) }, { bins: 2 });
    expect(fig.data[0]).toMatchObject({ type: "bar", x: [0.25, 0.75], y: [2, 3], width: 0.5 });
    const two = histogram([{ name: "a", values: [0, 1, 2, 3] }, { name: "b", values: [3, 9] }], { bins: 2, range: [0, 4], normalize: true });
    expect(two.data.map((t) => t["y"])).toEqual([[0.5, 0.5], [0, 1]]);
    expect(two.layout).toMatchObject({ barmode: "overlay", showlegend: true });
    expect(() => histogram({ name: "e", values: [] })).toThrow(/no finite values/);
  });

  it("confusionCounts counts (true, predicted) pairs", () => {
    expect(confusionCounts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(() => confusionCounts([0, 3], [0, 0], 3)).toThrow(/pair 1 is \(3, 0\)/);
    expect(() => confusionCounts([0], [0, 1], 2)).toThrow(/1 true labels but 2 predictions/);
  });

  it("confusionMatrix prints the counts and can colour by row fraction", () => {
    const m = [
      [8, 2],
      [1, 9],
    ];
    const fig = confusionMatrix(m, { labels: ["cat", "dog"], normalize: true });
    expect(fig.data[0]).toMatchObject({ x: ["cat", "dog"], y: ["cat", "dog"], text: [["8", "2"], ["1", "9"]], z: [[0.8, 0.2], [0.1, 0.9]] });
    expect(fig.layout["yaxis"]).toMatchObject({ title: { text: "true" }, autorange: "reversed" });
    expect(() => confusionMatrix([[1, 2]])).toThrow(/square/);
  });
});

describe("subplots", () => {
  it("moves each figure to its own axes and keeps one legend entry per name", () => {
    const a = lineChart([{ name: "loss", y: [1, 2] }], { title: "A", xTitle: "epoch" });
    const b = lineChart([{ name: "loss", y: [3, 4] }], { title: "B" });
    const fig = subplots([a, b, heatmap([[1]])], { columns: 2, name: "grid" });
    expect(fig.data.map((t) => [t["xaxis"], t["yaxis"]])).toEqual([
      ["x", "y"],
      ["x2", "y2"],
      ["x3", "y3"],
    ]);
    expect(fig.data[1]!["showlegend"]).toBe(false);
    expect(fig.data[2]!["showscale"]).toBe(false);
    expect(fig.layout["xaxis"]).toMatchObject({ title: { text: "epoch" }, anchor: "y" });
    expect((fig.layout["annotations"] as Array<{ text: string }>).map((x) => x.text)).toEqual(["A", "B"]);
    expect(() => subplots([learningCurves(history)])).toThrow(/several panels/);
  });
});

describe("determinism", () => {
  it("the same data gives byte-identical JSON, with no random ids or times", () => {
    const make = (): Figure[] => [
      learningCurves(history, { name: "lc" }),
      decisionRegions((p) => p.map(([a, b]) => (a! * b! > 0 ? 1 : 0)), { points: [[0, 1], [1, 1]], labels: [0, 1] }, { resolution: 20 }),
      imageGrid([[[0, 1], [1, 0]]], { captions: ["x"] }),
      lossSurface((a, b) => a * a + b * b, { x: [-1, 1], y: [-1, 1] }, { resolution: 10, trajectories: [{ name: "gd", points: [[1, 1], [0, 0]] }] }),
    ];
    const first = JSON.stringify(make());
    expect(JSON.stringify(make())).toBe(first);
    expect(first).not.toMatch(/"(uid|id)"\s*:/);
    expect(first).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it("image grids, subplots and learning curves share one panel grid: equal cells, gaps between, rows from the top", () => {
    const grid = panelGrid(5, 2, { hgap: 0.1, vgap: 0.2 });
    expect(grid.map((p) => [p.row, p.column])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]]);
    expect(grid[0]!.x[0]).toBe(0);
    expect(grid[1]!.x[1]).toBeCloseTo(1, 12);
    expect(grid[1]!.x[0] - grid[0]!.x[1]).toBeCloseTo(0.1, 12);
    expect(grid[0]!.y[1]).toBe(1);
    expect(grid[4]!.y[0]).toBeCloseTo(0, 12);
    expect(grid[0]!.y[0] - grid[2]!.y[1]).toBeCloseTo(0.2, 12);
    const sub = subplots([lineChart([{ name: "a", y: [1, 2] }]), lineChart([{ name: "b", y: [1, 2] }])], { columns: 2 });
    expect(sub.layout["xaxis2"]).toMatchObject({ domain: panelGrid(2, 2, { hgap: 0.1 })[1]!.x });
    const curves = learningCurves({ loss: [1, 0.5], acc: [0.5, 0.9] });
    expect((curves.layout["xaxis2"] as { domain: number[] }).domain).toEqual(panelGrid(2, 2, { hgap: 0.1 })[1]!.x);
  });
});

/**
 * Small multiples: several single-panel figures placed in one grid figure. Notebooks 01, 02, 03 and 05.
 */
import type { Figure, PlotOptions, Trace } from "./style";
import { baseLayout, figure, panelGrid, textLabel, titleText } from "./spec";

/** Options of `subplots`. Notebooks 01, 02, 03 and 05 (plots). */
export interface SubplotOptions extends PlotOptions {
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Panel titles (default: each figure's title). */
  titles?: string[];
}


/**
 * Small multiples: places single-panel figures side by side in a grid, each keeping its traces and
 * axis settings (e.g. the same classifier at several epochs). Notebooks 01, 02, 03 and 05.
 */
export function subplots(figures: Figure[], options: SubplotOptions = {}): Figure {
  if (figures.length === 0) throw new Error("subplots: no figures given");
  const columns = Math.min(options.columns ?? figures.length, figures.length);
  const gridRows = Math.ceil(figures.length / columns);
  const layout = baseLayout(options, { height: options.height ?? 360 * gridRows + (options.title ? 40 : 0) });
  // Between rows: the upper panel's tick labels and axis title, then the lower panel's title (in pixels).
  const hasTitles = figures.some((f, i) => (options.titles?.[i] ?? titleText(f.layout)) !== undefined);
  const margin = layout["margin"] as { t: number; b: number };
  // Room for the top row's panel titles under the figure's title.
  if (hasTitles) layout["margin"] = { ...margin, t: margin.t + (options.title ? 28 : 10) };
  const plotHeight = (layout.height as number) - (layout["margin"] as { t: number }).t - margin.b;
  const vgap = gridRows === 1 ? 0 : Math.min(0.3, (hasTitles ? 100 : 65) / plotHeight);
  // Between columns: the right panel's tick labels and axis title clear of the left panel.
  const panels = panelGrid(figures.length, columns, { hgap: 0.1, vgap });
  const traces: Trace[] = [];
  const annotations: Record<string, unknown>[] = [];
  const seenLegend = new Set<string>();
  figures.forEach((f, i) => {
    const k = i === 0 ? "" : String(i + 1);
    const multi = f.data.some((t) => (t["xaxis"] !== undefined && t["xaxis"] !== "x") || (t["yaxis"] !== undefined && t["yaxis"] !== "y"));
    if (multi) throw new Error(`subplots: figure ${i}${f.name ? ` ("${f.name}")` : ""} already has several panels; pass single-panel figures`);
    const { x: [x0, x1], y: [y0, y1] } = panels[i]!;
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
    layout[`xaxis${k}`] = { ...fx, domain: [x0, x1], anchor: `y${k}` };
    const sa = fy["scaleanchor"];
    layout[`yaxis${k}`] = { ...fy, domain: [y0, y1], anchor: `x${k}`, ...(sa === undefined ? {} : { scaleanchor: `x${k}` }) };
    const title = options.titles?.[i] ?? titleText(f.layout);
    if (title !== undefined) {
      // 8 px above the panel: clear of its top tick label and of a reversed axis's ticks.
      annotations.push(textLabel(title, (x0 + x1) / 2, y1, { xref: "paper", yref: "paper", anchor: "bottom", size: 15, yshift: 8 }));
    }
  });
  if (annotations.length > 0) layout["annotations"] = annotations;
  return figure(traces, layout, options.name);
}

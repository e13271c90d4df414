/**
 * Figures of the language notebook: a 2-D map of word vectors with each point labelled by its word, and an
 * attention heatmap whose axes are the source and output symbols (repeated symbols stay separate columns).
 * Lecture: word embedding, machine translation with attention (004).
 */
import { heatmap } from "./images";
import { scatterClasses } from "./plane";
import { colorOf, type AxesOptions, type Figure, type Trace } from "./style";

/** Options of `wordMap`. Notebook 07 (lecture 004, word embedding). */
export interface WordMapOptions extends AxesOptions {
  /** Name of each group (the legend), indexed by the group ids. */
  groupNames?: string[];
}

/**
 * A scatter plot of words placed at 2-D coordinates (e.g. their first two principal components), each point
 * labelled with its word and coloured by its group. Notebook 07 (lecture 004, word embedding map).
 */
export function wordMap(x: ArrayLike<number>, y: ArrayLike<number>, words: readonly string[], groups: ArrayLike<number>, options: WordMapOptions = {}): Figure {
  const n = words.length;
  if (x.length !== n || y.length !== n || groups.length !== n) {
    throw new Error(`wordMap: ${n} words but ${x.length} x, ${y.length} y and ${groups.length} groups; give one of each per word`);
  }
  const base = scatterClasses(
    { points: Array.from({ length: n }, (_, i) => [Number(x[i]), Number(y[i])]), labels: groups },
    { ...options, xTitle: options.xTitle ?? "PC 1", yTitle: options.yTitle ?? "PC 2" },
  );
  const ids = [...new Set(Array.from(groups, Number))].sort((a, b) => a - b);
  const data: Trace[] = ids.map((g) => {
    const members = Array.from({ length: n }, (_, i) => i).filter((i) => Number(groups[i]) === g);
    return {
      type: "scatter",
      mode: "markers+text",
      name: options.groupNames?.[g] ?? `group ${g}`,
      x: members.map((i) => Number(x[i])),
      y: members.map((i) => Number(y[i])),
      text: members.map((i) => words[i]!),
      textposition: "top center",
      textfont: { size: 12, color: colorOf(g) },
      marker: { color: colorOf(g), size: 7, line: { color: "#ffffff", width: 0.8 } },
    };
  });
  return { ...base, data };
}

/**
 * An attention heatmap: row t = output step (its symbol on the y axis), column j = source position (its symbol on
 * the x axis), colour = weight α_tj. Positions are numbered internally so repeated symbols keep their own columns.
 * Notebook 07 (lecture 004, attention).
 */
export function attentionMap(weights: readonly ArrayLike<number>[], source: readonly string[], output: readonly string[], options: AxesOptions = {}): Figure {
  if (weights.length !== output.length) throw new Error(`attentionMap: ${weights.length} rows of weights for ${output.length} output symbols`);
  for (const [t, w] of weights.entries()) {
    if (w.length !== source.length) throw new Error(`attentionMap: row ${t} has ${w.length} weights for ${source.length} source symbols`);
  }
  const fig = heatmap(weights, {
    ...options,
    xTitle: options.xTitle ?? "source (encoder position)",
    yTitle: options.yTitle ?? "output (decoder step)",
    colorscale: [[0, "#ffffff"], [1, "#0072B2"]],
  });
  // Plotly reads tick text as HTML-like markup: "</s>" would vanish, so escape the angle brackets.
  const escape = (t: string) => t.replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const xaxis = fig.layout["xaxis"] as Record<string, unknown>;
  const yaxis = fig.layout["yaxis"] as Record<string, unknown>;
  fig.layout["xaxis"] = { ...xaxis, tickmode: "array", tickvals: source.map((_, j) => j), ticktext: source.map(escape), tickangle: 0 };
  fig.layout["yaxis"] = { ...yaxis, tickmode: "array", tickvals: output.map((_, t) => t), ticktext: output.map(escape) };
  (fig.data[0] as Trace)["zmin"] = 0;
  (fig.data[0] as Trace)["zmax"] = 1;
  return fig;
}

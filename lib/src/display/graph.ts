/**
 * Drawing a computational graph (the autodiff engine's `graphNodes` listing). Notebook 03
 * (lecture 003, backpropagation on a computational graph).
 */
import type { GraphNode } from "../core/graph";
import type { Figure } from "./style";

/**
 * A plotly figure of a computational graph listed by `graphNodes(root)`: operations in columns by depth, each leaf just
 * left of its first use, an arrow from each input to the node it feeds, each node annotated with its
 * label or operation, value and gradient.
 * Notebook 03 (lecture 003, backpropagation on a computational graph).
 */
export function graphFigure(nodes: readonly GraphNode[], options: { title?: string; name?: string } = {}): Figure {
  const { title = "computational graph", name = "autodiff-graph" } = options;
  // An operation sits in the column of its depth; a leaf just left of the first node that uses it.
  const column = nodes.map((n) => (n.op === "" && n.id < nodes.length - 1 ? Infinity : n.depth));
  for (const n of nodes) for (const j of n.inputs) if (nodes[j]!.op === "") column[j] = Math.min(column[j]!, n.depth - 1);
  const rows = new Map<number, number>();
  const pos = nodes.map((n) => {
    const c = column[n.id]!;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    return [c, r] as [number, number];
  });
  // Centre each column vertically.
  const height = Math.max(...rows.values());
  const xy = pos.map(([c, r]) => [c, r - (rows.get(c)! - 1) / 2 + (height - 1) / 2] as [number, number]);
  const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : String(+x.toFixed(4)));
  const arrows = nodes.flatMap((n) =>
    n.inputs.map((j) => ({
      x: xy[n.id]![0], y: xy[n.id]![1], ax: xy[j]![0], ay: xy[j]![1],
      xref: "x", yref: "y", axref: "x", ayref: "y", showarrow: true, arrowhead: 2, arrowsize: 1, standoff: 27, startstandoff: 27,
      arrowcolor: "#888", text: "",
    })),
  );
  return {
    name,
    data: [
      {
        type: "scatter",
        mode: "markers+text",
        x: xy.map((p) => p[0]),
        y: xy.map((p) => p[1]),
        text: nodes.map((n) => `<b>${n.label}</b><br>${fmt(n.data)}<br>∂=${fmt(n.grad)}`),
        textposition: "middle center",
        marker: { size: 52, color: nodes.map((n) => (n.op === "" ? "#dbe9f6" : "#fde9d0")), line: { color: "#555", width: 1 } },
        hoverinfo: "text",
        showlegend: false,
      },
    ],
    layout: {
      title: { text: title },
      annotations: arrows,
      xaxis: { visible: false, range: [-0.5, Math.max(...xy.map((p) => p[0])) + 0.5] },
      yaxis: { visible: false, range: [-0.7, height - 0.3] },
      height: Math.max(260, 90 * height),
      margin: { l: 10, r: 10, t: 40, b: 10 },
    },
  };
}

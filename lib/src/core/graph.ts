/**
 * A computational graph as plain data, shared by the autodiff engine that lists it and the figure
 * that draws it. Notebook 03 (lectures 000 and 003, computational graph).
 */

/** One node of a computational graph listing. Notebook 03 (lecture 003, computational graph). */
export interface GraphNode {
  /** Position in topological order (inputs first). */
  id: number;
  label: string;
  op: string;
  data: number;
  grad: number;
  /** Ids of the nodes this one was computed from. */
  inputs: number[];
  /** Longest path from a leaf (leaves are at depth 0): the column to draw the node in. */
  depth: number;
}

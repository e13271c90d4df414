/**
 * Grids over the plane: the rectangle a plot or a loss surface covers, evenly spaced values, and a
 * function evaluated on every grid point. Used by the decision-region and loss-surface figures
 * (notebooks 01–03) and by the TensorFlow.js model grids.
 */

/** A rectangle of the plane: [min, max] along x1 and along x2. Lectures 000 and 001 (decision regions and loss surfaces). */
export interface Extent {
  x: [number, number];
  y: [number, number];
}

/** Evaluates a model on a batch of 2-D points (rows [x1, x2]); returns one value per point. Lectures 000 and 001 (decision regions). */
export type GridFunction = (points: number[][]) => ArrayLike<number>;

/** `n` evenly spaced values from `a` to `b` inclusive. Notebooks 01, 02 and 03 (grids for plots). */
export function linspace(a: number, b: number, n: number): number[] {
  if (!(n >= 2) || !Number.isInteger(n)) throw new Error(`linspace: n must be an integer ≥ 2, got ${n}`);
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/**
 * Evaluates `f` on a resolution × resolution grid; returns the axes and z[row = x2][col = x1].
 * Lectures 000 and 001 (decision regions and loss surfaces).
 */
export function evaluateGrid(f: GridFunction, extent: Extent, resolution: number): { x: number[]; y: number[]; z: number[][] } {
  const x = linspace(extent.x[0], extent.x[1], resolution);
  const y = linspace(extent.y[0], extent.y[1], resolution);
  const pts: number[][] = [];
  for (const b of y) for (const a of x) pts.push([a, b]);
  const values = f(pts);
  if (values.length !== pts.length) {
    throw new Error(`the grid function returned ${values.length} values for ${pts.length} points; return one value per point`);
  }
  const z = y.map((_, r) => x.map((_, c) => Number(values[r * resolution + c])));
  return { x, y, z };
}

/**
 * A grid function from a function of one point: `pointwise((p) => unit.predict(p))` evaluates it on
 * every grid point, for from-scratch models that take one input at a time (a threshold unit, an MLP).
 * Notebooks 01 and 02 (lectures 000 and 001, decision regions).
 */
export function pointwise(f: (point: number[]) => number): GridFunction {
  return (points) => points.map((p) => f(p));
}

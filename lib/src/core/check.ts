/**
 * Checks that notebooks use to verify the lectures' numbers: a failing check throws, so the cell
 * fails and the headless runner fails the notebook. Notebooks 00–05.
 */

/** Tolerances for `checkClose`: |a − b| ≤ atol + rtol·|b|, element-wise. */
export interface CloseOptions {
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
}

/**
 * A check that did not hold: the message names what was checked, what came out and what was expected.
 * Inside a notebook kernel its stack is only the message and the notebook cell line that failed (the
 * kernel prints the stack of an uncaught error: tslab and node:vm frames would bury that line).
 */
export class CheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckError";
    const short = cellStack(this);
    // An accessor: node prefixes a string `stack` thrown out of a vm script with the library line that
    // threw ("check.js:35 / throw new CheckError… / ^"); its write is ignored.
    if (short !== null) Object.defineProperty(this, "stack", { get: () => short, set: () => {}, configurable: true, enumerable: false });
  }
}

/** Script name → JavaScript of each cell the kernel ran (kept by the kernel preload of nbconvert-ts-runner). */
const CELL_SCRIPTS = Symbol.for("nbconvert-ts-runner.cellScripts");

interface CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
}

/**
 * "CheckError: message" and the line of the innermost notebook cell frame ("    at cell line: …"),
 * or null outside a kernel (no cell frame; the ordinary stack is kept).
 */
function cellStack(error: Error): string | null {
  const scripts = (globalThis as Record<symbol, unknown>)[CELL_SCRIPTS];
  if (!(scripts instanceof Map)) return null;
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: CallSite[] = [];
  try {
    Error.stackTraceLimit = 50;
    Error.prepareStackTrace = (_e, s) => s;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, CheckError);
    sites = holder.stack as CallSite[];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  for (const site of sites) {
    const code = scripts.get(site.getFileName() ?? "");
    const line = site.getLineNumber();
    if (typeof code !== "string" || line === null) continue;
    // A cell script is "(function(exports, require) { " + the cell's compiled JavaScript on line 1.
    const text = (code.split("\n")[line - 1] ?? "").replace(/^\((async )?function\(exports, require\) \{ /, "")
      .replace(/\bexports\./g, "") // tslab reaches earlier cells' names as exports.name,
      .replace(/\(0, [\w$]+_\d+\.([\w$]+)\)/g, "$1") // the cell's imports as (0, reti_1.name),
      .trim()
      .replace(/^tsLastExpr\d* = /, ""); // and keeps a cell's last expression to print it
    return `${error.name}: ${error.message}\n    at cell line: ${text}`;
  }
  return null;
}

/** A number or a nested array of numbers (a vector, a matrix given as rows, a volume, …). */
export type Nested = number | ArrayLike<number> | Nested[];

function flatten(x: Nested): { values: number[]; shape: number[] } {
  if (typeof x === "number") return { values: [x], shape: [] };
  const items = Array.from(x as ArrayLike<Nested>);
  const parts = items.map(flatten);
  const inner = parts[0]?.shape ?? [];
  for (const p of parts) {
    if (p.shape.join() !== inner.join()) throw new CheckError(`ragged array: rows of shapes [${inner}] and [${p.shape}]`);
  }
  return { values: parts.flatMap((p) => p.values), shape: [items.length, ...inner] };
}

/** Throws a CheckError with `message` unless `condition` holds; prints "✓ message" when it does. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new CheckError(`check failed: ${message}`);
  console.log(`✓ ${message}`);
}

/**
 * Checks that `actual` equals `expected` within tolerance (numbers or nested arrays of the same shape),
 * prints "✓ label" when it does, and otherwise throws a CheckError that shows both values.
 */
export function checkClose(actual: Nested, expected: Nested, label: string, options: CloseOptions = {}): void {
  const { atol = 1e-6, rtol = 1e-5 } = options;
  const a = flatten(actual);
  const e = flatten(expected);
  if (a.shape.join() !== e.shape.join()) {
    throw new CheckError(`check failed: ${label}: shape [${a.shape}] where [${e.shape}] was expected`);
  }
  a.values.forEach((v, i) => {
    const w = e.values[i]!;
    if (!(Math.abs(v - w) <= atol + rtol * Math.abs(w))) {
      throw new CheckError(
        `check failed: ${label}: element ${i} is ${v}, expected ${w} (atol ${atol}, rtol ${rtol})\n` +
          `  actual:   ${JSON.stringify(a.values)}\n  expected: ${JSON.stringify(e.values)}`,
      );
    }
  });
  console.log(`✓ ${label}`);
}

/**
 * The largest absolute difference between two numbers or nested arrays of the same shape (e.g. two
 * feature maps). Notebook 05 (lecture 001, convolution is shift-equivariant).
 */
export function maxAbsDiff(a: Nested, b: Nested): number {
  const [x, y] = sameShape(a, b, "maxAbsDiff");
  let worst = 0;
  x.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - y[i]!));
  });
  return worst;
}

/**
 * How much `changed` differs from `reference`, relative to the reference's size: ‖a − b‖ / ‖b‖ in
 * the Frobenius (root-sum-of-squares) norm, over numbers or nested arrays of the same shape.
 * Notebook 05 (lecture 001, pooling makes features nearly shift-invariant).
 */
export function relativeChange(changed: Nested, reference: Nested): number {
  const [x, y] = sameShape(changed, reference, "relativeChange");
  let num = 0;
  let den = 0;
  x.forEach((v, i) => {
    num += (v - y[i]!) ** 2;
    den += y[i]! ** 2;
  });
  return Math.sqrt(num / den);
}

function sameShape(a: Nested, b: Nested, fn: string): [number[], number[]] {
  const [x, y] = [flatten(a), flatten(b)];
  if (x.shape.join() !== y.shape.join()) throw new Error(`${fn}: shapes [${x.shape}] and [${y.shape}] differ`);
  return [x.values, y.values];
}

/**
 * The student release of a notebook: solutions stubbed, hidden tests removed, outputs cleared,
 * nbgrader checksums recorded; the leak check; the type check of the stubs against the source.
 * Serves every lecture's exercises.
 */
import { createHash } from "node:crypto";
import ts from "@tslab/typescript-for-tslab";
import { sourceText, toLines, type Cell, type Notebook } from "nbconvert-ts-runner";
import { findExercises, markerLine, MARKERS, nbgraderOf, removeHiddenTests, stubSolution } from "./regions";

function pyFloat(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/**
 * nbgrader's checksum of a cell (nbgrader.utils.compute_checksum): the MD5 of the cell's source,
 * cell type, whether it is graded, a solution and locked (Python's "True"/"False"), its grade_id and,
 * for graded cells, its points as a Python float ("2.0").
 */
export function cellChecksum(cell: Cell): string {
  const meta = nbgraderOf(cell);
  if (!meta) throw new Error("cellChecksum: the cell has no nbgrader metadata");
  const py = (b: boolean | undefined) => (b ? "True" : "False");
  const h = createHash("md5");
  h.update(sourceText(cell.source));
  h.update(cell.cell_type);
  h.update(py(meta.grade));
  h.update(py(meta.solution));
  h.update(py(meta.locked));
  h.update(meta.grade_id);
  if (meta.grade) h.update(pyFloat(meta.points ?? 0));
  return h.digest("hex");
}

export function withSource<T extends Cell>(cell: T, text: string): T {
  return { ...cell, source: toLines(text) };
}

export function cleared(cell: Cell): Cell {
  const metadata = { ...cell.metadata };
  delete metadata.execution;
  if (cell.cell_type !== "code") return { ...cell, metadata };
  return { ...cell, metadata, outputs: [], execution_count: null };
}

/**
 * The student version of a notebook: solution regions stubbed, hidden tests removed, outputs and
 * execution counts cleared, and an nbgrader checksum recorded in every locked or graded cell.
 * The source notebook is not modified.
 */
export function makeStudentNotebook(nb: Notebook): Notebook {
  findExercises(nb);
  const cells = nb.cells.map((cell, i) => {
    const meta = nbgraderOf(cell);
    let out = cleared(structuredClone(cell));
    if (meta?.solution && out.cell_type === "code") {
      out = withSource(out, stubSolution(sourceText(out.source), meta.grade_id, i + 1));
    } else if (meta?.grade) {
      out = withSource(out, removeHiddenTests(sourceText(out.source), meta.grade_id, i + 1));
    }
    if (meta && (meta.grade || meta.locked)) {
      const nbgrader = { ...meta };
      delete nbgrader.checksum;
      out = { ...out, metadata: { ...out.metadata, nbgrader } };
      out.metadata.nbgrader!.checksum = cellChecksum(out);
    }
    return out;
  });
  return { ...structuredClone(nb), cells };
}

/** A piece of secret text found in a student notebook. */
export interface Leak {
  /** 1-based cell of the student notebook, or 0 for notebook metadata. */
  cell: number;
  /** Where in the cell: its source, outputs, attachments or metadata. */
  part: string;
  /** The secret line (trimmed) that was found. */
  text: string;
  /** What kind of secret: solution code, a hidden test or a region marker. */
  kind: "solution" | "hidden test" | "marker";
}

function significant(line: string): boolean {
  return /[A-Za-z0-9_]/.test(line);
}

function regionLines(text: string, begin: string, end: string): { inside: string[]; outside: string[] } {
  const lines = text.split("\n");
  const inside: string[] = [];
  const outside: string[] = [];
  let open = false;
  for (const l of lines) {
    if (markerLine(l, begin)) open = true;
    else if (markerLine(l, end)) open = false;
    else (open ? inside : outside).push(l.trim());
  }
  return { inside, outside };
}

function allStrings(x: unknown, out: string[] = []): string[] {
  if (typeof x === "string") out.push(x);
  else if (Array.isArray(x)) {
    // nbformat multi-line strings: join the list so a line split across items is still found.
    if (x.every((e) => typeof e === "string")) out.push(x.join(""));
    else x.forEach((e) => allStrings(e, out));
  } else if (x && typeof x === "object") Object.values(x).forEach((v) => allStrings(v, out));
  return out;
}

/**
 * The leak check: secret text of the source notebook that survives anywhere in the student notebook
 * (sources, outputs, attachments, metadata). Secret: every significant line inside a hidden-test
 * region; every significant line inside a solution region except the lines its stub keeps (the
 * signatures); and the marker text itself. Lines that also appear in the source outside every
 * region are public and not counted.
 */
export function findLeaks(source: Notebook, student: Notebook): Leak[] {
  const publicLines = new Set<string>();
  const secrets = new Map<string, Leak["kind"]>();
  source.cells.forEach((cell, i) => {
    const text = sourceText(cell.source);
    const meta = nbgraderOf(cell);
    const sol = regionLines(text, MARKERS.beginSolution, MARKERS.endSolution);
    const hid = regionLines(text, MARKERS.beginHidden, MARKERS.endHidden);
    if (meta?.solution && cell.cell_type === "code") {
      const kept = new Set(stubSolution(text, meta.grade_id, i + 1).split("\n").map((l) => l.trim()));
      sol.inside.filter((l) => significant(l) && !kept.has(l)).forEach((l) => secrets.set(l, "solution"));
      sol.outside.forEach((l) => publicLines.add(l));
    } else if (meta?.grade) {
      hid.inside.filter(significant).forEach((l) => secrets.set(l, "hidden test"));
      hid.outside.forEach((l) => publicLines.add(l));
    } else {
      text.split("\n").forEach((l) => publicLines.add(l.trim()));
    }
  });
  for (const p of publicLines) secrets.delete(p);
  const leaks: Leak[] = [];
  const scan = (cell: number, part: string, value: unknown) => {
    const texts = allStrings(value);
    for (const t of texts) {
      for (const m of Object.values(MARKERS)) if (t.includes(m)) leaks.push({ cell, part, text: m, kind: "marker" });
      const lines = new Set(t.split("\n").map((l) => l.trim()));
      for (const [s, kind] of secrets) if (lines.has(s) || (s.length >= 20 && t.includes(s))) leaks.push({ cell, part, text: s, kind });
    }
  };
  scan(0, "metadata", student.metadata);
  student.cells.forEach((cell, i) => {
    scan(i + 1, "source", cell.source);
    scan(i + 1, "metadata", cell.metadata);
    if (cell.cell_type === "code") scan(i + 1, "outputs", cell.outputs);
    else scan(i + 1, "attachments", cell.attachments);
  });
  return leaks;
}

/** A type error that the student version has and the source notebook does not. */
export interface StubTypeError {
  /** 1-based cell of the notebook. */
  cell: number;
  gradeId?: string;
  message: string;
}

function codeDiagnostics(nb: Notebook, dir: string): { key: string; cell: number; message: string }[] {
  const file = `${dir.replace(/\/$/, "")}/__exercises_typecheck__.ts`;
  const parts: string[] = [];
  const starts: { cell: number; at: number }[] = [];
  let at = 0;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const text = sourceText(cell.source) + "\n;\n";
    starts.push({ cell: i + 1, at });
    parts.push(text);
    at += text.length;
  });
  const text = parts.join("");
  // tslab's compiler options (tslab/dist/converter.js), without its per-cell bookkeeping.
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile;
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(file, text, lang, true, ts.ScriptKind.TS) : read.call(host, name, lang, ...rest);
  const program = ts.createProgram([file], options, host);
  const diags = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].filter((d) => d.file?.fileName === file);
  return diags.map((d) => {
    const pos = d.start ?? 0;
    const cell = [...starts].reverse().find((s) => s.at <= pos)?.cell ?? 0;
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    return { key: `TS${d.code}: ${message}`, cell, message: `TS${d.code}: ${message}` };
  });
}

/**
 * The type check of a student notebook against its source: the code cells of each, in order, are
 * compiled as one file with tslab's TypeScript (5.0) and compiler options, resolving imports from
 * `dir` (the notebook's folder); every diagnostic of the student version that the source does not
 * have is returned, with its cell. An empty list means the stubs keep the notebook type-correct.
 */
export function stubTypeErrors(source: Notebook, student: Notebook, dir: string): StubTypeError[] {
  const before = new Map<string, number>();
  for (const d of codeDiagnostics(source, dir)) before.set(d.key, (before.get(d.key) ?? 0) + 1);
  const out: StubTypeError[] = [];
  for (const d of codeDiagnostics(student, dir)) {
    const n = before.get(d.key) ?? 0;
    if (n > 0) before.set(d.key, n - 1);
    else out.push({ cell: d.cell, gradeId: nbgraderOf(student.cells[d.cell - 1]!)?.grade_id, message: d.message });
  }
  return out;
}


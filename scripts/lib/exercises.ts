/**
 * nbgrader's conventions for TypeScript notebooks, as pure functions on nbformat notebooks: finding
 * the exercises, making the student version (solutions stubbed, hidden tests removed, outputs cleared,
 * checksums recorded), the leak check, restoring a submission for grading, and screening a student's
 * solution cell for code that reaches outside its exercise. Used by scripts/release.ts and
 * scripts/grade.ts. Serves every lecture's exercises.
 *
 * Supported stub forms (a solution region is the lines between `// BEGIN SOLUTION` and
 * `// END SOLUTION`, each marker alone on its line, in a cell with nbgrader `solution: true`):
 * - Body region: the region lies among the statements of a function, method, constructor, accessor or
 *   arrow-function body (at any depth of blocks inside it). The region's lines become
 *   `throw new Error("exercise not done yet: <grade_id>");` at the marker's indentation. Code after
 *   the region may not use names declared inside it (the type check reports it).
 * - Declaration region: the region holds whole top-level statements or whole class members. Kept
 *   as written: imports, interfaces, type aliases, enums, overload signatures, JSDoc comments and
 *   property declarations without initializer. Stubbed, keeping the signature: function
 *   declarations, `const f = (...) => ...` / `function (...)` initializers, class methods,
 *   constructors and accessors (the body becomes the throw), property initializers (dropped, the
 *   annotation stays). Every stubbed function needs an explicit return type (else its type would
 *   change), every stubbed property a type annotation.
 * Anything else (a region cutting a statement in two, a region inside an expression, top-level
 * statements or values other than functions) is an ExerciseError naming the cell and the fix.
 */
import { createHash } from "node:crypto";
import ts from "@tslab/typescript-for-tslab";
import { sourceText, toLines, type Cell, type NbgraderMetadata, type Notebook } from "nbconvert-ts-runner";

/** The nbgrader region markers (each alone on a line, as a `//` comment in code). */
export const MARKERS = {
  beginSolution: "BEGIN SOLUTION",
  endSolution: "END SOLUTION",
  beginHidden: "BEGIN HIDDEN TESTS",
  endHidden: "END HIDDEN TESTS",
} as const;

/** A problem with a notebook's exercises, naming the cell (1-based index and grade_id) and the fix. */
export class ExerciseError extends Error {
  constructor(readonly cell: number, readonly gradeId: string | undefined, problem: string) {
    super(`cell ${cell}${gradeId ? ` (${gradeId})` : ""}: ${problem}`);
    this.name = "ExerciseError";
  }
}

/** A graded test cell: what `grades.csv` calls an exercise. */
export interface GradedCell {
  /** 0-based index of the cell in the notebook. */
  index: number;
  gradeId: string;
  points: number;
}

/** A cell the student writes in. */
export interface SolutionCell {
  index: number;
  gradeId: string;
}

/** The exercises of one notebook. */
export interface Exercises {
  solutions: SolutionCell[];
  graded: GradedCell[];
  /** Indices of locked cells that are not graded (instructions, setup the student may not change). */
  locked: number[];
}

/** nbgrader's metadata of a cell, if it has any. */
export function nbgraderOf(cell: Cell): NbgraderMetadata | undefined {
  return cell.metadata?.nbgrader;
}

function markerLine(line: string, marker: string): boolean {
  return new RegExp(`^\\s*//\\s*${marker}\\s*$`).test(line.replace(/\r?\n$/, ""));
}

function mentionsMarker(text: string): string | undefined {
  return Object.values(MARKERS).find((m) => text.includes(m));
}

/**
 * Finds the exercises of a notebook from its nbgrader metadata and checks them: unique grade_ids,
 * points on every graded cell, markers only where they belong and balanced.
 */
export function findExercises(nb: Notebook): Exercises {
  const out: Exercises = { solutions: [], graded: [], locked: [] };
  const seen = new Set<string>();
  nb.cells.forEach((cell, index) => {
    const meta = nbgraderOf(cell);
    const text = sourceText(cell.source);
    const where = index + 1;
    if (!meta || (!meta.solution && !meta.grade && !meta.locked)) {
      const m = mentionsMarker(text);
      if (m && cell.cell_type === "code" && text.split("\n").some((l) => markerLine(l, m))) {
        throw new ExerciseError(where, meta?.grade_id, `has a "// ${m}" marker but no nbgrader metadata: mark it as a solution cell (solution: true) or a graded test cell (grade: true)`);
      }
      return;
    }
    const id = meta.grade_id;
    if (typeof id !== "string" || id === "") throw new ExerciseError(where, undefined, "nbgrader cell without a grade_id: give it a unique grade_id");
    if (seen.has(id)) throw new ExerciseError(where, id, `grade_id "${id}" is used by another cell: grade_ids must be unique`);
    seen.add(id);
    if (meta.solution && cell.cell_type !== "code") {
      if (mentionsMarker(text)) throw new ExerciseError(where, id, "solution regions are supported in code cells only");
    }
    if (meta.solution && meta.grade) {
      throw new ExerciseError(where, id, "is both a solution and a graded cell: put the tests in a separate graded cell after the solution cell");
    }
    if (meta.solution) {
      regions(text, MARKERS.beginSolution, MARKERS.endSolution, where, id);
      if (regions(text, MARKERS.beginHidden, MARKERS.endHidden, where, id).length > 0) {
        throw new ExerciseError(where, id, "hidden tests belong in a graded test cell, not in a solution cell");
      }
      out.solutions.push({ index, gradeId: id });
      return;
    }
    if (regions(text, MARKERS.beginSolution, MARKERS.endSolution, where, id).length > 0) {
      throw new ExerciseError(where, id, "has a solution region but is not a solution cell: set nbgrader solution: true");
    }
    if (meta.grade) {
      if (cell.cell_type !== "code") throw new ExerciseError(where, id, "graded markdown cells (manual grading) are not supported: make it a code cell with checks");
      const points = meta.points;
      if (typeof points !== "number" || !Number.isFinite(points) || points < 0) {
        throw new ExerciseError(where, id, `graded cell needs "points" (a number ≥ 0), got ${JSON.stringify(points)}`);
      }
      regions(text, MARKERS.beginHidden, MARKERS.endHidden, where, id);
      out.graded.push({ index, gradeId: id, points });
      return;
    }
    if (regions(text, MARKERS.beginHidden, MARKERS.endHidden, where, id).length > 0) {
      throw new ExerciseError(where, id, "has hidden tests but is not a graded cell: set nbgrader grade: true");
    }
    out.locked.push(index);
  });
  return out;
}

/** True when the notebook has at least one solution or graded cell. */
export function hasExercises(nb: Notebook): boolean {
  return nb.cells.some((c) => nbgraderOf(c)?.solution || nbgraderOf(c)?.grade);
}

/** A region between two marker lines: 0-based line indices of the markers. */
interface Region {
  begin: number;
  end: number;
}

function regions(text: string, begin: string, end: string, cell: number, id: string): Region[] {
  const lines = text.split("\n");
  const out: Region[] = [];
  let open: number | undefined;
  lines.forEach((line, i) => {
    if (markerLine(line, begin)) {
      if (open !== undefined) throw new ExerciseError(cell, id, `line ${i + 1}: "${begin}" inside another region opened at line ${open + 1}: regions cannot nest`);
      open = i;
    } else if (markerLine(line, end)) {
      if (open === undefined) throw new ExerciseError(cell, id, `line ${i + 1}: "${end}" without a "${begin}" before it`);
      out.push({ begin: open, end: i });
      open = undefined;
    }
  });
  if (open !== undefined) throw new ExerciseError(cell, id, `line ${open + 1}: "${begin}" is never closed: add "// ${end}"`);
  return out;
}

/** The text of the error a stub throws. */
export function notDoneMessage(gradeId: string): string {
  return `exercise not done yet: ${gradeId}`;
}

const FUNCTION_LIKE = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

function indentOf(line: string): string {
  return /^\s*/.exec(line)![0];
}

/**
 * The student version of a solution cell's source: every solution region replaced by its stub (see
 * the module comment for the supported forms). Throws ExerciseError (naming `cell`, 1-based) when a
 * region has a form that cannot be stubbed type-correctly.
 */
export function stubSolution(source: string, gradeId: string, cell = 0): string {
  const found = regions(source, MARKERS.beginSolution, MARKERS.endSolution, cell, gradeId);
  if (found.length === 0) return source;
  const lines = source.split("\n");
  const lineStarts: number[] = [];
  let pos = 0;
  for (const line of lines) {
    lineStarts.push(pos);
    pos += line.length + 1;
  }
  const sf = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const throwStmt = `throw new Error(${JSON.stringify(notDoneMessage(gradeId))});`;
  const fail = (problem: string): never => {
    throw new ExerciseError(cell, gradeId, problem);
  };
  const replacements: { from: number; to: number; text: string[] }[] = [];

  for (const region of found) {
    const inner = { start: lineStarts[region.begin]! + lines[region.begin]!.length, end: lineStarts[region.end]! };
    const where = `solution region at lines ${region.begin + 1}-${region.end + 1}`;
    // The innermost node whose own text spans the whole region (markers included).
    let container: ts.Node = sf;
    for (;;) {
      const child: ts.Node | undefined = container
        .getChildren(sf)
        .find((c) => c.getStart(sf) < inner.start && c.getEnd() > inner.end);
      if (!child) break;
      container = child;
    }
    if (container.kind === ts.SyntaxKind.SyntaxList) container = container.parent;
    const members: readonly ts.Node[] | undefined = ts.isSourceFile(container) || ts.isBlock(container) || ts.isModuleBlock(container)
      ? container.statements
      : ts.isClassLike(container)
        ? container.members
        : undefined;
    if (!members) fail(`${where} lies inside an expression (${ts.SyntaxKind[container.kind]}): put the markers between whole statements or declarations`);
    const inside = members!.filter((m) => m.getEnd() > inner.start && m.getStart(sf) < inner.end);
    for (const m of inside) {
      if (m.getStart(sf) < inner.start || m.getEnd() > inner.end) {
        fail(`${where} cuts the statement at line ${sf.getLineAndCharacterOfPosition(m.getStart(sf)).line + 1} in two: put the markers between whole statements`);
      }
    }
    const indent = indentOf(lines[region.begin]!);
    let inFunction = false;
    for (let n: ts.Node | undefined = container; n && !ts.isSourceFile(n); n = n.parent) {
      if (FUNCTION_LIKE.has(n.kind)) {
        inFunction = true;
        break;
      }
      if (ts.isClassLike(n) && n !== container) break;
    }
    let text: string[];
    if (ts.isBlock(container) && inFunction) {
      text = [indent + throwStmt];
    } else if (ts.isSourceFile(container) || ts.isClassLike(container)) {
      text = inside.flatMap((node) => stubDeclaration(node, sf, throwStmt, fail, inner.start).split("\n"));
      if (text.length > 0) text[0] = indentOf(lines[sf.getLineAndCharacterOfPosition(inside[0]!.getStart(sf)).line]!) + text[0];
    } else {
      return fail(`${where} is inside a block of top-level code: put the solution inside a function (its body becomes the stub)`);
    }
    replacements.push({ from: region.begin, to: region.end, text });
  }
  const out: string[] = [];
  let next = 0;
  for (const r of replacements) {
    out.push(...lines.slice(next, r.from), ...r.text);
    next = r.to + 1;
  }
  out.push(...lines.slice(next));
  return out.join("\n");
}

/** A declaration with its body replaced by the throw (see the module comment). */
function stubDeclaration(node: ts.Node, sf: ts.SourceFile, throwStmt: string, fail: (p: string) => never, regionStart: number): string {
  const text = (from: number, to: number) => sf.text.slice(from, to);
  const lineIndent = (n: ts.Node) => indentOf(sf.text.slice(sf.text.lastIndexOf("\n", n.getStart(sf) - 1) + 1));
  // JSDoc comments before the declaration stay: they document the signature.
  const docs = ((node as ts.HasJSDoc & { jsDoc?: ts.JSDoc[] }).jsDoc ?? []).filter((d) => d.getStart(sf) >= regionStart).map((d) => d.getText(sf) + "\n" + lineIndent(node));
  const start = node.getStart(sf);
  const line = sf.getLineAndCharacterOfPosition(start).line + 1;
  const name = (n: ts.Node) => ((n as ts.NamedDeclaration).name?.getText(sf) ?? ts.SyntaxKind[n.kind]);
  const body = (fn: ts.FunctionLikeDeclaration, label: string, needsType: boolean): string => {
    if (!fn.body) return text(start, node.getEnd());
    if (needsType && !fn.type) {
      fail(`${label} (line ${line}) has no return type annotation: write one (e.g. "): number {"), so the stub keeps its type`);
    }
    const ind = lineIndent(node);
    return text(start, fn.body.getStart(sf)) + `{\n${ind}  ${throwStmt}\n${ind}}`;
  };
  let out: string;
  if (ts.isImportDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node) ||
    ts.isIndexSignatureDeclaration(node) || ts.isSemicolonClassElement(node) || (ts.isPropertyDeclaration(node) && !node.initializer)) {
    out = node.getText(sf);
  } else if (ts.isFunctionDeclaration(node)) {
    out = body(node, `function ${name(node)}`, true);
  } else if (ts.isVariableStatement(node)) {
    const decls = node.declarationList.declarations;
    const parts = decls.map((d) => {
      const init = d.initializer;
      const label = `${name(d)}`;
      if (!init) return d.getText(sf);
      const fn = skipParens(init);
      if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) {
        return fail(`${label} (line ${line}) is a value, not a function: a solution region may declare functions, classes and types; compute values inside a function`);
      }
      if (!fn.type && !d.type) {
        return fail(`${label} (line ${line}) has no return type annotation: write one (e.g. "(x: number): number =>"), so the stub keeps its type`);
      }
      const ind = lineIndent(node);
      const head = text(d.getStart(sf), ts.isArrowFunction(fn) ? fn.equalsGreaterThanToken.getEnd() : fn.body.getStart(sf));
      const close = text(fn.getEnd(), init.getEnd());
      return `${head}${ts.isArrowFunction(fn) ? " " : ""}{\n${ind}  ${throwStmt}\n${ind}}${close}`;
    });
    out = text(start, decls[0]!.getStart(sf)) + parts.join(", ") + text(decls[decls.length - 1]!.getEnd(), node.getEnd());
  } else if (ts.isClassDeclaration(node)) {
    const open = node.members.pos;
    const ind = lineIndent(node);
    const members = node.members.map((m) => ind + "  " + stubDeclaration(m, sf, throwStmt, fail, regionStart));
    out = text(start, open).trimEnd() + "\n" + members.join("\n") + `\n${ind}}`;
  } else if (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node)) {
    out = body(node, `method ${name(node)}`, true);
  } else if (ts.isConstructorDeclaration(node) || ts.isSetAccessorDeclaration(node)) {
    out = body(node, ts.isConstructorDeclaration(node) ? "constructor" : `setter ${name(node)}`, false);
  } else if (ts.isPropertyDeclaration(node)) {
    if (!node.type) fail(`property ${name(node)} (line ${line}) has an initializer but no type annotation: annotate it (e.g. "${name(node)}: number = ..."), so the stub keeps its type`);
    out = text(start, node.type!.getEnd()) + ";";
  } else {
    return fail(`line ${line}: a ${ts.SyntaxKind[node.kind]} cannot be stubbed: a solution region at top level may hold functions, classes and types only; put statements inside a function body`);
  }
  return docs.join("") + out;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

/** A graded cell's source without its hidden tests (the marker lines and everything between). */
export function removeHiddenTests(source: string, gradeId = "", cell = 0): string {
  const found = regions(source, MARKERS.beginHidden, MARKERS.endHidden, cell, gradeId);
  const lines = source.split("\n");
  const drop = new Set(found.flatMap((r) => Array.from({ length: r.end - r.begin + 1 }, (_, i) => r.begin + i)));
  return lines.filter((_, i) => !drop.has(i)).join("\n");
}

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

function withSource<T extends Cell>(cell: T, text: string): T {
  return { ...cell, source: toLines(text) };
}

function cleared(cell: Cell): Cell {
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

/** The notebook to grade, rebuilt from the source and a student's submission. */
export interface Restored {
  notebook: Notebook;
  /** What the student should know about how their notebook was read (edited tests, missing cells, ...). */
  notes: string[];
}

/**
 * Restores a submission for grading. The graded notebook is the source notebook (hidden tests
 * included, outputs cleared) in which each solution cell's source is replaced by the student's cell
 * with the same grade_id; a solution cell missing from the submission keeps its stub. Everything
 * else comes from the source: edits to locked and test cells, deleted and reordered cells and cells
 * the student added do not count (the notes say so).
 */
export function restoreSubmission(source: Notebook, submission: Notebook): Restored {
  const ex = findExercises(source);
  const student = makeStudentNotebook(source);
  const byId = new Map<string, Cell[]>();
  for (const cell of submission.cells ?? []) {
    const id = nbgraderOf(cell)?.grade_id;
    if (typeof id === "string") byId.set(id, [...(byId.get(id) ?? []), cell]);
  }
  const notes: string[] = [];
  const solutionIds = new Set(ex.solutions.map((s) => s.gradeId));
  const cells = source.cells.map((cell, i) => {
    const meta = nbgraderOf(cell);
    const base = cleared(structuredClone(cell));
    if (!meta) return base;
    const theirs = byId.get(meta.grade_id) ?? [];
    if (meta.solution) {
      if (theirs.length === 0) {
        notes.push(`solution cell ${meta.grade_id} is missing from your notebook: graded as not done`);
        return withSource(base, sourceText(student.cells[i]!.source));
      }
      if (theirs.length > 1) notes.push(`solution cell ${meta.grade_id} appears ${theirs.length} times: the first one was graded`);
      if (theirs[0]!.cell_type !== "code") notes.push(`solution cell ${meta.grade_id} is not a code cell in your notebook: its text was run as code`);
      return withSource(base, sourceText(theirs[0]!.source));
    }
    if (theirs.length === 0) {
      if (meta.grade || meta.locked) notes.push(`${meta.grade ? "test" : "locked"} cell ${meta.grade_id} was deleted from your notebook: it was restored`);
    } else if (sourceText(theirs[0]!.source) !== sourceText(student.cells[i]!.source)) {
      notes.push(`${meta.grade ? "test" : "locked"} cell ${meta.grade_id} was edited in your notebook: the original was used`);
    }
    return base;
  });
  const order = (submission.cells ?? [])
    .map((c) => nbgraderOf(c)?.grade_id)
    .filter((id): id is string => typeof id === "string" && (solutionIds.has(id) || ex.graded.some((g) => g.gradeId === id)));
  const expected = source.cells.map((c) => nbgraderOf(c)?.grade_id).filter((id): id is string => order.includes(id ?? ""));
  if (order.join() !== expected.join()) notes.push("your cells were reordered: the original order was used");
  return { notebook: { ...structuredClone(source), cells }, notes };
}

/** Globals a solution may not touch: they reach the kernel, the file system or other cells' code. */
const BANNED_GLOBALS = new Set([
  "globalThis", "global", "window", "self", "process", "require", "module", "exports", "__tslab__",
  "eval", "Function", "Reflect", "Proxy", "WebAssembly", "Atomics", "SharedArrayBuffer", "queueMicrotask",
  "setTimeout", "setInterval", "setImmediate",
]);
/** Property names a solution may not use: they reach prototypes and constructors shared with the tests. */
const BANNED_PROPERTIES = new Set([
  "prototype", "__proto__", "constructor", "defineProperty", "defineProperties", "setPrototypeOf",
  "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__", "freeze", "assign",
  "caller", "callee",
]);

/**
 * Screens a student's solution cell for code that reaches outside its exercise, so that a solution
 * cannot change what the tests see: kernel and module globals (process, require, globalThis, eval,
 * Function, timers, ...), prototypes and constructors, imports other than `allowedModules`,
 * declarations of names in `outerNames` (names the rest of the notebook defines, e.g. `check`),
 * and assignments to anything not declared in the cell itself (e.g. `Math.abs = ...`,
 * `data[0] = ...`). Returns one message per finding (empty: nothing found).
 */
export function screenSolution(code: string, outerNames: ReadonlySet<string>, allowedModules: ReadonlySet<string>): string[] {
  const file = "/solution.ts";
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, noLib: true, noResolve: true };
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name) => (name === file ? sf : undefined);
  const checker = ts.createProgram([file], options, host).getTypeChecker();
  const found: string[] = [];
  const at = (n: ts.Node) => `line ${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  // A name is local when it resolves to a declaration inside this cell (noLib: globals do not resolve).
  const isLocal = (id: ts.Identifier) => (checker.getSymbolAtLocation(id)?.declarations ?? []).some((d) => d.getSourceFile() === sf);
  const aliases = new Set<ts.Symbol>();
  const root = (e: ts.Expression): ts.Expression => {
    e = skipParens(e);
    while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isNonNullExpression(e)) e = skipParens(e.expression);
    return e;
  };
  const outside = (target: ts.Expression): string | undefined => {
    const t = skipParens(target);
    if (ts.isArrayLiteralExpression(t)) return t.elements.map((e) => outside(ts.isSpreadElement(e) ? e.expression : e)).find((o) => o);
    if (ts.isObjectLiteralExpression(t)) {
      return t.properties
        .map((p) => (ts.isPropertyAssignment(p) ? outside(p.initializer) : ts.isShorthandPropertyAssignment(p) ? outside(p.name) : ts.isSpreadAssignment(p) ? outside(p.expression) : undefined))
        .find((o) => o);
    }
    if (ts.isBinaryExpression(t) && t.operatorToken.kind === ts.SyntaxKind.EqualsToken) return outside(t.left);
    const r = root(target);
    if (r.kind === ts.SyntaxKind.ThisKeyword) return undefined;
    if (!ts.isIdentifier(r)) return r === skipParens(target) ? undefined : r.getText(sf);
    const sym = checker.getSymbolAtLocation(r);
    if (!isLocal(r) || (sym && aliases.has(sym))) return r.text;
    return undefined;
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isImportEqualsDeclaration(n) || ts.isExportDeclaration(n)) {
      const spec = ts.isImportDeclaration(n) || ts.isExportDeclaration(n) ? n.moduleSpecifier : undefined;
      const name = spec && ts.isStringLiteral(spec) ? spec.text : n.getText(sf);
      if (!allowedModules.has(name)) found.push(`${at(n)}: imports "${name}": a solution may import only what the notebook already imports (${[...allowedModules].join(", ") || "nothing"})`);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      found.push(`${at(n)}: dynamic import(): not allowed in a solution`);
    } else if (ts.isIdentifier(n) && BANNED_GLOBALS.has(n.text) && !isLocal(n) && !isPropertyName(n)) {
      found.push(`${at(n)}: uses ${n.text}: a solution may not reach the kernel or global state`);
    } else if ((ts.isPropertyAccessExpression(n) && BANNED_PROPERTIES.has(n.name.text)) ||
      (ts.isElementAccessExpression(n) && ts.isStringLiteralLike(n.argumentExpression) && BANNED_PROPERTIES.has(n.argumentExpression.text))) {
      found.push(`${at(n)}: uses .${ts.isPropertyAccessExpression(n) ? n.name.text : (n.argumentExpression as ts.StringLiteral).text}: a solution may not change prototypes, constructors or other objects' properties`);
    } else if (ts.isElementAccessExpression(n) && !isIndexLike(n.argumentExpression)) {
      found.push(`${at(n)}: computed property name ${n.argumentExpression.getText(sf)}: use a number index or a plain property name`);
    } else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
      // A local that holds an outside object (const m = Math) is treated as that object.
      const init = skipParens(n.initializer);
      const r = root(init);
      if ((ts.isIdentifier(r) && !isLocal(r)) || ts.isArrayLiteralExpression(init) || ts.isObjectLiteralExpression(init)) {
        if (!ts.isArrayLiteralExpression(init) && !ts.isObjectLiteralExpression(init)) {
          const sym = checker.getSymbolAtLocation(n.name);
          if (sym) aliases.add(sym);
        }
      }
    }
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const o = outside(n.left);
      if (o) found.push(`${at(n)}: assigns to ${n.left.getText(sf)}, which is not declared in this cell: a solution may change only its own variables`);
    } else if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
      const o = outside(n.operand);
      if (o) found.push(`${at(n)}: changes ${n.operand.getText(sf)}, which is not declared in this cell`);
    } else if (ts.isDeleteExpression(n)) {
      if (outside(n.expression)) found.push(`${at(n)}: deletes ${n.expression.getText(sf)}, which is not declared in this cell`);
    }
    ts.forEachChild(n, visit);
  };
  for (const stmt of sf.statements) {
    // Importing a name under its own name from an allowed module binds the same thing again: harmless.
    const reimport = ts.isImportDeclaration(stmt) && !stmt.importClause?.name && stmt.importClause?.namedBindings &&
      ts.isNamedImports(stmt.importClause.namedBindings) && stmt.importClause.namedBindings.elements.every((e) => !e.propertyName);
    if (reimport) continue;
    for (const name of declaredNames(stmt)) {
      if (outerNames.has(name)) found.push(`${at(stmt)}: declares ${name}, which the notebook defines elsewhere: a solution may not replace it`);
    }
  }
  visit(sf);
  return found;
}

function isPropertyName(id: ts.Identifier): boolean {
  const p = id.parent;
  return (ts.isPropertyAccessExpression(p) && p.name === id) || (ts.isPropertyAssignment(p) && p.name === id) ||
    (ts.isMethodDeclaration(p) && p.name === id) || (ts.isPropertyDeclaration(p) && p.name === id) ||
    (ts.isPropertySignature(p) && p.name === id) || (ts.isMethodSignature(p) && p.name === id) ||
    (ts.isQualifiedName(p) && p.right === id);
}

/** Syntactically a number (or an expression of numbers and locals), never a string naming a property. */
function isIndexLike(e: ts.Expression): boolean {
  e = skipParens(e);
  if (ts.isNumericLiteral(e) || ts.isIdentifier(e)) return true;
  if (ts.isStringLiteralLike(e)) return !BANNED_PROPERTIES.has(e.text);
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) return true;
  if (ts.isBinaryExpression(e)) return e.operatorToken.kind !== ts.SyntaxKind.PlusToken || (isNumeric(e.left) && isNumeric(e.right));
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isCallExpression(e)) return true;
  return false;
}

function isNumeric(e: ts.Expression): boolean {
  e = skipParens(e);
  return !ts.isStringLiteralLike(e) && !ts.isTemplateExpression(e) && (!ts.isBinaryExpression(e) || (isNumeric(e.left) && isNumeric(e.right)));
}

/** Top-level names a statement declares. */
export function declaredNames(stmt: ts.Statement): string[] {
  if (ts.isVariableStatement(stmt)) {
    const names: string[] = [];
    const walk = (b: ts.BindingName) => {
      if (ts.isIdentifier(b)) names.push(b.text);
      else b.elements.forEach((e) => !ts.isOmittedExpression(e) && walk(e.name));
    };
    stmt.declarationList.declarations.forEach((d) => walk(d.name));
    return names;
  }
  if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isEnumDeclaration(stmt) ||
    ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt) || ts.isModuleDeclaration(stmt)) && stmt.name && ts.isIdentifier(stmt.name)) {
    return [stmt.name.text];
  }
  if (ts.isImportDeclaration(stmt) && stmt.importClause) {
    const c = stmt.importClause;
    const names = c.name ? [c.name.text] : [];
    if (c.namedBindings) {
      if (ts.isNamespaceImport(c.namedBindings)) names.push(c.namedBindings.name.text);
      else c.namedBindings.elements.forEach((e) => names.push(e.name.text));
    }
    return names;
  }
  return [];
}

/** The top-level names a cell's code declares (functions, classes, variables, types, imports). */
export function cellDeclarations(code: string): string[] {
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  return sf.statements.flatMap(declaredNames);
}

/** The modules a cell's code imports. */
export function cellImports(code: string): string[] {
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  return sf.statements.flatMap((s) => (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) ? [s.moduleSpecifier.text] : []));
}

/**
 * What a notebook's solution cells may use and may not replace, for `screenSolution`: the names the
 * other cells declare and the modules the notebook imports outside its solution cells.
 */
export function solutionContext(source: Notebook): { outerNames: Set<string>; allowedModules: Set<string> } {
  const outerNames = new Set<string>();
  const allowedModules = new Set<string>();
  for (const cell of source.cells) {
    if (cell.cell_type !== "code" || nbgraderOf(cell)?.solution) continue;
    const code = sourceText(cell.source);
    cellDeclarations(code).forEach((n) => outerNames.add(n));
    cellImports(code).forEach((m) => allowedModules.add(m));
  }
  return { outerNames, allowedModules };
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

/**
 * The import statement that binds again, at the top of a graded cell, every name the cell uses that
 * the notebook imports outside its solution cells (e.g. `check`), so the tests call the real
 * functions even if a solution redefined them. Empty when the cell uses none.
 */
export function reimportsFor(source: Notebook, testCode: string): string {
  const imported = new Map<string, { module: string; name: string }>();
  for (const cell of source.cells) {
    if (cell.cell_type !== "code" || nbgraderOf(cell)?.solution) continue;
    const sf = ts.createSourceFile("cell.ts", sourceText(cell.source), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    for (const s of sf.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || s.importClause?.isTypeOnly) continue;
      const bindings = s.importClause?.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) continue;
      for (const e of bindings.elements) {
        if (!e.isTypeOnly) imported.set(e.name.text, { module: s.moduleSpecifier.text, name: (e.propertyName ?? e.name).text });
      }
    }
  }
  const test = ts.createSourceFile("test.ts", testCode, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const own = new Set(test.statements.flatMap(declaredNames));
  const used = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && !isPropertyName(n)) used.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(test);
  const byModule = new Map<string, string[]>();
  for (const name of [...used].sort()) {
    const from = imported.get(name);
    if (!from || own.has(name)) continue;
    byModule.set(from.module, [...(byModule.get(from.module) ?? []), from.name === name ? name : `${from.name} as ${name}`]);
  }
  return [...byModule].map(([m, names]) => `import { ${names.join(", ")} } from ${JSON.stringify(m)};`).join(" ");
}

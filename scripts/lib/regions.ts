/**
 * nbgrader's regions and stubs for TypeScript notebooks, as pure functions on nbformat notebooks: the
 * markers, finding the exercises, and the stub of a solution region. The student release is
 * student-release.ts; restoring and screening a submission, restore.ts (exercises.ts re-exports all).
 * Serves every lecture's exercises.
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
import ts from "@tslab/typescript-for-tslab";
import { sourceText, type Cell, type NbgraderMetadata, type Notebook } from "nbconvert-ts-runner";

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

export function markerLine(line: string, marker: string): boolean {
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

export function regions(text: string, begin: string, end: string, cell: number, id: string): Region[] {
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

export function skipParens(e: ts.Expression): ts.Expression {
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


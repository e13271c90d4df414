/**
 * A submission made ready for grading: restored from the source (only the solution cells are the
 * student's), and each solution cell screened for code that reaches outside its exercise (a friendly
 * first layer; the defences are the sandbox and the verdict outside the kernel, scripts/lib/grading/).
 * Serves every lecture's exercises.
 */
import ts from "@tslab/typescript-for-tslab";
import { sourceText, type Cell, type Notebook } from "nbconvert-ts-runner";
import { findExercises, nbgraderOf, skipParens } from "./regions";
import { cleared, makeStudentNotebook, withSource } from "./student-release";

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


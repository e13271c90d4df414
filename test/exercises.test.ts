import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ExerciseError,
  cellChecksum,
  findExercises,
  findLeaks,
  makeStudentNotebook,
  reimportsFor,
  removeHiddenTests,
  restoreSubmission,
  screenSolution,
  solutionContext,
  stubSolution,
  stubTypeErrors,
} from "../scripts/lib/exercises";
import { asNotebook, sourceText, type Cell, type Notebook } from "nbconvert-ts-runner";

const FIXTURE = path.join(__dirname, "fixtures/exercises/tiny.ipynb");
const load = (): Notebook => asNotebook(JSON.parse(readFileSync(FIXTURE, "utf8")), FIXTURE);
const src = (nb: Notebook, i: number) => sourceText(nb.cells[i]!.source);
const NOT_DONE = (id: string) => `throw new Error("exercise not done yet: ${id}");`;
const code = (source: string, nbgrader?: object): Cell => ({
  cell_type: "code",
  source,
  metadata: nbgrader ? { nbgrader: nbgrader as never } : {},
  execution_count: null,
  outputs: [],
});
const notebook = (...cells: Cell[]): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
const SOL = (grade_id: string) => ({ grade_id, solution: true, grade: false, locked: false });
const TEST = (grade_id: string, points: number) => ({ grade_id, solution: false, grade: true, locked: true, points });

describe("findExercises", () => {
  it("finds solution, graded and locked cells with their points", () => {
    const ex = findExercises(load());
    expect(ex.solutions).toEqual([{ index: 4, gradeId: "square" }, { index: 7, gradeId: "mean" }]);
    expect(ex.graded).toEqual([{ index: 5, gradeId: "square-tests", points: 1 }, { index: 8, gradeId: "mean-tests", points: 2 }]);
    expect(ex.locked).toEqual([3]);
  });

  it("rejects duplicate grade_ids, missing points, unbalanced and misplaced markers, naming the cell", () => {
    expect(() => findExercises(notebook(code("", SOL("a")), code("", TEST("a", 1))))).toThrow(/cell 2 \(a\): grade_id "a" is used by another cell/);
    expect(() => findExercises(notebook(code("x", { ...TEST("t", 1), points: undefined })))).toThrow(/cell 1 \(t\): graded cell needs "points"/);
    expect(() => findExercises(notebook(code("// BEGIN SOLUTION\nx", SOL("a"))))).toThrow(/line 1: "BEGIN SOLUTION" is never closed/);
    expect(() => findExercises(notebook(code("// END HIDDEN TESTS", TEST("t", 1))))).toThrow(/"END HIDDEN TESTS" without/);
    expect(() => findExercises(notebook(code("// BEGIN SOLUTION\n// END SOLUTION")))).toThrow(/no nbgrader metadata/);
    expect(() => findExercises(notebook(code("// BEGIN SOLUTION\n// END SOLUTION", TEST("t", 1))))).toThrow(/not a solution cell/);
    expect(() => findExercises(notebook(code("// BEGIN HIDDEN TESTS\n// END HIDDEN TESTS", SOL("s"))))).toThrow(/belong in a graded test cell/);
    expect(() => findExercises(notebook(code("x", { ...SOL("s"), grade: true, points: 1 })))).toThrow(/both a solution and a graded cell/);
  });
});

describe("stubSolution", () => {
  it("replaces a region inside a function body by the throw, at the marker's indentation", () => {
    const out = stubSolution("function f(x: number): number {\n  const y = 1;\n  // BEGIN SOLUTION\n  return x + y;\n  // END SOLUTION\n}", "f");
    expect(out).toBe(`function f(x: number): number {\n  const y = 1;\n  ${NOT_DONE("f")}\n}`);
  });

  it("stubs regions nested in blocks, methods, arrows and constructors", () => {
    const input = [
      "class A {",
      "  w: number;",
      "  constructor(n: number) {",
      "    // BEGIN SOLUTION",
      "    this.w = n;",
      "    // END SOLUTION",
      "  }",
      "}",
      "const g = (xs: number[]) => {",
      "  for (const x of xs) {",
      "    // BEGIN SOLUTION",
      "    console.log(x);",
      "    // END SOLUTION",
      "  }",
      "};",
    ].join("\n");
    const out = stubSolution(input, "g");
    expect(out).not.toMatch(/this\.w = n|console\.log/);
    expect(out.split("\n")[3]).toBe(`    ${NOT_DONE("g")}`);
    expect(out.split("\n")[8]).toBe(`    ${NOT_DONE("g")}`);
  });

  it("keeps declarations' signatures, JSDoc, imports and types in a declaration region", () => {
    const input = [
      "// BEGIN SOLUTION",
      'import { check } from "reti";',
      "/** A vector. */",
      "type Vec = number[];",
      "/** The dot product. */",
      "export function dot(a: Vec, b: Vec): number {",
      "  return a.reduce((s, v, i) => s + v * b[i]!, 0);",
      "}",
      "const relu = (z: number): number => Math.max(0, z), step: (z: number) => number = function (z) { return z > 0 ? 1 : 0; };",
      "class Neuron {",
      "  w: number[] = [0.5];",
      "  constructor(readonly bias: number) {",
      "    check(bias < 10, \"small bias\");",
      "  }",
      "  get size(): number {",
      "    return this.w.length;",
      "  }",
      "  fire(x: number[]): number {",
      "    return dot(this.w, x) + this.bias;",
      "  }",
      "}",
      "// END SOLUTION",
    ].join("\n");
    const out = stubSolution(input, "dot");
    expect(out).toBe(
      [
        'import { check } from "reti";',
        "/** A vector. */",
        "type Vec = number[];",
        "/** The dot product. */",
        "export function dot(a: Vec, b: Vec): number {",
        `  ${NOT_DONE("dot")}`,
        "}",
        "const relu = (z: number): number => {",
        `  ${NOT_DONE("dot")}`,
        "}, step: (z: number) => number = function (z) {",
        `  ${NOT_DONE("dot")}`,
        "};",
        "class Neuron {",
        "  w: number[];",
        "  constructor(readonly bias: number) {",
        `    ${NOT_DONE("dot")}`,
        "  }",
        "  get size(): number {",
        `    ${NOT_DONE("dot")}`,
        "  }",
        "  fire(x: number[]): number {",
        `    ${NOT_DONE("dot")}`,
        "  }",
        "}",
      ].join("\n"),
    );
  });

  it("stubs a region of whole members inside a class body", () => {
    const out = stubSolution("class P {\n  w = [1];\n  // BEGIN SOLUTION\n  predict(x: number): number {\n    return x * this.w[0]!;\n  }\n  // END SOLUTION\n}", "p");
    expect(out).toBe(`class P {\n  w = [1];\n  predict(x: number): number {\n    ${NOT_DONE("p")}\n  }\n}`);
  });

  it("refuses forms it cannot stub type-correctly, naming the cell and the fix", () => {
    const bad = (s: string) => () => stubSolution(s, "e", 7);
    expect(bad("// BEGIN SOLUTION\nfunction f(x: number) {\n  return x;\n}\n// END SOLUTION")).toThrow(/cell 7 \(e\): function f \(line 2\) has no return type annotation/);
    expect(bad("// BEGIN SOLUTION\nconst K = 3;\n// END SOLUTION")).toThrow(/K \(line 2\) is a value, not a function/);
    expect(bad("// BEGIN SOLUTION\nconst f = (x: number) => x;\n// END SOLUTION")).toThrow(/f \(line 2\) has no return type annotation/);
    expect(bad("// BEGIN SOLUTION\nconsole.log(1);\n// END SOLUTION")).toThrow(/ExpressionStatement cannot be stubbed/);
    expect(bad("class A {\n  // BEGIN SOLUTION\n  n = 1;\n  // END SOLUTION\n}")).toThrow(/property n \(line 3\) has an initializer but no type annotation/);
    expect(bad("function f(): number {\n  return 1 +\n  // BEGIN SOLUTION\n  2;\n  // END SOLUTION\n}")).toThrow(/cuts the statement at line 2 in two/);
    expect(bad("const o = {\n  // BEGIN SOLUTION\n  a: 1,\n  // END SOLUTION\n};")).toThrow(/lies inside an expression/);
    expect(bad("for (const x of [1]) {\n  // BEGIN SOLUTION\n  console.log(x);\n  // END SOLUTION\n}")).toThrow(/block of top-level code/);
    expect(bad("// BEGIN SOLUTION\nconst K = 3;\n// END SOLUTION")).toThrow(ExerciseError);
  });
});

describe("removeHiddenTests", () => {
  it("drops the hidden region and its markers, keeping everything else", () => {
    expect(removeHiddenTests("a;\n// BEGIN HIDDEN TESTS\nb;\nc;\n  // END HIDDEN TESTS\nd;\n// BEGIN HIDDEN TESTS\ne;\n// END HIDDEN TESTS")).toBe("a;\nd;");
  });
});

describe("makeStudentNotebook", () => {
  it("stubs solutions, removes hidden tests, clears outputs and leaves the source untouched", () => {
    const nb = load();
    nb.cells[9] = { ...(nb.cells[9] as Cell & { cell_type: "code" }), execution_count: 3, outputs: [{ output_type: "stream", name: "stdout", text: "10 20 30\n" }] };
    const before = JSON.stringify(nb);
    const student = makeStudentNotebook(nb);
    expect(JSON.stringify(nb)).toBe(before);
    expect(src(student, 4)).toBe(`/** The square of x. */\nfunction square(x: number): number {\n  ${NOT_DONE("square")}\n}`);
    expect(src(student, 7)).toBe(`/** The arithmetic mean of xs. */\nfunction mean(xs: number[]): number {\n  ${NOT_DONE("mean")}\n}`);
    expect(src(student, 5)).toBe('check(square(3) === 9, "square(3) = 9");');
    expect(student.cells[9]).toMatchObject({ outputs: [], execution_count: null });
    expect(src(student, 9)).toBe(src(nb, 9));
    expect(student.cells.length).toBe(nb.cells.length);
  });

  it("records nbgrader's checksums of locked and graded cells (values from a Python restatement of nbgrader's compute_checksum)", () => {
    const student = makeStudentNotebook(load());
    const sums = student.cells.map((c) => c.metadata.nbgrader?.checksum);
    expect(sums[3]).toBe("2a5fa8fb5d502683e37da660bbb163b6");
    expect(sums[5]).toBe("78bdc918ba4a18f7f012b6eb45c55739");
    expect(sums[8]).toBe("10862959d252c67519c6e134b4bde6ef");
    expect(sums[4]).toBeUndefined();
    expect(cellChecksum({ ...student.cells[5]!, source: "check(true, 'edited');" })).not.toBe(sums[5]);
  });

  it("keeps the notebook type-correct under tslab's TypeScript, and reports a stub that is not", () => {
    const nb = load();
    const dir = path.join(__dirname, "../notebooks");
    expect(stubTypeErrors(nb, makeStudentNotebook(nb), dir)).toEqual([]);
    const broken = notebook(
      code("function double(x: number): number {\n  // BEGIN SOLUTION\n  const y = x * 2;\n  // END SOLUTION\n  return y;\n}", SOL("double")),
      code("double(2);", TEST("double-tests", 1)),
    );
    expect(stubTypeErrors(broken, makeStudentNotebook(broken), dir)).toEqual([{ cell: 1, gradeId: "double", message: "TS2304: Cannot find name 'y'." }]);
  });
});

describe("findLeaks", () => {
  it("passes a clean student notebook", () => {
    const nb = load();
    expect(findLeaks(nb, makeStudentNotebook(nb))).toEqual([]);
  });

  it("catches solution code, hidden tests and markers wherever they survive", () => {
    const nb = load();
    expect(findLeaks(nb, nb).map((l) => `${l.cell} ${l.kind} ${l.text}`)).toEqual(
      expect.arrayContaining([
        "5 marker BEGIN SOLUTION",
        "5 solution return x * x;",
        "6 hidden test check(square(-2) === 4, \"square(-2) = 4\");",
        "8 solution for (const x of xs) total += x;",
      ]),
    );
    const student = makeStudentNotebook(nb);
    student.cells[6] = { ...student.cells[6]!, source: "Hint: `return total / xs.length;`" };
    (student.cells[9] as Cell & { cell_type: "code" }).outputs = [{ output_type: "stream", name: "stdout", text: ["checkClose(mean([0.5, 1.5, 4]), 2,", " \"mean of 0.5, 1.5, 4\");\n"] }];
    expect(findLeaks(nb, student).map((l) => `${l.cell} ${l.part} ${l.kind}`)).toEqual(["7 source solution", "10 outputs hidden test"]);
  });

  it("does not count a line that is also public elsewhere in the source", () => {
    const nb = notebook(code("const k = 2;"), code("function f(): number {\n  // BEGIN SOLUTION\n  const k = 2;\n  return k;\n  // END SOLUTION\n}", SOL("f")));
    const student = makeStudentNotebook(nb);
    student.cells.push(code("return k;"));
    expect(findLeaks(nb, student).map((l) => l.text)).toEqual(["return k;"]);
  });
});

describe("restoreSubmission", () => {
  it("takes only the solution cells from the submission; tests, hidden tests and other cells come from the source", () => {
    const nb = load();
    const sub = makeStudentNotebook(nb);
    sub.cells[4] = { ...sub.cells[4]!, source: "function square(x: number): number {\n  return x ** 2;\n}" };
    sub.cells[5] = { ...sub.cells[5]!, source: 'check(true, "edited test");' };
    sub.cells[9] = { ...sub.cells[9]!, source: "console.log('changed demo');" };
    sub.cells.splice(7, 2); // mean's solution and tests deleted
    sub.cells.push(code("console.log('my scratch cell');"));
    const { notebook: graded, notes } = restoreSubmission(nb, sub);
    expect(graded.cells.map((c) => sourceText(c.source))).toEqual(
      nb.cells.map((c, i) => (i === 4 ? "function square(x: number): number {\n  return x ** 2;\n}" : i === 7 ? src(makeStudentNotebook(nb), 7) : sourceText(c.source))),
    );
    expect(src(graded, 5)).toContain("BEGIN HIDDEN TESTS");
    expect(notes).toEqual([
      "test cell square-tests was edited in your notebook: the original was used",
      "solution cell mean is missing from your notebook: graded as not done",
      "test cell mean-tests was deleted from your notebook: it was restored",
    ]);
  });

  it("grades reordered cells in the source's order and says so", () => {
    const nb = load();
    const sub = makeStudentNotebook(nb);
    [sub.cells[4], sub.cells[8]] = [sub.cells[8]!, sub.cells[4]!];
    const { notebook: graded, notes } = restoreSubmission(nb, sub);
    expect(graded.cells.map((c) => c.metadata.nbgrader?.grade_id)).toEqual(nb.cells.map((c) => c.metadata.nbgrader?.grade_id));
    expect(notes).toEqual(["your cells were reordered: the original order was used"]);
  });
});

describe("screenSolution", () => {
  const { outerNames, allowedModules } = solutionContext(load());

  it("knows what the rest of the notebook declares and imports", () => {
    expect([...outerNames].sort()).toEqual(["QUICK", "SEED", "check", "checkClose", "demo"]);
    expect([...allowedModules]).toEqual(["reti"]);
  });

  it("passes honest solutions, including ones that change their own locals, parameters and fields", () => {
    const honest = [
      "function mean(xs: number[]): number {\n  let total = 0;\n  for (const x of xs) total += x;\n  return total / xs.length;\n}",
      "class Acc {\n  n = 0;\n  add(v: number[]): number { v[0] = 1; this.n++; const m: Record<string, number> = {}; m['k'] = 2; return Math.abs(this.n); }\n}",
      'import { check } from "reti";\nfunction square(x: number): number { const [a, b] = [x, x]; return a * b; }',
    ];
    for (const h of honest) expect(screenSolution(h, outerNames, allowedModules)).toEqual([]);
  });

  it("flags code that could change what the tests see", () => {
    const flagged = (s: string) => screenSolution(s, outerNames, allowedModules).join("\n");
    expect(flagged("function check(c: boolean, m: string): void {}")).toMatch(/declares check, which the notebook defines elsewhere/);
    expect(flagged("Math.abs = (x: number) => 0;")).toMatch(/assigns to Math\.abs/);
    expect(flagged("const m = Math;\nm.abs = (x: number) => 0;")).toMatch(/line 2: assigns to m\.abs/);
    expect(flagged("function f(): void { SEED = 1; }")).toMatch(/assigns to SEED/);
    expect(flagged("[QUICK] = [true];")).toMatch(/assigns to \[QUICK\]/);
    expect(flagged("Array.prototype.every = () => true;")).toMatch(/uses \.prototype/);
    expect(flagged("process.exit(0);")).toMatch(/uses process/);
    expect(flagged("const r = require;")).toMatch(/uses require/);
    expect(flagged('(globalThis as any).check = 1;')).toMatch(/uses globalThis/);
    expect(flagged('const F = (() => 1)["constructor"];')).toMatch(/uses \.constructor/);
    expect(flagged('const o: any = {};\nconst x = o["constr" + "uctor"];')).toMatch(/computed property name/);
    expect(flagged('import * as fs from "node:fs";')).toMatch(/imports "node:fs"/);
    expect(flagged('import { checkClose as check } from "reti";')).toMatch(/declares check/);
    expect(flagged('const m = import("node:fs");')).toMatch(/dynamic import/);
    expect(flagged("setTimeout(() => 0, 1);")).toMatch(/uses setTimeout/);
    expect(flagged("delete (Math as any).abs;")).toMatch(/deletes/);
    expect(flagged("function f(): string { return String((f as any).caller); }")).toMatch(/uses \.caller/);
  });
});

describe("reimportsFor", () => {
  it("re-imports exactly the imported names a test cell uses", () => {
    const nb = notebook(code('import { check, checkClose as close, seed } from "reti";\nimport * as tf from "x";'), code("function check(): void {}", SOL("s")));
    expect(reimportsFor(nb, 'check(f(1) === 2, "f");\nclose(1, 1, "one");')).toBe('import { check, checkClose as close } from "reti";');
    expect(reimportsFor(nb, "const x = 1;")).toBe("");
    expect(reimportsFor(nb, 'import { check } from "reti";\ncheck(true, "t");')).toBe("");
  });
});

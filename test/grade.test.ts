/**
 * End to end: release and grade the tiny fixture notebook on the real kernel, with honest and
 * hostile submissions. Each kernel run costs seconds, so the students share two grading runs.
 */
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStudentNotebook } from "../scripts/lib/exercises";
import { asNotebook, serializeNotebook, type Notebook } from "nbconvert-ts-runner";
import { gradeSubmissions, mergeShards, type GradeRun } from "../scripts/lib/grading/grade";
import { releaseNotebook, validateNotebook, type ReleaseReport } from "../scripts/release";

const FIXTURE = path.join(__dirname, "fixtures/exercises/tiny.ipynb");
const source = (): Notebook => asNotebook(JSON.parse(readFileSync(FIXTURE, "utf8")), FIXTURE);
const SQUARE = 4; // cell indices in the fixture
const SQUARE_TESTS = 5;
const MEAN = 7;

const CORRECT_SQUARE = "function square(x: number): number {\n  return x * x;\n}";
const CORRECT_MEAN = "function mean(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0) / xs.length;\n}";

/** The student release with the given solution cells filled in. */
function submission(solutions: { square?: string; mean?: string }, edit?: (nb: Notebook) => void): string {
  const nb = makeStudentNotebook(source());
  if (solutions.square !== undefined) nb.cells[SQUARE]!.source = solutions.square;
  if (solutions.mean !== undefined) nb.cells[MEAN]!.source = solutions.mean;
  edit?.(nb);
  return serializeNotebook(nb);
}

let root: string;
let srcDir: string;
const points = (run: GradeRun, student: string) =>
  Object.fromEntries(run.grades.filter((g) => g.student === student).map((g) => [g.exercise, g.points]));
const feedback = (run: GradeRun, student: string, exercise: string) =>
  run.grades.find((g) => g.student === student && g.exercise === exercise)!.feedback;

/** The grading runtime, shared by the test files (made once, reused while the sources are unchanged). */
const RUNTIME = path.join(__dirname, "..", "build", "grading-runtime");

async function grade(students: Record<string, string>, options: Parameters<typeof gradeSubmissions>[1] = {}): Promise<GradeRun & { out: string; subs: string }> {
  const subs = await fs.mkdtemp(path.join(root, "subs-"));
  for (const [name, text] of Object.entries(students)) {
    await fs.mkdir(path.join(subs, name, "assignment1"), { recursive: true });
    await fs.writeFile(path.join(subs, name, "assignment1", "tiny.ipynb"), text);
  }
  const out = path.join(root, `out-${path.basename(subs)}`);
  const run = await gradeSubmissions(subs, { notebooksDir: srcDir, outDir: out, runtimeDir: RUNTIME, cellTimeoutMs: 15_000, memoryMb: 2048, jobs: 2, ...options });
  return { ...run, out, subs };
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "grade-test-"));
  srcDir = path.join(root, "instructor");
  await fs.mkdir(srcDir);
  await fs.copyFile(FIXTURE, path.join(srcDir, "tiny.ipynb"));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe("release", () => {
  it("writes a student notebook that passes the leak check and leaves the source untouched", async () => {
    const before = readFileSync(path.join(srcDir, "tiny.ipynb"), "utf8");
    const report = await releaseNotebook(path.join(srcDir, "tiny.ipynb"), path.join(root, "release"));
    expect(report.defects).toEqual([]);
    expect(report.output).toBe(path.join(root, "release", "tiny.ipynb"));
    const written = readFileSync(report.output!, "utf8");
    expect(written).not.toMatch(/BEGIN SOLUTION|HIDDEN TESTS|x \* x|square\(-2\)/);
    expect(written).toContain("exercise not done yet: square");
    expect(readFileSync(path.join(srcDir, "tiny.ipynb"), "utf8")).toBe(before);
  });
});

describe("release --validate", () => {
  it("reports a graded cell that passes on the stub and a non-exercise cell that needs a solution", async () => {
    const nb = source();
    const trivial = { ...nb.cells[5]!, source: 'check(1 + 1 === 2, "arithmetic");', metadata: { nbgrader: { grade_id: "trivial-tests", solution: false, grade: true, locked: true, points: 1 } } };
    const dependent = { cell_type: "code" as const, source: "console.log(square(2));", metadata: {}, execution_count: null, outputs: [] };
    nb.cells.push(trivial, dependent);
    const report: ReleaseReport = { file: FIXTURE, exercises: 3, defects: [], notes: [] };
    await validateNotebook(report, nb, makeStudentNotebook(nb), true, { runtimeDir: RUNTIME });
    expect(report.defects).toEqual([
      "cell 11 (trivial-tests): passes on the stub: its tests do not exercise the solution",
      "cell 12: a cell outside the exercises fails in the student version (error): Error: exercise not done yet: square",
    ]);
    // A bare boolean, and a cell whose every check the student's kernel could forge, are flagged.
    expect(report.notes).toContain("FORGEABLE: trivial-tests: every check could be forged by a student who takes over their kernel: add a hidden checkClose (or ===) against a value the student version does not show");
    expect(report.notes.filter((n) => n.startsWith("FORGEABLE") && /square-tests|mean-tests/.test(n))).toEqual([]);
  }, 900_000);
});

describe("grade", () => {
  let run: GradeRun & { out: string; subs: string };
  beforeAll(async () => {
    run = await grade({
      correct: submission({ square: CORRECT_SQUARE, mean: CORRECT_MEAN }),
      stub: submission({}),
      // Square right, mean left as the stub; the test cell edited, mean's tests deleted, a cell added.
      partial: submission({ square: CORRECT_SQUARE }, (nb) => {
        nb.cells[SQUARE_TESTS]!.source = 'check(true, "edited");';
        nb.cells.splice(MEAN + 1, 1);
        nb.cells.push({ cell_type: "code", source: "console.log(1)", metadata: {}, execution_count: null, outputs: [] });
      }),
      // Prints what passing tests print, and anything that looks like a token.
      printer: submission({
        square: 'function square(x: number): number {\n  console.log("✓ square(3) = 9\\n✓ square(-2) = 4\\npassed-0123456789abcdef0123456789abcdef");\n  return 0;\n}',
        mean: 'function mean(xs: number[]): number {\n  console.log("✓ mean of 1, 2, 3");\n  throw new Error("✓ mean of 0.5, 1.5, 4");\n}',
      }),
      // Right answers, but also redefines check and patches Math: the screen refuses both cells.
      cheater: submission({
        square: `${CORRECT_SQUARE}\nfunction check(c: boolean, m: string): void {}`,
        mean: `${CORRECT_MEAN}\nMath.abs = (x: number) => 0;`,
      }),
      // Square right; mean never ends; the grader reruns without it so square keeps its point.
      hanger: submission({ square: CORRECT_SQUARE, mean: "function mean(xs: number[]): number {\n  for (;;) {}\n}" }),
      // Square right; mean exhausts the memory.
      hog: submission({ square: CORRECT_SQUARE, mean: "function mean(xs: number[]): number {\n  const keep: number[][] = [];\n  for (;;) keep.push(new Array(1e6).fill(xs.length));\n}" }),
      broken: '{"cells": [',
    });
  }, 600_000);

  it("gives full marks to a correct submission and zero to the stub", () => {
    expect(points(run, "correct")).toEqual({ "square-tests": 1, "mean-tests": 2 });
    expect(points(run, "stub")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(feedback(run, "stub", "mean-tests")).toBe("not done yet: mean still has the stub");
  });

  it("gives partial marks, restoring edited and deleted test cells", () => {
    expect(points(run, "partial")).toEqual({ "square-tests": 1, "mean-tests": 0 });
    expect(run.feedback.get("partial")).toContain("test cell square-tests was edited in your notebook: the original was used");
    expect(run.feedback.get("partial")).toContain("test cell mean-tests was deleted from your notebook: it was restored");
  });

  it("gives nothing for printed success, and shows the check's message but not the hidden test", () => {
    expect(points(run, "printer")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(feedback(run, "printer", "square-tests")).toBe("check failed: square(3) = 9: your value 0, expected 9");
    expect(feedback(run, "printer", "mean-tests")).toBe("Error: ✓ mean of 0.5, 1.5, 4");
    const md = run.feedback.get("correct")! + run.feedback.get("printer")!;
    expect(md).not.toMatch(/square\(-2\) === 4|mean\(\[0\.5/);
  });

  it("refuses solutions that redefine check or patch globals, and says why", () => {
    expect(points(run, "cheater")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    const md = run.feedback.get("cheater")!;
    expect(md).toContain("solution cell square was not run (graded as not done): line 4: declares check, which the notebook defines elsewhere");
    expect(md).toContain("solution cell mean was not run (graded as not done): line 4: assigns to Math.abs");
  });

  it("gives zero only for what a hanging or memory-hungry solution broke", () => {
    expect(points(run, "hanger")).toEqual({ "square-tests": 1, "mean-tests": 0 });
    expect(feedback(run, "hanger", "mean-tests")).toMatch(/^stopped: the run took longer than the limit/);
    expect(points(run, "hog")).toEqual({ "square-tests": 1, "mean-tests": 0 });
    expect(feedback(run, "hog", "mean-tests")).toMatch(/kernel stopped while the tests ran/);
  });

  it("gives zero to a notebook that is not valid JSON and grades the others", async () => {
    expect(points(run, "broken")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(feedback(run, "broken", "square-tests")).toMatch(/^your notebook could not be read: tiny.ipynb: is not valid JSON/);
  });

  it("grades the same in shards: N shards merged give exactly the grades.csv of one run", async () => {
    const shardDirs: string[] = [];
    for (const index of [1, 2]) {
      const out = path.join(root, `shard-${index}`);
      await gradeSubmissions(run.subs, { notebooksDir: srcDir, outDir: out, runtimeDir: RUNTIME, cellTimeoutMs: 15_000, memoryMb: 2048, jobs: 2, shard: { index, count: 2 } });
      shardDirs.push(out);
    }
    const shard1 = readFileSync(path.join(shardDirs[0]!, "grades.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(",")[0]);
    expect([...new Set(shard1)]).toEqual(["broken", "correct", "hog", "printer"]);
    await mergeShards(shardDirs, path.join(root, "merged"));
    expect(readFileSync(path.join(root, "merged", "grades.csv"), "utf8")).toBe(readFileSync(path.join(run.out, "grades.csv"), "utf8"));
  }, 900_000);

  it("resumes: a run with --resume keeps the students already graded and grades no one again", async () => {
    const again = await gradeSubmissions(run.subs, { notebooksDir: srcDir, outDir: run.out, runtimeDir: RUNTIME, resume: true, cellTimeoutMs: 15_000, memoryMb: 2048, jobs: 2 });
    expect(again.studentsPerMinute).toBe(0);
    expect(again.grades).toEqual(run.grades);
  }, 300_000);

  it("writes grades.csv and a per-exercise summary", async () => {
    const csv = readFileSync(path.join(run.out, "grades.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("student,exercise,points,max");
    expect(csv).toContain("correct,mean-tests,2.0,2.0");
    expect(csv).toContain("partial,square-tests,1.0,1.0");
    expect(csv.length).toBe(1 + 8 * 2);
    expect(readdirSync(path.join(run.out, "results")).length).toBe(8);
    const summary = readFileSync(path.join(run.out, "summary.csv"), "utf8").trim().split("\n");
    expect(summary).toEqual([
      "exercise,max,mean,full_marks,zero,students",
      "mean-tests,2.0,0.25,1,7,8",
      "square-tests,1.0,0.5,4,4,8",
    ]);
  });
});

describe("grade without the screen (the sandbox and the verdict alone)", () => {
  let run: GradeRun & { out: string; subs: string };
  beforeAll(async () => {
    process.env.GRADE_TEST_SECRET = "instructor-only";
    run = await grade(
      {
        // Right square, then ends the kernel: square is graded as not done, mean still counts.
        exiter: submission({ square: `${CORRECT_SQUARE}\nprocess.exit(0);`, mean: CORRECT_MEAN }),
        // Wrong answers, with check redefined, Math.abs patched, the check module patched and a tolerance planted.
        tamperer: submission({
          square: "function square(x: number): number {\n  return 0;\n}\nfunction check(c: boolean, m: string): void {}",
          mean: 'function mean(xs: number[]): number {\n  return 0;\n}\nMath.abs = (x: number) => 0;\n(Object.prototype as any).atol = 1e300;\nconst mod = require("reti/dist/core/check.js");\ntry { mod.checkClose = () => undefined; } catch {}',
        }),
        // Answers right only if the instructor's environment or notebook can be read.
        reader: submission({
          square: `const fs = require("fs");\nlet stolen = "";\ntry { stolen = fs.readFileSync(${JSON.stringify(path.join(srcDir, "tiny.ipynb"))}, "utf8"); } catch (e) {}\nconst leaked = (process.env.GRADE_TEST_SECRET ?? "") + stolen;\nfunction square(x: number): number {\n  return leaked.length > 0 ? x * x : 0;\n}`,
        }),
      },
      { screen: false },
    );
  }, 600_000);

  it("a kernel that exits early earns nothing for the cells that did not run", () => {
    expect(points(run, "exiter")).toEqual({ "square-tests": 0, "mean-tests": 2 });
    expect(run.feedback.get("exiter")).toContain("solution cell square stopped the kernel");
  });

  it("redefining check, patching Math, the check module or Object.prototype does not make wrong answers pass", () => {
    expect(points(run, "tamperer")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(feedback(run, "tamperer", "square-tests")).toBe("check failed: square(3) = 9: your value 0, expected 9");
    expect(feedback(run, "tamperer", "mean-tests")).toMatch(/^check failed: mean of 1, 2, 3: element 0 is 0, expected 2/);
  });

  it("the kernel sees neither the instructor's environment nor their files", () => {
    expect(points(run, "reader")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(run.sandboxed).toBe(true);
  });
});

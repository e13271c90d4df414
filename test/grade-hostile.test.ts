/**
 * The grader against hostile students (docs/grading.md): every attack of issue 12 as a submission of
 * the tiny fixture, graded in ONE run (two sandboxes side by side) with the screen off, so the sandbox
 * and the verdict outside the kernel stand alone. Each attack is written so that success would turn
 * into points (a right answer only if the attack worked): each is asserted to gain nothing, to leak
 * nothing into the feedback, and to stop no one else (an honest student graded in the same run keeps
 * full marks; the host's files are unchanged).
 */
import { createHash } from "node:crypto";
import { promises as fs, readFileSync, readdirSync } from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStudentNotebook } from "../scripts/lib/exercises";
import { asNotebook, serializeNotebook } from "nbconvert-ts-runner";
import { gradeSubmissions, type GradeRun } from "../scripts/lib/grading/grade";

const FIXTURE = path.join(__dirname, "fixtures/exercises/tiny.ipynb");
const RUNTIME = path.join(__dirname, "..", "build", "grading-runtime");
const CHECK_JS = path.join(__dirname, "..", "lib", "dist", "core", "check.js");
const SQUARE = 4;
const MEAN = 7;
const CORRECT_SQUARE = "function square(x: number): number {\n  return x * x;\n}";
const CORRECT_MEAN = "function mean(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0) / xs.length;\n}";
const WRONG_MEAN = "function mean(xs: number[]): number {\n  return 0;\n}";

function submission(solutions: { square?: unknown; mean?: unknown }): string {
  const nb = asNotebook(JSON.parse(readFileSync(FIXTURE, "utf8")), FIXTURE);
  const st = makeStudentNotebook(nb);
  const cells = st.cells as unknown as { source: unknown }[];
  if (solutions.square !== undefined) cells[SQUARE]!.source = solutions.square;
  if (solutions.mean !== undefined) cells[MEAN]!.source = solutions.mean;
  return serializeNotebook(st);
}

/** A square that is right only when `cond` (TypeScript, evaluated once in the solution cell) holds. */
const squareIf = (setup: string, cond: string) => `${setup}\nconst attackWorked: boolean = (${cond});\nfunction square(x: number): number {\n  return attackWorked ? x * x : 0;\n}`;

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

let root: string;
let run: GradeRun & { out: string };
let hits = 0;
let server: http.Server;
let port = 0;
const hostFiles: string[] = [];
const before = new Map<string, string>();

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "grade-hostile-"));
  const src = path.join(root, "instructor");
  await fs.mkdir(src);
  await fs.copyFile(FIXTURE, path.join(src, "tiny.ipynb"));
  server = http.createServer((_q, r) => {
    hits++;
    r.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.address() as { port: number }).port;
  const subs = path.join(root, "subs");
  const honestFile = path.join(subs, "honest", "tiny.ipynb");
  const sourceFile = path.join(src, "tiny.ipynb");
  const marker = path.join(src, "planted.csv");
  const polars = `const pl = require("nodejs-polars");\nconst tryRead = (f: string, needle: string): boolean => { try { return JSON.stringify(pl.scanCSV(f, { hasHeader: false, sep: "\\u0001" }).collectSync().toRecords()).includes(needle); } catch { return false; } };\nconst tryWrite = (f: string): void => { try { pl.DataFrame({ a: [1] }).writeCSV(f); } catch {} };`;
  const students: Record<string, string> = {
    honest: submission({ square: CORRECT_SQUARE, mean: CORRECT_MEAN }),
    // Every probe of the graded cells made to send `true`, through vm.runInThisContext reached by tslab's arguments[1] require.
    "vm-forger": submission({
      square: `const req = require;\nconst vm = req("vm");\nconst orig = vm.runInThisContext;\nvm.runInThisContext = function (code: string, ...rest: any[]) {\n  code = String(code).replace(/RETI_probe\\(("[^"]+"), \\(\\) => /g, "RETI_probe($1, () => true || ").replace(/check(Close)?\\(/g, "(() => undefined)(");\n  return orig.call(this, code, ...rest);\n};\n${"function square(x: number): number {\n  return 0;\n}"}`,
      mean: WRONG_MEAN,
    }),
    // Prints what a passing run would print, records with the expected values guessed from the student version.
    "record-forger": submission({
      square: 'function square(x: number): number {\n  console.log("\\nRETI-PROBE " + JSON.stringify({ site: "5:0", value: 9 }) + "\\nRETI-PROBE " + JSON.stringify({ site: "5:1", value: 9 }));\n  return 9;\n}',
      mean: WRONG_MEAN,
    }),
    // this / globalThis: the global object, patched; Object.prototype polluted; Math shadowed.
    "global-patcher": submission({
      square: "(this as any).Math.abs = () => 0;\n(globalThis as any).Number.isFinite = () => true;\n(Object.prototype as any).atol = 1e300;\n(Object.prototype as any).rtol = 1e300;\nfunction square(x: number): number {\n  return 0;\n}",
      mean: 'const Math = { abs: (x: number) => 0, hypot: () => 1 } as any;\nfunction mean(xs: number[]): number {\n  return 0;\n}',
    }),
    // A cell that pretends to be the reti module, with a check that always passes.
    "fake-module": submission({
      square: '/** @module reti */\nexport function check(c: boolean, m: string): void {}\nexport function checkClose(a: any, e: any, m: string, o?: any): void {}\nexport function square(x: number): number {\n  return 0;\n}',
      mean: WRONG_MEAN,
    }),
    // The native addon: read /etc/passwd, the instructor's source, another student's notebook; write files.
    "polars-reader": submission({
      square: squareIf(polars, `tryRead("/etc/passwd", "root:") || tryRead(${JSON.stringify(sourceFile)}, "nbformat") || tryRead(${JSON.stringify(honestFile)}, "nbformat")`),
      mean: `${polars}\ntryWrite(${JSON.stringify(marker)});\ntryWrite(${JSON.stringify(honestFile)});\ntryWrite(${JSON.stringify(CHECK_JS)});\ntryWrite("/grader/node_modules/reti/dist/core/check.js");\n${WRONG_MEAN}`,
    }),
    // Node's own fs and the environment.
    "fs-reader": submission({
      square: squareIf('const fs = require("fs");\nconst can = (f: string): boolean => { try { fs.readFileSync(f); return true; } catch { return false; } };', `can("/etc/passwd") || can(${JSON.stringify(sourceFile)}) || can(${JSON.stringify(honestFile)}) || Object.keys(process.env).some((k) => k.startsWith("GRADE_TEST"))`),
    }),
    // The network: an HTTP server of the host on 127.0.0.1.
    network: submission({
      square: squareIf(`let reached = false;\ntry { await fetch("http://127.0.0.1:${port}/"); reached = true; } catch {}`, "reached"),
    }),
    // Messages that would leak: file contents, the test code through fn.caller, the hidden test's expression.
    leaker: submission({
      square: CORRECT_SQUARE,
      mean: 'function mean(xs: number[]): number {\n  const f: any = mean;\n  const caller = String(f["caller"]).replace(/\\n/g, " ");\n  let etc = "";\n  try { etc = require("fs").readFileSync("/etc/passwd", "utf8").replace(/\\n/g, " "); } catch (e) { etc = String(e); }\n  throw new Error("LEAK " + caller + " " + etc);\n}',
    }),
    // Signals: the parent (the grading worker), every process it can reach, a stop.
    killer: submission({ square: `${CORRECT_SQUARE}\nprocess.kill(process.ppid, "SIGKILL");`, mean: CORRECT_MEAN }),
    "kill-all": submission({ square: `${CORRECT_SQUARE}\ntry { process.kill(-1, "SIGKILL"); } catch {}\ntry { process.kill(1, "SIGKILL"); } catch {}`, mean: CORRECT_MEAN }),
    stopper: submission({ square: `${CORRECT_SQUARE}\nprocess.kill(process.ppid, "SIGSTOP");`, mean: CORRECT_MEAN }),
    // Malformed input.
    "non-string": submission({ square: 42, mean: { not: "a string" } }),
    nested: submission({ square: `function square(x: number): number {\n  return ${"(".repeat(30_000)}x * x${")".repeat(30_000)};\n}`, mean: CORRECT_MEAN }),
    flood: submission({ square: `for (let i = 0; i < 300; i++) console.log("x".repeat(1 << 20));\n${CORRECT_SQUARE}`, mean: CORRECT_MEAN }),
    // Memory beyond the limit with typed arrays (outside V8's heap).
    "typed-hog": submission({ square: CORRECT_SQUARE, mean: "function mean(xs: number[]): number {\n  const keep: Float64Array[] = [];\n  for (;;) keep.push(new Float64Array(1e8).fill(1));\n}" }),
    // Odd folder names.
    "=1+2": submission({ square: CORRECT_SQUARE, mean: CORRECT_MEAN }),
  };
  for (const [name, text] of Object.entries(students)) {
    await fs.mkdir(path.join(subs, name), { recursive: true });
    await fs.writeFile(path.join(subs, name, "tiny.ipynb"), text);
  }
  // A 100 MB notebook, a hidden folder, a folder that is a link to the instructor's notebooks.
  await fs.mkdir(path.join(subs, "huge"));
  await fs.writeFile(path.join(subs, "huge", "tiny.ipynb"), submission({ square: CORRECT_SQUARE }).replace('"cells": [', `"padding": "${"x".repeat(100 << 20)}", "cells": [`));
  await fs.mkdir(path.join(subs, ".hidden"));
  await fs.writeFile(path.join(subs, ".hidden", "tiny.ipynb"), students.honest!);
  await fs.symlink(src, path.join(subs, "linked"));
  hostFiles.push(sourceFile, honestFile, CHECK_JS);
  for (const f of hostFiles) before.set(f, sha(f));
  process.env.GRADE_TEST_SECRET = "instructor-only";
  const out = path.join(root, "out");
  const r = await gradeSubmissions(subs, {
    notebooksDir: src, outDir: out, runtimeDir: RUNTIME, screen: false, jobs: 2, memoryMb: 2048,
    cellTimeoutMs: 20_000, notebookTimeoutMs: 60_000,
  });
  run = { ...r, out };
}, 1_800_000);

afterAll(async () => {
  server?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const points = (student: string) => Object.fromEntries(run.grades.filter((g) => g.student === student).map((g) => [g.exercise, g.points]));
const allFeedback = () => [...run.feedback.values()].join("\n") + run.grades.map((g) => g.feedback).join("\n");

describe("hostile submissions", () => {
  it("the honest student in the same run keeps full marks, and every folder has its rows", () => {
    expect(points("honest")).toEqual({ "square-tests": 1, "mean-tests": 2 });
    const students = new Set(run.grades.map((g) => g.student));
    for (const s of ["vm-forger", "record-forger", "=1+2", "huge", ".hidden", "linked", "stopper", "flood"]) expect(students).toContain(s);
  });

  it("forging the verdict (vm.runInThisContext, printed records, patched globals, prototypes, Math, a fake reti) gains nothing", () => {
    for (const s of ["vm-forger", "record-forger", "global-patcher", "fake-module"]) expect([s, points(s)]).toEqual([s, { "square-tests": 0, "mean-tests": 0 }]);
  });

  it("nodejs-polars and fs read nothing outside the sandbox and write nothing to the host", async () => {
    expect(points("polars-reader")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(points("fs-reader")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    for (const f of hostFiles) expect([f, sha(f)]).toEqual([f, before.get(f)]);
    expect(readdirSync(path.join(root, "instructor"))).toEqual(["tiny.ipynb"]);
  });

  it("the network is out of reach", () => {
    expect(points("network")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(hits).toBe(0);
  });

  it("nothing leaks into the feedback: no file contents, no hidden test, no grader code", () => {
    expect(points("leaker")).toEqual({ "square-tests": 1, "mean-tests": 0 });
    const text = allFeedback();
    expect(text).not.toMatch(/root:|nologin|0\.5, 1\.5, 4|RETI_|RETI-PROBE|BEGIN HIDDEN|square\(-2\)|instructor-only/);
    expect(run.grades.find((g) => g.student === "leaker" && g.exercise === "mean-tests")!.feedback.length).toBeLessThan(200);
  });

  it("signals reach only the student's own sandbox; the others are graded", () => {
    // The kernel's parent is the grading worker inside the same sandbox: killing or stopping it ends that run only.
    for (const s of ["killer", "kill-all", "stopper"]) expect(points(s)["square-tests"]).toBe(0);
    expect(readFileSync(path.join(run.out, "grades.csv"), "utf8")).toContain("honest,mean-tests,2.0,2.0");
  });

  it("malformed input gives that student zero with a reason, and the run goes on", () => {
    expect(points("non-string")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(run.feedback.get("non-string")).toContain("malformed");
    expect(points("nested")).toEqual({ "square-tests": 0, "mean-tests": 2 });
    expect(run.feedback.get("nested")).toContain("nest more than");
    expect(points("huge")).toEqual({ "square-tests": 0, "mean-tests": 0 });
    expect(run.grades.find((g) => g.student === "huge")!.feedback).toMatch(/MB, more than/);
    // A flood of output is cut at the worker (or ends that run): it costs that student at most.
    expect(Object.keys(points("flood"))).toEqual(["square-tests", "mean-tests"]);
  });

  it("memory beyond the limit (typed arrays) costs only that exercise", () => {
    expect(points("typed-hog")).toEqual({ "square-tests": 1, "mean-tests": 0 });
  });

  it("odd folders are reported, not dropped, and names are not formulas in grades.csv", () => {
    expect(points("=1+2")).toEqual({ "square-tests": 1, "mean-tests": 2 });
    const csv = readFileSync(path.join(run.out, "grades.csv"), "utf8");
    expect(csv).toContain("'=1+2,square-tests,1.0,1.0");
    expect(csv).not.toMatch(/^=/m);
    expect(run.odd.map((o) => o.name).sort()).toEqual([".hidden", "linked"]);
    expect(run.grades.find((g) => g.student === "linked")!.feedback).toMatch(/symbolic link/);
  });
});

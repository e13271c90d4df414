/**
 * Fuzzing the grader's reading of submissions (no kernel): the student version of the tiny fixture,
 * mutated at random (values of any type in any place, keys dropped, cells duplicated, text cut,
 * deep nesting), must always give either a reason to grade zero or a runnable notebook whose solution
 * sources are strings and whose graded cells are the grader's probes, without the expected values,
 * the messages or the hidden-test markers. Seeded: the same cases every run.
 */
import { promises as fs, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Random } from "../lib/src/core/random";
import { makeStudentNotebook } from "../scripts/lib/exercises";
import { asNotebook, sourceText } from "nbconvert-ts-runner";
import { readSubmission, staticReference, submissionToRun } from "../scripts/lib/grading/grade";

const FIXTURE = path.join(__dirname, "fixtures/exercises/tiny.ipynb");
const source = asNotebook(JSON.parse(readFileSync(FIXTURE, "utf8")), FIXTURE);
const student = JSON.stringify(makeStudentNotebook(source));
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "grade-fuzz-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Stands for 30,000 nested arrays, spliced into the JSON text (JSON.stringify itself would overflow). */
const DEEP = "@@deep@@";

function randomValue(r: Random, depth = 0): unknown {
  const k = Math.floor(r.uniform() * 10);
  switch (k) {
    case 0: return null;
    case 1: return r.uniform() * 1e6 - 5e5;
    case 2: return "x".repeat(Math.floor(r.uniform() * 50));
    case 3: return true;
    case 4: return depth < 3 ? [randomValue(r, depth + 1), randomValue(r, depth + 1)] : [];
    case 5: return depth < 3 ? { grade_id: randomValue(r, depth + 1), solution: randomValue(r, depth + 1) } : {};
    case 6: return DEEP;
    case 7: return "// BEGIN SOLUTION\nprocess.exit(1)\n// END SOLUTION";
    case 8: return ["line 1\n", 2, null];
    default: return undefined;
  }
}

/** Replaces one random node of the JSON tree (or drops a key, or duplicates a cell). */
function mutate(json: unknown, r: Random): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (x: unknown, depth: number) => {
    if (depth > 12) return;
    if (Array.isArray(x)) x.forEach((v, i) => { nodes.push({ parent: x, key: i }); walk(v, depth + 1); });
    else if (x && typeof x === "object") Object.entries(x).forEach(([k, v]) => { nodes.push({ parent: x as Record<string, unknown>, key: k }); walk(v, depth + 1); });
  };
  walk(json, 0);
  const pick = nodes[Math.floor(r.uniform() * nodes.length)]!;
  const op = r.uniform();
  if (op < 0.15 && !Array.isArray(pick.parent)) delete (pick.parent as Record<string, unknown>)[pick.key as string];
  else if (op < 0.25 && Array.isArray(pick.parent)) pick.parent.push(structuredClone(pick.parent[0]));
  else (pick.parent as Record<string | number, unknown>)[pick.key] = randomValue(r);
  return json;
}

describe("grader fuzz: malformed notebook JSON", () => {
  it("every mutated submission gives a reason or a runnable notebook without secrets", async () => {
    const { ref } = staticReference(FIXTURE, source);
    const r = new Random(12);
    let readable = 0;
    for (let i = 0; i < 250; i++) {
      let text: string;
      if (i % 25 === 24) text = student.slice(0, Math.floor(r.uniform() * student.length)); // cut short
      else {
        let json: unknown = JSON.parse(student);
        for (let m = 0; m < 1 + Math.floor(r.uniform() * 4); m++) json = mutate(json, r);
        text = (JSON.stringify(json) ?? "null").split(JSON.stringify(DEEP)).join(`${"[".repeat(30_000)}1${"]".repeat(30_000)}`);
      }
      const file = path.join(dir, `case-${i}.ipynb`);
      await fs.writeFile(file, text);
      const read = await readSubmission(file, "tiny.ipynb");
      if (!read.nb) {
        expect(read.problem).toMatch(/tiny\.ipynb/);
        continue;
      }
      readable++;
      const notes: string[] = [];
      const { nb } = submissionToRun(ref, read.nb, true, notes);
      for (const cell of nb.cells) expect(typeof sourceText(cell.source)).toBe("string");
      const code = nb.cells.map((c) => sourceText(c.source)).join("\n");
      expect(code).not.toMatch(/HIDDEN TESTS|"mean of 0\.5|square\(-2\) === 4|checkClose\(/);
      expect(code).toContain('RETI_probe("5:1", () => (square(-2)))');
    }
    expect(readable).toBeGreaterThan(60);
  }, 120_000);
});

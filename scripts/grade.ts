/**
 * Autograding: `npm run grade -- <submissions folder> [--notebooks DIR] [--out DIR] [--full]
 * [--cell-timeout S] [--memory MB] [--jobs N] [--resume] [--shard I/N] [--unsafe-no-sandbox]`, or
 * `npm run grade -- --merge <shard out folders...> [--out DIR]`. The folder holds one sub-folder per
 * student with their notebook(s) (found by file name, at any depth). Writes build/grades/grades.csv
 * (student, exercise, points, max), summary.csv, feedback/<student>.md and results/ (one file per
 * student, written as each finishes: `--resume` continues an interrupted run). Each submission runs
 * in a bubblewrap sandbox of its own; the verdict is taken outside it (scripts/lib/grading/, threat
 * model in docs/grading.md). Serves every lecture's exercises.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { gradeSubmissions, mergeShards, type GradeOptions } from "./lib/grading/grade";

const USAGE = "npm run grade -- <submissions folder> [--notebooks DIR] [--out DIR] [--full] [--cell-timeout S] [--memory MB] [--jobs N] [--resume] [--shard I/N] [--unsafe-no-sandbox] | --merge <shard out folders...> [--out DIR]";

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        notebooks: { type: "string" }, out: { type: "string" }, full: { type: "boolean" }, "cell-timeout": { type: "string" },
        memory: { type: "string" }, jobs: { type: "string" }, resume: { type: "boolean" }, shard: { type: "string" },
        merge: { type: "boolean" }, "unsafe-no-sandbox": { type: "boolean" }, help: { type: "boolean" },
      },
    });
  } catch (err) {
    console.error(`grade: ${(err as Error).message}: use ${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const out = path.resolve(v.out ?? "build/grades");
  if (v.merge) {
    if (parsed.positionals.length === 0) {
      console.error(`grade: --merge needs the shards' output folders: use ${USAGE}`);
      return 2;
    }
    const { grades } = await mergeShards(parsed.positionals, out);
    console.log(`merged ${parsed.positionals.length} shard(s): ${new Set(grades.map((g) => g.student)).size} students -> ${path.join(out, "grades.csv")}`);
    return 0;
  }
  const positive = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!(n > 0)) throw new Error(`--${name} needs a positive number`);
    return n;
  };
  if (parsed.positionals.length !== 1) {
    console.error(`grade: give one submissions folder: use ${USAGE}`);
    return 2;
  }
  let shard: GradeOptions["shard"];
  if (v.shard) {
    const m = /^(\d+)\/(\d+)$/.exec(v.shard);
    if (!m || +m[1]! < 1 || +m[1]! > +m[2]!) {
      console.error(`grade: --shard takes I/N with 1 ≤ I ≤ N (got ${v.shard})`);
      return 2;
    }
    shard = { index: +m[1]!, count: +m[2]! };
  }
  const options: GradeOptions = {
    notebooksDir: v.notebooks,
    outDir: out,
    quick: !v.full,
    cellTimeoutMs: (positive("cell-timeout", v["cell-timeout"]) ?? 120) * 1000,
    memoryMb: positive("memory", v.memory),
    jobs: positive("jobs", v.jobs),
    resume: v.resume ?? false,
    unsafeNoSandbox: v["unsafe-no-sandbox"] ?? false,
    shard,
    log: (l) => console.log(l),
  };
  const run = await gradeSubmissions(parsed.positionals[0]!, options);
  for (const o of run.odd) console.log(`NOT GRADED: ${JSON.stringify(o.name)}: ${o.why}`);
  if (!run.sandboxed) console.log("WARNING: graded WITHOUT a sandbox (--unsafe-no-sandbox): submissions ran with your user's rights.");
  console.log(`${run.studentsPerMinute.toFixed(2)} students per minute; grades: ${path.join(out, "grades.csv")}; feedback: ${path.join(out, "feedback")}/`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error((err as Error).message);
      process.exit(1);
    },
  );
}

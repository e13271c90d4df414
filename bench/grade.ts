/**
 * Students graded per minute: `npm run bench:grade [-- --students N] [--jobs J] [--notebooks DIR]`.
 * Makes N submissions of the given source notebooks (default the tiny test fixture; the course's
 * notebooks with `--notebooks notebooks`): half the instructor's solutions, half the stubs, grades them
 * in sandboxes J at a time and prints students per minute, wall and CPU time (CPU is what to compare
 * on a shared machine). Serves every lecture's exercises.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { makeStudentNotebook } from "../scripts/lib/exercises";
import { readNotebook, serializeNotebook } from "nbconvert-ts-runner";
import { gradeSubmissions, sourceNotebooks } from "../scripts/lib/grading/grade";

async function main() {
  const { values } = parseArgs({ options: { students: { type: "string" }, jobs: { type: "string" }, notebooks: { type: "string" } } });
  const students = Number(values.students ?? 8);
  const jobs = Number(values.jobs ?? os.availableParallelism());
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "bench-grade-"));
  let srcDir = values.notebooks ? path.resolve(values.notebooks) : path.join(root, "src");
  if (!values.notebooks) {
    await fs.mkdir(srcDir);
    await fs.copyFile(path.join(__dirname, "..", "test", "fixtures", "exercises", "tiny.ipynb"), path.join(srcDir, "tiny.ipynb"));
  }
  const sources = await sourceNotebooks(srcDir);
  for (let i = 0; i < students; i++) {
    for (const { file } of sources) {
      const nb = await readNotebook(file);
      const dir = path.join(root, "subs", `student-${String(i).padStart(3, "0")}`);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, path.basename(file)), serializeNotebook(i % 2 === 0 ? nb : makeStudentNotebook(nb)));
    }
  }
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const run = await gradeSubmissions(path.join(root, "subs"), { notebooksDir: srcDir, outDir: path.join(root, "out"), jobs, log: () => undefined });
  const wall = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${students} students × ${sources.length} notebook(s), ${jobs} jobs: ${run.studentsPerMinute.toFixed(2)} students/min (grading only), ${wall.toFixed(1)} s wall incl. the reference run; grader process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (sandboxes: see /usr/bin/time -v); load ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`);
  await fs.rm(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * The students' notebooks: the student release (build/release/student, solutions stubbed and hidden
 * tests removed) where a notebook has exercises, else the notebook itself. Used by the hub (every
 * student's starting folder) and by `npm run lab -- --student` (build/student-workspace/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";

/** The project root. */
const ROOT = path.resolve(__dirname, "..", "..");

/** Where `npm run lab -- --student` keeps the student's notebooks. */
export const STUDENT_WORKSPACE = path.join(ROOT, "build", "student-workspace");

/** Options of prepareWorkspace; the defaults are the course's folders. */
export interface WorkspaceOptions {
  /** The course notebooks (default notebooks/). */
  notebooks?: string;
  /** The student release (default build/release/student; made with `npm run release` when missing). */
  release?: string;
  /** Replace notebooks already in `dir` (the hub's template does); false keeps a student's work. */
  overwrite?: boolean;
}

/**
 * The students' starting notebooks in `dir`: each notebook's student release where it has exercises,
 * else the notebook itself. Releases (`npm run release`) the course notebooks whose release is missing
 * or older than the notebook. Never copies a
 * notebook with solutions. Returns the names of the notebooks written (all of them when
 * `overwrite`, else only those `dir` did not have yet).
 */
export async function prepareWorkspace(dir: string, options: WorkspaceOptions = {}): Promise<string[]> {
  const notebooks = options.notebooks ?? path.join(ROOT, "notebooks");
  const release = options.release ?? path.join(ROOT, "build", "release", "student");
  const overwrite = options.overwrite ?? true;
  const names = (await fs.readdir(notebooks)).filter((f) => f.endsWith(".ipynb")).sort();
  if (options.release === undefined) {
    // The course's own release: (re)make it for every notebook with exercises whose release is missing or older.
    const stale: string[] = [];
    for (const name of names) {
      const source = path.join(notebooks, name);
      const released = path.join(release, name);
      if (!(await fs.readFile(source, "utf8")).includes("BEGIN SOLUTION")) continue;
      if (!existsSync(released) || (await fs.stat(released)).mtimeMs < (await fs.stat(source)).mtimeMs) stale.push(source);
    }
    if (stale.length > 0) {
      const r = spawnSync("npx", ["tsx", path.join(ROOT, "scripts", "release.ts"), ...stale], { cwd: ROOT, stdio: "inherit" });
      if (r.status !== 0) throw new Error("`npm run release` failed: fix the defects it prints, then try again");
    }
  }
  await fs.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const name of names) {
    const target = path.join(dir, name);
    if (!overwrite && existsSync(target)) continue; // the student's own work
    const released = path.join(release, name);
    const text = await fs.readFile(existsSync(released) ? released : path.join(notebooks, name), "utf8");
    if (!existsSync(released) && text.includes("BEGIN SOLUTION")) {
      throw new Error(`${name} has exercises but no student release in ${release}: run \`npm run release\``);
    }
    await fs.writeFile(target, text);
    written.push(name);
  }
  return written;
}

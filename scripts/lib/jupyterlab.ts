/**
 * The course's own JupyterLab 3.6 (lab/): built from npm packages into lab/build and served by
 * jupyterlab_server's LabServerApp on jupyter_server (Debian 12: `apt install python3-jupyterlab-server`).
 * `npm run lab` uses it when no `jupyter lab` is installed; the JupyterLab browser test serves the
 * course with it. It has its own package.json and lock, so the project's `npm ci` stays light.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./command";

/** The lab app's folder, and where its build goes. */
export const LAB_DIR = join(ROOT, "lab");
export const LAB_BUILD = join(LAB_DIR, "build");

function mtime(file: string): number {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

/** True when lab/build holds a build newer than the app's sources and lock (build/built.txt, written last). */
export function labBuilt(): boolean {
  const bundle = mtime(join(LAB_BUILD, "built.txt"));
  return bundle > 0 && ["package-lock.json", "package.json", "index.js", "webpack.config.js"].every((f) => mtime(join(LAB_DIR, f)) <= bundle);
}

function run(command: string, args: string[], quiet: boolean): void {
  const r = spawnSync(command, args, { cwd: LAB_DIR, stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8" });
  if (r.status !== 0) {
    const tail = quiet ? `\n${String(r.stdout ?? "").slice(-3000)}${String(r.stderr ?? "").slice(-3000)}` : "";
    throw new Error(`\`${command} ${args.join(" ")}\` failed in ${LAB_DIR} (exit ${r.status})${tail}`);
  }
}

/**
 * Installs the lab app's pinned packages (`npm ci`, from the npm registry only, no install scripts) when
 * missing or older than its lock, then builds it with webpack into lab/build. Returns the seconds taken.
 */
export function buildLab(options: { quiet?: boolean } = {}): number {
  const started = Date.now();
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const installed = mtime(join(LAB_DIR, "node_modules", ".package-lock.json"));
  if (installed === 0 || installed < mtime(join(LAB_DIR, "package-lock.json"))) {
    run(npm, ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], options.quiet === true);
  }
  run(npm, ["run", "build"], options.quiet === true);
  return (Date.now() - started) / 1000;
}

/** A Python that has jupyterlab_server and jupyter_server (the one on PATH, else Debian's), or null. */
export function labPython(): string | null {
  for (const python of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(python, ["-c", "import jupyterlab_server, jupyter_server"], { stdio: "ignore" });
    if (r.status === 0) return python;
  }
  return null;
}

/** The command line that serves the built app: `python3 lab/main.py <jupyter_server options>`. */
export function labServerCommand(python: string, args: string[]): { command: string; args: string[] } {
  return { command: python, args: [join(LAB_DIR, "main.py"), ...args] };
}

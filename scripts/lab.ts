/**
 * `npm run lab`: registers the project's own tslab as the Jupyter kernel `reti` ("TypeScript (reti)")
 * in the user's Jupyter data directory, then opens the course (`notebooks/`) in JupyterLab if it is
 * installed, else in the classic notebook; without Jupyter it says how to get one.
 * `npm run lab -- --register-only` only registers the kernel (for nbconvert and CI).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { tslabKernelSpec } from "nbconvert-ts-runner";
import { HELP, parseCommand, ROOT, runCommand } from "./lib/command";

const TSLAB_DIR = join(ROOT, "node_modules", "tslab");
const TSLAB = join(TSLAB_DIR, "bin", "tslab");

/**
 * The kernelspec: node (this one, by absolute path) running the project's tslab with the runner
 * package's kernel preload and polling file watcher (the kernel fixes, docs/runner.md).
 */
export function kernelSpec(node = process.execPath): object {
  return tslabKernelSpec("TypeScript (reti)", { node, tslabDir: TSLAB_DIR });
}

/** Jupyter's per-user data directory (as `jupyter --data-dir` computes it, without Python). */
export function jupyterDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = homedir()): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === "darwin") return join(home, "Library", "Jupyter");
  if (platform === "win32") return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "jupyter");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "jupyter");
}

/** Writes `<data dir>/kernels/reti/kernel.json`; returns its path. */
export function registerKernel(dataDir = jupyterDataDir()): string {
  if (!existsSync(TSLAB)) {
    throw new Error(`tslab is not installed at ${TSLAB}: run \`npm ci\` (or \`npm install\`) in ${ROOT} first`);
  }
  const dir = join(dataDir, "kernels", "reti");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "kernel.json");
  writeFileSync(file, `${JSON.stringify(kernelSpec(), null, 2)}\n`);
  return file;
}

/** True if `command --version` runs. */
function available(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
}

/** The Jupyter front end to start: JupyterLab if present, else the classic notebook, else null. */
function frontEnd(): { command: string; args: string[]; label: string } | null {
  if (available("jupyter-lab")) return { command: "jupyter-lab", args: [], label: "JupyterLab" };
  if (available("jupyter-notebook")) return { command: "jupyter-notebook", args: [], label: "the classic Jupyter Notebook" };
  return null;
}

const HOW_TO_GET_JUPYTER = `No Jupyter found (neither jupyter-lab nor jupyter-notebook is on PATH). Install one, then run \`npm run lab\` again:
  pip install jupyterlab                 # JupyterLab, recommended (or: pipx install jupyterlab)
  sudo apt install jupyter-notebook      # Debian/Ubuntu: the classic notebook
The kernel "TypeScript (reti)" is already registered, so any Jupyter you install will offer it.`;

const USAGE = "usage: npm run lab [-- --register-only]";

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, { "register-only": { type: "boolean" }, ...HELP });
  const file = registerKernel();
  console.log(`Registered the Jupyter kernel "TypeScript (reti)" (name reti): ${file}`);
  if (values["register-only"]) return 0;
  const fe = frontEnd();
  if (fe === null) {
    console.error(HOW_TO_GET_JUPYTER);
    return 1;
  }
  const notebooks = join(ROOT, "notebooks");
  console.log(`Starting ${fe.label} in ${notebooks} (Ctrl-C to stop)…`);
  // Jupyter refuses to run as root (containers often do) unless told to.
  const root = process.getuid?.() === 0 ? ["--allow-root"] : [];
  const child = spawn(fe.command, [...fe.args, ...root, `--notebook-dir=${notebooks}`], { cwd: notebooks, stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
}

if (require.main === module) runCommand("lab", USAGE, main, false);

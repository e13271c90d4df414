/**
 * `npm run lab`: registers the project's own tslab as the Jupyter kernel `reti` ("TypeScript (reti)")
 * in the user's Jupyter data directory, then opens the course (`notebooks/`) in the user's JupyterLab if
 * one is installed (pip), else in the course's own JupyterLab 3.6 (lab/, built from npm on first use,
 * served by Debian's python3-jupyterlab-server), else in the classic notebook; without Jupyter it says
 * how to get one. `npm run lab -- --build` (re)builds the course's JupyterLab and exits; with `--if-stale`
 * only when lab/build is missing or older than lab/'s sources (CI, before the JupyterLab browser test).
 * `npm run lab -- --student` opens a student workspace instead (build/student-workspace/: the student
 * release of each notebook, solutions stubbed and hidden tests removed; a notebook already there is the
 * student's work and is never overwritten). `npm run lab -- --register-only` only registers the kernel
 * (for nbconvert and CI). Without a display (a headless server) no browser is started: the URL to open
 * is printed.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { tslabKernelSpec } from "nbconvert-ts-runner";
import { HELP, parseCommand, ROOT, runCommand } from "./lib/command";
import { prepareWorkspace, STUDENT_WORKSPACE, UPDATED_SUFFIX } from "./lib/workspace";

export { jupyterDataDir, kernelSpec, registerKernel } from "./lib/kernelspec";
import { registerKernel, withCourseConfig } from "./lib/kernelspec";
import { buildLab, LAB_BUILD, labBuilt, labPython, labServerCommand } from "./lib/jupyterlab";

/** True if `command --version` runs. */
function available(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * The Jupyter front end to start: the user's JupyterLab if present, else the course's JupyterLab 3.6
 * when jupyterlab_server is importable (built first if needed), else the classic notebook, else null.
 */
function frontEnd(): { command: string; args: string[]; label: string; app: string } | null {
  if (available("jupyter-lab")) return { command: "jupyter-lab", args: [], label: "JupyterLab", app: "ServerApp" };
  const python = labPython();
  if (python !== null) {
    if (!labBuilt()) {
      console.log(`Building the course's JupyterLab 3.6 into ${LAB_BUILD} (once; about a minute)…`);
      buildLab();
    }
    return { ...labServerCommand(python, []), label: "the course's JupyterLab 3.6 (lab/)", app: "ServerApp" };
  }
  if (available("jupyter-notebook")) return { command: "jupyter-notebook", args: [], label: "the classic Jupyter Notebook", app: "NotebookApp" };
  return null;
}

/** True where a browser can open a window (not a headless Linux server). */
export function hasDisplay(env: NodeJS.ProcessEnv = process.env, platform = process.platform): boolean {
  return platform !== "linux" || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const HOW_TO_GET_JUPYTER = `No Jupyter found (neither jupyter-lab nor jupyter-notebook is on PATH, nor Python's jupyterlab_server). Install one, then run \`npm run lab\` again:
  pip install jupyterlab                       # current JupyterLab, recommended (or: pipx install jupyterlab)
  sudo apt install python3-jupyterlab-server   # Debian 12: the course's own JupyterLab 3.6 (built from npm)
  sudo apt install jupyter-notebook            # Debian/Ubuntu: the classic notebook
The kernel "TypeScript (reti)" is already registered, so any Jupyter you install will offer it.`;

const USAGE = "usage: npm run lab [-- --student | --register-only | --build [--if-stale]]";

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, { "register-only": { type: "boolean" }, student: { type: "boolean" }, build: { type: "boolean" }, "if-stale": { type: "boolean" }, ...HELP });
  if (values.build && values["if-stale"] && labBuilt()) {
    console.log(`The course's JupyterLab 3.6 in ${LAB_BUILD} is up to date.`);
    return 0;
  }
  if (values.build) {
    const seconds = buildLab();
    console.log(`Built the course's JupyterLab 3.6 into ${LAB_BUILD} in ${seconds.toFixed(0)} s.`);
    return 0;
  }
  const file = registerKernel();
  console.log(`Registered the Jupyter kernel "TypeScript (reti)" (name reti): ${file}`);
  if (values["register-only"]) return 0;
  const fe = frontEnd();
  if (fe === null) {
    console.error(HOW_TO_GET_JUPYTER);
    return 1;
  }
  let notebooks = join(ROOT, "notebooks");
  if (values.student) {
    notebooks = STUDENT_WORKSPACE;
    const added = await prepareWorkspace(notebooks, { overwrite: false });
    const updates = added.filter((n) => n.endsWith(UPDATED_SUFFIX));
    const fresh = added.filter((n) => !n.endsWith(UPDATED_SUFFIX));
    console.log(`Student workspace ${notebooks}: ${fresh.length ? `added ${fresh.join(", ")}` : "nothing new"} (your notebooks there are kept).`);
    if (updates.length) console.log(`Course updates of notebooks you worked on, beside them: ${updates.join(", ")} (copy what you need over).`);
  }
  console.log(`Starting ${fe.label} in ${notebooks} (Ctrl-C to stop)…`);
  // Jupyter refuses to run as root (containers often do) unless told to.
  const root = process.getuid?.() === 0 ? ["--allow-root"] : [];
  const args = [...fe.args, ...root, `--notebook-dir=${notebooks}`];
  if (!hasDisplay()) {
    // A headless server: no browser to start ("No web browser found"); the URL to open, plainly.
    const token = randomBytes(24).toString("hex");
    const port = await freePort();
    args.push("--no-browser", `--port=${port}`, `--${fe.app}.token=${token}`);
    console.log(`No display here: open this URL in a browser (through an SSH tunnel from another machine):\n\n    http://127.0.0.1:${port}/?token=${token}\n`);
  }
  // Silences the Python debugger's "frozen modules" warning at start-up.
  // The course's front-end settings (long code lines wrap) come first on JUPYTER_CONFIG_PATH.
  const env = { ...withCourseConfig(process.env), PYDEVD_DISABLE_FILE_VALIDATION: "1" };
  const child = spawn(fe.command, args, { cwd: notebooks, stdio: "inherit", env });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
}

if (require.main === module) runCommand("lab", USAGE, main, false);

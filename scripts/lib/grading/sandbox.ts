/**
 * Operating-system isolation for grading: every kernel run (a student's submission, or the
 * instructor's reference run) happens in a bubblewrap sandbox of its own. See docs/grading.md for the
 * threat model. What a sandbox has:
 * - a file system of its own: /usr (programs and shared libraries) read-only, the grading runtime
 *   read-only at /grader (a private COPY of node_modules with the built `reti` lib, made once per run;
 *   never hard links into the project), the job file read-only at /job, and /grader/work (the kernel's
 *   folder) and /tmp as small tmpfs (the only writable places, gone when the sandbox ends). No /home, no project, no
 *   submissions, no /etc beyond the loader cache;
 * - no network (a network namespace of its own with only a loopback, which the kernel's ZeroMQ
 *   sockets use), its own PID, IPC, UTS and cgroup namespaces, a new session (no terminal);
 * - an unprivileged user: when the grader runs as root, the sandbox is started through util-linux
 *   `setpriv` as a uid of its own per job slot (bubblewrap's own --uid, as root, maps back to uid 0
 *   outside: files of root stay readable), without capabilities or supplementary groups;
 * - limits (util-linux `prlimit`): address space (so typed arrays count, not only V8's heap), CPU
 *   time, processes/threads, file size, no core dumps;
 * - an end: the grader kills the sandbox's process group on a wall-clock limit, and bubblewrap's
 *   --die-with-parent plus the PID namespace take every process inside with it.
 * Nothing leaves the sandbox but the worker's stdout (worker.ts), read by the grader with a size cap.
 * Serves every lecture's exercises.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs, realpathSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { RESULT_PREFIX, type WorkerJob, type WorkerResult } from "./worker";

const exec = promisify(execFile);
const projectRoot = path.resolve(__dirname, "..", "..", "..");

/** Resource limits of one sandbox. */
export interface SandboxLimits {
  /** Address space of each process in MB (typed arrays included). */
  memoryMb: number;
  /** CPU seconds per process. */
  cpuSeconds: number;
  /** Processes and threads of the sandbox's user. */
  processes: number;
  /** Largest file a process may write, MB (tmpfs sizes follow it). */
  fileMb: number;
  /** Wall-clock limit of the whole sandbox run, ms. */
  wallMs: number;
  /** Bytes of the worker's stdout read; beyond, the run is stopped. */
  outputBytes: number;
}

/** How sandboxed runs are made. `unsafe`: no sandbox at all (the instructor's explicit choice). */
export interface SandboxConfig {
  runtimeDir: string;
  unsafe: boolean;
  limits: SandboxLimits;
}

/** What a sandboxed run gave: the worker's result, or why there is none. */
export interface SandboxRun {
  result?: WorkerResult;
  /** Why there is no result (limit reached, malformed output, worker crash), in words for a student. */
  failure?: string;
  wallMs: number;
}

/** Address space (MB) from which a sandbox can use TensorFlow.js's wasm backend. */
export const WASM_ADDRESS_SPACE_MB = 14_336;

/** The first uid used for sandboxes when the grader runs as root (one per job slot). */
export const SANDBOX_UID_BASE = 61000;

const INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`) " +
  "and util-linux (prlimit, setpriv), or pass --unsafe-no-sandbox to grade without isolation (only for submissions you trust)";

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    const file = path.join(dir, cmd);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The folders of the host that the sandbox sees read-only (programs, libraries, node itself). */
function hostBinds(): string[] {
  const args = ["--ro-bind", "/usr", "/usr", "--perms", "0755", "--dir", "/etc"];
  for (const [link, target] of [["/bin", "usr/bin"], ["/sbin", "usr/sbin"], ["/lib", "usr/lib"], ["/lib64", "usr/lib64"], ["/lib32", "usr/lib32"]] as const) {
    let isLink = false;
    try {
      isLink = realpathSync(link) !== link;
    } catch {
      continue;
    }
    args.push(...(isLink ? ["--symlink", target, link] : ["--ro-bind", link, link]));
  }
  if (existsSync("/etc/ld.so.cache")) args.push("--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache");
  const node = realpathSync(process.execPath);
  if (!node.startsWith("/usr/")) {
    const prefix = path.dirname(path.dirname(node)); // e.g. ~/.nvm/versions/node/v20 (bin/node inside)
    args.push("--ro-bind", prefix, prefix);
  }
  return args;
}

/** The command that runs `argv` in a sandbox (see the module comment). `slot` picks the uid. */
export function sandboxArgv(config: SandboxConfig, jobFile: string, argv: string[], slot: number): string[] {
  const l = config.limits;
  const mb = (n: number) => String(Math.round(n * 1024 * 1024));
  const root = process.getuid?.() === 0;
  return [
    which("bwrap") ?? "bwrap",
    ...(root ? ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"] : ["--unshare-all"]),
    "--die-with-parent", "--new-session", "--hostname", "sandbox",
    ...hostBinds(),
    "--proc", "/proc", "--dev", "/dev",
    "--perms", "1777", "--size", mb(l.fileMb), "--tmpfs", "/tmp",
    "--perms", "0755", "--dir", "/grader", "--ro-bind", config.runtimeDir, "/grader",
    // The kernel's folder lies inside the runtime, so `import "reti"` resolves to /grader/node_modules.
    "--perms", "1777", "--size", mb(l.fileMb), "--tmpfs", "/grader/work",
    "--perms", "0755", "--dir", "/job", "--ro-bind", jobFile, "/job/job.json",
    "--chdir", "/grader/work",
    "--clearenv",
    "--setenv", "PATH", "/usr/bin:/bin",
    "--setenv", "HOME", "/grader/work",
    "--setenv", "TMPDIR", "/tmp",
    "--setenv", "LANG", "C.UTF-8",
    // TensorFlow.js's wasm backend reserves ~10 GB of address space per memory: with a smaller
    // address-space limit the kernel trains on the (slower) cpu backend.
    "--setenv", "RETI_BACKEND", l.memoryMb >= WASM_ADDRESS_SPACE_MB ? "wasm" : "cpu",
    "--setenv", "RETI_DATA_DIR", "/grader/data", // the course's datasets, copied into the runtime
    "--",
    // As root, bubblewrap makes the mounts, then setpriv drops to a uid of the slot's own, in the host's
    // user namespace (bubblewrap's --uid maps back to root outside, so root's files would stay readable).
    ...(root ? ["/usr/bin/setpriv", `--reuid=${SANDBOX_UID_BASE + slot}`, `--regid=${SANDBOX_UID_BASE + slot}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"] : []),
    "/usr/bin/prlimit",
    `--as=${mb(l.memoryMb)}`, `--cpu=${l.cpuSeconds}`, `--nproc=${l.processes}`, `--fsize=${mb(l.fileMb)}`, "--core=0",
    "--",
    ...argv,
  ];
}

/**
 * Why no sandbox can be made here, with how to fix it, or null when one works (it is tried: a
 * sandbox without network, as an unprivileged user, must run `true`).
 */
export function sandboxProblem(runtimeDir: string): string | null {
  for (const cmd of ["bwrap", "prlimit", ...(process.getuid?.() === 0 ? ["setpriv"] : [])]) {
    if (!which(cmd)) return `no ${cmd} on this machine: ${INSTALL_HINT}`;
  }
  const probe = sandboxArgv({ runtimeDir, unsafe: false, limits: { memoryMb: 256, cpuSeconds: 5, processes: 64, fileMb: 8, wallMs: 10_000, outputBytes: 1 << 16 } },
    "/usr/bin/env", [which("true") ?? "/usr/bin/true"], 0);
  const r = spawnSync(probe[0]!, probe.slice(1), { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) {
    return `bubblewrap cannot make a sandbox here (${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0]}): ` +
      `it needs user namespaces (sysctl kernel.unprivileged_userns_clone=1, or run the grader as root); ${INSTALL_HINT}`;
  }
  return null;
}

/** Modules the kernel never needs: left out of the runtime copy (tools for tests, docs and builds). */
const NOT_FOR_KERNEL = new Set([
  "playwright-core", "vitest", "@vitest", "vite", "esbuild", "@esbuild", "tsx", "rollup", "@rollup", "katex",
  "markdown-it", "@vscode", "typescript", ".bin",
]);

/** A hash of what the runtime is made from (lockfile, built lib, worker sources): reuse it while unchanged. */
/** The workspace packages the kernel and the worker load ([name in node_modules, folder in the project]): copied as real folders. */
const WORKSPACE_PACKAGES: [string, string][] = [
  ["reti", "lib"],
  ["nbconvert-ts-runner", path.join("packages", "nbconvert-ts-runner")],
];

async function runtimeStamp(): Promise<string> {
  const h = createHash("sha256");
  h.update(await fs.readFile(path.join(projectRoot, "package-lock.json")));
  for (const dist of WORKSPACE_PACKAGES.map(([, dir]) => path.join(projectRoot, dir, "dist"))) {
    for (const entry of (await fs.readdir(dist, { recursive: true, withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      h.update(file).update(String((await fs.stat(file)).mtimeMs));
    }
  }
  for (const f of await fs.readdir(path.join(projectRoot, "scripts", "lib"), { recursive: true })) {
    const file = path.join(projectRoot, "scripts", "lib", String(f));
    if (file.endsWith(".ts")) h.update(file).update(await fs.readFile(file));
  }
  return h.digest("hex");
}

/** Writes the MNIST cache into the project's node_modules once, so the read-only runtime copy has it. */
async function warmCaches(): Promise<void> {
  const dist = path.join(projectRoot, "lib", "dist", "data", "mnist.js");
  if (!existsSync(dist)) return;
  await exec(process.execPath, ["-e", `require(${JSON.stringify(dist)}).loadMnist()`], { cwd: projectRoot, timeout: 300_000 });
}

/**
 * The grading runtime under `parent`: a private copy (no hard links, no symbolic link leading out) of
 * the node_modules the kernel needs, with the workspace links (`reti`, `nbconvert-ts-runner`) replaced by
 * copies of their builds, and the bundled worker. Kept in a folder named after a hash of its sources, so runs (and test
 * files) side by side share one, and a changed lib or lockfile makes a new one; returns its path.
 * Made in a temporary folder and renamed into place, so no run ever sees half a runtime.
 */
export async function prepareRuntime(parent: string): Promise<string> {
  const stamp = await runtimeStamp();
  const dir = path.join(parent, stamp.slice(0, 16));
  if (existsSync(path.join(dir, "worker.js"))) return dir;
  await warmCaches();
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const modules = path.join(tmp, "node_modules");
  await fs.mkdir(modules, { recursive: true });
  await fs.mkdir(path.join(tmp, "work"));
  const src = path.join(projectRoot, "node_modules");
  const linked = new Set(WORKSPACE_PACKAGES.map(([name]) => name));
  const copies = (await fs.readdir(src)).filter((n) => !NOT_FOR_KERNEL.has(n) && !linked.has(n));
  await exec("cp", ["-a", "--no-preserve=links", ...copies.map((n) => path.join(src, n)), modules], { maxBuffer: 1 << 24 });
  for (const [name, dir] of WORKSPACE_PACKAGES) {
    // What the package publishes (its package.json "files": the build, and for reti the sources showSource reads).
    const manifest = JSON.parse(await fs.readFile(path.join(projectRoot, dir, "package.json"), "utf8")) as { files?: string[] };
    const parts = ["package.json", ...(manifest.files ?? ["dist"])].filter((p) => existsSync(path.join(projectRoot, dir, p)));
    await fs.mkdir(path.join(modules, name));
    await exec("cp", ["-a", ...parts.map((p) => path.join(projectRoot, dir, p)), path.join(modules, name)]);
  }
  // The course's shipped datasets (data/: time series, reviews, texts), read through RETI_DATA_DIR.
  await exec("cp", ["-a", "--no-preserve=links", path.join(projectRoot, "data"), path.join(tmp, "data")]);
  const { stdout } = await exec("find", [modules, "-type", "l"], { maxBuffer: 1 << 24 });
  for (const link of stdout.split("\n").filter(Boolean)) {
    const target = path.resolve(path.dirname(link), await fs.readlink(link));
    if (!target.startsWith(modules + path.sep)) await fs.rm(link);
  }
  await exec(path.join(src, ".bin", "esbuild"), [
    path.join(__dirname, "worker.ts"), "--bundle", "--platform=node", "--target=node20", "--packages=external", "--log-level=warning",
    `--outfile=${path.join(tmp, "worker.js")}`,
  ]);
  // Readable by the sandbox's unprivileged users, writable by no one but the owner.
  await exec("chmod", ["-R", "a+rX,go-w", tmp]);
  try {
    await fs.rename(tmp, dir);
  } catch {
    await fs.rm(tmp, { recursive: true, force: true }); // another run made it first
  }
  return dir;
}

/** Node options for the kernel inside the sandbox: Node's permission model as a second wall. */
export const KERNEL_NODE_ARGS = [
  "--experimental-permission",
  "--allow-addons", // zeromq (the kernel's own sockets) is a native addon
  "--allow-fs-read=/grader/",
  "--allow-fs-read=/tmp/", // the kernel's connection file
  "--allow-fs-read=/etc/alpine-release", // zeromq's loader probes it (absent in the sandbox)
  "--disallow-code-generation-from-strings",
];

/**
 * Runs a worker job in a sandbox of its own (or, with config.unsafe, as a plain child process) and
 * returns the worker's result. Never throws for anything the job's code does: limits, crashes and
 * malformed output become `failure`.
 */
export async function runSandboxed(config: SandboxConfig, job: Omit<WorkerJob, "tslabDir" | "cwd" | "nodeArgs">, slot: number, scratchDir: string): Promise<SandboxRun> {
  const started = Date.now();
  await fs.mkdir(scratchDir, { recursive: true });
  const jobFile = path.join(scratchDir, `job-${slot}-${process.pid}-${Date.now()}.json`);
  const inside = !config.unsafe;
  const full: WorkerJob = {
    ...job,
    tslabDir: inside ? "/grader/node_modules/tslab" : path.join(config.runtimeDir, "node_modules", "tslab"),
    cwd: inside ? "/grader/work" : await fs.mkdtemp(path.join(config.runtimeDir, "work", "unsafe-")),
    nodeArgs: inside ? KERNEL_NODE_ARGS : [],
  };
  await fs.writeFile(jobFile, JSON.stringify(full), { mode: 0o644 });
  const worker = inside ? "/grader/worker.js" : path.join(config.runtimeDir, "worker.js");
  const node = [realpathSync(process.execPath), `--max-old-space-size=${Math.max(256, Math.round(config.limits.memoryMb / 4))}`, worker, inside ? "/job/job.json" : jobFile];
  const argv = inside ? sandboxArgv(config, jobFile, node, slot) : node;
  try {
    return await new Promise<SandboxRun>((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], detached: true, env: inside ? {} : { PATH: process.env.PATH ?? "", HOME: full.cwd, TMPDIR: full.cwd, RETI_DATA_DIR: path.join(config.runtimeDir, "data") } });
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stderr = "";
      let failure: string | undefined;
      const killAll = (why: string) => {
        failure ??= why;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      };
      const timer = setTimeout(() => killAll(`stopped: the whole run took longer than ${Math.round(config.limits.wallMs / 1000)} s`), config.limits.wallMs);
      child.stdout!.on("data", (b: Buffer) => {
        bytes += b.length;
        if (bytes > config.limits.outputBytes) killAll(`stopped: the run produced more than ${Math.round(config.limits.outputBytes / 1e6)} MB of results`);
        else chunks.push(b);
      });
      child.stderr!.on("data", (b: Buffer) => {
        stderr = (stderr + b.toString("utf8")).slice(-4000);
      });
      child.on("error", (err) => killAll(`the sandbox could not start: ${err.message}`));
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const wallMs = Date.now() - started;
        // Whatever the worker left behind in its process group goes too.
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
        if (failure) return resolve({ failure, wallMs });
        const text = Buffer.concat(chunks).toString("utf8");
        const line = text.split("\n").reverse().find((l) => l.startsWith(RESULT_PREFIX));
        if (!line) {
          const why = /out of memory|Allocation failed|allocation failed/i.test(stderr) ? "it ran out of memory" : signal ? `it was killed by ${signal}` : `it ended with code ${code}`;
          return resolve({ failure: `the run ended without results (${why})`, wallMs, ...(process.env.RETI_GRADE_DEBUG ? { debug: stderr } : {}) });
        }
        try {
          resolve({ result: JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerResult, wallMs });
        } catch {
          resolve({ failure: "the run's results were malformed", wallMs });
        }
      });
    });
  } finally {
    await fs.rm(jobFile, { force: true });
    if (!inside) await fs.rm(full.cwd, { recursive: true, force: true });
  }
}

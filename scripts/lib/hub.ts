/**
 * The course on JupyterHub (one notebook server per student): the hub's configuration, the students'
 * workspace, and starting and stopping the hub with nothing left running. JupyterHub 3.0 and the
 * classic Notebook come from Debian (`apt-get install jupyterhub jupyter-notebook`); its proxy is npm's
 * `configurable-http-proxy` pinned in the project (Debian's fails under this Node). See docs/hub.md.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { registerKernel } from "../lab";

/** The project root. */
const ROOT = path.resolve(__dirname, "..", "..");

/** How the hub is served. */
export interface HubOptions {
  /** Address the hub listens on (default 127.0.0.1). Any other needs `allowRemote`. */
  ip: string;
  /** The public port (default 8000); the hub's own API takes port + 1 and the proxy's API port + 2, both on loopback. */
  port: number;
  /** The shared password of the dummy authenticator (a local trial only: see docs/hub.md for real authentication). */
  password: string;
  /** Serve on a non-loopback address with the dummy authenticator (refused otherwise). */
  allowRemote: boolean;
  /** Folder for the hub's state, the kernelspec and the students' homes (default build/hub). */
  dir: string;
  /** The notebooks every student starts from (default build/hub/workspace, made from the student release). */
  workspace: string;
  /** The Jupyter server each student gets: "notebook" (the classic Notebook 6, Debian) or "server" (jupyter_server). */
  singleUserApp: "notebook" | "server";
}

/** Default options: loopback, port 8000, a fresh random password unless $HUB_PASSWORD is set. */
export function defaultHubOptions(env: NodeJS.ProcessEnv = process.env): HubOptions {
  return {
    ip: "127.0.0.1",
    port: 8000,
    password: env.HUB_PASSWORD ?? randomBytes(9).toString("base64url"),
    allowRemote: false,
    dir: path.join(ROOT, "build", "hub"),
    workspace: path.join(ROOT, "build", "hub", "workspace"),
    singleUserApp: "notebook",
  };
}

/** True for addresses only this machine reaches. */
export function isLoopback(ip: string): boolean {
  return ip === "localhost" || ip === "::1" || /^127(\.\d{1,3}){3}$/.test(ip);
}

/** Python string literal (JSON's escaping is valid Python for the strings we write). */
function py(s: string): string {
  return JSON.stringify(s);
}

/** The `jupyterhub_config.py` for these options; `adminToken` is the API token of the course-admin service (load tests, scripts). */
export function hubConfig(options: HubOptions, adminToken: string): string {
  if (!isLoopback(options.ip) && !options.allowRemote) {
    throw new Error(
      `hub: refusing to serve on ${options.ip} with a shared-password (dummy) authenticator: anyone who can reach it could log in. ` +
        "Use --ip 127.0.0.1, or configure real authentication (docs/hub.md) and pass --allow-remote.",
    );
  }
  const proxy = path.join(ROOT, "node_modules", ".bin", "configurable-http-proxy");
  const app = options.singleUserApp === "notebook" ? "notebook.notebookapp.NotebookApp" : "jupyter_server.serverapp.ServerApp";
  const rootFlag = process.getuid?.() === 0 ? `["--allow-root"]` : "[]";
  return `# Written by \`npm run hub\` (scripts/lib/hub.ts); edit the options there, not this file.
import os, shutil

c = get_config()  # noqa: F821
c.JupyterHub.ip = ${py(options.ip)}
c.JupyterHub.port = ${options.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = ${options.port + 1}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:${options.port + 2}"
c.JupyterHub.db_url = ${py(`sqlite:///${path.join(options.dir, "jupyterhub.sqlite")}`)}
c.JupyterHub.cookie_secret_file = ${py(path.join(options.dir, "jupyterhub_cookie_secret"))}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.ConfigurableHTTPProxy.command = [${py(proxy)}]
c.ConfigurableHTTPProxy.pid_file = ${py(path.join(options.dir, "proxy.pid"))}

# A local trial: any user name, one shared password. Real classes: see docs/hub.md.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = ${py(options.password)}

# One notebook server per student, as this machine's user, with a home folder of its own.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = ${py(path.join(options.dir, "users", "{username}"))}
c.Spawner.cmd = ["jupyterhub-singleuser"]
c.Spawner.args = ${rootFlag}
c.Spawner.default_url = "/tree"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120
c.Spawner.environment = {
    "JUPYTERHUB_SINGLEUSER_APP": ${py(app)},
    # The course's kernelspec "TypeScript (reti)" lives here.
    "JUPYTER_PATH": ${py(path.join(options.dir, "share", "jupyter"))},
}

WORKSPACE = ${py(options.workspace)}
NODE_MODULES = ${py(path.join(ROOT, "node_modules"))}

def copy_workspace(spawner):
    """A student's first login copies the course notebooks into their home; later logins keep their work."""
    home = spawner.home_dir
    os.makedirs(home, exist_ok=True)
    # The kernel resolves \`import … from "reti"\` from the notebook's folder: link the course's packages there.
    link = os.path.join(home, "node_modules")
    if not os.path.lexists(link):
        os.symlink(NODE_MODULES, link)
    for name in sorted(os.listdir(WORKSPACE)):
        target = os.path.join(home, name)
        if name.endswith(".ipynb") and not os.path.exists(target):
            shutil.copyfile(os.path.join(WORKSPACE, name), target)

c.Spawner.pre_spawn_hook = copy_workspace

# The course-admin service: its token drives the load test and scripts through the hub's REST API.
c.JupyterHub.services = [{"name": "course-admin", "api_token": ${py(adminToken)}}]
c.JupyterHub.load_roles = [
    {
        "name": "course-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:users"],
        "services": ["course-admin"],
    }
]
`;
}

/**
 * The students' starting notebooks in `dir`: each notebook's student release where it has exercises
 * (build/release/student, solutions stubbed and hidden tests removed), else the notebook itself.
 * Runs `npm run release` when the release is missing. Never copies a notebook with solutions.
 */
export async function prepareWorkspace(dir: string): Promise<string[]> {
  const release = path.join(ROOT, "build", "release", "student");
  if (!existsSync(release)) {
    const r = spawnSync("npx", ["tsx", path.join(ROOT, "scripts", "release.ts")], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error("hub: `npm run release` failed: fix the defects it prints, then start the hub again");
  }
  await fs.mkdir(dir, { recursive: true });
  const names = (await fs.readdir(path.join(ROOT, "notebooks"))).filter((f) => f.endsWith(".ipynb")).sort();
  for (const name of names) {
    const released = path.join(release, name);
    const source = path.join(ROOT, "notebooks", name);
    const text = await fs.readFile(existsSync(released) ? released : source, "utf8");
    if (!existsSync(released) && text.includes("BEGIN SOLUTION")) {
      throw new Error(`hub: ${name} has exercises but no student release in ${release}: run \`npm run release\``);
    }
    await fs.writeFile(path.join(dir, name), text);
  }
  return names;
}

/** A running hub: its URL, the admin service token, and `stop()`, which ends the hub, its proxy and every student server. */
export interface RunningHub {
  url: string;
  adminToken: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Waits until `url` answers with a status below 400 (the proxy answers 404 until the hub's route is added), or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`hub: the hub exited before ${url} answered (see its log above)`);
    const status = await fetch(url, { redirect: "manual" }).then((r) => r.status, () => 0);
    if (status > 0 && status < 400) return;
    if (Date.now() > end) throw new Error(`hub: ${url} did not answer within ${timeoutMs / 1000} s (last status ${status || "none"})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Pids of the processes whose working folder is `dir` or below it (Linux /proc; empty elsewhere). */
export async function processesUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = await fs.readdir("/proc");
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cwd = await fs.readlink(`/proc/${e}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + path.sep)) pids.push(Number(e));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** Checks that Debian's JupyterHub and the proxy are installed; throws with the command that installs what is missing. */
export function checkHubInstalled(): void {
  if (spawnSync("jupyterhub", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error("hub: JupyterHub is not installed: `sudo apt-get install jupyterhub jupyter-notebook` (Debian/Ubuntu), then `npm run hub` again");
  }
  if (!existsSync(path.join(ROOT, "node_modules", ".bin", "configurable-http-proxy"))) {
    throw new Error("hub: configurable-http-proxy is missing from node_modules: run `npm ci`");
  }
}

/** Starts JupyterHub for the course; resolves once its login page answers. */
export async function startHub(options: HubOptions, log: "inherit" | "ignore" = "inherit"): Promise<RunningHub> {
  checkHubInstalled();
  await fs.mkdir(options.dir, { recursive: true });
  registerKernel(path.join(options.dir, "share", "jupyter"));
  await prepareWorkspace(options.workspace);
  const adminToken = randomBytes(24).toString("hex");
  const config = path.join(options.dir, "jupyterhub_config.py");
  await fs.writeFile(config, hubConfig(options, adminToken), { mode: 0o600 });
  // Its own process group, so stop() ends the proxy and the student servers with it.
  const child = spawn("jupyterhub", ["-f", config], { cwd: options.dir, stdio: ["ignore", log, log], detached: true });
  let exited = false;
  child.on("exit", () => (exited = true));
  const url = `http://${options.ip.includes(":") ? `[${options.ip}]` : options.ip}:${options.port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      process.kill(-child.pid!, "SIGTERM");
      const end = Date.now() + 15_000;
      while (!exited && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    }
    // Whatever survived (the proxy in the hub's group; student servers and kernels, which the hub starts
    // in sessions of their own, found by their working folder under the students' homes) goes now.
    for (const pid of [-child.pid!, ...(await processesUnder(path.join(options.dir, "users")))]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  };
  try {
    await waitForHttp(`${url}/hub/login`, 60_000, () => !exited);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, adminToken, process: child, stop };
}

/**
 * Running notebooks on a Jupyter server through its REST API and kernel WebSocket (src/server.ts),
 * against Debian's jupyter-server (`apt-get install python3-jupyter-server`) started here on
 * 127.0.0.1 with a token and this package's tslab kernelspec. Skipped, with the reason, when
 * jupyter-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tslabKernelSpec } from "../src/kernel";
import { readNotebook, sourceText, type CodeCell, type Notebook, type Output } from "../src/nbformat";
import { executeNotebook } from "../src/runner";
import { ServerKernel } from "../src/server";

const PYTHON = "/usr/bin/python3";
const available = spawnSync(PYTHON, ["-c", "import jupyter_server"], { encoding: "utf8" }).status === 0;
if (!available) {
  console.warn("server.test.ts skipped: Debian's jupyter-server is not installed (apt-get install python3-jupyter-server)");
}

const fixtures = path.join(__dirname, "fixtures");
const TOKEN = `t${Math.random().toString(36).slice(2)}`;
let server: ChildProcess | undefined;
let url = "";
let home = "";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function text(output: Output | undefined): string {
  if (output?.output_type !== "stream") throw new Error(`not a stream output: ${JSON.stringify(output)}`);
  return sourceText(output.text);
}

describe.skipIf(!available)("on a Jupyter server (REST + kernel WebSocket)", () => {
  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), "nbts-server-"));
    const kernels = path.join(home, "data", "kernels", "tslab");
    await fs.mkdir(kernels, { recursive: true });
    await fs.writeFile(path.join(kernels, "kernel.json"), JSON.stringify(tslabKernelSpec()));
    await fs.copyFile(path.join(fixtures, "pass.ipynb"), path.join(home, "pass.ipynb"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    const { NODE_OPTIONS: _, ...env } = process.env;
    server = spawn(PYTHON, [
      "-m", "jupyter_server", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0", `--ServerApp.token=${TOKEN}`, `--ServerApp.root_dir=${home}`,
    ], {
      cwd: home,
      env: { ...env, JUPYTER_DATA_DIR: path.join(home, "data"), JUPYTER_PATH: path.join(home, "data"),
        JUPYTER_CONFIG_DIR: path.join(home, "config"), JUPYTER_RUNTIME_DIR: path.join(home, "runtime") },
      stdio: "ignore",
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${url}api/status`, { headers: { Authorization: `token ${TOKEN}` } }).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error("jupyter-server did not start");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 90_000);

  afterAll(async () => {
    server?.kill("SIGTERM");
    if (server && server.exitCode === null) await new Promise((resolve) => server!.once("exit", resolve));
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it("runs a notebook with the same outputs and timings as on a local kernel, and the kernel is shut down after", async () => {
    const nb = await readNotebook(path.join(fixtures, "pass.ipynb"));
    const r = await executeNotebook(nb, { kernel: () => ServerKernel.start({ url, token: TOKEN, kernelName: "tslab" }) });
    expect(r.ok).toBe(true);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "ok"]);
    const first = r.notebook.cells[1] as CodeCell;
    expect(first.outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["hello\n", "world\n"] }]);
    expect(text((r.notebook.cells[3] as CodeCell).outputs[0])).toBe("10\n");
    expect(Object.keys(first.metadata.execution!).sort()).toEqual(["iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply"]);
    expect(r.notebook.metadata.language_info?.name).toBe("typescript");
    expect(r.peakRssKb).toBeNull();
    const left = (await (await fetch(`${url}api/kernels`, { headers: { Authorization: `token ${TOKEN}` } })).json()) as unknown[];
    expect(left).toEqual([]);
  });

  it("stops at a failing cell with the error output, and goes on with allowErrors", async () => {
    const nb = await readNotebook(path.join(fixtures, "fail.ipynb"));
    const r = await executeNotebook(nb, { allowErrors: true, kernel: () => ServerKernel.start({ url, token: TOKEN, kernelName: "tslab" }) });
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "error", "ok"]);
    expect((r.notebook.cells[3] as CodeCell).outputs[1]).toMatchObject({ output_type: "error", ename: "Error", evalue: "boom at cell three (n = 2)" });
  });

  it("reports a kernel that exits as died", async () => {
    const nb: Notebook = {
      nbformat: 4, nbformat_minor: 5, metadata: {},
      cells: ["1", "process.exit(3)", "2"].map((source) => ({ cell_type: "code", source, metadata: {}, execution_count: null, outputs: [] })),
    };
    const r = await executeNotebook(nb, { cellTimeoutMs: 30_000, kernel: () => ServerKernel.start({ url, token: TOKEN, kernelName: "tslab" }) });
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "died", "not-run"]);
  });

  it("refuses a wrong token with a clear message; the command line runs with --server and --token", async () => {
    await expect(ServerKernel.start({ url, token: "wrong", kernelName: "tslab" })).rejects.toThrow(/HTTP 403 \(is the token right\?\)/);
    const tsx = require.resolve("tsx/cli");
    const cli = spawnSync(process.execPath, [tsx, path.join(__dirname, "..", "src", "bin.ts"), "pass.ipynb", "--server", url, "--token", TOKEN, "--output-dir", "out"],
      { cwd: home, encoding: "utf8", timeout: 90_000 });
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^PASS {2}pass\.ipynb {2}\d+(\.\d)? s {2}3\/3 cells$/m);
    const out = await readNotebook(path.join(home, "out", "pass.ipynb"));
    expect(text((out.cells[3] as CodeCell).outputs[0])).toBe("10\n");
  });
});

/**
 * `npm run hub`: the configuration refuses what it must, and a real JupyterHub (Debian's 3.0, npm's
 * configurable-http-proxy) serves the course: a student logs in with Chromium, gets a server holding the
 * student release and the course kernel, opens 00_setup and runs it all; stopping leaves nothing running.
 * The live part needs Debian's jupyterhub and jupyter-notebook (installed by .ci/run).
 */
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultHubOptions, hubConfig, isLoopback, processesUnder, startHub } from "../scripts/lib/hub";
import { drawnPlots, launchBrowser, openNotebook, runAll } from "./support/classic-notebook";
import { buildLibIfStale } from "./support/course";

/** A free TCP port with the two after it free too (the hub's API and the proxy's API). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
      s.on("error", reject);
    });
    if (port > 65000) continue;
    const free = await Promise.all(
      [port + 1, port + 2].map(
        (p) => new Promise<boolean>((resolve) => {
          const s = net.createServer().once("error", () => resolve(false)).listen(p, "127.0.0.1", () => s.close(() => resolve(true)));
        }),
      ),
    );
    if (free.every(Boolean)) return port;
  }
}

describe("hub configuration", () => {
  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "localhost"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "10.0.0.1", "192.168.1.2", "::", "128.0.0.1"].some(isLoopback)).toBe(false);
  });

  it("refuses a shared-password hub beyond loopback unless told, and names the fix", () => {
    const options = { ...defaultHubOptions(), ip: "0.0.0.0" };
    expect(() => hubConfig(options, "t")).toThrow(/refusing to serve on 0\.0\.0\.0.*--allow-remote/);
    expect(hubConfig({ ...options, allowRemote: true }, "t")).toContain('c.JupyterHub.ip = "0.0.0.0"');
  });

  it("uses the project's proxy, the course kernelspec and the classic Notebook, with ports beside the public one", () => {
    const options = { ...defaultHubOptions(), port: 9100, password: "p\"w" };
    const config = hubConfig(options, "abc");
    expect(config).toMatch(/c\.ConfigurableHTTPProxy\.command = \[".*node_modules\/\.bin\/configurable-http-proxy"\]/);
    expect(config).toContain('"JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp"');
    expect(config).toContain(`"JUPYTER_PATH": ${JSON.stringify(path.join(options.dir, "share", "jupyter"))}`);
    expect(config).toContain("c.JupyterHub.hub_port = 9101");
    expect(config).toContain('c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:9102"');
    expect(config).toContain('c.DummyAuthenticator.password = "p\\"w"');
  });
});

const hubInstalled = spawnSync("jupyterhub", ["--version"], { stdio: "ignore" }).status === 0;

describe.skipIf(!hubInstalled)("the course on a live JupyterHub", () => {
  it("a student logs in, opens 00_setup from the student release and runs it all; stop leaves nothing running", async () => {
    await buildLibIfStale();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "reti-hub-"));
    const options = { ...defaultHubOptions(), port: await freePort(), password: "course-trial", dir, workspace: path.join(dir, "workspace") };
    const hub = await startHub(options, "ignore");
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${hub.url}/hub/login`);
      await page.fill("#username_input", "student1");
      await page.fill("#password_input", "course-trial");
      await Promise.all([page.waitForURL(/\/user\/student1\/tree/, { timeout: 120_000 }), page.click("#login_submit")]);
      // The student's home holds the release: every course notebook, no solution, no hidden test.
      const home = path.join(dir, "users", "student1");
      const names = (await fs.readdir(home)).filter((f) => f.endsWith(".ipynb")).sort();
      const course = (await fs.readdir(path.resolve(__dirname, "..", "notebooks"))).filter((f) => f.endsWith(".ipynb")).sort();
      expect(names).toEqual(course);
      for (const name of names) {
        const text = await fs.readFile(path.join(home, name), "utf8");
        expect(text, name).not.toMatch(/BEGIN SOLUTION|BEGIN HIDDEN TESTS/);
      }
      await openNotebook(page, `${hub.url}/user/student1/notebooks/00_setup.ipynb`);
      const kernel = await page.evaluate(
        () => (window as unknown as { Jupyter: { notebook: { kernel: { name: string } } } }).Jupyter.notebook.kernel.name,
      );
      expect(kernel).toBe("reti");
      const cells = await runAll(page);
      expect(cells.length).toBeGreaterThan(5);
      // The student release stubs the warm-up exercise: its test cell fails with the stub's message, nothing else may.
      const errors = cells.flatMap((c) => c.errors.map((e) => `cell ${c.index}: ${e}`));
      expect(errors.filter((e) => !/exercise not done yet/.test(e))).toEqual([]);
      const firstError = cells.find((c) => c.errors.length > 0)?.index ?? Infinity;
      expect(cells.filter((c) => c.index < firstError).every((c) => c.executionCount !== null)).toBe(true);
      expect(await drawnPlots(page)).toBeGreaterThan(0);
      await fs.mkdir(path.resolve(__dirname, "..", "build", "screenshots"), { recursive: true });
      await page.screenshot({ path: path.resolve(__dirname, "..", "build", "screenshots", "hub-00_setup.png"), fullPage: true });
    } finally {
      await browser.close();
      await hub.stop();
    }
    expect(hub.process.exitCode !== null || hub.process.signalCode !== null).toBe(true);
    expect(await processesUnder(path.join(dir, "users"))).toEqual([]);
    await fs.rm(dir, { recursive: true, force: true });
  }, 600_000);
});

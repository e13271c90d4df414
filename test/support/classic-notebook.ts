/**
 * Driving the classic Jupyter Notebook (6.x) in headless Chromium as a student would: open a notebook,
 * Run All, wait for the last cell, and read what every cell shows. Used by the browser tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import type { NotebookFrontEnd } from "./browser-checks";
import { withCourseConfig } from "../../scripts/lib/kernelspec";
import { launchChromium } from "../../scripts/lib/render";

/** What one code cell shows after Run All. */
export interface CellView {
  index: number;
  executionCount: number | null;
  /** Output types in order (stream, display_data, execute_result, error). */
  outputs: string[];
  /** The text of its error and stderr outputs. */
  errors: string[];
}

/** Launches headless Chromium (system, else the npm fallback) with the flags that work here; throws ChromiumMissingError without one. */
export async function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

/** Opens `url` (a /notebooks/… page) and waits until its kernel is connected and idle. */
export async function openNotebook(page: Page, url: string, timeoutMs = 120_000): Promise<void> {
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(
    () => {
      const nb = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter?.notebook;
      return nb?.kernel?.is_connected() === true;
    },
    undefined,
    { timeout: timeoutMs, polling: 250 },
  );
}

/** Every code cell's view now. */
export async function cellViews(page: Page): Promise<CellView[]> {
  return page.evaluate(() => {
    type Output = { output_type: string; name?: string; text?: string; ename?: string; evalue?: string };
    type Cell = { cell_type: string; input_prompt_number?: number | string | null; output_area: { outputs: Output[] } };
    const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): Cell[] } } }).Jupyter.notebook.get_cells();
    return cells
      .map((c, index) => ({ c, index }))
      .filter(({ c }) => c.cell_type === "code")
      .map(({ c, index }) => ({
        index,
        executionCount: typeof c.input_prompt_number === "number" ? c.input_prompt_number : null,
        outputs: c.output_area.outputs.map((o) => o.output_type),
        errors: c.output_area.outputs
          .filter((o) => o.output_type === "error" || o.name === "stderr")
          .map((o) => (o.output_type === "error" ? `${o.ename}: ${o.evalue}` : String(o.text))),
      }));
  });
}

/**
 * Cell > Run All, then waits until every code cell has run (an execution count, no `*`) or one shows an
 * error; returns every code cell's view. On a timeout the error lists the cells that had not run and any errors shown.
 */
export async function runAll(page: Page, timeoutMs = 300_000): Promise<CellView[]> {
  await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
  try {
    await page.waitForFunction(
      () => {
        // Done when every code cell has run, or at the first error (the kernel aborts the cells queued after it).
        type Cell = { cell_type: string; input_prompt_number?: number | string | null; output_area: { outputs: { output_type: string; name?: string }[] } };
        const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): Cell[] } } }).Jupyter.notebook.get_cells();
        const failed = cells.some((c) => c.cell_type === "code" && c.output_area.outputs.some((o) => o.output_type === "error" || o.name === "stderr"));
        return failed || cells.every((c) => c.cell_type !== "code" || typeof c.input_prompt_number === "number");
      },
      undefined,
      { timeout: timeoutMs, polling: 500 },
    );
  } catch (e) {
    const views = await cellViews(page);
    const pending = views.filter((v) => v.executionCount === null).map((v) => v.index);
    const errors = views.flatMap((v) => v.errors.map((x) => `cell ${v.index}: ${x.slice(0, 300)}`));
    throw new Error(`Run All did not finish in ${timeoutMs / 1000} s: cells ${pending.join(", ")} had not run; errors shown: ${errors.join(" | ") || "none"}`);
  }
  return cellViews(page);
}

/** How many plotly plots the page has drawn (interactive, not the static fallback). */
export async function drawnPlots(page: Page): Promise<number> {
  return page.evaluate(() => document.querySelectorAll(".js-plotly-plot .main-svg").length);
}

// ---------------------------------------------------------------------------------------------
// The classic Notebook as a NotebookFrontEnd (test/support/browser-checks.ts), and a server for it.

/** The classic Notebook 6 front end at `baseUrl` (no trailing slash), for runInBrowser. */
export function classicFrontEnd(baseUrl: string): NotebookFrontEnd {
  return {
    name: "classic",
    baseUrl,
    notebookUrl: (relativePath) => `${baseUrl}/notebooks/${relativePath.split("/").map(encodeURIComponent).join("/")}`,
    async open(page, url, withKernel) {
      if (withKernel) return openNotebook(page, url);
      await page.goto(url, { waitUntil: "domcontentloaded" });
      await page.waitForFunction(
        () => (window as unknown as { Jupyter?: { notebook?: { _fully_loaded?: boolean } } }).Jupyter?.notebook?._fully_loaded === true,
        undefined,
        { timeout: 60_000, polling: 250 },
      );
    },
    async installProbe(page) {
      await page.evaluate(() => {
        type Output = { output_type: string; name?: string; text?: string; ename?: string; evalue?: string; data?: Record<string, unknown>; metadata?: { reti?: { figure?: string } } };
        type Cell = {
          cell_type: string;
          input_prompt_number?: number | string | null;
          element: ArrayLike<HTMLElement>;
          output_area: { outputs: Output[]; element: ArrayLike<HTMLElement> };
        };
        const w = window as unknown as { Jupyter: { notebook: { get_cells(): Cell[] } }; __retiCells?: () => unknown[] };
        w.__retiCells = () =>
          w.Jupyter.notebook
            .get_cells()
            .filter((c) => c.cell_type === "code")
            .map((c) => {
              const area = c.output_area.element[0]!;
              const isFigure = (o: Output): boolean =>
                !!o.data && ("application/vnd.plotly.v1+json" in o.data || /class="reti-figure"/.test(String(o.data["text/html"] ?? "")));
              const outputs = c.output_area.outputs;
              return {
                count: typeof c.input_prompt_number === "number" ? c.input_prompt_number : null,
                busy: c.input_prompt_number === "*",
                outputs: outputs.length,
                errors: outputs
                  .filter((o) => o.output_type === "error" || o.name === "stderr")
                  .map((o) => (o.output_type === "error" ? `${o.ename}: ${o.evalue}` : String(o.text))),
                figureOutputs: outputs.filter(isFigure).length,
                figureNames: outputs.filter(isFigure).flatMap((o) => (o.metadata?.reti?.figure ? [o.metadata.reti.figure] : [])),
                plots: Array.from(area.querySelectorAll(".js-plotly-plot")).filter((p) => p.querySelector(".main-svg")).length,
                undrawn: Array.from(area.querySelectorAll(".reti-figure:not(.js-plotly-plot)")).map((e) => e.textContent ?? ""),
                progress: Array.from(area.querySelectorAll(".reti-progress")).map((e) => e.textContent ?? ""),
              };
            });
      });
    },
    async runAll(page) {
      await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
    },
    async save(page) {
      await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { save_notebook(): Promise<unknown> } } }).Jupyter.notebook.save_notebook());
    },
    async screenshot(page, file) {
      // The classic page scrolls inside #site: let the document grow to the notebook's height instead.
      await page.evaluate(() => {
        for (const el of [document.documentElement, document.body, document.getElementById("site")]) {
          if (!el) continue;
          el.style.height = "auto";
          el.style.overflow = "visible";
          el.style.position = "static";
        }
      });
      await page.screenshot({ path: file, fullPage: true });
    },
  };
}

/** Stops a Jupyter server process: SIGTERM, then SIGKILL if it has not exited within 10 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Kills the kernels still running from a Jupyter server whose runtime folder was `<jupyterDir>/runtime` (each
 * kernel's command line names its connection file there); returns how many. After the classic browser test of
 * all ten notebooks, 7 kernels had outlived their deleted sessions and the stopped server, spinning, orphaned:
 * asked to shut down, tslab never exited once the wasm backend was loaded, and the classic Notebook does not kill
 * it. The kernel preload now exits (its fix 9) and no longer spins (fix 3); this stays as the safety net, and its
 * warning names a regression.
 */
export function killLeftoverKernels(jupyterDir: string): number {
  const marker = `${path.join(jupyterDir, "runtime")}${path.sep}kernel-`;
  let killed = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (!command.includes(marker)) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
      killed++;
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

/** A running classic Notebook server. */
export interface ClassicServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Debian's classic Notebook (`jupyter-notebook`) on 127.0.0.1, serving `rootDir`, with no token,
 * Jupyter's data, config and runtime folders under `jupyterDir` (where the course kernelspec is
 * registered), and no browser. Resolves when it answers.
 */
export async function startClassicNotebook(rootDir: string, jupyterDir: string, timeoutMs = 60_000): Promise<ClassicServer> {
  const port = await new Promise<number>((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
  const env = {
    ...withCourseConfig(process.env),
    JUPYTER_DATA_DIR: path.join(jupyterDir, "data"),
    JUPYTER_CONFIG_DIR: path.join(jupyterDir, "config"),
    JUPYTER_RUNTIME_DIR: path.join(jupyterDir, "runtime"),
    IPYTHONDIR: path.join(jupyterDir, "ipython"),
    BROWSER: "true",
  };
  const child = spawn(
    "jupyter-notebook",
    ["--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", "--NotebookApp.token=", "--NotebookApp.password=", `--notebook-dir=${rootDir}`, ...(process.getuid?.() === 0 ? ["--allow-root"] : [])],
    { env, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jupyter-notebook exited (${child.exitCode}):\n${log}`);
    const ok = await fetch(`${url}/api`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`jupyter-notebook did not answer at ${url} in ${timeoutMs / 1000} s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    process: child,
    stop: () => stopServer(child),
  };
}

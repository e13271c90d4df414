/**
 * Driving the course's JupyterLab 3.6 (lab/, scripts/lib/jupyterlab.ts) in headless Chromium as a student
 * would, for the checks of browser-checks.ts: a server on 127.0.0.1 and the `NotebookFrontEnd` that
 * opens a notebook, runs it all, saves it and reads every code cell from JupyterLab's own models
 * (the app exposes itself as `window.jupyterapp`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { labPython, labServerCommand } from "../../scripts/lib/jupyterlab";
import type { NotebookFrontEnd } from "./browser-checks";
import { stopServer } from "./classic-notebook";

/** A running course JupyterLab server. */
export interface LabServer {
  url: string;
  process: ChildProcess;
  /** Where JupyterLab keeps its workspaces (which tabs are open): emptied before each notebook opens. */
  workspacesDir: string;
  /** Shuts down every running kernel (closing a JupyterLab tab leaves its kernel running). */
  shutdownKernels(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
}

/**
 * Serves lab/build (which must be built: `npm run lab -- --build`) on 127.0.0.1 with no token, the
 * folder `rootDir`, Jupyter's data, config and runtime folders and the lab's settings under `jupyterDir`
 * (where the course kernelspec is registered), and no browser; `disabled` plugins left out (lab/main.py).
 * Resolves when it answers.
 */
export async function startLab(rootDir: string, jupyterDir: string, options: { disabled?: string[]; timeoutMs?: number } = {}): Promise<LabServer> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const python = labPython();
  if (python === null) throw new Error("no Python with jupyterlab_server and jupyter_server (apt install python3-jupyterlab-server)");
  const port = await freePort();
  const env = {
    ...process.env,
    JUPYTER_DATA_DIR: path.join(jupyterDir, "data"),
    JUPYTER_CONFIG_DIR: path.join(jupyterDir, "config"),
    JUPYTER_RUNTIME_DIR: path.join(jupyterDir, "runtime"),
    RETI_LAB_DATA: path.join(jupyterDir, "lab"),
    RETI_LAB_DISABLED: (options.disabled ?? []).join(","),
    BROWSER: "true",
  };
  const root = process.getuid?.() === 0 ? ["--allow-root"] : [];
  const { command, args } = labServerCommand(python, [
    ...root,
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    "--ServerApp.token=",
    "--ServerApp.password=",
    `--ServerApp.root_dir=${rootDir}`,
  ]);
  const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the course JupyterLab exited (${child.exitCode}):\n${log}`);
    const ok = await fetch(`${url}/lab`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`the course JupyterLab did not answer at ${url} in ${timeoutMs / 1000} s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    process: child,
    workspacesDir: path.join(jupyterDir, "lab", "workspaces"),
    async shutdownKernels() {
      const kernels = (await (await fetch(`${url}/api/kernels`)).json()) as { id: string }[];
      await Promise.all(kernels.map((k) => fetch(`${url}/api/kernels/${k.id}`, { method: "DELETE" })));
    },
    stop: () => stopServer(child),
  };
}

/** The notebook's outputs, the figures among them, and the page's plots, as browser-checks.ts's CellProbe. */
function installLabProbe(): void {
  type Output = { type: string; data: Record<string, unknown>; metadata: { reti?: { figure?: string } }; toJSON(): { name?: string; text?: string | string[]; ename?: string; evalue?: string } };
  type Cell = {
    node: HTMLElement;
    model: {
      type: string;
      executionCount: number | null;
      outputs: { length: number; get(i: number): Output; changed: { connect(f: () => void): void } };
    };
    outputArea: { node: HTMLElement };
  };
  type App = { shell: { currentWidget: { content: { widgets: readonly Cell[] } } | null } };
  const w = window as unknown as { jupyterapp: App; __retiCells?: () => unknown[] };
  const panel = w.jupyterapp.shell.currentWidget!;
  const isFigure = (o: Output): boolean => "application/vnd.plotly.v1+json" in o.data || /class="reti-figure"/.test(String(o.data["text/html"] ?? ""));
  const isBusy = (c: Cell): boolean => (c.node.querySelector(".jp-InputPrompt")?.textContent ?? "").includes("*");
  // Every progress line the cell's output model held while the cell ran, recorded as each update lands
  // (not sampled): after a main-thread stall of the page (plotly.js loading), the queued updates are
  // still applied one by one, which sampling every 100 ms would miss.
  const updates = new WeakMap<Cell, string[]>();
  for (const c of panel.content.widgets.filter((x) => x.model.type === "code")) {
    const seen: string[] = [];
    updates.set(c, seen);
    c.model.outputs.changed.connect(() => {
      if (!isBusy(c)) return;
      for (let i = 0; i < c.model.outputs.length; i++) {
        const o = c.model.outputs.get(i);
        if (!/class="reti-progress"/.test(String(o.data["text/html"] ?? ""))) continue;
        const t = String(o.data["text/plain"] ?? "").trim();
        if (t && !seen.includes(t)) seen.push(t);
      }
    });
  }
  w.__retiCells = () =>
    panel.content.widgets
      .filter((c) => c.model.type === "code")
      .map((c) => {
        const outputs: Output[] = [];
        for (let i = 0; i < c.model.outputs.length; i++) outputs.push(c.model.outputs.get(i));
        const busy = isBusy(c);
        const area = c.outputArea.node;
        return {
          count: !busy && typeof c.model.executionCount === "number" ? c.model.executionCount : null,
          busy,
          outputs: outputs.length,
          errors: outputs.flatMap((o) => {
            const j = o.toJSON();
            if (o.type === "error") return [`${j.ename}: ${j.evalue}`];
            if (o.type === "stream" && j.name === "stderr") return [Array.isArray(j.text) ? j.text.join("") : String(j.text)];
            return [];
          }),
          figureOutputs: outputs.filter(isFigure).length,
          figureNames: outputs.filter(isFigure).flatMap((o) => (o.metadata?.reti?.figure ? [o.metadata.reti.figure] : [])),
          plots: Array.from(area.querySelectorAll(".js-plotly-plot")).filter((p) => p.querySelector(".main-svg")).length,
          undrawn: Array.from(area.querySelectorAll(".reti-figure:not(.js-plotly-plot)")).map((e) => e.textContent ?? ""),
          progress: Array.from(area.querySelectorAll(".reti-progress")).map((e) => e.textContent ?? ""),
          progressUpdates: updates.get(c) ?? [],
        };
      });
}

/**
 * A screenshot of the whole notebook: JupyterLab scrolls the notebook inside a panel the size of the
 * window, so the panel is shot page by page while scrolling (at most 100 pages), and the pages are
 * stacked, 20 per PNG (`file`, then `<stem>-2.png`, …), in a second tab. The window is not resized
 * (a resize was seen to collapse figures drawn by jupyterlab-plotly to 0 px).
 */
async function screenshotWholeNotebook(page: Page, file: string): Promise<void> {
  const panel = page.locator(".jp-NotebookPanel-notebook");
  // Each page, and how much of its top the previous page already showed (the last scroll stops short).
  const pages: { png: string; overlap: number; height: number }[] = [];
  for (let k = 0; k < 100; k++) {
    const more = await panel.evaluate((nb, k) => {
      nb.scrollTop = k * nb.clientHeight;
      return { overlap: k * nb.clientHeight - nb.scrollTop, left: nb.scrollHeight - nb.scrollTop - nb.clientHeight };
    }, k);
    await page.waitForTimeout(300);
    const shot = await panel.screenshot();
    pages.push({ png: shot.toString("base64"), overlap: Math.max(0, Math.round(more.overlap)), height: shot.readUInt32BE(20) });
    if (more.left <= 0) break;
  }
  // At most 20 pages per PNG (Chromium's screenshots stop at 16384 px): file, then file-2.png, file-3.png, …
  const sheet = await page.context().newPage();
  try {
    for (let part = 0; part * 20 < pages.length; part++) {
      const html = pages
        .slice(part * 20, part * 20 + 20)
        .map((p) => `<div style="overflow:hidden;height:${p.height - p.overlap}px"><img style="display:block;margin-top:-${p.overlap}px" src="data:image/png;base64,${p.png}"></div>`)
        .join("");
      await sheet.setContent(`<body style="margin:0">${html}</body>`);
      await sheet.screenshot({ path: part === 0 ? file : file.replace(/\.png$/, `-${part + 1}.png`), fullPage: true });
    }
  } finally {
    await sheet.close();
  }
}

/**
 * The course's JupyterLab at `server`, for runInBrowser. Each open starts from an empty workspace (no tab
 * of an earlier notebook restored). A reopened notebook's plotly figures first show the PNG snapshot
 * plotly's JupyterLab renderer saved with them and become interactive when the pointer passes over
 * them, as a student's would: `open` moves the pointer over each, then the checks count drawn plots.
 * Its screenshot stitches the whole notebook from scrolled views (JupyterLab scrolls inside the panel,
 * so a page screenshot would show only the window's part).
 */
export function labFrontEnd(server: LabServer): NotebookFrontEnd {
  return {
    name: "lab",
    baseUrl: server.url,
    notebookUrl: (relativePath) => `${server.url}/lab/tree/${relativePath.split("/").map(encodeURIComponent).join("/")}`,
    async open(page: Page, url: string, withKernel: boolean) {
      await fs.rm(server.workspacesDir, { recursive: true, force: true });
      await page.goto(url, { waitUntil: "domcontentloaded" });
      await page.waitForFunction(
        (withKernel) => {
          type Panel = {
            context?: { isReady: boolean };
            content?: { widgets: readonly unknown[] };
            sessionContext?: { session?: { kernel?: { status: string; connectionStatus: string } | null } | null };
          };
          const app = (window as unknown as { jupyterapp?: { shell: { currentWidget: Panel | null } } }).jupyterapp;
          const panel = app?.shell.currentWidget;
          if (!panel?.context?.isReady || !panel.content || panel.content.widgets.length === 0) return false;
          if (!withKernel) return true;
          const kernel = panel.sessionContext?.session?.kernel;
          return kernel?.connectionStatus === "connected" && kernel.status === "idle";
        },
        withKernel,
        { timeout: 120_000, polling: 250 },
      );
      if (!withKernel) {
        // Saved figures show their PNG snapshot until the pointer enters them; wait for the snapshots, then hover each.
        await page.waitForTimeout(1_000);
        const images = page.locator(".jp-RenderedPlotly img.plot-img");
        for (let i = 0; i < (await images.count()); i++) {
          await images.nth(i).dispatchEvent("mouseenter");
        }
      }
    },
    async installProbe(page: Page) {
      await page.evaluate(installLabProbe);
    },
    async runAll(page: Page) {
      await page.evaluate(() => {
        const app = (window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }).jupyterapp;
        void app.commands.execute("notebook:run-all-cells");
      });
    },
    async screenshot(page: Page, file: string) {
      await screenshotWholeNotebook(page, file);
    },
    async save(page: Page) {
      await page.evaluate(async () => {
        type Panel = { context: { save(): Promise<void>; model: { dirty: boolean } } };
        const app = (window as unknown as { jupyterapp: { shell: { currentWidget: Panel } } }).jupyterapp;
        await app.shell.currentWidget.context.save();
      });
    },
  };
}

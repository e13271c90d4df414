/**
 * The one headless-Chromium renderer of the project (issue 8): plotly figures to SVG and PNG, and
 * evaluation in local HTML pages (to check the HTML export). One browser serves a whole run; plotly.js comes from
 * node_modules (`plotly.js-dist-min`); every request that is not local is blocked.
 *
 *   const renderer = await Renderer.launch();
 *   const png = await renderer.renderFigure(spec, { format: "png", width: 1600, height: 900, scale: 2 });
 *   await renderer.close();
 *
 * Chromium: Debian's `/usr/bin/chromium` (`apt-get install chromium`), or the binary named by the
 * environment variable RETI_CHROMIUM. Flags as measured (docs/architecture.md, Scripts).
 */
import { constants, promises as fs } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Where Chromium is looked for when RETI_CHROMIUM is not set. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** The Chromium flags that work on these machines (docs/architecture.md). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** No usable Chromium: the message says how to install one. */
export class ChromiumMissingError extends Error {
  constructor(problem: string) {
    super(
      `${problem}. Figures are drawn by headless Chromium: install it with \`apt-get install chromium\` ` +
        `(Debian/Ubuntu, as root), or set RETI_CHROMIUM to the path of a Chromium or Chrome binary.`,
    );
    this.name = "ChromiumMissingError";
  }
}

/** The Chromium binary to use; throws ChromiumMissingError when it is not there or not executable. */
export async function chromiumPath(): Promise<string> {
  const file = process.env["RETI_CHROMIUM"] || DEFAULT_CHROMIUM;
  try {
    await fs.access(file, constants.X_OK);
  } catch {
    throw new ChromiumMissingError(`no Chromium at ${file}`);
  }
  return file;
}

/** The path of plotly.js in node_modules. */
export function plotlyJsPath(): string {
  const require = createRequire(__filename);
  return require.resolve("plotly.js-dist-min");
}

/** A plotly figure as a notebook output stores it. */
export interface FigureSpec {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Animation frames, if any (the static export draws the initial state). */
  frames?: Record<string, unknown>[];
}

/** How to render one figure. */
export interface RenderOptions {
  format: "svg" | "png";
  /** Size in CSS pixels. */
  width: number;
  height: number;
  /** Device pixels per CSS pixel (PNG only; default 1). */
  scale?: number;
}

/** Whether a URL is local (a file, inline data, a blank page): the only requests let through. */
function isLocal(url: string): boolean {
  return /^(file|data|blob|about):/.test(url);
}

/**
 * Draws plotly figures and inspects local pages in one headless Chromium. Rendering is deterministic:
 * plotly's random ids come from a generator reseeded before each figure, so the same spec gives the
 * same SVG bytes. Lecture: all (figure export, issue 8).
 */
export class Renderer {
  /** The URLs of the requests blocked so far (anything not local). */
  readonly blocked: string[] = [];
  private figurePage: Page | undefined;
  /** Figures render one at a time (they share a page and the reseeded generator). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly browser: Browser,
    private readonly context: BrowserContext,
  ) {}

  /** Starts Chromium (≈3 s). Throws ChromiumMissingError when there is none. */
  static async launch(): Promise<Renderer> {
    const executablePath = await chromiumPath();
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true });
    } catch (err) {
      throw new ChromiumMissingError(`Chromium at ${executablePath} did not start (${(err as Error).message.split("\n")[0]})`);
    }
    const context = await browser.newContext({ offline: true });
    const renderer = new Renderer(browser, context);
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      renderer.blocked.push(url);
      return route.abort();
    });
    return renderer;
  }

  private async page(): Promise<Page> {
    if (this.figurePage) return this.figurePage;
    const page = await this.context.newPage();
    await page.setContent("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body></body></html>");
    await page.addScriptTag({ path: plotlyJsPath() });
    await page.evaluate(() => {
      const w = window as unknown as { Plotly?: unknown };
      if (!w.Plotly) throw new Error("plotly.js did not load");
    });
    this.figurePage = page;
    return page;
  }

  /** The figure drawn as SVG text or PNG bytes (PNG size: width·scale × height·scale pixels). */
  renderFigure(spec: FigureSpec, options: RenderOptions): Promise<Buffer> {
    const result = this.queue.then(() => this.draw(spec, options));
    this.queue = result.catch(() => {});
    return result;
  }

  private async draw(spec: FigureSpec, options: RenderOptions): Promise<Buffer> {
    const page = await this.page();
    const url = await page.evaluate(
      async ({ spec, options }) => {
        // plotly names clip paths and gradients with Math.random: reseed it for the same bytes every time.
        let state = 0x2545f491;
        Math.random = () => {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          return state / 4294967296;
        };
        const Plotly = (window as unknown as { Plotly: { toImage(fig: unknown, opts: unknown): Promise<string> } }).Plotly;
        const url = await Plotly.toImage(
          { data: spec.data, layout: { ...spec.layout, width: options.width, height: options.height }, config: spec.config ?? {} },
          { format: options.format, width: options.width, height: options.height, scale: options.scale ?? 1 },
        );
        if (options.format !== "svg") return url;
        // plotly sets some attributes in an order that varies from draw to draw (the legend's background):
        // write every element's attributes in sorted order so the same figure is the same bytes.
        const comma = url.indexOf(",");
        const doc = new DOMParser().parseFromString(decodeURIComponent(url.slice(comma + 1)), "image/svg+xml");
        for (const el of Array.from(doc.getElementsByTagName("*"))) {
          const attrs = Array.from(el.attributes).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          for (const a of attrs) el.removeAttributeNode(a);
          for (const a of attrs) el.setAttributeNodeNS(a);
        }
        return `${url.slice(0, comma)},${encodeURIComponent(new XMLSerializer().serializeToString(doc))}`;
      },
      { spec, options },
    );
    const comma = url.indexOf(",");
    const header = url.slice(0, comma);
    const body = url.slice(comma + 1);
    return header.endsWith(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
  }

  /** Evaluates `fn` in a local HTML file once loaded (for tests of the HTML export). */
  async inspect<T>(file: string, fn: () => T): Promise<{ value: T; errors: string[] }> {
    const page = await this.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    try {
      await page.goto(`file://${path.resolve(file)}`, { waitUntil: "load" });
      return { value: await page.evaluate(fn), errors };
    } finally {
      await page.close();
    }
  }

  /** Closes the browser. */
  async close(): Promise<void> {
    await this.context.close().catch(() => {});
    await this.browser.close();
  }
}

let shared: Promise<Renderer> | undefined;

/** One renderer for the whole process, started on first use (for `npm run notebooks -- --static`). */
export function sharedRenderer(): Promise<Renderer> {
  shared ??= Renderer.launch();
  return shared;
}

/** Closes the shared renderer if it was started. */
export async function closeSharedRenderer(): Promise<void> {
  const renderer = shared;
  shared = undefined;
  if (renderer) await (await renderer).close();
}

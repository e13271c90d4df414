/**
 * The one headless-Chromium renderer of the project (issue 8): plotly figures to SVG and PNG, and
 * evaluation in local HTML pages (to check the HTML export). One browser serves a whole run; plotly.js comes from
 * node_modules (`plotly.js-dist-min`); every request that is not local is blocked.
 *
 *   const renderer = await Renderer.launch();
 *   const png = await renderer.renderFigure(spec, { format: "png", width: 1600, height: 900, scale: 2 });
 *   await renderer.close();
 *
 * Chromium: the binary named by the environment variable RETI_CHROMIUM, else Debian's `/usr/bin/chromium`
 * (`apt-get install chromium`, preferred) or another system Chromium/Chrome, else the headless Chromium
 * shipped in the npm package `@sparticuz/chromium` (a devDependency: `npm ci` is enough on a fresh Linux
 * machine), unpacked once into node_modules/.cache/reti-chromium/. `RETI_CHROMIUM=npm` forces the npm one.
 * Flags as measured (docs/architecture.md, Scripts).
*/
import { constants, promises as fs } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { plotlyJsPath } from "../../lib/src/display/display";

/** Where Chromium is looked for first when RETI_CHROMIUM is not set (Debian's package). */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** System browsers tried in this order before the npm fallback. */
export const SYSTEM_CHROMIUMS = [
  DEFAULT_CHROMIUM,
  "/usr/bin/chromium-browser",
  "/snap/bin/chromium",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/opt/google/chrome/chrome",
];

/** The npm package whose Chromium is the fallback. */
export const NPM_CHROMIUM_PACKAGE = "@sparticuz/chromium";

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
        `(Debian/Ubuntu, as root), run \`npm ci\` (it installs the fallback ${NPM_CHROMIUM_PACKAGE}), ` +
        `or set RETI_CHROMIUM to the path of a Chromium or Chrome binary.`,
    );
    this.name = "ChromiumMissingError";
  }
}

/** A Chromium found on this machine and what it needs to start. */
export interface ChromiumBinary {
  executablePath: string;
  /** "env": RETI_CHROMIUM; "system": an installed browser; "npm": the @sparticuz/chromium fallback. */
  source: "env" | "system" | "npm";
  /** Extra environment for the browser process (the npm one's shared libraries and fonts). */
  env?: Record<string, string>;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium to use: RETI_CHROMIUM (a path, or `npm` for the npm fallback only), else the first of
 * SYSTEM_CHROMIUMS that is executable, else the npm package's. Throws ChromiumMissingError when none is there.
 */
export async function findChromium(): Promise<ChromiumBinary> {
  const wanted = process.env["RETI_CHROMIUM"];
  if (wanted && wanted !== "npm") {
    if (await isExecutable(wanted)) return { executablePath: wanted, source: "env" };
    throw new ChromiumMissingError(`no Chromium at ${wanted}`);
  }
  if (!wanted) {
    for (const file of SYSTEM_CHROMIUMS) if (await isExecutable(file)) return { executablePath: file, source: "system" };
  }
  const npm = await npmChromium();
  if (npm) return npm;
  throw new ChromiumMissingError(
    wanted === "npm" ? `RETI_CHROMIUM=npm but ${NPM_CHROMIUM_PACKAGE} is not installed` : `no Chromium at ${SYSTEM_CHROMIUMS.join(", ")} and ${NPM_CHROMIUM_PACKAGE} is not installed`,
  );
}

/** The Chromium binary to use (see findChromium); throws ChromiumMissingError when there is none. */
export async function chromiumPath(): Promise<string> {
  return (await findChromium()).executablePath;
}

/** Launches headless Chromium (findChromium, CHROMIUM_FLAGS); a browser that does not start is a ChromiumMissingError. */
export async function launchChromium(): Promise<Browser> {
  const found = await findChromium();
  try {
    return await chromium.launch({
      executablePath: found.executablePath,
      args: CHROMIUM_FLAGS,
      headless: true,
      ...(found.env ? { env: { ...process.env, ...found.env } as Record<string, string> } : {}),
    });
  } catch (err) {
    throw new ChromiumMissingError(`Chromium at ${found.executablePath} did not start (${(err as Error).message.split("\n")[0]})`);
  }
}

/**
 * The npm fallback: @sparticuz/chromium ships a brotli-compressed headless Chromium, its NSS/expat shared
 * libraries (built for Amazon Linux 2023, glibc 2.34: they load on Debian 12) and a font. Unpacked on first
 * use (≈ 3 s CPU, 210 MB) into node_modules/.cache/reti-chromium/<version>/, in a temporary folder renamed
 * into place so that parallel test files never see half a browser. undefined when the package is not installed.
 */
async function npmChromium(): Promise<ChromiumBinary | undefined> {
  let entry: string;
  try {
    entry = createRequire(__filename).resolve(NPM_CHROMIUM_PACKAGE);
  } catch {
    return undefined;
  }
  // The package folder: the nearest folder above its entry point whose package.json names it.
  let pkgDir = path.dirname(entry);
  let version: string | undefined;
  for (; pkgDir !== path.dirname(pkgDir); pkgDir = path.dirname(pkgDir)) {
    const meta = await fs.readFile(path.join(pkgDir, "package.json"), "utf8").catch(() => undefined);
    const pkg = meta === undefined ? undefined : (JSON.parse(meta) as { name?: string; version?: string });
    if (pkg?.name === NPM_CHROMIUM_PACKAGE) {
      version = pkg.version;
      break;
    }
  }
  if (!version) return undefined;
  const nodeModules = path.resolve(pkgDir, "..", "..");
  const dir = path.join(process.env["RETI_CHROMIUM_CACHE"] || path.join(nodeModules, ".cache", "reti-chromium"), version);
  const executablePath = path.join(dir, "chromium");
  if (!(await isExecutable(executablePath))) await unpackNpmChromium(path.join(pkgDir, "bin"), dir);
  const libs = path.join(dir, "lib");
  return {
    executablePath,
    source: "npm",
    env: {
      LD_LIBRARY_PATH: [libs, process.env["LD_LIBRARY_PATH"]].filter(Boolean).join(":"),
      FONTCONFIG_FILE: path.join(dir, "fonts.conf"),
    },
  };
}

async function unpackNpmChromium(bin: string, dir: string): Promise<void> {
  const { brotliDecompress } = await import("node:zlib");
  const { promisify } = await import("node:util");
  const { execFile } = await import("node:child_process");
  const unbrotli = promisify(brotliDecompress);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await fs.mkdir(tmp, { recursive: true });
  try {
    await fs.writeFile(path.join(tmp, "chromium"), await unbrotli(await fs.readFile(path.join(bin, "chromium.br"))), { mode: 0o755 });
    // al2023.tar.br: lib/libnss3.so, libnspr4.so, libexpat.so.1 … (absent on a bare Debian); fonts.tar.br: fonts/Open_Sans.
    for (const archive of ["al2023.tar.br", "fonts.tar.br", "swiftshader.tar.br"]) {
      const file = path.join(bin, archive);
      if (!(await isFile(file))) continue;
      const tar = path.join(tmp, archive.replace(/\.br$/, ""));
      await fs.writeFile(tar, await unbrotli(await fs.readFile(file)));
      await promisify(execFile)("tar", ["-xf", tar, "-C", tmp, "--no-same-owner"]);
      await fs.rm(tar);
    }
    // The system's fontconfig setup when there is one, plus the shipped font (a bare system has no font at all).
    await fs.writeFile(
      path.join(tmp, "fonts.conf"),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n` +
        `  <dir>${path.join(dir, "fonts")}</dir>\n  <cachedir>${path.join(dir, "fontcache")}</cachedir>\n</fontconfig>\n`,
    );
    await fs.rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another process unpacked it first: use theirs.
      if (!(await isExecutable(path.join(dir, "chromium")))) throw err;
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
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
    const browser = await launchChromium();
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

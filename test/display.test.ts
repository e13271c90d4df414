import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import * as pl from "nodejs-polars";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compactJson, describeFigure, figureBundle, figureHtml, installPlotlyAsset, plotlyAssetName, show, showFigure } from "../lib/src/display/display";
import { inKernel, type DisplayBundle } from "../lib/src/runtime/tslab";
import { lineChart } from "../lib/src/display/charts";
import { encodePng, imagePng } from "../lib/src/display/png";

const req = createRequire(__filename);
/** tslab's internal module that holds the kernel's display writer (what display.ts relies on). */
const jupyter = req("tslab/dist/jupyter.js") as { lastWriteDisplayData: unknown };
const tslab = req("tslab") as { newDisplay(): { html(s: string): void }; display: { png(b: Uint8Array): void } };
const EMBEDDED = Symbol.for("reti.display.plotlyEmbedded");
const ASSET_CHECKED = Symbol.for("reti.display.plotlyAssetChecked");

type Call = [DisplayBundle, boolean];
let calls: Call[] = [];

/** Plays the kernel: installs a display writer the way tslab does for each executed cell. */
let dataDir: string | undefined;
let savedDataDir: string | undefined;

function enterKernel(): void {
  calls = [];
  // The kernel installs plotly.js in Jupyter's data folder on its first figure: a temporary one here.
  dataDir = mkdtempSync(path.join(os.tmpdir(), "reti-display-"));
  savedDataDir = process.env["JUPYTER_DATA_DIR"];
  process.env["JUPYTER_DATA_DIR"] = dataDir;
  jupyter.lastWriteDisplayData = (bundle: DisplayBundle, update: boolean) => calls.push([bundle, update]);
}

function leaveKernel(): void {
  jupyter.lastWriteDisplayData = null;
  delete (globalThis as Record<symbol, unknown>)[EMBEDDED];
  delete (globalThis as Record<symbol, unknown>)[ASSET_CHECKED];
  if (savedDataDir === undefined) delete process.env["JUPYTER_DATA_DIR"];
  else process.env["JUPYTER_DATA_DIR"] = savedDataDir;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}

describe("tslab internals display.ts relies on (fails if tslab changes them)", () => {
  afterEach(leaveKernel);

  it("tslab is the pinned 1.0.22", () => {
    expect((req("tslab/package.json") as { version: string }).version).toBe("1.0.22");
  });

  it("jupyter.js exports lastWriteDisplayData, null outside a cell", () => {
    expect(Object.keys(jupyter)).toContain("lastWriteDisplayData");
    expect(jupyter.lastWriteDisplayData).toBeNull();
  });

  it("the public display API writes {data, metadata, transient} bundles through it, update after the first", () => {
    enterKernel();
    const d = tslab.newDisplay();
    d.html("<b>1</b>");
    d.html("<b>2</b>");
    tslab.display.png(Uint8Array.from([1, 2, 3]));
    expect(calls).toHaveLength(3);
    const [[first, u1], [second, u2], [png, u3]] = calls;
    expect(first).toEqual({ data: { "text/html": "<b>1</b>" }, metadata: {}, transient: { display_id: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    expect([u1, u2, u3].map(Boolean)).toEqual([false, true, false]);
    expect(second!.transient!.display_id).toBe(first!.transient!.display_id);
    expect(png!.data).toEqual({ "image/png": "AQID" });
  });

  it("the ZMQ server sends update=true as update_display_data and the bundle as the message content", () => {
    const source = req("node:fs").readFileSync(req.resolve("tslab/dist/jupyter.js"), "utf8") as string;
    expect(source).toMatch(/reply\.header\.msg_type = update \? "update_display_data" : "display_data";\s*reply\.content = data;/);
    expect(source).toMatch(/exports\.lastWriteDisplayData = writeDisplayData;/);
  });
});

describe("show in a kernel", () => {
  beforeEach(enterKernel);
  afterEach(leaveKernel);

  const fig = lineChart([{ name: "loss </script><b>", y: [3, 2, 1] }], { name: "loss-curve", title: "Loss" });

  it("finds the kernel's writer", () => {
    expect(inKernel()).toBe(true);
  });

  it("shows a figure as ONE output: plotly JSON + HTML + text, named in the metadata", () => {
    show(fig);
    expect(calls).toHaveLength(1);
    const [bundle, update] = calls[0]!;
    expect(update).toBe(false);
    expect(Object.keys(bundle.data).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    expect(bundle.data["application/vnd.plotly.v1+json"]).toEqual({ data: fig.data, layout: fig.layout, config: { responsive: true, displaylogo: false } });
    expect(bundle.metadata).toEqual({ reti: { figure: "loss-curve" } });
    expect(bundle.data["text/plain"]).toBe('[figure "loss-curve": Loss — 1 scatter trace (loss </script><b>)]');
    expect(bundle.transient).toBeUndefined();
  });

  it("embeds no plotly.js: every figure loads it once per page from the Jupyter server, then from the browser's cache", () => {
    show(fig);
    show(lineChart([{ name: "a", y: [1] }]));
    const htmls = calls.map(([b]) => b.data["text/html"] as string);
    for (const html of htmls) {
      // Booleans and lengths, so that a failure does not print plotly.js.
      expect(html.includes("plotly.js v3")).toBe(false);
      expect(html.length).toBeLessThan(12_000);
      // The page's cache first, then the served file under the page's base URL (classic: data-base-url, JupyterLab: its page config).
      expect(html).toContain('.get("plotly.js-3.1.0")');
      // The classic Notebook's nbextensions first, then the kernelspec's folder (any Jupyter server, JupyterLab without nbclassic).
      expect(html).toContain('["nbextensions/reti/plotly-cartesian-3.1.0.min.js","kernelspecs/reti/plotly-cartesian-3.1.0.min.js"]');
      expect(html).toContain('getAttribute("data-base-url")');
      expect(html).toContain('getElementById("jupyter-config-data")');
      expect(html).toContain('.put(src, "plotly.js-3.1.0")');
      // Run with define hidden, so that require.js (classic notebook) does not take it.
      expect(html).toContain("(function (define, module, exports) {");
    }
    expect(calls[1]![0].metadata).toEqual({});
  });

  it("installs plotly.js where Jupyter serves it (JUPYTER_DATA_DIR/nbextensions/reti/) before the session's first figure", () => {
    const file = path.join(dataDir!, "nbextensions", "reti", plotlyAssetName());
    expect(existsSync(file)).toBe(false);
    show(fig);
    expect(statSync(file).size).toBe(statSync(req.resolve("plotly.js-cartesian-dist-min")).size);
    expect(plotlyAssetName()).toBe("plotly-cartesian-3.1.0.min.js");
    // Idempotent, and what `npm run lab` calls when it registers the kernel.
    expect(installPlotlyAsset(dataDir!)).toBe(file);
  });

  it("installs plotly.js beside the course kernelspec too (served at kernelspecs/reti/ by every Jupyter server) when it is registered there", () => {
    const beside = path.join(dataDir!, "kernels", "reti", plotlyAssetName());
    installPlotlyAsset(dataDir!);
    expect(existsSync(beside)).toBe(false); // no kernelspec there: nothing written beside it
    mkdirSync(path.dirname(beside), { recursive: true });
    writeFileSync(path.join(path.dirname(beside), "kernel.json"), "{}");
    installPlotlyAsset(dataDir!);
    expect(statSync(beside).size).toBe(statSync(req.resolve("plotly.js-cartesian-dist-min")).size);
  });

  it("a live figure (display id) is HTML and text only, created then updated in place; a static one also carries the plotly JSON", () => {
    showFigure(fig, { displayId: "d1" });
    showFigure(lineChart([{ name: "a", y: [1, 2] }]), { displayId: "d1", update: true });
    show(fig);
    expect(calls.map(([b, u]) => [Object.keys(b.data).join(","), b.transient?.display_id, u])).toEqual([
      ["text/html,text/plain", "d1", false],
      ["text/html,text/plain", "d1", true],
      ["application/vnd.plotly.v1+json,text/html,text/plain", undefined, false],
    ]);
    // The update's HTML holds the new data and draws it (a fresh element id, so it is drawn again).
    const [first, second] = calls.map(([b]) => b.data["text/html"] as string);
    expect(second).toContain('"y":[1,2]');
    expect(second).toContain("Plotly.newPlot(el, spec.data, spec.layout, spec.config)");
    expect(/id="(reti-fig-[0-9a-f]+)"/.exec(first!)![1]).not.toBe(/id="(reti-fig-[0-9a-f]+)"/.exec(second!)![1]);
  });

  it("RETI_PLOTLY=embed embeds plotly.js (hidden from require.js) in the session's first figure only", () => {
    process.env["RETI_PLOTLY"] = "embed";
    try {
      show(fig);
      show(lineChart([{ name: "a", y: [1] }]));
    } finally {
      delete process.env["RETI_PLOTLY"];
    }
    const [first, second] = calls.map(([b]) => b.data["text/html"] as string);
    expect(first!).toMatch(/plotly\.js \(cartesian - minified\) v3\.1\.0/);
    expect(first!.includes("(function (define, module, exports) {")).toBe(true);
    expect(first!.length).toBeGreaterThan(1_000_000);
    expect(second!.includes("Plotly, Inc.")).toBe(false);
    expect(second!.length).toBeLessThan(12_000);
  });

  it("the figure HTML draws into its div and cannot be broken out of by data", () => {
    const html = figureHtml(fig, { id: "fig-1" });
    expect(html).toContain('<div id="fig-1" class="reti-figure" style="width:100%;height:400px">');
    // Where scripts do not run (an untrusted notebook), the placeholder says what to do.
    expect(html).toContain("(File &gt; Trust Notebook, then reload the page; in JupyterLab, Trust Notebook from the command palette");
    expect(html).toContain("Plotly.newPlot(el, spec.data, spec.layout, spec.config)");
    // Where plotly.js cannot be loaded, the div says how to fix it.
    expect(html).toContain("npm run lab -- --register-only");
    // The trace name "</script><b>" stays inside the script (escaped) and the div text (entities).
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).toContain("loss <\\/script><b>");
    expect(html).toContain("loss &lt;/script&gt;&lt;b&gt;");
  });

  it("saves figure numbers to 6 significant digits (integers and typed arrays kept whole)", () => {
    const f = lineChart([{ name: "a", x: [1, 2, 3], y: Float32Array.from([0.1, 1 / 3, 123456.789]) }]);
    const spec = figureBundle(f).data["application/vnd.plotly.v1+json"] as { data: Array<{ x: number[]; y: number[] }> };
    expect(spec.data[0]!.x).toEqual([1, 2, 3]);
    expect(spec.data[0]!.y).toEqual([0.1, 0.333333, 123457]);
    expect(compactJson({ v: [Math.PI, -1e-9 / 3, 2 ** 40, NaN] })).toBe('{"v":[3.14159,-3.33333e-10,1099511627776,null]}');
  });

  it("sends long x/y/z arrays as plotly's binary arrays: the smallest integer type, else float32; short ones as JSON", () => {
    const grid = Array.from({ length: 20 }, (_, r) => Array.from({ length: 30 }, (_, c) => (r + c) % 3));
    const ys = Array.from({ length: 300 }, (_, i) => Math.sin(i));
    const json = JSON.parse(compactJson({ data: [{ type: "heatmap", z: grid }, { type: "scatter", y: ys, x: [1, 2] }] })) as {
      data: [{ z: { dtype: string; bdata: string; shape: string } }, { y: { dtype: string; bdata: string }; x: number[] }];
    };
    expect(json.data[0].z).toMatchObject({ dtype: "u1", shape: "20,30" });
    expect(Array.from(Buffer.from(json.data[0].z.bdata, "base64"))).toEqual(grid.flat());
    expect(json.data[1].y.dtype).toBe("f4");
    const back = new Float32Array(new Uint8Array(Buffer.from(json.data[1].y.bdata, "base64")).buffer);
    expect(Array.from(back).every((v, i) => Math.abs(v - ys[i]!) < 1e-6)).toBe(true);
    expect(json.data[1].x).toEqual([1, 2]);
    // Negative integers, gaps (null/NaN) and ragged rows: a signed type, or plain JSON.
    expect((JSON.parse(compactJson({ y: Array.from({ length: 300 }, (_, i) => -i) })) as { y: { dtype: string } }).y.dtype).toBe("i2");
    expect(JSON.parse(compactJson({ y: [NaN, ...ys] })).y).toHaveLength(301);
  });

  it("figure bundles are deterministic for the same figure and position", () => {
    expect(figureHtml(fig, { id: "x" })).toBe(figureHtml(fig, { id: "x" }));
    const a = figureBundle(fig);
    const b = figureBundle(fig);
    expect(JSON.stringify(a.data["application/vnd.plotly.v1+json"])).toBe(JSON.stringify(b.data["application/vnd.plotly.v1+json"]));
    // Two outputs of the same figure get different element ids.
    const id = (h: unknown) => /id="(reti-fig-[0-9a-f]{16})"/.exec(h as string)![1];
    expect(id(a.data["text/html"])).not.toBe(id(b.data["text/html"]));
  });

  it("shows a polars DataFrame as an HTML table with its shape and text", () => {
    const df = pl.DataFrame({ z: [-1, 0, 1], relu: [0, 0, 1] });
    show(df);
    const [bundle] = calls[0]!;
    expect(bundle.data["text/html"]).toMatch(/<table>.*<th>z<\/th><th>relu<\/th>/s);
    expect(bundle.data["text/html"]).toContain("3 rows × 2 columns");
    expect(bundle.data["text/plain"]).toContain("shape: (3, 2)");
  });

  it("shows strings as markdown, pixel arrays and PNG bytes as images, other values as text", () => {
    show("# Title");
    show({ width: 2, height: 1, data: [0, 1] }, { scale: 1 });
    show(encodePng(1, 1, Uint8Array.from([7])));
    show({ a: 1 });
    show({ shape: [2], dtype: "float32", dataSync: () => [1, 2], toString: (verbose: boolean) => `Tensor ${verbose}` });
    const bundles = calls.map(([b]) => b.data);
    expect(bundles[0]).toEqual({ "text/markdown": "# Title", "text/plain": "# Title" });
    expect(Object.keys(bundles[1]!)).toEqual(["image/png", "text/plain"]);
    expect(bundles[1]!["text/plain"]).toBe("[image 2×1: 2×1 pixels]");
    expect(bundles[2]!["text/plain"]).toBe("[image 1×1]");
    expect(bundles[3]).toEqual({ "text/plain": "{ a: 1 }" });
    expect(bundles[4]).toEqual({ "text/plain": "Tensor true" });
  });
});

describe("show outside a kernel", () => {
  it("prints a text summary instead of crashing", () => {
    expect(inKernel()).toBe(false);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      show(lineChart([{ name: "loss", y: [1, 2] }], { name: "curve" }));
      show(pl.DataFrame({ a: [1] }));
      show("**bold**");
      expect(log.mock.calls.map((c) => String(c[0]).split("\n")[0])).toEqual(['[figure "curve" — 1 scatter trace (loss)]', "shape: (1, 1)", "**bold**"]);
    } finally {
      log.mockRestore();
    }
    // Outside a kernel nothing is installed or embedded.
    expect((globalThis as Record<symbol, unknown>)[EMBEDDED]).toBeUndefined();
    expect((globalThis as Record<symbol, unknown>)[ASSET_CHECKED]).toBeUndefined();
  });

  it("describeFigure summarises traces", () => {
    expect(describeFigure({ data: [{ type: "heatmap" }, { type: "scatter", name: "a" }], layout: { title: "T" } })).toBe(
      "[figure: T — 2 heatmap/scatter traces (a)]",
    );
  });
});

/** Decodes the PNGs our encoder writes (8-bit, filter 0) and checks every chunk's CRC. */
function decodePng(png: Buffer): { width: number; height: number; colorType: number; pixels: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const zlib = req("node:zlib") as { crc32?: (b: Uint8Array) => number };
  let pos = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("latin1", pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (zlib.crc32) expect(png.readUInt32BE(pos + 8 + len)).toBe(zlib.crc32(png.subarray(pos + 4, pos + 8 + len)));
    if (type === "IHDR") ihdr = body;
    if (type === "IDAT") idat.push(body);
    pos += 12 + len;
  }
  const width = ihdr!.readUInt32BE(0);
  const height = ihdr!.readUInt32BE(4);
  const channels = { 0: 1, 2: 3, 6: 4 }[ihdr![9]!]!;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, colorType: ihdr![9]!, pixels };
}

describe("PNG images", () => {
  it("encodePng writes valid grey and RGBA PNGs", () => {
    const grey = decodePng(encodePng(3, 2, Uint8Array.from([0, 128, 255, 1, 2, 3])));
    expect(grey).toEqual({ width: 3, height: 2, colorType: 0, pixels: Uint8Array.from([0, 128, 255, 1, 2, 3]) });
    const rgba = decodePng(encodePng(1, 1, Uint8Array.from([10, 20, 30, 40]), 4));
    expect([rgba.colorType, ...rgba.pixels]).toEqual([6, 10, 20, 30, 40]);
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow(/3 bytes for 2×2×1; expected 4/);
  });

  it("imagePng maps [0, 1] (or Uint8 [0, 255]) to grey levels, clips, and upscales nearest-neighbour", () => {
    const img = decodePng(imagePng({ width: 2, height: 1, data: [0.5, 2] }, { scale: 2 }));
    expect(img.width).toBe(4);
    expect([...img.pixels]).toEqual([128, 128, 255, 255, 128, 128, 255, 255]);
    expect([...decodePng(imagePng({ width: 1, height: 1, data: Uint8Array.from([51]) }, { scale: 1 })).pixels]).toEqual([51]);
    expect([...decodePng(imagePng({ width: 1, height: 1, data: [5] }, { scale: 1, range: [0, 10] })).pixels]).toEqual([128]);
    expect(decodePng(imagePng({ width: 28, height: 28, data: new Float32Array(784) })).width).toBe(112);
    expect(() => imagePng({ width: 2, height: 2, data: [1] })).toThrow(/1 values for 2×2×1/);
    expect(() => imagePng({ width: 1, height: 1, data: [1] }, { range: [1, 1] })).toThrow(/range \[1, 1\] is empty/);
  });

  it("is deterministic", () => {
    const a = imagePng({ width: 4, height: 4, data: Array.from({ length: 16 }, (_, i) => i / 15) });
    const b = imagePng({ width: 4, height: 4, data: Array.from({ length: 16 }, (_, i) => i / 15) });
    expect(a.equals(b)).toBe(true);
  });
});

import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import * as pl from "nodejs-polars";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeFigure, figureBundle, figureHtml, show } from "../lib/src/display/display";
import { inKernel, type DisplayBundle } from "../lib/src/runtime/tslab";
import { lineChart } from "../lib/src/display/charts";
import { encodePng, imagePng } from "../lib/src/display/png";

const req = createRequire(__filename);
/** tslab's internal module that holds the kernel's display writer (what display.ts relies on). */
const jupyter = req("tslab/dist/jupyter.js") as { lastWriteDisplayData: unknown };
const tslab = req("tslab") as { newDisplay(): { html(s: string): void }; display: { png(b: Uint8Array): void } };
const EMBEDDED = Symbol.for("reti.display.plotlyEmbedded");

type Call = [DisplayBundle, boolean];
let calls: Call[] = [];

/** Plays the kernel: installs a display writer the way tslab does for each executed cell. */
function enterKernel(): void {
  calls = [];
  jupyter.lastWriteDisplayData = (bundle: DisplayBundle, update: boolean) => calls.push([bundle, update]);
}

function leaveKernel(): void {
  jupyter.lastWriteDisplayData = null;
  delete (globalThis as Record<symbol, unknown>)[EMBEDDED];
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

  it("embeds plotly.js (hidden from require.js) in the first figure of the session only", () => {
    show(fig);
    show(lineChart([{ name: "a", y: [1] }]));
    const [first, second] = calls.map(([b]) => b.data["text/html"] as string);
    // Booleans, so that a failure does not print 4.7 MB of plotly.js.
    expect(first!.includes("plotly.js v3.1.0")).toBe(true);
    expect(first!.includes("(function (define, module, exports) {")).toBe(true);
    expect(first!.includes("}).call(window, undefined, undefined, undefined);")).toBe(true);
    // ... and caches it in the page's IndexedDB, for reloads while the kernel keeps running.
    expect(first!.includes('.put(src, "plotly.js-3.1.0")')).toBe(true);
    expect(first!.length).toBeGreaterThan(4_000_000);
    expect(second!.includes("plotly.js v3")).toBe(false);
    expect(second).toContain('.get("plotly.js-3.1.0")');
    expect(second!.length).toBeLessThan(10_000);
    expect(calls[1]![0].metadata).toEqual({});
  });

  it("the figure HTML draws into its div and cannot be broken out of by data", () => {
    const html = figureHtml(fig, { id: "fig-1" });
    expect(html).toContain('<div id="fig-1" class="reti-figure" style="width:100%;height:400px">');
    // Where scripts do not run (an untrusted notebook), the placeholder says what to do.
    expect(html).toContain("(File &gt; Trust Notebook, then reload the page; in JupyterLab, Trust Notebook from the command palette");
    expect(html).toContain("window.Plotly.newPlot(els[i], spec.data, spec.layout, spec.config)");
    // The trace name "</script><b>" stays inside the script (escaped) and the div text (entities).
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).toContain("loss <\\/script><b>");
    expect(html).toContain("loss &lt;/script&gt;&lt;b&gt;");
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
    // Nothing was embedded: the first figure shown in a kernel later still carries plotly.js.
    expect((globalThis as Record<symbol, unknown>)[EMBEDDED]).toBeUndefined();
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

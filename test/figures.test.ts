/**
 * Figure export (issue 8): finding named figures, the slide/paper presets, the Chromium renderer
 * (sizes, byte-identical SVGs, offline, the missing-Chromium message), static images for executed
 * notebooks, and the `figures`, `notebooks --static` and `html` commands end to end on a small
 * notebook that runs on a real kernel (in build/test-figures/, so that it resolves "reti" from the
 * project's node_modules). Needs Chromium (`apt-get install chromium`).
 */
import { spawnSync } from "node:child_process";
import { promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { figureBundle, figureHtml } from "../lib/src/display/display";
import { lineChart, learningCurves } from "../lib/src/display/charts";
import { readNotebook, writeNotebook, type CodeCell, type Notebook, type Output, prepareNotebook } from "nbconvert-ts-runner";
import { applyPreset, findFigures, htmlWithImage, PLOTLY_MIME, PRESETS, reusableCopy, withStaticImages, type FigureSpec } from "../scripts/lib/figures";
import { ChromiumMissingError, findChromium, Renderer } from "../scripts/lib/render";
import { renderMarkdown } from "../scripts/html";

const root = path.resolve(__dirname, "..");

function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

function figureOutput(name: string | undefined, title = "t"): Output {
  const fig = lineChart([{ name: "loss", y: [3, 2, 1] }], { title, ...(name ? { name } : {}) });
  const bundle = figureBundle(fig);
  return { output_type: "display_data", data: bundle.data, metadata: bundle.metadata };
}

function notebookWith(outputs: Output[][]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: outputs.map((o, i): CodeCell => ({ cell_type: "code", source: `cell ${i}`, metadata: {}, execution_count: i + 1, outputs: o })),
  };
}

describe("findFigures", () => {
  it("finds named plotly outputs in order, counts unnamed ones, suffixes repeated names, skips unsafe names", () => {
    const stream: Output = { output_type: "stream", name: "stdout", text: "hi" };
    const badName: Output = { ...(figureOutput("x") as Extract<Output, { output_type: "display_data" }>), metadata: { reti: { figure: "../evil" } } };
    const nb = notebookWith([[stream, figureOutput("loss")], [figureOutput(undefined)], [figureOutput("loss", "again"), badName, figureOutput("acc")]]);
    const found = findFigures(nb);
    expect(found.figures.map((f) => [f.name, f.cell])).toEqual([["loss", 1], ["loss-2", 3], ["acc", 3]]);
    expect(found.unnamed).toBe(1);
    expect(found.warnings).toHaveLength(2);
    expect(found.warnings[0]).toMatch(/"loss" is used 2 times; exported as "loss-2"/);
    expect(found.warnings[1]).toMatch(/"\.\.\/evil" is not a file name/);
    expect((found.figures[1]!.spec.layout["title"] as { text: string }).text).toBe("again");
  });
});

describe("reusableCopy", () => {
  const dir = path.join(root, "build", "test-figures-reuse");
  const source = path.join(dir, "nb.ipynb");
  const copy = path.join(dir, "executed.ipynb");
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "code", source: "let QUICK = false;", metadata: { tags: ["parameters"] }, execution_count: null, outputs: [] },
      { cell_type: "code", source: "show(x)", metadata: {}, execution_count: null, outputs: [] },
    ],
  };
  /** Writes the source, then an executed copy run with `params` (execution counts set, `outputs` in the last cell). */
  async function write(params: Record<string, boolean>, outputs: Output[] = []): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await writeNotebook(source, nb);
    const executed = prepareNotebook(nb, params).nb;
    executed.cells.forEach((c, i) => c.cell_type === "code" && (c.execution_count = i + 1));
    (executed.cells[executed.cells.length - 1] as CodeCell).outputs = outputs;
    await writeNotebook(copy, executed);
    const later = new Date(Date.now() + 2000);
    await fs.utimes(copy, later, later);
  }

  it("reuses a newer copy run with the same parameters, cleanly, after the lib's last change", async () => {
    await write({ QUICK: true });
    expect(await reusableCopy(source, copy, { QUICK: true }, 0)).not.toBeNull();
    expect(await reusableCopy(source, copy, {}, 0)).toBeNull(); // a quick copy for a full run
    expect(await reusableCopy(source, copy, { QUICK: true }, Date.now() + 60_000)).toBeNull(); // the lib changed since
    await write({});
    expect(await reusableCopy(source, copy, {}, 0)).not.toBeNull();
    expect(await reusableCopy(source, copy, { QUICK: true }, 0)).toBeNull();
    await write({}, [{ output_type: "error", ename: "CheckError", evalue: "no", traceback: [] }]);
    expect(await reusableCopy(source, copy, {}, 0)).toBeNull();
    expect(await reusableCopy(source, path.join(dir, "missing.ipynb"), {}, 0)).toBeNull();
  });

  it("does not reuse a copy older than its source", async () => {
    await write({});
    const later = new Date(Date.now() + 5000);
    await fs.utimes(source, later, later);
    expect(await reusableCopy(source, copy, {}, 0)).toBeNull();
  });
});

describe("applyPreset", () => {
  const spec = figureBundle(learningCurves({ loss: [1, 0.5], val_loss: [1.2, 0.7], acc: [0.5, 0.9] }, { title: "curves" })).data[PLOTLY_MIME] as FigureSpec;

  it("slide: 1600×900, base font 28 px, every font and margin scaled by the same factor, strokes thicker", () => {
    const out = applyPreset(spec, PRESETS.slide);
    const k = 28 / (spec.layout["font"] as { size: number }).size;
    expect(out.layout).toMatchObject({ width: 1600, height: 900, autosize: false, font: { size: 28 } });
    expect(out.layout["margin"]).toEqual(Object.fromEntries(Object.entries(spec.layout["margin"] as Record<string, number>).map(([key, v]) => [key, v * k])));
    expect((out.data[0]!["line"] as { width: number }).width).toBeCloseTo(2.5 * 1.6, 10);
    expect(out.layout["colorway"]).toEqual(spec.layout["colorway"]);
    expect(out.config).toEqual({ staticPlot: true, displayModeBar: false });
  });

  it("scales nested fonts (annotations, tick fonts) and leaves the input untouched", () => {
    const withFonts: FigureSpec = {
      data: [{ type: "heatmap", z: [[1]], textfont: { size: 10 } }],
      layout: { font: { size: 14 }, annotations: [{ text: "a", font: { size: 12 } }], xaxis: { tickfont: { size: 7 } } },
    };
    const before = JSON.stringify(withFonts);
    const out = applyPreset(withFonts, PRESETS.paper);
    expect(JSON.stringify(withFonts)).toBe(before);
    expect((out.layout["annotations"] as { font: { size: number } }[])[0]!.font.size).toBe(12);
    expect((out.layout["xaxis"] as { tickfont: { size: number } }).tickfont.size).toBe(7);
    expect((out.data[0]!["textfont"] as { size: number }).size).toBe(10);
    const slide = applyPreset(withFonts, PRESETS.slide);
    expect((slide.layout["annotations"] as { font: { size: number } }[])[0]!.font.size).toBe(24);
    expect((slide.data[0]!["textfont"] as { size: number }).size).toBe(20);
  });

  it("is pure: the same spec gives the same bytes", () => {
    expect(JSON.stringify(applyPreset(spec, PRESETS.slide))).toBe(JSON.stringify(applyPreset(structuredClone(spec), PRESETS.slide)));
  });
});

describe("htmlWithImage", () => {
  it("puts the PNG in place of the text fallback of display.ts's figure HTML and keeps the drawing script", () => {
    const html = figureHtml(lineChart([{ name: "a", y: [1, 2] }], { title: "T" }), { id: "fig-1" });
    const out = htmlWithImage(html, "QUJD");
    expect(out).toContain(`<div id="fig-1" class="reti-figure" style="width:100%;height:400px"><img alt="[figure: T — 1 scatter trace (a)]" src="data:image/png;base64,QUJD"`);
    expect(out).toContain("Plotly.newPlot(el, spec.data");
    expect(out).toContain(`el.textContent = ""`);
    // Where plotly.js cannot be loaded, the static image stays, with the message under it.
    expect(out).toContain(`if (el.querySelector("img"))`);
    expect(htmlWithImage("<p>no figure</p>", "QUJD")).toBe("<p>no figure</p>");
  });
});

describe("renderMarkdown", () => {
  it("renders markdown, inline and display maths with KaTeX, and tables", () => {
    const html = renderMarkdown("**w** and $z = w_0 + \\mathbf{w}^T\\mathbf{x}$\n\n$$\\sum_i x_i$$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    expect(html).toContain("<strong>w</strong>");
    expect(html).toMatch(/<span class="katex">.*<annotation encoding="application\/x-tex">z = w_0 \+ \\mathbf\{w\}\^T\\mathbf\{x\}<\/annotation>/s);
    expect(html).toContain(`class="katex-display"`);
    expect(html).toContain("<td>2</td>");
  });
});

describe("Renderer", () => {
  let renderer: Renderer;
  beforeAll(async () => {
    renderer = await Renderer.launch();
  }, 60_000);
  afterAll(async () => renderer?.close());

  const spec = applyPreset(
    figureBundle(lineChart([{ name: "training loss", y: [3, 2, 1.5] }, { name: "validation loss", y: [3.2, 2.4, 2], dash: "dash" }], { title: "Loss", xTitle: "epoch" })).data[PLOTLY_MIME] as FigureSpec,
    PRESETS.slide,
  );

  it("slide PNGs are 3200×1800 and paper PNGs 1600×1000", async () => {
    expect(pngSize(await renderer.renderFigure(spec, { format: "png", width: 1600, height: 900, scale: 2 }))).toEqual([3200, 1800]);
    const paper = PRESETS.paper;
    expect(pngSize(await renderer.renderFigure(spec, { format: "png", width: paper.width, height: paper.height, scale: paper.scale }))).toEqual([1600, 1000]);
  });

  it("renders the same SVG bytes twice, with the titles and legend in it", async () => {
    const a = await renderer.renderFigure(spec, { format: "svg", width: 1600, height: 900 });
    const b = await renderer.renderFigure(spec, { format: "svg", width: 1600, height: 900 });
    expect(a.equals(b)).toBe(true);
    const svg = a.toString("utf8");
    const open = svg.slice(0, svg.indexOf(">") + 1);
    expect(open).toMatch(/^<svg /);
    expect(open).toContain(' width="1600"');
    expect(open).toContain(' height="900"');
    for (const text of [">Loss<", ">epoch<", ">training loss<", ">validation loss<"]) expect(svg).toContain(text);
    expect(svg).toMatch(/font-size: 28px/);
  });

  it("blocks every request that is not local", async () => {
    const remote: FigureSpec = { ...spec, layout: { ...spec.layout, images: [{ source: "http://127.0.0.1:9/logo.png", x: 0, y: 1, sizex: 0.2, sizey: 0.2 }] } };
    const svg = (await renderer.renderFigure(remote, { format: "svg", width: 1600, height: 900 })).toString("utf8");
    expect(svg).toContain(">Loss<");
    expect(renderer.blocked).toContain("http://127.0.0.1:9/logo.png");
  });

  it("withStaticImages adds a PNG to every plotly output, as image/png and inside the HTML fallback", async () => {
    const nb = notebookWith([[figureOutput("loss")], [{ output_type: "stream", name: "stdout", text: "x" }, figureOutput(undefined)]]);
    const out = await withStaticImages(nb, renderer);
    const outputs = out.cells.flatMap((c) => (c.cell_type === "code" ? c.outputs : []));
    const rich = outputs.filter((o): o is Extract<Output, { output_type: "display_data" }> => o.output_type === "display_data");
    expect(rich).toHaveLength(2);
    for (const o of rich) {
      const png = o.data["image/png"] as string;
      expect(pngSize(Buffer.from(png, "base64"))).toEqual([1350, 600]);
      expect(o.data["text/html"]).toContain(`src="data:image/png;base64,${png}"`);
      expect(o.data[PLOTLY_MIME]).toBeDefined();
    }
    expect(outputs[1]).toEqual({ output_type: "stream", name: "stdout", text: "x" });
    expect((nb.cells[0] as CodeCell).outputs[0]).not.toHaveProperty("data.image/png");
  });
});

describe("missing Chromium", () => {
  it("says how to install it", async () => {
    const saved = process.env["RETI_CHROMIUM"];
    process.env["RETI_CHROMIUM"] = "/nonexistent/chromium";
    try {
      const err = await Renderer.launch().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ChromiumMissingError);
      expect((err as Error).message).toMatch(/no Chromium at \/nonexistent\/chromium.*apt-get install chromium/s);
    } finally {
      if (saved === undefined) delete process.env["RETI_CHROMIUM"];
      else process.env["RETI_CHROMIUM"] = saved;
    }
  });
});

describe("the npm Chromium fallback (@sparticuz/chromium)", () => {
  it("is found when system browsers are hidden (RETI_CHROMIUM=npm), starts with its own libraries, and draws a PNG", async () => {
    const saved = process.env["RETI_CHROMIUM"];
    process.env["RETI_CHROMIUM"] = "npm";
    try {
      const found = await findChromium();
      expect(found.source).toBe("npm");
      expect(found.executablePath).toMatch(/node_modules\/\.cache\/reti-chromium\/[\d.]+\/chromium$/);
      // The NSS, NSPR and expat libraries a bare Debian lacks come with it.
      const libs = await fs.readdir(path.join(path.dirname(found.executablePath), "lib"));
      expect(libs).toEqual(expect.arrayContaining(["libnss3.so", "libnspr4.so", "libexpat.so.1"]));
      expect(found.env?.["LD_LIBRARY_PATH"]?.split(":")[0]).toBe(path.join(path.dirname(found.executablePath), "lib"));
      const renderer = await Renderer.launch();
      try {
        const png = await renderer.renderFigure({ data: [{ type: "scatter", y: [1, 4, 9] }], layout: {} }, { format: "png", width: 300, height: 200 });
        expect(pngSize(png)).toEqual([300, 200]);
      } finally {
        await renderer.close();
      }
    } finally {
      if (saved === undefined) delete process.env["RETI_CHROMIUM"];
      else process.env["RETI_CHROMIUM"] = saved;
    }
  }, 120_000);

  it("is not used while a system Chromium is installed", async () => {
    const saved = process.env["RETI_CHROMIUM"];
    delete process.env["RETI_CHROMIUM"];
    try {
      const system = await fs.access("/usr/bin/chromium").then(() => true, () => false);
      expect((await findChromium()).source).toBe(system ? "system" : "npm");
    } finally {
      if (saved !== undefined) process.env["RETI_CHROMIUM"] = saved;
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The commands end to end, on a small notebook run by a real kernel.

const work = path.join(root, "build", "test-figures");

const TINY: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: "reti", display_name: "TypeScript (reti)", language: "typescript" }, language_info: { name: "typescript" } },
  cells: [
    { cell_type: "markdown", metadata: {}, source: "# Tiny figures\n\nThe synaptic sum $z = w_0 + \\mathbf{w}^T\\mathbf{x}$:\n\n$$\\sigma(z) = \\frac{1}{1 + e^{-z}}$$\n" },
    { cell_type: "code", metadata: { tags: ["parameters"] }, source: "let QUICK = false;", execution_count: null, outputs: [] },
    {
      cell_type: "code",
      metadata: {},
      execution_count: null,
      outputs: [],
      source: [
        'import { lineChart, show } from "reti";\n',
        "const n = QUICK ? 5 : 8;\n",
        "const y = Array.from({ length: n }, (_, i) => 1 / (i + 1));\n",
        'show(lineChart([{ name: "training loss", y }], { name: "tiny-loss", title: "Tiny loss", xTitle: "epoch", yTitle: "loss" }));\n',
        'show(lineChart([{ name: "unnamed", y }]));\n',
        'console.log("n =", n);\n',
      ],
    },
  ],
};

function run(script: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "scripts", script), ...args], {
    cwd: work,
    encoding: "utf8",
    timeout: 180_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("npm run figures and npm run html", () => {
  beforeAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
    await fs.mkdir(path.join(work, "notebooks"), { recursive: true });
    await fs.writeFile(path.join(work, "notebooks", "01_tiny.ipynb"), JSON.stringify(TINY, null, 1));
  });

  it("runs the notebook once, then reuses its executed copy; writes slide SVG/PNG and the gallery; same SVG bytes both times", async () => {
    const first = run("figures.ts", ["notebooks/*.ipynb", "--quick"]);
    expect(first.out).toContain("notebooks/01_tiny.ipynb: running");
    expect(first.status, first.out).toBe(0);
    const dir = path.join(work, "build", "figures", "01_tiny");
    expect((await fs.readdir(dir)).sort()).toEqual(["figures.json", "tiny-loss.png", "tiny-loss.svg"]);
    expect(pngSize(await fs.readFile(path.join(dir, "tiny-loss.png")))).toEqual([3200, 1800]);
    const svg = await fs.readFile(path.join(dir, "tiny-loss.svg"));
    expect(svg.toString("utf8")).toContain(">Tiny loss<");

    const executed = await readNotebook(path.join(work, "build", "executed", "notebooks", "01_tiny.ipynb"));
    const spec = findFigures(executed).figures[0]!.spec;
    expect((spec.data[0]!["y"] as number[]).length).toBe(5); // quick mode

    // An earlier export of another notebook stays in the gallery, in lecture order.
    const other = { source: "notebooks/00_other.ipynb", title: "Other notebook", preset: "slide", formats: ["png"], figures: [{ name: "curve", cell: 3 }], unnamed: 0, warnings: [] };
    await fs.mkdir(path.join(work, "build", "figures", "00_other"), { recursive: true });
    await fs.writeFile(path.join(work, "build", "figures", "00_other", "figures.json"), JSON.stringify(other));

    const second = run("figures.ts", ["notebooks/01_tiny.ipynb", "--quick", "--format", "svg"]);
    expect(second.status, second.out).toBe(0);
    expect(second.out).toContain("reusing build/executed/notebooks/01_tiny.ipynb");
    expect((await fs.readFile(path.join(dir, "tiny-loss.svg"))).equals(svg)).toBe(true);

    const gallery = await fs.readFile(path.join(work, "build", "figures", "index.html"), "utf8");
    expect(gallery).toContain(`<img src="01_tiny/tiny-loss.svg"`);
    expect(gallery.indexOf("<h2>Other notebook</h2>")).toBeGreaterThan(0);
    expect(gallery.indexOf("<h2>Tiny figures</h2>")).toBeGreaterThan(gallery.indexOf("<h2>Other notebook</h2>"));
    expect(gallery).toContain(`<img src="00_other/curve.png"`);
    expect(gallery).toContain("1 figure has no name and is not exported");
    expect(gallery).not.toMatch(/(src|href)="(https?:)?\/\//);
  }, 240_000);

  it("npm run notebooks -- --static: every plot output of the executed notebook holds a PNG", async () => {
    const r = run("notebooks.ts", ["notebooks/01_tiny.ipynb", "--quick", "--static", "--output-dir", "build/static"]);
    expect(r.status, r.out).toBe(0);
    const nb = await readNotebook(path.join(work, "build", "static", "notebooks", "01_tiny.ipynb"));
    const plots = nb.cells.flatMap((c) => (c.cell_type === "code" ? c.outputs : [])).filter((o) => o.output_type === "display_data" && PLOTLY_MIME in o.data);
    expect(plots).toHaveLength(2);
    for (const o of plots) {
      const data = (o as Extract<Output, { output_type: "display_data" }>).data;
      expect(pngSize(Buffer.from(data["image/png"] as string, "base64"))).toEqual([1350, 600]);
      expect(data["text/html"]).toContain(`<img alt="[figure`);
    }
  }, 240_000);

  it("html: a page per notebook with drawn plots, KaTeX maths and outputs, working offline, and an index", async () => {
    const out = path.join(work, "build", "html");
    // A page exported earlier stays in the index and in the previous/next links, in lecture order.
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(path.join(out, "00_other.html"), `<html><head><title>Other notebook</title><meta name="reti-figures" content="3"></head></html>`);
    const r = run("html.ts", ["notebooks/01_tiny.ipynb", "--quick"]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("reusing");
    const page = await fs.readFile(path.join(out, "01_tiny.html"), "utf8");
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page).toContain("n = 5");
    expect(page.length).toBeLessThan(100_000); // plotly.js is a separate local file, not repeated per page
    await fs.access(path.join(out, "assets", "plotly.min.js"));
    await fs.access(path.join(out, "assets", "katex", "katex.min.css"));
    expect((await fs.readdir(path.join(out, "assets", "katex", "fonts"))).some((f) => f.endsWith(".woff2"))).toBe(true);
    const index = readFileSync(path.join(out, "index.html"), "utf8");
    expect(index).toContain(`<a href="01_tiny.html">Tiny figures</a> <span class="meta">notebooks/01_tiny.ipynb · 2 figures</span>`);
    expect(index.indexOf(`<a href="00_other.html">Other notebook</a>`)).toBeGreaterThan(0);
    expect(index.indexOf(`<a href="00_other.html">`)).toBeLessThan(index.indexOf(`<a href="01_tiny.html">`));
    expect(page).toContain(`<a href="00_other.html">← 00_other</a>`);

    const renderer = await Renderer.launch();
    try {
      const { value, errors } = await renderer.inspect(path.join(out, "01_tiny.html"), () => ({
        plots: document.querySelectorAll(".reti-figure.js-plotly-plot .main-svg").length > 0 ? document.querySelectorAll(".reti-figure.js-plotly-plot").length : 0,
        katex: document.querySelectorAll(".katex").length,
        title: document.querySelector("h1")?.textContent,
      }));
      expect(errors).toEqual([]);
      expect(value).toEqual({ plots: 2, katex: 2, title: "Tiny figures" });
    } finally {
      await renderer.close();
    }
  }, 240_000);
});

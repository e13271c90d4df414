/**
 * show() and the live display under the real tslab kernel (no mocks): what the notebook file ends up
 * holding. Complements display.test.ts, which guards the tslab internals with a mocked writer.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type Output, executeNotebook } from "nbconvert-ts-runner";
import { codeNotebook as notebook, NOTEBOOKS } from "./support/course";


const text = (x: unknown) => (Array.isArray(x) ? x.join("") : String(x));

describe("show under a real tslab kernel", () => {
  it("writes one bundle per figure (named in the metadata), no copy of plotly.js, and live outputs updated in place", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "reti-display-kernel-"));
    const result = await executeNotebook(
      notebook(
        `import { show, lineChart, LiveTraining } from "reti";\nshow(lineChart([{ name: "a", y: [1, 2] }], { name: "first" }));`,
        `show(lineChart([{ name: "b", y: [3, 4] }]));\nshow("**bold**");`,
        `const live = new LiveTraining({ epochs: 3, name: "live-curves", progressEveryMs: 0, plotEveryMs: 0 });\n` +
          `for (let e = 0; e < 3; e++) { live.batch(e, 0, 1); live.epoch(e, { loss: 1 / (e + 1) }); }\nlive.done();`,
      ),
      { cwd: NOTEBOOKS, path: path.join(NOTEBOOKS, "display-kernel-test.ipynb"), env: { JUPYTER_DATA_DIR: dataDir } },
    );
    expect(result.failure?.error).toBeUndefined();
    const outputs = result.notebook.cells.map((c) => (c.cell_type === "code" ? (c.outputs as Output[]) : []));
    const displays = outputs.map((o) => o.filter((x) => x.output_type === "display_data") as Array<Output & { data: Record<string, unknown>; metadata: Record<string, unknown> }>);

    const [first] = displays[0]!;
    expect(Object.keys(first!.data).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    expect(first!.metadata).toEqual({ reti: { figure: "first" } });
    expect(text(first!.data["text/html"]).includes("plotly.js v3.1.0")).toBe(false);
    expect(text(first!.data["text/html"])).toContain("nbextensions/reti/plotly-cartesian-3.1.0.min.js");
    expect(text(first!.data["text/html"]).length).toBeLessThan(12_000);
    // The kernel put the file the page loads where Jupyter serves it.
    expect((await fs.stat(path.join(dataDir, "nbextensions", "reti", "plotly-cartesian-3.1.0.min.js"))).size).toBeGreaterThan(1_000_000);
    await fs.rm(dataDir, { recursive: true, force: true });

    const [second, md] = displays[1]!;
    expect(second!.metadata).toEqual({});
    expect(text(second!.data["text/html"]).includes("plotly.js v3.1.0")).toBe(false);
    expect(text(md!.data["text/markdown"])).toBe("**bold**");

    // Live: the progress output and the curve output, each updated in place to its final state.
    const live = displays[2]!;
    expect(live).toHaveLength(2);
    expect(text(live[0]!.data["text/plain"])).toMatch(/^done: 3 epochs · \d+\.\d s · loss 0\.3333$/);
    expect(live[1]!.metadata).toEqual({ reti: { figure: "live-curves" } });
    // A live figure is HTML and text only (plotly's JupyterLab renderer would keep its first frame).
    expect(Object.keys(live[1]!.data).sort()).toEqual(["text/html", "text/plain"]);
    const spec = JSON.parse(/var spec = (.*);\n/.exec(text(live[1]!.data["text/html"]))![1]!) as { data: Array<{ y: number[] }> };
    expect(spec.data[0]!.y).toEqual([1, 0.5, 0.333333]); // saved to 6 significant digits
  });
});

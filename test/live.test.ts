import { createRequire } from "node:module";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DisplayBundle } from "../lib/src/runtime/tslab";
import { LiveTraining } from "../lib/src/display/live";

const jupyter = createRequire(__filename)("tslab/dist/jupyter.js") as { lastWriteDisplayData: unknown };
const EMBEDDED = Symbol.for("reti.display.plotlyEmbedded");

/** The plotly spec a live figure's HTML draws (live figures carry no plotly JSON: see showFigure). */
function specOf(bundle: DisplayBundle): { data: Array<{ name: string; x: number[]; y: number[] }> } {
  expect(bundle.data["application/vnd.plotly.v1+json"]).toBeUndefined();
  return JSON.parse(/var spec = (.*);\n/.exec(bundle.data["text/html"] as string)![1]!) as { data: Array<{ name: string; x: number[]; y: number[] }> };
}

describe("LiveTraining in a kernel", () => {
  let calls: Array<[DisplayBundle, boolean]>;
  let clock: number;
  const now = () => clock;

  beforeEach(() => {
    calls = [];
    clock = 0;
    jupyter.lastWriteDisplayData = (b: DisplayBundle, u: boolean) => calls.push([b, u]);
  });
  afterEach(() => {
    jupyter.lastWriteDisplayData = null;
    delete (globalThis as Record<symbol, unknown>)[EMBEDDED];
  });

  const ids = () => calls.map(([b]) => b.transient?.display_id);

  it("creates the progress output once, then updates it in place, throttled", () => {
    const live = new LiveTraining({ epochs: 2, now, progressEveryMs: 100 });
    expect(calls).toHaveLength(1);
    const [first, update] = calls[0]!;
    expect(update).toBe(false);
    const progressId = first.transient!.display_id!;
    expect(progressId).toMatch(/^reti-progress-[0-9a-f]{12}$/);
    expect(first.data["text/plain"]).toBe("epoch 1/2 · 0.0 s");
    for (let b = 0; b < 50; b++) {
      clock += 10; // 50 batches over 500 ms: one update per 100 ms
      live.batch(0, b, 50);
    }
    const progress = calls.filter(([b]) => b.transient?.display_id === progressId);
    expect(progress).toHaveLength(1 + 5);
    expect(progress.slice(1).every(([, u]) => u)).toBe(true);
    expect(progress[3]![0].data["text/plain"]).toBe("epoch 1/2 · batch 30/50 · 0.3 s · ETA 0.7 s");
    expect(progress[3]![0].data["text/html"]).toContain('<progress value="0.3000" max="1"');
  });

  it("draws the curves after an epoch, updates them in place, and always draws the end", () => {
    const live = new LiveTraining({ epochs: 3, now, name: "run-curves", progressEveryMs: 100, plotEveryMs: 1000 });
    clock = 200;
    live.epoch(0, { loss: 1, val_loss: 1.5 });
    // progress (new), progress (update), curve (new, HTML only: a live figure): plotly.js comes from the server, no output of its own
    expect(calls.map(([b, u]) => [Object.keys(b.data).join(","), u])).toEqual([
      ["text/html,text/plain", false],
      ["text/html,text/plain", true],
      ["text/html,text/plain", false],
    ]);
    const curve = calls[2]![0];
    const curveId = curve.transient!.display_id!;
    expect(curveId).toMatch(/^reti-curve-/);
    expect(curve.metadata).toEqual({ reti: { figure: "run-curves" } });
    expect(curve.data["text/html"]).not.toContain("plotly.js v3.1.0");
    calls = [];
    clock = 500; // within plotEveryMs: no redraw of the curves
    live.epoch(1, { loss: 0.5, val_loss: 1 });
    expect(ids().filter((id) => id === curveId)).toHaveLength(0);
    live.done();
    const final = calls.filter(([b]) => b.transient?.display_id === curveId);
    expect(final).toHaveLength(1);
    expect(final[0]![1]).toBe(true);
    const spec = specOf(final[0]![0]);
    expect(spec.data.map((t) => [t.name, t.y])).toEqual([
      ["training loss", [1, 0.5]],
      ["validation loss", [1.5, 1]],
    ]);
    expect(calls.at(-2)![0].data["text/plain"]).toBe("done: 2 epochs · 0.5 s · loss 0.5000 · val_loss 1.000");
    expect(live.history).toEqual({ loss: [1, 0.5], val_loss: [1.5, 1] });
  });

  it("plots the mini-batch loss within an epoch (≤ 50 points per epoch), redrawn while the epoch runs", () => {
    const live = new LiveTraining({ epochs: 2, now, progressEveryMs: 100, plotEveryMs: 1000 });
    for (let b = 0; b < 100; b++) {
      clock += 20; // 100 batches over 2 s: the curve appears after 1 s, inside the first epoch
      live.batch(0, b, 100, { loss: b < 50 ? 1 : 0.5 });
    }
    const during = calls.filter(([bundle]) => bundle.transient?.display_id?.startsWith("reti-curve-"));
    // Drawn at the first point (40 ms), then once the throttle allows (1040 ms): 26 points so far.
    const points = (c: (typeof calls)[number]) => specOf(c[0]).data[0]!.x.length;
    expect(during.map(points)).toEqual([1, 26]);
    clock += 1000;
    live.epoch(0, { loss: 0.75 });
    const curves = calls.filter(([bundle]) => bundle.transient?.display_id?.startsWith("reti-curve-"));
    expect(curves.length).toBe(3);
    const spec = specOf(curves.at(-1)![0]);
    const perBatch = spec.data.find((t) => t.name === "training loss (mini-batches)")!;
    expect(perBatch.x).toHaveLength(50);
    expect(perBatch.x.slice(0, 2)).toEqual([0.02, 0.04]);
    expect(perBatch.x.at(-1)).toBe(1);
    expect(perBatch.y[0]).toBe(1);
    expect(perBatch.y.at(-1)).toBe(0.5);
  });

  it("keeps the history aligned when a metric appears late", () => {
    const live = new LiveTraining({ epochs: 3, now });
    live.epoch(0, { loss: 1 });
    live.epoch(1, { loss: 0.5, val_loss: 2 });
    live.epoch(2, { val_loss: 1 });
    expect(live.history).toEqual({ loss: [1, 0.5, NaN], val_loss: [NaN, 2, 1] });
  });
});

describe("LiveTraining outside a kernel", () => {
  it("prints about ten lines, then a summary", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      let clock = 0;
      const live = new LiveTraining({ epochs: 40, now: () => clock });
      for (let e = 0; e < 40; e++) {
        live.batch(e, 0, 1);
        clock += 100;
        live.epoch(e, { loss: 1 / (e + 1) });
      }
      live.done();
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines).toHaveLength(11);
      expect(lines[0]).toBe("epoch 4/40 · 0.4 s · ETA 3.6 s · loss 0.2500");
      expect(lines[10]).toBe("done: 40 epochs in 4.0 s");
    } finally {
      log.mockRestore();
    }
  });

  it("rejects a bad epoch count", () => {
    expect(() => new LiveTraining({ epochs: 0 })).toThrow(/positive integer, got 0/);
  });
});

/**
 * The browser tests' live-display check (test/support/browser-checks.ts) on recorded timelines: a live
 * cell whose training lasted 1.5 s or more, and that the page saw busy that long, counts as updated when
 * ≥ 2 progress lines were seen while it ran, or, when the page was stalled for most of its run (plotly.js
 * being evaluated; counted from a stall that ended just before the page saw the previous cell done, as the
 * kernel ran on meanwhile), when ≥ 2 intermediate updates were applied to its output.
 */
import { describe, expect, it } from "vitest";
import { liveProblems, type CellProbe, type CellTimeline } from "./support/browser-checks";

const probe = (progress: string[]): CellProbe => ({
  count: 1, busy: false, outputs: 1, errors: [], figureOutputs: 0, figureNames: [], plots: 0, undrawn: [], progress,
});
const done = "done: 8 epochs · 2.0 s";
const cells = [probe([]), probe([done])];
const timeline = (seen: string[], updates?: string[]): CellTimeline[] => [
  { firstOutputAt: 900, doneAt: 1_000, progressWhileBusy: [] },
  { firstOutputAt: 1_200, doneAt: 4_000, progressWhileBusy: seen, ...(updates ? { progressUpdates: updates } : {}) },
];
const updates = ["epoch 1/8 · 0.0 s", "epoch 3/8 · 0.9 s", "epoch 6/8 · 1.5 s", done];

describe("liveProblems", () => {
  it("does not judge a training too short to watch (under 1.5 s by its final line)", () => {
    const short = [probe([]), probe(["done: 1 epochs · 0.7 s · loss 0.3"])];
    expect(liveProblems(short, timeline(["epoch 1/1 · 0.0 s"]))).toEqual([]);
    // 2.0 s is long enough: one line seen in it is a display that did not change.
    expect(liveProblems(cells, timeline(["epoch 1/8 · 0.0 s"]))).toHaveLength(1);
  });

  it("judges the other live cells when one was too short to watch", () => {
    // Cell 1 seen busy for 0.5 s (not judged); cell 2 trained 2.0 s and was seen with one line.
    const three = [probe([]), probe([done]), probe([done])];
    const seen = (second: string[]): CellTimeline[] => [
      { firstOutputAt: 900, doneAt: 1_000, progressWhileBusy: [] },
      { firstOutputAt: 1_200, doneAt: 1_500, progressWhileBusy: ["epoch 1/8 · 0.0 s"] },
      { firstOutputAt: 1_600, doneAt: 4_500, progressWhileBusy: second },
    ];
    const problems = liveProblems(three, seen(["epoch 1/8 · 0.0 s"]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("cell 2: 1 distinct lines while busy in ≈ 3.0 s");
    expect(problems[0]).not.toContain("cell 1:");
    expect(liveProblems(three, seen(["epoch 1/8 · 0.0 s", "epoch 5/8 · 1.2 s"]))).toEqual([]);
  });

  it("passes a live cell seen changing while it ran", () => {
    expect(liveProblems(cells, timeline(["epoch 1/8 · 0.0 s", "epoch 4/8 · 1.0 s"]))).toEqual([]);
  });

  it("fails a live cell seen once, when the page was responsive (updates applied or not)", () => {
    expect(liveProblems(cells, timeline([done], updates), [{ at: 0, ms: 500 }])).toHaveLength(1);
    expect(liveProblems(cells, timeline([done]))).toHaveLength(1);
  });

  it("passes a live cell that ran inside a page stall when its intermediate updates were applied one by one", () => {
    const stall = [{ at: 800, ms: 3_000 }]; // covers 2.8 s of the cell's 3 s
    expect(liveProblems(cells, timeline([done], updates), stall)).toEqual([]);
    // ... but not when only the first and last lines reached the output.
    const problems = liveProblems(cells, timeline([done], ["epoch 1/8 · 0.0 s", done]), stall);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("inside a page stall, 1 intermediate updates applied");
  });

  it("passes a live cell seen only as done right after a stall, when its intermediate updates were applied", () => {
    // Recorded in JupyterLab on a quiet machine: the kernel ran the figure cell and a 0.9 s training while the
    // page evaluated plotly.js; the sampler saw both done at once, then the queued updates were applied.
    const atOnce = (seen: string[], u: string[]): CellTimeline[] => [
      { firstOutputAt: 4_757, doneAt: 4_757, progressWhileBusy: [] },
      { firstOutputAt: 4_757, doneAt: 4_757, progressWhileBusy: seen, progressUpdates: u },
    ];
    const stalls = [{ at: 2_176, ms: 1_948 }, { at: 4_344, ms: 309 }];
    expect(liveProblems(cells, atOnce([], updates), stalls)).toEqual([]);
    // No stall just before: a cell seen only as done never showed its display change.
    expect(liveProblems(cells, atOnce([], updates), [{ at: 0, ms: 500 }])).toHaveLength(1);
    expect(liveProblems(cells, atOnce([], updates))).toHaveLength(1);
    // A stall, but the updates reached the output only as the final line.
    expect(liveProblems(cells, atOnce([], [done]), stalls)).toHaveLength(1);
  });

  it("passes a live cell seen busy only for its last half second after a stall, when its intermediate updates were applied", () => {
    // Recorded in JupyterLab on a quiet machine: the kernel ran the figure cell and 1.8 s of a 2.3 s training
    // while the page evaluated plotly.js; the sampler then saw the figure cell done and the training busy
    // with one line for 0.5 s.
    const late = (u: string[]): CellTimeline[] => [
      { firstOutputAt: 5_000, doneAt: 5_000, progressWhileBusy: [] },
      { firstOutputAt: 5_000, doneAt: 5_500, progressWhileBusy: ["epoch 14/24 · 1.8 s"], progressUpdates: u },
    ];
    const stall = [{ at: 2_400, ms: 2_550 }];
    expect(liveProblems(cells, late(updates), stall)).toEqual([]);
    // Seen busy for 0.5 s: under 1.5 s, too short to judge, stall or not.
    expect(liveProblems(cells, late(updates))).toEqual([]);
    expect(liveProblems(cells, late([done]), stall)).toEqual([]);
  });
});

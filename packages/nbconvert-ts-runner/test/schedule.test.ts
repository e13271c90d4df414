/**
 * The start order of notebooks run several at a time (src/schedule.ts): longest first, by the timings
 * recorded in each one's previous executed copy.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { writeNotebook, type CodeCell, type Notebook } from "../src/nbformat";
import { longestFirst, recordedDurationMs } from "../src/schedule";

/** A notebook whose code cells ran at the given [busy, idle] seconds after 12:00 (null: not run). */
function executed(...cells: ([number, number] | null)[]): Notebook {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + s * 1000).toISOString();
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((t): CodeCell => ({
      cell_type: "code", source: "1", execution_count: null, outputs: [],
      metadata: t ? { execution: { "iopub.status.busy": at(t[0]), "iopub.execute_input": at(t[0]), "shell.execute_reply": at(t[1]), "iopub.status.idle": at(t[1]) } } : {},
    })),
  };
}

describe("recordedDurationMs", () => {
  it("spans the first cell's busy to the last cell's idle, skipping cells that did not run", () => {
    expect(recordedDurationMs(executed([0, 1.5], null, [2, 7.25], null))).toBe(7250);
  });
  it("is null for a notebook that records no execution", () => {
    expect(recordedDurationMs(executed(null, null))).toBeNull();
    expect(recordedDurationMs({ ...executed(), cells: [{ cell_type: "markdown", source: "# x", metadata: {} }] })).toBeNull();
  });
});

describe("longestFirst", () => {
  it("orders by the previous copies' durations; notebooks with no usable copy first, in the order given", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nbts-schedule-"));
    try {
      const copy = (file: string) => path.join(dir, "out", file);
      await writeNotebook(copy("short.ipynb"), executed([0, 5]));
      await writeNotebook(copy("long.ipynb"), executed([0, 3], [3, 20]));
      await writeNotebook(copy("middle.ipynb"), executed([0, 9]));
      await writeNotebook(copy("unrun.ipynb"), executed(null));
      await fs.writeFile(copy("broken.ipynb"), "{ not json");
      const files = ["short.ipynb", "new.ipynb", "long.ipynb", "broken.ipynb", "middle.ipynb", "unrun.ipynb"];
      expect(await longestFirst(files, copy)).toEqual(["new.ipynb", "broken.ipynb", "unrun.ipynb", "long.ipynb", "middle.ipynb", "short.ipynb"]);
      expect(await longestFirst(["b.ipynb", "a.ipynb"], copy)).toEqual(["b.ipynb", "a.ipynb"]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The order notebooks start in when several run at a time: longest first, by how long each took the
 * last time the runner executed it. Run in the order given, a long notebook that happens to come last
 * runs alone at the end while the other cores idle; started first, it overlaps the short ones.
 */
import { readNotebook, type Notebook } from "./nbformat";

/**
 * How long the executed notebook's cells ran, in ms: from the first cell's `iopub.status.busy` to the
 * last cell's `iopub.status.idle` (the timings the runner, like nbconvert, records in each cell's
 * `metadata.execution`); null when it records none.
 */
export function recordedDurationMs(nb: Notebook): number | null {
  let first = Infinity;
  let last = -Infinity;
  for (const cell of nb.cells) {
    const busy = Date.parse(String(cell.metadata.execution?.["iopub.status.busy"]));
    const idle = Date.parse(String(cell.metadata.execution?.["iopub.status.idle"]));
    if (Number.isFinite(busy)) first = Math.min(first, busy);
    if (Number.isFinite(idle)) last = Math.max(last, idle);
  }
  return last >= first ? last - first : null;
}

/**
 * `files` longest first, by the duration recorded in each one's previous executed copy
 * (`previousCopy(file)`, read if it exists). Notebooks with no record come first, in the order given,
 * since nothing says they are short; equal durations keep the order given.
 */
export async function longestFirst(files: string[], previousCopy: (file: string) => string): Promise<string[]> {
  const durations = await Promise.all(files.map(async (file) => {
    try {
      return recordedDurationMs(await readNotebook(previousCopy(file))) ?? Infinity;
    } catch {
      return Infinity; // no previous copy, or one that does not parse: nothing is known
    }
  }));
  return files.map((file, i) => ({ file, ms: durations[i]! })).sort((a, b) => b.ms - a.ms).map((f) => f.file);
}

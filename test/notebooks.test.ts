/**
 * The notebook suite: every notebooks/*.ipynb runs in quick mode (QUICK = true) on a real tslab kernel,
 * one test per notebook, and its executed copy goes to build/executed/notebooks/. A failure shows the
 * cell, its first source lines and the error. Notebooks import the built lib (node_modules/reti →
 * lib/dist): when that build is missing or older than lib/src, the setup runs `npm run build` first.
 * NOTEBOOK_JOBS (default 2) notebooks run at a time.
 */
import * as path from "node:path";
import { beforeAll, describe, it } from "vitest";
import { readNotebook, writeNotebook, executeNotebook, failureReport } from "nbconvert-ts-runner";
import { buildLibIfStale, notebooks, root } from "./support/course";

const jobs = Number(process.env.NOTEBOOK_JOBS ?? 2);

/** Runs at most `jobs` notebooks at once (vitest starts the concurrent tests together). */
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= jobs) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

beforeAll(buildLibIfStale, 300_000);

describe.concurrent("notebooks in quick mode", () => {
  it.each(notebooks)("%s", async (name) => {
    const file = path.join("notebooks", name);
    const result = await slot(async () =>
      executeNotebook(await readNotebook(path.join(root, file)), { path: path.join(root, file), params: { QUICK: true } }),
    );
    await writeNotebook(path.join(root, "build", "executed", file), result.notebook);
    if (!result.ok) throw new Error([`${file} failed:`, ...failureReport(result, file)].join("\n"));
  }, 1_200_000);
});

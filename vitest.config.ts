import { availableParallelism } from "node:os";
import * as path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The files that run notebooks on kernels, longest first (issue 20): they start first, each in its own
 * worker, and the unit tests fill the other worker meanwhile. Without this, a fresh checkout (no timing
 * cache) sorts files by size and the notebook suite, a small file, would start near the end.
 * The two browser tests (test/browser.test.ts, all ten notebooks in the classic Notebook, ≈ 12 min;
 * test/browser-lab.test.ts, 00_setup and 02_mlp in JupyterLab plus 00_setup without plotly's renderer,
 * 7 min measured on a busy machine, load ≈ 10 on two cores) are left out on purpose: their timing checks (outputs in order, live
 * displays) run after the long files have started, with fewer kernels competing for the two cores.
 */
const LONG = [
  "test/notebooks.test.ts",
  "test/release-course.test.ts",
  "packages/nbconvert-ts-runner/test/runner.test.ts",
  "test/figures.test.ts",
  "test/hub.test.ts",
  "test/exercises.test.ts",
];

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONG.findIndex((name) => f.moduleId.endsWith(name));
      return i < 0 ? LONG.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}

/** Test files run at once: every core (vitest's default leaves one idle, i.e. one file at a time on 2 cores). */
const workers = Number(process.env.VITEST_WORKERS ?? Math.max(2, availableParallelism()));

export default defineConfig({
  resolve: {
    // The course's tools and tests use the runner package's sources (as tsx does through tsconfig paths).
    alias: { "nbconvert-ts-runner": path.resolve(__dirname, "packages/nbconvert-ts-runner/src/index.ts") },
  },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: workers,
    minWorkers: 1,
    sequence: { sequencer: LongFirst },
  },
});

import { availableParallelism } from "node:os";
import * as path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * The projects (issue 20): `unit` and `quick` are `npm test`, the suite a developer runs after each change (the
 * library's and the runner's tests and every notebook in quick mode); `integration` holds the suites that drive
 * whole systems for minutes each: the browser tests (every notebook in the classic Notebook, ≈ 5 min; 00_setup
 * and 02_mlp in JupyterLab, ≈ 2 min), the sandboxed grader and its hostile submissions, the release validation
 * of every notebook's exercises and the JupyterHub test. `npm run test:all` (CI, README) runs them all.
 */
const INTEGRATION = [
  "test/browser.test.ts",
  "test/browser-lab.test.ts",
  "test/grade.test.ts",
  "test/grade-hostile.test.ts",
  "test/release-course.test.ts",
  "test/hub.test.ts",
];

/**
 * The quick files that need a process of their own (project `quick`, a fresh process per file): those that start
 * kernels or Chromium (all the runner package's), the backend's choice in a fresh process, a mocked
 * `@tensorflow/tfjs-node`. Every other quick file is a unit test of the course's own code (project `unit`): they
 * run one after another in one worker thread that keeps its modules (no isolation), beside the kernels. A fresh
 * process per file re-imports tfjs and the wasm backend: the 51 unit files took 65 s of CPU that way, 36 s now.
 */
const OWN_PROCESS = [
  "packages/*/test/**/*.test.ts",
  "test/notebooks.test.ts",
  "test/figures.test.ts",
  "test/check-kernel.test.ts",
  "test/display-kernel.test.ts",
  "test/source.test.ts",
  "test/tf.test.ts",
  "test/tf-node.test.ts",
  "test/tf-node-broken.test.ts",
];

/**
 * The files that run notebooks on kernels, longest first: they start first, each in its own worker, while the
 * unit tests' thread runs beside them. Without this, a fresh checkout (no timing cache) sorts files by
 * size and the notebook suite, a small file, would start near the end. The kernel start test mostly waits for
 * stand-in kernels that hang (≈ 35 s, little CPU): started early, its waits overlap the notebooks instead of
 * ending the run alone.
 */
const LONG = [
  "test/notebooks.test.ts",
  "test/release-course.test.ts",
  "packages/nbconvert-ts-runner/test/runner.test.ts",
  "packages/nbconvert-ts-runner/test/kernel-start.test.ts",
  "test/figures.test.ts",
  "test/hub.test.ts",
  "test/exercises.test.ts",
];

/**
 * The browser tests start after every other file of their pool: their timing checks (outputs in order, live
 * displays changing while a cell runs) need a front end and a Jupyter server that are not starved of CPU, not
 * run beside the notebook suite's two kernels. Last, they run beside each other only. It costs `npm run
 * test:all` little: 771 and 814 s with them last, 769 s with them among the other files (fresh-clone CI runs).
 */
const LAST = ["test/browser.test.ts", "test/browser-lab.test.ts"];

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const last = LAST.findIndex((name) => f.moduleId.endsWith(name));
      if (last >= 0) return LONG.length + 1 + last;
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
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...INTEGRATION, ...OWN_PROCESS], pool: "threads" } },
      { extends: true, test: { name: "quick", include: OWN_PROCESS } },
      { extends: true, test: { name: "integration", include: INTEGRATION } },
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: workers,
    minWorkers: 1,
    // The unit tests' one thread, shared by their files (the forks of the other projects stay isolated).
    poolOptions: { threads: { isolate: false, maxThreads: 1 } },
    sequence: { sequencer: LongFirst },
  },
});

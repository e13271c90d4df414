/**
 * Lecture notebooks' exercises, end to end: each course notebook with exercises releases without a leak
 * and with ≥ 3 graded exercises, and `release --validate` proves every exercise both ways on the real
 * kernel in quick mode (the reference run passes and the instructor's solution gets full marks from the grader's
 * verdict, each in its sandbox; every
 * graded cell fails on the student's stub while the other cells still run).
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { releaseNotebook, validateNotebook } from "../scripts/release";
import { buildLibIfStale, root } from "./support/course";

/** Every course notebook with exercises. */
const ALL = ["01_perceptron_hebb", "02_mlp", "03_backprop_optimizers", "04_regularization", "05_cnn", "06_rnn", "07_language", "08_q_learning", "09_autoencoders"];
/**
 * The suite validates the notebooks proven under the sandboxed grader so far (three sandboxed kernel runs each,
 * minutes per notebook on two cores); RETI_VALIDATE_ALL=1 validates every one (what `npm run release -- --validate` does).
 */
const COURSE = process.env.RETI_VALIDATE_ALL ? ALL : ["01_perceptron_hebb", "02_mlp"];

beforeAll(buildLibIfStale, 300_000);

describe("course exercises: release and validate", () => {
  for (const name of COURSE) {
    it(`${name}.ipynb`, async () => {
      const out = await fs.mkdtemp(path.join(os.tmpdir(), "reti-release-"));
      try {
        const report = await releaseNotebook(path.join(root, "notebooks", `${name}.ipynb`), out);
        expect(report.defects).toEqual([]);
        expect(report.exercises).toBeGreaterThanOrEqual(3);
        await validateNotebook(report, report.source!, report.student!, true);
        expect(report.defects).toEqual([]);
      } finally {
        await fs.rm(out, { recursive: true, force: true });
      }
    }, 1_800_000);
  }
});

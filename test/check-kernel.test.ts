/**
 * A failed check under the real tslab kernel (no mocks): the cell's error shows the message and the
 * cell line that failed, not node's "check.js:35 / throw … / ^" excerpt and a stack of library, tslab
 * and node:vm frames (issue 19, item 6). Complements core.test.ts.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type Output, executeNotebook } from "nbconvert-ts-runner";
import { codeNotebook as notebook, NOTEBOOKS } from "./support/course";


describe("a failed check in a notebook", () => {
  it("shows the message and the failing cell line only (sync, async, and in a function from an earlier cell)", async () => {
    const result = await executeNotebook(
      notebook(
        `import { check, checkClose } from "reti";\nconst x: number = 2;\nfunction near(a: number) {\n  checkClose(a, 5, "a is five");\n}`,
        `// a comment\n\nconst y = x + 1;\ncheck(y === 4, "y is four");\nconsole.log("not reached");`,
        `await Promise.resolve();\ncheck(x > 3, "x is large");`,
        `near(1);`,
      ),
      { cwd: NOTEBOOKS, path: path.join(NOTEBOOKS, "check-kernel-test.ipynb"), allowErrors: true },
    );
    const errors = result.notebook.cells.map((c) => (c.cell_type === "code" ? (c.outputs as Output[]) : []).find((o) => o.output_type === "error"));
    const traceback = (k: number) => {
      const e = errors[k];
      return e?.output_type === "error" ? e.traceback : undefined;
    };
    expect(errors[0]).toBeUndefined();
    expect(traceback(1)).toEqual(["CheckError: check failed: y is four", '    at cell line: check(y === 4, "y is four");']);
    expect(traceback(2)).toEqual(["CheckError: check failed: x is large", '    at cell line: check(x > 3, "x is large");']);
    expect(traceback(3)).toEqual([
      "CheckError: check failed: a is five: element 0 is 1, expected 5 (atol 0.000001, rtol 0.00001)",
      "  actual:   [1]",
      "  expected: [5]",
      '    at cell line: checkClose(a, 5, "a is five");',
    ]);
  }, 120_000);
});

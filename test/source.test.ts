/** showSource: the lib's own TypeScript, found by name, cut at the declaration's end, highlighted. */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { highlightTs, showSource, sourceOf, tokenize } from "../lib/src/display/source";
import { trainPerceptron } from "../lib/src/scratch/perceptron";
import { executeNotebook, type Notebook, type Output } from "nbconvert-ts-runner";

const SRC = path.resolve(__dirname, "..", "lib", "src");
const lines = (file: string) => readFileSync(path.join(SRC, file), "utf8").split("\n");

describe("sourceOf", () => {
  it("extracts exactly the declaration with its doc comment, from the one copy in lib/src", () => {
    const s = sourceOf("trainPerceptron");
    expect(s.file).toBe("scratch/perceptron.ts");
    const file = lines(s.file);
    const code = s.code.split("\n");
    expect(code).toEqual(file.slice(s.line - 1, s.line - 1 + code.length));
    expect(code[0]).toBe("/**");
    expect(code.some((l) => l.startsWith("export function trainPerceptron("))).toBe(true);
    expect(code.at(-1)).toBe("}");
    expect(file[s.line - 2]!.trim()).not.toMatch(/^\*|^\/\*\*/); // nothing of the comment left above
    expect(file[s.line - 1 + code.length]).toBe(""); // and the next line starts something else
    expect(sourceOf(trainPerceptron)).toEqual(s);
  });

  it("ends a function after a return type in braces, a constant at its `;`, a class member at its `}`", () => {
    const grads = sourceOf("lossAndGradients", { docs: false }).code.split("\n");
    expect(grads[0]).toMatch(/^export function lossAndGradients\(.*\): \{ loss: number; grads: DenseGrads\[\] \} \{$/);
    expect(grads.at(-1)).toBe("}");
    expect(grads.filter((l) => l === "}")).toHaveLength(1);
    const laplacian = sourceOf("LAPLACIAN", { docs: false }).code;
    expect(laplacian.startsWith("export const LAPLACIAN: FeatureMap = [")).toBe(true);
    expect(laplacian.endsWith("];")).toBe(true);
    const backward = sourceOf("Value.backward");
    expect(backward.code.split("\n")[0]).toBe("/**"); // de-indented
    expect(backward.code).toMatch(/\nbackward\(\): void \{\n[\s\S]*\n\}$/);
    expect(backward.code).not.toMatch(/toString/);
    expect(sourceOf("ActivationName", { docs: false }).code.split("\n")).toHaveLength(1);
  });

  it("says when a name is missing, ambiguous, or not a member, and takes a file to choose", () => {
    expect(() => sourceOf("noSuchThing")).toThrow(/no declaration of "noSuchThing"/);
    expect(() => sourceOf("nodeRequire")).toThrow(/declared in display\/display\.ts, runtime\/tslab\.ts/);
    expect(sourceOf("nodeRequire", { file: "runtime/" }).file).toBe("runtime/tslab.ts");
    expect(() => sourceOf("Value.nothing")).toThrow(/has no member "nothing"/);
    expect(() => sourceOf(() => 1)).toThrow(/no name/);
  });
});

describe("highlightTs", () => {
  it("colours keywords, types, strings, numbers, comments and regular expressions, and escapes HTML", () => {
    const html = highlightTs('export const a: number = 1e-5; // x < y\nconst s = `a${b + "}"}<`; const r = /[<"]/g;');
    expect(html).toContain('<span style="color:#d73a49">export</span>');
    expect(html).toContain('<span style="color:#6f42c1">number</span>');
    expect(html).toContain('<span style="color:#005cc5">1e-5</span>');
    expect(html).toContain('<span style="color:#6a737d;font-style:italic">// x &lt; y</span>');
    expect(html).toContain('<span style="color:#032f62">/[&lt;&quot;]/g</span>');
    expect(html).not.toMatch(/<(?!\/?span)/);
    expect(tokenize("x / 2 / y").filter((t) => t.kind === "regex")).toHaveLength(0);
  });

  it("tokenizes every lib source losslessly", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const f of files(SRC)) {
      const text = readFileSync(f, "utf8");
      expect(tokenize(text).map((t) => t.text).join("")).toBe(text);
    }
  });
});

describe("showSource", () => {
  it("prints the plain source, headed by its file and line, outside a kernel", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      showSource("conv2d");
      const printed = String(log.mock.calls[0]![0]);
      const { line, code } = sourceOf("conv2d");
      expect(printed).toBe(`// lib/src/scratch/conv.ts:${line}\n${code}`);
    } finally {
      log.mockRestore();
    }
  });

  it("shows highlighted HTML with a text fallback in a real tslab kernel (through the built package)", async () => {
    const NOTEBOOKS = path.resolve(__dirname, "..", "notebooks");
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "reti", display_name: "TypeScript (reti)", language: "typescript" } },
      cells: [{ cell_type: "code", id: "c0", metadata: {}, source: 'import { showSource, maxPool2dBackward } from "reti";\nshowSource(maxPool2dBackward);', outputs: [], execution_count: null }],
    } as Notebook;
    const result = await executeNotebook(nb, { cwd: NOTEBOOKS, path: path.join(NOTEBOOKS, "source-kernel-test.ipynb") });
    expect(result.failure?.error).toBeUndefined();
    const cell = result.notebook.cells[0]!;
    const out = (cell.cell_type === "code" ? (cell.outputs as Output[]) : []).find((o) => o.output_type === "display_data") as Output & { data: Record<string, unknown> };
    const text = (x: unknown) => (Array.isArray(x) ? x.join("") : String(x));
    expect(text(out.data["text/html"])).toContain('<span style="color:#d73a49">export</span> <span style="color:#d73a49">function</span> <span style="color:#6f42c1">maxPool2dBackward</span>');
    expect(text(out.data["text/plain"])).toBe(`// lib/src/scratch/conv.ts:${sourceOf("maxPool2dBackward").line}\n${sourceOf("maxPool2dBackward").code}`);
  }, 120_000);
});

/**
 * The shape of scripts/: no import cycles among the tools' files, no library (scripts/lib/) importing a
 * command line, every command line parsing its arguments with node:util parseArgs through
 * scripts/lib/command.ts; and the shared helper's check of the `reti` build.
 */
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { libBuildProblem, ROOT } from "../scripts/lib/command";

const scripts = path.join(ROOT, "scripts");
const files = [
  ...readdirSync(scripts).filter((f) => f.endsWith(".ts")).map((f) => path.join(scripts, f)),
  ...readdirSync(path.join(scripts, "lib")).filter((f) => f.endsWith(".ts")).map((f) => path.join(scripts, "lib", f)),
];

/** The scripts/ files a file imports (static, dynamic and type-only imports alike). */
function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.[^"']+)["']/g)].map((m) => m[1]!);
  return specs
    .map((s) => path.resolve(path.dirname(file), s) + ".ts")
    .filter((f) => f.startsWith(scripts + path.sep) && files.includes(f));
}

const rel = (f: string) => path.relative(ROOT, f);

describe("scripts/", () => {
  it("has no import cycles", () => {
    const graph = new Map(files.map((f) => [f, localImports(f)]));
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      if (stack.includes(f)) {
        cycles.push([...stack.slice(stack.indexOf(f)), f].map(rel).join(" → "));
        return;
      }
      for (const g of graph.get(f) ?? []) visit(g, [...stack, f]);
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("libraries (scripts/lib/) import no command line", () => {
    const bad = files
      .filter((f) => path.dirname(f) === path.join(scripts, "lib"))
      .flatMap((f) => localImports(f).filter((g) => path.dirname(g) === scripts).map((g) => `${rel(f)} imports ${rel(g)}`));
    expect(bad).toEqual([]);
  });

  it("the commands this branch reshaped parse arguments through the shared helper (parseArgs), with no copy of the runner", () => {
    for (const name of ["notebooks", "figures", "html", "lab"]) {
      const text = readFileSync(path.join(scripts, `${name}.ts`), "utf8");
      expect(text, name).toMatch(/from "\.\/lib\/command"/);
      expect(text, name).not.toMatch(/process\.argv\[|argv\[i\]/);
    }
    for (const gone of ["kernel.ts", "runner.ts", "nbformat.ts"]) expect(files.map((f) => path.basename(f))).not.toContain(gone);
  });
});

describe("libBuildProblem", () => {
  it("says to build when lib/dist is missing or older than lib/src, and nothing when it is fresh", async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "reti-lib-"));
    await fs.mkdir(path.join(tmp, "lib", "src"), { recursive: true });
    await fs.mkdir(path.join(tmp, "node_modules"), { recursive: true });
    await fs.symlink(path.join(tmp, "lib"), path.join(tmp, "node_modules", "reti"));
    await fs.writeFile(path.join(tmp, "lib", "src", "index.ts"), "export {};\n");
    expect(await libBuildProblem(tmp)).toMatch(/is not built .*run `npm run build`/);
    await fs.mkdir(path.join(tmp, "lib", "dist"));
    await fs.writeFile(path.join(tmp, "lib", "dist", "index.js"), "");
    expect(await libBuildProblem(tmp)).toBeNull();
    const later = new Date(Date.now() + 10_000);
    await fs.utimes(path.join(tmp, "lib", "src", "index.ts"), later, later);
    expect(await libBuildProblem(tmp)).toMatch(/stale \(lib\/src\/index\.ts is newer than lib\/dist\): run `npm run build`/);
    await fs.rm(tmp, { recursive: true, force: true });
  });
});

/**
 * The kernel preload's reuse of unchanged declaration files' builder state (src/builder-reuse.ts), on
 * tslab's own converter in this process: for a run of cells, every builder state the patched
 * `BuilderState.create` returns must equal the one TypeScript's own `create` builds from the same
 * program and old state, and most files must be reused.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builderReuseStats, reuseDeclarationReferences } from "../src/builder-reuse";

import { TSLAB_WATCH_ENV } from "../src/kernel";

// As in a kernel this package starts: TypeScript reads its watch settings when it loads.
Object.assign(process.env, TSLAB_WATCH_ENV);
const tslabDir = path.dirname(require.resolve("tslab/package.json"));
// tslab's own TypeScript, the module its converter uses.
const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] })) as {
  BuilderState: { create: (...args: unknown[]) => State };
};

interface PathMap {
  getValues(key: string): ReadonlySet<string> | undefined;
  keys(): IterableIterator<string>;
}
interface State {
  fileInfos: Map<string, { version: string; signature?: string; affectsGlobalScope?: boolean; impliedFormat?: unknown }>;
  referencedMap?: PathMap;
  exportedModulesMap?: PathMap;
  useFileVersionAsSignature?: boolean;
}

/** A builder state as plain data, map entries in order of path. */
function snapshot(state: State): unknown {
  const map = (m?: PathMap) => m && [...m.keys()].sort().map((k) => [k, [...(m.getValues(k) ?? [])].sort()]);
  return {
    fileInfos: [...state.fileInfos].map(([file, i]) => [file, i.version, i.signature, i.affectsGlobalScope, i.impliedFormat]),
    referencedMap: map(state.referencedMap),
    exportedModulesMap: map(state.exportedModulesMap),
    useFileVersionAsSignature: state.useFileVersionAsSignature,
  };
}

describe("builder state reuse (kernel preload fix 8)", () => {
  let dir = "";
  const cwd = process.cwd();
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "builder-reuse-"));
    const lib = path.join(dir, "node_modules", "shapes");
    await fs.mkdir(lib, { recursive: true });
    await fs.writeFile(path.join(lib, "package.json"), JSON.stringify({ name: "shapes", types: "index.d.ts" }));
    const parts = Array.from({ length: 20 }, (_, i) => `part${i}`);
    for (const [i, part] of parts.entries()) {
      await fs.writeFile(path.join(lib, `${part}.d.ts`), `${i > 0 ? `import { Part${i - 1} } from "./part${i - 1}";\n` : ""}export interface Part${i} { size: number${i > 0 ? `; inner: Part${i - 1}` : ""} }\n`);
    }
    await fs.writeFile(path.join(lib, "index.d.ts"), `${parts.map((p) => `export * from "./${p}";`).join("\n")}\nexport declare function area(x: number): number;\n`);
    // An ambient module declared in two packages: its references reach every file, so importing
    // the second one makes TypeScript compute every file again.
    for (const [name, unit] of [["units-a", "metre"], ["units-b", "second"]]) {
      const pkg = path.join(dir, "node_modules", name!);
      await fs.mkdir(pkg, { recursive: true });
      await fs.writeFile(path.join(pkg, "package.json"), JSON.stringify({ name, types: "index.d.ts" }));
      await fs.writeFile(path.join(pkg, "index.d.ts"), `declare module "units" { export const ${unit}: number; }\n`);
    }
    await fs.writeFile(path.join(dir, "helper.ts"), "export function twice(x: number): number {\n  return 2 * x;\n}\n");
    process.chdir(dir); // tslab's converter compiles cells in the current folder
  });
  afterAll(async () => {
    process.chdir(cwd);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("builds the same states as TypeScript's create, reusing the unchanged declarations", () => {
    const original = ts.BuilderState.create;
    expect(reuseDeclarationReferences(ts)).toBe(true);
    expect(reuseDeclarationReferences(ts)).toBe(true); // idempotent
    const patched = ts.BuilderState.create;
    expect(patched).not.toBe(original);
    const compared: number[] = [];
    ts.BuilderState.create = function (this: unknown, ...args: unknown[]) {
      // TypeScript's create first: the patched one updates the old state's maps in place.
      const expected = snapshot(original.apply(this, args));
      const actual = patched.apply(this, args);
      expect(snapshot(actual)).toEqual(expected);
      compared.push(actual.fileInfos.size);
      return actual;
    };
    try {
      const { createConverter } = require(path.join(tslabDir, "dist", "converter.js")) as {
        createConverter(): { convert(decls: string, src: string): { output?: string; declOutput?: string; diagnostics: { messageText: string }[]; sideOutputs?: { path: string }[] }; close(): void };
      };
      const converter = createConverter();
      let decls = "";
      const cell = (src: string) => {
        const out = converter.convert(decls, src);
        if (out.declOutput !== undefined) decls = out.declOutput;
        return out;
      };
      expect(cell("const one = 1;").diagnostics).toEqual([]);
      expect(cell(`import { area, type Part19 } from "shapes";\nconst p: Part19 | null = null;`).diagnostics).toEqual([]);
      const before = { ...builderReuseStats(ts)! };
      for (let i = 0; i < 5; i++) expect(cell(`const x${i} = ${i} * 2;\nx${i}`).diagnostics).toEqual([]);
      const after = builderReuseStats(ts)!;
      // Two programs a cell, each reusing every declaration file of the program.
      expect(after.incremental - before.incremental).toBe(10);
      expect(after.full).toBe(before.full);
      expect((after.reusedFiles - before.reusedFiles) / 10).toBeGreaterThan(20);
      // Types are still checked against the reused declarations.
      expect(cell(`const s: string = area(2);`).diagnostics.map((d) => d.messageText)).toEqual(["Type 'number' is not assignable to type 'string'."]);
      // A local module is still found as the cell's dependency, and emitted.
      const local = cell(`import { twice } from "./helper";\ntwice(21)`);
      expect(local.diagnostics).toEqual([]);
      expect(local.sideOutputs?.map((o) => path.basename(o.path))).toEqual(["helper.js"]);
      // A second declaration of an ambient module: TypeScript computes every file again, once.
      const full = after.full;
      expect(cell(`import "units-a";\nimport { metre } from "units";\nmetre`).diagnostics).toEqual([]);
      expect(cell(`import "units-b";\nimport { second } from "units";\nsecond`).diagnostics).toEqual([]);
      expect(builderReuseStats(ts)!.full).toBeGreaterThan(full);
      expect(cell(`const y = 3;`).diagnostics).toEqual([]);
      // A second converter (its own watch program) interleaved with the first: each reuses its own states.
      const other = createConverter();
      const incremental = builderReuseStats(ts)!.incremental;
      for (let i = 0; i < 3; i++) {
        expect(other.convert("", `import { area } from "shapes";\narea(${i})`).diagnostics).toEqual([]);
        expect(cell(`const z${i} = ${i};`).diagnostics).toEqual([]);
      }
      expect(builderReuseStats(ts)!.incremental - incremental).toBeGreaterThanOrEqual(10);
      other.close();
      converter.close();
      expect(compared.length).toBeGreaterThan(30);
    } finally {
      ts.BuilderState.create = patched;
    }
  }, 120_000);
});

/**
 * The lib's dependency rule (docs/architecture.md): each layer imports only the layers below it,
 * scratch/ and data/ never load TensorFlow.js, display/ sees only core/ and runtime/, and inside
 * tfjs/ only the bridge sees scratch/. Read from the sources' import statements.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "..", "lib", "src");

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  runtime: ["core"],
  data: ["core"],
  scratch: ["core", "data"],
  display: ["core", "runtime"],
  tfjs: ["core", "data", "display", "runtime"],
};
/** Packages that load TensorFlow.js. */
const TFJS = /^@tensorflow\//;
/** tfjs/ files allowed to import scratch/ as well: the one bridge. */
const BRIDGES = new Set(["tfjs/bridge.ts"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm), ...text.matchAll(/^\s*import\s+"([^"]+)"/gm)];
  return specs.map((m) => m[1]!);
}

/** Every violation as "file → import (why)". */
function layerViolations(src = SRC): string[] {
  const out: string[] = [];
  for (const file of sources(src)) {
    const rel = relative(src, file).split("\\").join("/");
    if (rel === "index.ts") continue;
    const layer = rel.split("/")[0]!;
    const allowed = ALLOWED[layer];
    if (allowed === undefined) {
      out.push(`${rel}: not in a layer (put it under ${Object.keys(ALLOWED).join("/, ")}/)`);
      continue;
    }
    for (const spec of importsOf(file)) {
      if (spec.startsWith(".")) {
        const target = relative(src, resolve(dirname(file), spec)).split("\\").join("/");
        const targetLayer = target.split("/")[0]!;
        if (targetLayer === layer) continue;
        const ok = allowed.includes(targetLayer) || (BRIDGES.has(rel) && targetLayer === "scratch");
        if (!ok) out.push(`${rel} → ${spec} (${layer}/ may not import ${targetLayer}/)`);
      } else if (TFJS.test(spec) && layer !== "tfjs") {
        out.push(`${rel} → ${spec} (only tfjs/ loads TensorFlow.js)`);
      }
    }
  }
  return out;
}

describe("the lib's layers", () => {
  it("every module imports only what its layer may", () => {
    expect(layerViolations()).toEqual([]);
  });

  it("the rule has teeth: a scratch module loading TensorFlow.js or display, a tfjs module seeing scratch, are caught", () => {
    const dir = mkdtempSync(join(tmpdir(), "reti-layers-"));
    for (const d of ["scratch", "tfjs", "display"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "scratch", "bad.ts"), 'import * as tf from "@tensorflow/tfjs";\nimport { show } from "../display/display";\n');
    writeFileSync(join(dir, "tfjs", "model.ts"), 'import { MLP } from "../scratch/mlp";\n');
    writeFileSync(join(dir, "tfjs", "bridge.ts"), 'import { MLP } from "../scratch/mlp";\n');
    writeFileSync(join(dir, "loose.ts"), "export const x = 1;\n");
    expect(layerViolations(dir).sort()).toEqual([
      "loose.ts: not in a layer (put it under core/, runtime/, data/, scratch/, display/, tfjs/)",
      "scratch/bad.ts → ../display/display (scratch/ may not import display/)",
      "scratch/bad.ts → @tensorflow/tfjs (only tfjs/ loads TensorFlow.js)",
      "tfjs/model.ts → ../scratch/mlp (tfjs/ may not import scratch/)",
    ]);
  });

  it("nothing at the top of lib/src but the barrel", () => {
    const loose = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isFile() && e.name !== "index.ts");
    expect(loose.map((e) => e.name)).toEqual([]);
  });
});

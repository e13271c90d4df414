import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { jupyterDataDir, kernelSpec, registerKernel } from "../scripts/lab";

describe("npm run lab: kernel registration", () => {
  it("the kernelspec runs the project's own tslab with this node and the runner's kernel preload, named for the course", () => {
    const spec = kernelSpec() as { argv: string[]; display_name: string; language: string };
    const modules = resolve(__dirname, "..", "node_modules");
    expect(spec.argv).toEqual([
      process.execPath,
      "-r",
      resolve(__dirname, "..", "packages", "nbconvert-ts-runner", "dist", "kernel-preload.js"),
      join(modules, "tslab", "bin", "tslab"),
      "kernel",
      "--config-path",
      "{connection_file}",
    ]);
    expect(spec.display_name).toBe("TypeScript (reti)");
    expect(spec.language).toBe("typescript");
  });

  it("finds Jupyter's per-user data directory as jupyter_core does", () => {
    expect(jupyterDataDir({ JUPYTER_DATA_DIR: "/x" }, "linux", "/home/u")).toBe("/x");
    expect(jupyterDataDir({}, "linux", "/home/u")).toBe("/home/u/.local/share/jupyter");
    expect(jupyterDataDir({ XDG_DATA_HOME: "/xdg" }, "linux", "/home/u")).toBe("/xdg/jupyter");
    expect(jupyterDataDir({}, "darwin", "/Users/u")).toBe("/Users/u/Library/Jupyter");
    expect(jupyterDataDir({ APPDATA: "C:/AppData" }, "win32", "C:/u")).toBe(join("C:/AppData", "jupyter"));
  });

  it("writes kernels/reti/kernel.json", () => {
    const dir = mkdtempSync(join(tmpdir(), "reti-lab-"));
    try {
      const file = registerKernel(dir);
      expect(file).toBe(join(dir, "kernels", "reti", "kernel.json"));
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(kernelSpec());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { hasDisplay, jupyterDataDir, kernelSpec, registerKernel } from "../scripts/lab";
import { withCourseConfig } from "../scripts/lib/kernelspec";
import { prepareWorkspace } from "../scripts/lib/workspace";

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

  it("puts the course's front-end settings (code lines wrap) first on JUPYTER_CONFIG_PATH, the user's config untouched", () => {
    const env = withCourseConfig({ JUPYTER_CONFIG_PATH: "/mine" });
    const [course, mine] = env.JUPYTER_CONFIG_PATH!.split(":");
    expect(mine).toBe("/mine");
    expect(course).toBe(resolve(__dirname, "..", "build", "jupyter-config"));
    expect(JSON.parse(readFileSync(join(course!, "nbconfig", "notebook.json"), "utf8"))).toEqual({ CodeCell: { cm_config: { lineWrapping: true } } });
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
      // ... and plotly.js where Jupyter serves it to the figures (nbextensions/reti/).
      expect(statSync(join(dir, "nbextensions", "reti", "plotly-cartesian-3.1.0.min.js")).size).toBeGreaterThan(1_000_000);
      // ... and beside the kernelspec (served as kernelspecs/reti/ by every Jupyter server, JupyterLab without nbclassic).
      expect(statSync(join(dir, "kernels", "reti", "plotly-cartesian-3.1.0.min.js")).size).toBeGreaterThan(1_000_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run lab -- --student: the student workspace", () => {
  it("copies the student release where there is one, other notebooks as they are, and keeps a student's work", async () => {
    const base = mkdtempSync(join(tmpdir(), "reti-student-"));
    try {
      const notebooks = join(base, "notebooks");
      const release = join(base, "release");
      const dir = join(base, "workspace");
      mkdirSync(notebooks);
      mkdirSync(release);
      writeFileSync(join(notebooks, "01_a.ipynb"), "instructor: // BEGIN SOLUTION");
      writeFileSync(join(release, "01_a.ipynb"), "student: stub");
      writeFileSync(join(notebooks, "02_b.ipynb"), "no exercises");
      expect(await prepareWorkspace(dir, { notebooks, release, overwrite: false })).toEqual(["01_a.ipynb", "02_b.ipynb"]);
      expect(readFileSync(join(dir, "01_a.ipynb"), "utf8")).toBe("student: stub");
      expect(readFileSync(join(dir, "02_b.ipynb"), "utf8")).toBe("no exercises");
      writeFileSync(join(dir, "01_a.ipynb"), "the student's answers");
      writeFileSync(join(notebooks, "03_c.ipynb"), "a new notebook");
      expect(await prepareWorkspace(dir, { notebooks, release, overwrite: false })).toEqual(["03_c.ipynb"]);
      expect(readFileSync(join(dir, "01_a.ipynb"), "utf8")).toBe("the student's answers");
      // A course update: an untouched notebook is replaced, a worked one keeps the student's work and gets the update beside it.
      writeFileSync(join(release, "01_a.ipynb"), "student: stub, fixed");
      writeFileSync(join(notebooks, "02_b.ipynb"), "no exercises, more text");
      expect(await prepareWorkspace(dir, { notebooks, release, overwrite: false })).toEqual(["01_a.updated.ipynb", "02_b.ipynb"]);
      expect(readFileSync(join(dir, "01_a.ipynb"), "utf8")).toBe("the student's answers");
      expect(readFileSync(join(dir, "01_a.updated.ipynb"), "utf8")).toBe("student: stub, fixed");
      expect(readFileSync(join(dir, "02_b.ipynb"), "utf8")).toBe("no exercises, more text");
      expect(await prepareWorkspace(dir, { notebooks, release, overwrite: false })).toEqual([]);
      // A notebook with exercises but no student release is never copied.
      writeFileSync(join(notebooks, "04_d.ipynb"), "// BEGIN SOLUTION");
      await expect(prepareWorkspace(dir, { notebooks, release, overwrite: false })).rejects.toThrow(/no student release/);
      expect(existsSync(join(dir, "04_d.ipynb"))).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it("starts no browser on a headless Linux server", () => {
    expect(hasDisplay({}, "linux")).toBe(false);
    expect(hasDisplay({ DISPLAY: ":0" }, "linux")).toBe(true);
    expect(hasDisplay({}, "darwin")).toBe(true);
  });
});

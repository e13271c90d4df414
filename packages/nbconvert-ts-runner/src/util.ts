/**
 * Small helpers the runner and the tools built on it share: one duration format, one glob expander, one folder check.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";

/**
 * A duration as people read it in a report: "0.4 s", "3 s", "12.3 s" (at most one decimal under
 * 100 s), "250 s", "4 min 05 s" from ten minutes on.
 */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 100) return `${+s.toFixed(1)} s`;
  if (s < 600) return `${Math.round(s)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}

/** Whether `dir` is a folder that exists (a kernel's working folder must be one). */
export async function isFolder(dir: string): Promise<boolean> {
  return fs.stat(dir).then((st) => st.isDirectory(), () => false);
}

/** Whether a pattern holds a glob character (`*`, `?` or `[`). */
export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** The regular expression for a glob relative to its base folder: `*`, `?`, `[...]`, `**` (any folders). */
function globRegex(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 1);
      if (close < 0) out += "\\[";
      else {
        out += `[${glob.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\/]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/**
 * The files a path or glob names, sorted: `*`, `?` and `[...]` within a name, `**` across folders
 * (e.g. `notebooks/*.ipynb`, `course/**\/*.ipynb`). A plain path is returned as is (existing or not:
 * reading it then says what is wrong).
 * Files inside `.ipynb_checkpoints` folders are left out.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  if (!isGlob(pattern)) return [pattern];
  const parts = pattern.split(/[/\\]/);
  const firstGlob = parts.findIndex(isGlob);
  const base = parts.slice(0, firstGlob).join("/") || (pattern.startsWith("/") ? "/" : ".");
  const rest = parts.slice(firstGlob).join("/");
  const regex = globRegex(rest);
  const deep = rest.includes("**") || rest.includes("/");
  let entries: string[];
  try {
    entries = deep
      ? (await fs.readdir(base, { recursive: true })).map((e) => e.split(path.sep).join("/"))
      : await fs.readdir(base);
  } catch {
    return [];
  }
  return entries
    .filter((e) => regex.test(e) && !e.split("/").includes(".ipynb_checkpoints"))
    .map((e) => (base === "." ? e : path.posix.join(base, e)))
    .sort();
}

/**
 * The files named by several paths and globs, in order, without repeats; `unmatched` lists the
 * globs that matched nothing.
 */
export async function expandGlobs(patterns: string[]): Promise<{ files: string[]; unmatched: string[] }> {
  const files: string[] = [];
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matched = await expandGlob(pattern);
    if (matched.length === 0) unmatched.push(pattern);
    for (const f of matched) if (!files.includes(f)) files.push(f);
  }
  return { files, unmatched };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

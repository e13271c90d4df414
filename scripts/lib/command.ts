/**
 * What every command line in scripts/ shares: the project root, arguments through `node:util`
 * `parseArgs` with one usage/--help/exit convention, the one glob expander and duration format (the
 * runner package's), and the course's check that the `reti` build is fresh before notebooks run.
 *
 *   const OPTIONS = { quick: { type: "boolean" }, ...HELP } as const;
 *   runCommand("figures", USAGE, async (argv) => {
 *     const { values, positionals } = parseCommand(argv, OPTIONS);
 *     ...
 *     return 0;
 *   });
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { sourceText, type Notebook } from "nbconvert-ts-runner";

export { expandGlobs, formatDuration } from "nbconvert-ts-runner";

/** The project's root folder (where package.json is). */
export const ROOT = path.resolve(__dirname, "..", "..");

/** The --help option every command has. */
export const HELP = { help: { type: "boolean", short: "h" } } as const;

/** A wrong command line: its message is printed above the usage, and the command exits with 2. */
export class UsageError extends Error {}

/** Asked for --help: the usage is printed and the command exits with 0. */
class HelpRequested extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `parseArgs` with positionals allowed; --help and unknown options end the command through runCommand. */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested();
  return parsed;
}

/** A positive number from an option's text (undefined when the option is absent). */
export function positiveNumber(text: string | undefined, option: string, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${option} needs a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/**
 * Runs a command line when its file is the program: `main` gets the arguments and resolves with the
 * exit status. Usage errors print the message and the usage (status 2), --help the usage (0);
 * Ctrl-C and SIGTERM exit (the runner package kills its kernels on exit) unless `exitOnSignal` is
 * false (a command that forwards them to a child).
 */
export function runCommand(name: string, usage: string, main: (argv: string[]) => Promise<number>, exitOnSignal = true): void {
  if (exitOnSignal) {
    process.on("SIGINT", () => process.exit(130));
    process.on("SIGTERM", () => process.exit(143));
  }
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof HelpRequested) {
        process.stdout.write(`${usage}\n`);
        process.exit(0);
      }
      if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${err.message}\n${usage}\n`);
        process.exit(2);
      }
      // The project's own errors (ChromiumMissingError, NotebookError, ...) say what to do: no stack.
      const own = err instanceof Error && !["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError"].includes(err.name);
      process.stderr.write(`${name}: ${err instanceof Error ? (own ? err.message : (err.stack ?? err.message)) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Whether a notebook imports the course's library `reti`. */
export function usesLib(nb: Notebook): boolean {
  return nb.cells.some((c) => c.cell_type === "code" && /\bfrom\s+["']reti["']|require\(\s*["']reti["']\s*\)/.test(sourceText(c.source)));
}

/**
 * Why notebooks importing "reti" cannot run yet, or null: lib/dist (what `node_modules/reti` resolves
 * to) is missing or older than lib/src. `npm ci` builds it (prepare); after editing lib/src run `npm run build`.
 */
export async function libBuildProblem(root = ROOT): Promise<string | null> {
  const src = path.join(root, "lib", "src");
  const dist = path.join(root, "node_modules", "reti", "dist");
  const newest = async (dir: string, ext: string): Promise<{ file: string; mtime: number } | null> => {
    let best: { file: string; mtime: number } | null = null;
    for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      const mtime = (await fs.stat(file)).mtimeMs;
      if (!best || mtime > best.mtime) best = { file, mtime };
    }
    return best;
  };
  try {
    await fs.access(path.join(dist, "index.js"));
  } catch {
    return `the lib is not built (${path.join(dist, "index.js")} is missing): run \`npm run build\``;
  }
  const [newestSrc, builtIndex] = await Promise.all([newest(src, ".ts"), fs.stat(path.join(dist, "index.js"))]);
  if (newestSrc && newestSrc.mtime > builtIndex.mtimeMs) {
    return `the lib build is stale (${path.relative(root, newestSrc.file)} is newer than lib/dist): run \`npm run build\``;
  }
  return null;
}

/**
 * nbformat 4 notebooks: the types, reading with clear errors, and atomic writing.
 * Shared by the runner, the exercise tools and the figure export.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";

/** A multi-line string as nbformat stores it: one string or a list of lines. */
export type MultilineString = string | string[];

/** An output of a code cell (nbformat 4). */
export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: MultilineString }
  | {
      output_type: "display_data";
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
      transient?: Record<string, unknown>;
    }
  | {
      output_type: "execute_result";
      execution_count: number | null;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** Metadata common to every cell; nbgrader's block is used by the exercise tools. */
export interface CellMetadata {
  tags?: string[];
  nbgrader?: NbgraderMetadata;
  execution?: Record<string, string>;
  [key: string]: unknown;
}

/** nbgrader's cell metadata (schema 3), see docs/architecture.md. */
export interface NbgraderMetadata {
  grade_id: string;
  solution: boolean;
  grade: boolean;
  locked: boolean;
  task?: boolean;
  points?: number;
  checksum?: string;
  schema_version?: number;
}

export interface CodeCell {
  cell_type: "code";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
  execution_count: number | null;
  outputs: Output[];
}

export interface TextCell {
  cell_type: "markdown" | "raw";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
  attachments?: Record<string, unknown>;
}

export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name: string; display_name: string; language?: string };
    language_info?: Record<string, unknown>;
    [key: string]: unknown;
  };
  cells: Cell[];
}

/** A notebook that cannot be used, with a message that names the file, the problem and the fix. */
export class NotebookError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "NotebookError";
  }
}

/** The source of a cell as one string. */
export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** A string split the way nbformat stores sources: lines that keep their "\n". */
export function toLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((line) => line.length > 0);
}

/** Checks the shape of parsed JSON and returns it as a Notebook, or throws NotebookError. */
export function asNotebook(json: unknown, file: string): Notebook {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new NotebookError(file, "not a notebook (the JSON is not an object)");
  }
  const nb = json as Partial<Notebook> & { nbformat?: unknown };
  if (nb.nbformat !== 4) {
    throw new NotebookError(
      file,
      `nbformat ${String(nb.nbformat)} is not supported: save it as nbformat 4 (JupyterLab does so by default)`,
    );
  }
  if (!Array.isArray(nb.cells)) throw new NotebookError(file, "has no cells list");
  for (const [i, cell] of nb.cells.entries()) {
    if (!["code", "markdown", "raw"].includes((cell as Cell)?.cell_type)) {
      throw new NotebookError(file, `cell ${i + 1} has an unknown cell_type ${JSON.stringify((cell as Cell)?.cell_type)}`);
    }
  }
  return nb as Notebook;
}

/** Reads and checks a notebook file; every failure is a NotebookError naming the file. */
export async function readNotebook(file: string): Promise<Notebook> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NotebookError(file, code === "ENOENT" ? "no such file" : `cannot be read (${code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NotebookError(file, `is not valid JSON (${(err as Error).message})`);
  }
  return asNotebook(json, file);
}

/** The notebook as Jupyter writes it: one-space indent, trailing newline. */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

/**
 * Writes a file atomically: to a temporary file in the same folder, then renamed over the target,
 * so an interrupted run never leaves a truncated file.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Writes a notebook atomically. */
export async function writeNotebook(file: string, nb: Notebook): Promise<void> {
  await writeFileAtomic(file, serializeNotebook(nb));
}

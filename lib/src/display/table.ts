/**
 * Small tables for the notebooks' prose: rows of named values rendered as a markdown table that
 * `show` displays (rendered in Jupyter, readable as text in a log). For data frames use nodejs-polars.
 * Notebooks 00–05 (notebooks 01–05 print their comparisons this way).
 */

/** One cell: a string (already formatted, may hold markdown or $math$) or a number (printed as is). */
export type TableCell = string | number | boolean;

/** Options of `table`. */
export interface TableOptions {
  /** The columns, in order (default: the first row's keys). */
  columns?: string[];
  /** Alignment per column (default: right for columns whose cells are all numbers, left otherwise). */
  align?: Record<string, "left" | "right" | "center">;
}

/** A cell as markdown: `|` escaped, line breaks as spaces. */
function cellText(v: TableCell | undefined): string {
  return String(v ?? "").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/**
 * A markdown table with one row per object of `rows` and one column per key, for `show(table(rows))`:
 * `table([{ optimizer: "SGD", accuracy: "91.2%" }, …])`. Notebooks 01–05 (comparisons in the text).
 */
export function table(rows: readonly Record<string, TableCell>[], options: TableOptions = {}): string {
  const columns = options.columns ?? Object.keys(rows[0] ?? {});
  if (columns.length === 0) throw new Error("table: no columns; give rows with named values or options.columns");
  for (const [i, row] of rows.entries()) {
    const missing = columns.filter((c) => !(c in row));
    if (missing.length > 0) throw new Error(`table: row ${i} has no ${missing.map((c) => `"${c}"`).join(", ")}`);
  }
  const rule = columns.map((c) => {
    const numeric = rows.length > 0 && rows.every((r) => typeof r[c] === "number");
    const align = options.align?.[c] ?? (numeric ? "right" : "left");
    return align === "right" ? "---:" : align === "center" ? ":---:" : "---";
  });
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(columns.map((c) => cellText(c))), `|${rule.join("|")}|`, ...rows.map((r) => line(columns.map((c) => cellText(r[c]))))].join("\n");
}

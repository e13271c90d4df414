/**
 * The verdict, in the grader's own process: a graded cell earns its points only when every check of
 * the reference run has a probe of the student's run at the same site, in the same order, whose value
 * passes against the reference's expected value (with the reference's options), and the student's
 * cell ran to its end. Nothing the student's kernel prints is trusted beyond being a claimed value:
 * values are decoded with size and depth limits and compared with the course's own `checkClose`.
 * Feedback is written here: which check failed and, for visible checks, the student's value against
 * the expected one; for hidden checks only that one failed; for the student's errors the class and a
 * capped first line. Serves every lecture's exercises.
 */
import { CheckError, checkClose, type CloseOptions } from "../../../lib/src/core/check";
import { notDoneMessage } from "../regions";
import { PROBE_PREFIX, type Site } from "./probes";
import type { WorkerCell } from "./worker";

/** What the reference run recorded at one site (one call; sites in loops record several). */
export interface RefRecord {
  site: string;
  a: unknown;
  b: unknown;
  msg: string;
  opts: unknown;
}

/** A student's probe: the value their kernel claims. */
export interface ProbeRecord {
  site: string;
  value: unknown;
}

const MAX_DEPTH = 48;
const MAX_ITEMS = 2_000_000;

/** Decodes a value as the kernel's encoder wrote it; throws on anything else (too deep, too big, odd tags). */
export function decodeValue(x: unknown): unknown {
  let items = 0;
  const dec = (v: unknown, depth: number): unknown => {
    if (++items > MAX_ITEMS) throw new Error("too many values");
    if (depth > MAX_DEPTH) throw new Error("nested too deeply");
    if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
    if (Array.isArray(v)) return v.map((e) => dec(e, depth + 1));
    if (typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.$ === "string") {
        switch (o.$) {
          case "NaN": return NaN;
          case "Infinity": return Infinity;
          case "-Infinity": return -Infinity;
          case "-0": return -0;
          case "undefined": return undefined;
          case "bigint": return typeof o.v === "string" && /^-?\d{1,400}$/.test(o.v) ? BigInt(o.v) : undefined;
          default: return { unsupported: o.$.slice(0, 40) };
        }
      }
      if (o.$o && typeof o.$o === "object" && !Array.isArray(o.$o)) {
        const out: Record<string, unknown> = Object.create(null);
        for (const [k, e] of Object.entries(o.$o as Record<string, unknown>)) out[k] = dec(e, depth + 1);
        return out;
      }
    }
    throw new Error("not a value the grader's encoder writes");
  };
  return dec(x, 0);
}

/** The probe lines of a cell's stdout, parsed; malformed lines are skipped (they are claims anyway). */
export function parseRecords<T extends { site: string }>(stdout: string): T[] {
  const out: T[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith(PROBE_PREFIX)) continue;
    try {
      const r = JSON.parse(line.slice(PROBE_PREFIX.length)) as T;
      if (r && typeof r === "object" && typeof r.site === "string") out.push(r);
    } catch {
      // not a record
    }
  }
  return out;
}

function isNested(v: unknown, depth = 0): boolean {
  if (typeof v === "number") return true;
  return depth < MAX_DEPTH && Array.isArray(v) && v.every((e) => isNested(e, depth + 1));
}

/** A value for a feedback line: numbers and arrays of numbers, shortened; anything else by its kind. */
export function showValue(v: unknown): string {
  let s: string;
  if (typeof v === "number") s = String(+v.toPrecision(8));
  else if (isNested(v)) s = JSON.stringify(v, (_k, x) => (typeof x === "number" && Number.isFinite(x) ? +x.toPrecision(6) : typeof x === "number" ? String(x) : x));
  else if (typeof v === "boolean" || v === null || v === undefined) s = String(v);
  else s = `a ${Array.isArray(v) ? "list" : typeof v}`;
  return s.length > 120 ? s.slice(0, 117) + "..." : s;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case "===": return Object.is(a, b) || a === b;
    case "!==": return !(Object.is(a, b) || a === b);
    // eslint-disable-next-line eqeqeq
    case "==": return a == b;
    // eslint-disable-next-line eqeqeq
    case "!=": return a != b;
    case "<": return (a as number) < (b as number);
    case "<=": return (a as number) <= (b as number);
    case ">": return (a as number) > (b as number);
    case ">=": return (a as number) >= (b as number);
    default: return false;
  }
}

/** The outcome of one site: passed, or the feedback line (never hidden test text). */
export function judgeSite(site: Site, ref: RefRecord, claimed: unknown, forcedBool: boolean): { ok: boolean; feedback: string } {
  const fail = (visibleText: string) => ({ ok: false, feedback: site.hidden ? "a hidden test failed" : visibleText });
  let value: unknown;
  try {
    value = decodeValue(claimed);
  } catch (err) {
    return fail(`check failed: ${ref.msg}: your value could not be read (${(err as Error).message})`);
  }
  const msg = String(ref.msg).slice(0, 300);
  if (site.form === "close") {
    let expected: unknown;
    let opts: unknown;
    try {
      expected = decodeValue(ref.b);
      opts = decodeValue(ref.opts);
    } catch {
      return { ok: false, feedback: "the reference value could not be read (tell your instructor)" };
    }
    if (!isNested(value)) return fail(`check failed: ${msg}: your value is ${showValue(value)}, not a number or an array of numbers`);
    const o = opts && typeof opts === "object" ? (opts as Record<string, unknown>) : {};
    const options: CloseOptions = {};
    if (typeof o.atol === "number") options.atol = o.atol;
    if (typeof o.rtol === "number") options.rtol = o.rtol;
    try {
      checkCloseQuiet(value as number, expected as number, msg, options);
      return { ok: true, feedback: "passed" };
    } catch (err) {
      const first = err instanceof CheckError ? err.message.split("\n")[0]! : "check failed";
      return fail(`${first.slice(0, 300)}; your value ${showValue(value)}, expected ${showValue(expected)}`);
    }
  }
  if (site.form === "compare" && !forcedBool) {
    let a = value;
    let b: unknown;
    try {
      if (site.bothSides) {
        if (!Array.isArray(value) || value.length !== 2) return fail(`check failed: ${msg}`);
        [a, b] = value;
      } else b = decodeValue(ref.b);
    } catch {
      return { ok: false, feedback: "the reference value could not be read (tell your instructor)" };
    }
    if (typeof a === "object" && a !== null) return fail(`check failed: ${msg}: your value is ${showValue(a)}`);
    return compare(site.op!, a, b) ? { ok: true, feedback: "passed" } : fail(`check failed: ${msg}: your value ${showValue(a)}${site.op === "===" || site.op === "==" ? `, expected ${showValue(b)}` : ""}`);
  }
  return value === true ? { ok: true, feedback: "passed" } : fail(`check failed: ${msg}`);
}

/** checkClose without its "✓" line on stdout. */
function checkCloseQuiet(actual: number, expected: number, label: string, options: CloseOptions): void {
  const log = console.log;
  console.log = () => undefined;
  try {
    checkClose(actual, expected, label, options);
  } finally {
    console.log = log;
  }
}

/** Text that must never reach a student: hidden-test lines and the grader's own names. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text.replace(/RETI-PROBE|RETI_\w*/g, "…");
  for (const s of secrets) if (s.length >= 6 && out.includes(s)) out = out.split(s).join("…");
  return out;
}

/** Why a student's cell failed, for them: the stub, a limit, or their error's class and first line. */
export function errorFeedback(cell: WorkerCell | undefined, solutionIds: ReadonlySet<string>, inHidden: boolean): string {
  if (!cell || cell.status === "not-run") return cell?.error?.startsWith("not run") ? cell.error.slice(0, 120) : "not run";
  if (cell.status === "timeout") return "stopped: the run took longer than the limit (look for an endless loop)";
  if (cell.status === "died") return `the kernel stopped while the tests ran (${/memory|heap|Allocation/i.test(cell.error ?? "") ? "out of memory" : "the process ended"})`;
  const text = `${cell.evalue ?? ""}\n${cell.error ?? ""}`;
  const stub = new RegExp(`${notDoneMessage("")}([\\w-]{1,80})`).exec(text);
  if (stub && solutionIds.has(stub[1]!)) return `not done yet: ${stub[1]} still has the stub`;
  const ename = /^[A-Za-z_$][\w$]{0,40}$/.test(cell.ename ?? "") ? cell.ename! : "Error";
  if (inHidden) return `${ename} in a hidden test`;
  const first = (cell.evalue ?? "").split("\n")[0]!.slice(0, 160);
  if (/RETI_/.test(first)) return `${ename} (its message is withheld: it quotes the test code)`;
  return ename === "CompileError" ? `does not compile: ${first}` : `${ename}: ${first}`;
}

/**
 * The points of one graded cell: compares the student's probes with the reference records, in order.
 */
export function judgeCell(
  sites: ReadonlyMap<string, Site>,
  forcedBool: ReadonlySet<string>,
  refs: readonly RefRecord[],
  cell: WorkerCell | undefined,
  solutionIds: ReadonlySet<string>,
): { passed: boolean; feedback: string } {
  const probes = cell ? parseRecords<ProbeRecord>(cell.stdout) : [];
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const site = sites.get(ref.site);
    const probe = probes[i];
    if (!site) return { passed: false, feedback: "the tests could not be matched (tell your instructor)" };
    if (!probe || probe.site !== ref.site) {
      if (cell && cell.status !== "ok") return { passed: false, feedback: errorFeedback(cell, solutionIds, site.hidden) };
      return { passed: false, feedback: "the test did not run to its end" };
    }
    const r = judgeSite(site, ref, probe.value, forcedBool.has(site.id));
    if (!r.ok) return { passed: false, feedback: r.feedback };
  }
  if (!cell || cell.status !== "ok") {
    const last = refs.length > 0 ? sites.get(refs[refs.length - 1]!.site) : undefined;
    return { passed: false, feedback: errorFeedback(cell, solutionIds, last?.hidden ?? false) };
  }
  return { passed: true, feedback: "passed" };
}

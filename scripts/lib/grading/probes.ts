/**
 * Graded test cells split into what a student's kernel may see and what only the grader knows.
 *
 * Every `check(...)` / `checkClose(...)` call of a graded cell is a *site*. In the student's run a site
 * becomes a *probe*: the kernel evaluates only the actual value (e.g. `mean([0.5, 1.5, 4])`) and prints
 * it; the expected value, the tolerances and the message never reach that kernel, and declarations that
 * only feed expected values are left out. In the instructor's *reference* run (a separate, clean
 * kernel running the source notebook) the same site records the actual value, the expected value, the
 * options and the message, and still fails like the original check. The grader (verdict.ts) then
 * compares, in its own process, the student's actual values with the reference's expected ones.
 *
 * Site forms, from a site's first argument:
 * - close: `checkClose(actual, expected, label, options)`: the student sends `actual`.
 * - compare: `check(A op B, msg)` with op one of === !== == != < <= > >= (a literal on the left is
 *   moved right): the student sends A, and B too when op is an ordering and B is not a literal
 *   (then B depends on the run); the grader applies op with the reference's B otherwise.
 * - bool: any other condition: the student sends the whole condition. The verdict then rests on a
 *   boolean the student's kernel could forge: `release --validate` flags it (see forgeable()).
 * Serves every lecture's exercises.
 */
import ts from "@tslab/typescript-for-tslab";
import { MARKERS } from "../regions";

export type SiteForm = "close" | "compare" | "bool";

/** One check call of a graded cell. */
export interface Site {
  /** `<cell index>:<k>` (k: the k-th check call of the cell, in source order). */
  id: string;
  cell: number;
  form: SiteForm;
  /** For compare: the operator (after moving a literal to the right). */
  op?: string;
  /** For compare with an ordering: the student sends both sides. */
  bothSides?: boolean;
  /** Inside a hidden-test region. */
  hidden: boolean;
  /** 1-based line in the cell. */
  line: number;
  /** The check's text (for messages to the instructor only). */
  text: string;
  /** The text of what the student's kernel evaluates (secret too when hidden). */
  actualText?: string;
}

const COMPARE = new Set(["===", "!==", "==", "!=", "<", "<=", ">", ">="]);
const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
const ORDERING = new Set(["<", "<=", ">", ">="]);

function isLiteral(e: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isPrefixUnaryExpression(e) && (e.operator === ts.SyntaxKind.MinusToken || e.operator === ts.SyntaxKind.PlusToken)) return isLiteral(e.operand);
  return ts.isNumericLiteral(e) || ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) ||
    e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword ||
    (ts.isIdentifier(e) && (e.text === "undefined" || e.text === "NaN" || e.text === "Infinity"));
}

interface Call {
  node: ts.CallExpression;
  site: Site;
  actual: ts.Expression[];
  /** Everything only the grader may know: expected side, label, options. */
  secret: ts.Expression[];
  /** Reference thunks, in the original order of evaluation. */
  ref: { a: string; b?: string; msg?: string; opts?: string; cond?: string };
}

function hiddenLines(source: string): Set<number> {
  const lines = source.split("\n");
  const out = new Set<number>();
  let open = false;
  lines.forEach((l, i) => {
    if (new RegExp(`^\\s*//\\s*${MARKERS.beginHidden}\\s*$`).test(l)) open = true;
    else if (new RegExp(`^\\s*//\\s*${MARKERS.endHidden}\\s*$`).test(l)) open = false;
    else if (open) out.add(i + 1);
  });
  return out;
}

function findCalls(source: string, cell: number): { sf: ts.SourceFile; calls: Call[] } {
  const sf = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const hidden = hiddenLines(source);
  const calls: Call[] = [];
  const text = (n: ts.Node) => n.getText(sf);
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && (n.expression.text === "check" || n.expression.text === "checkClose")) {
      const args = n.arguments;
      const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      const id = `${cell}:${calls.length}`;
      const base = { id, cell, hidden: hidden.has(line), line, text: text(n).slice(0, 200) };
      if (args.some(ts.isSpreadElement) || args.length === 0) throw new Error(`cell ${cell + 1}, line ${line}: ${text(n).slice(0, 80)}: a check needs its arguments written out (no spread)`);
      if (n.expression.text === "checkClose") {
        if (args.length < 2) throw new Error(`cell ${cell + 1}, line ${line}: checkClose needs an actual and an expected value`);
        calls.push({
          node: n, site: { ...base, form: "close" }, actual: [args[0]!], secret: args.slice(1),
          ref: { a: text(args[0]!), b: text(args[1]!), msg: args[2] ? text(args[2]) : '""', opts: args[3] ? text(args[3]) : "undefined" },
        });
        return; // checks nested inside a check's arguments stay as they are
      }
      let cond: ts.Expression = args[0]!;
      while (ts.isParenthesizedExpression(cond)) cond = cond.expression;
      const msg = args[1] ? text(args[1]) : '""';
      if (ts.isBinaryExpression(cond) && COMPARE.has(cond.operatorToken.getText(sf))) {
        let op = cond.operatorToken.getText(sf);
        let [left, right] = [cond.left, cond.right];
        if (isLiteral(left) && !isLiteral(right)) {
          [left, right] = [right, left];
          op = FLIP[op] ?? op;
        }
        const bothSides = ORDERING.has(op) && !isLiteral(right);
        calls.push({
          node: n, site: { ...base, form: "compare", op, bothSides }, actual: bothSides ? [left, right] : [left], secret: bothSides ? args.slice(1) : [right, ...args.slice(1)],
          ref: { a: text(left), b: text(right), msg },
        });
        return;
      }
      calls.push({ node: n, site: { ...base, form: "bool" }, actual: [cond], secret: args.slice(1), ref: { a: text(cond), msg } });
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const c of calls) c.site.actualText = c.actual.map(text).join(", ");
  return { sf, calls };
}

/** The check sites of a graded cell's source (hidden tests included). */
export function sitesOf(source: string, cell: number): Site[] {
  return findCalls(source, cell).calls.map((c) => c.site);
}

function replaceRanges(source: string, edits: { from: number; to: number; text: string }[]): string {
  let out = source;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/** Names declared by variable statements whose every use lies in `secret` ranges: they feed expected values only. */
function secretOnlyStatements(sf: ts.SourceFile, calls: Call[]): ts.VariableStatement[] {
  const secretRanges = calls.flatMap((c) => c.secret.map((e) => [e.getStart(sf), e.getEnd()] as const));
  const inSecret = (pos: number) => secretRanges.some(([a, b]) => pos >= a && pos < b);
  const uses = new Map<string, number[]>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) uses.set(n.text, [...(uses.get(n.text) ?? []), n.getStart(sf)]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const out: ts.VariableStatement[] = [];
  const walk = (n: ts.Node): void => {
    if (ts.isVariableStatement(n)) {
      const names = n.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name] : []));
      if (names.length === n.declarationList.declarations.length && names.length > 0 &&
        names.every((id) => (uses.get(id.text) ?? []).filter((p) => p !== id.getStart(sf)).every(inSecret) && (uses.get(id.text) ?? []).length > 1)) {
        out.push(n);
        return;
      }
    }
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

/** The helper cell run first in a student's kernel: defines the probe printer. */
export const PROBE_PREFIX = "RETI-PROBE ";

const ENCODER = `const RETI_enc = (v: any, d: number = 0): any => {
  if (typeof v === "number") return Number.isFinite(v) ? (Object.is(v, -0) ? { $: "-0" } : v) : { $: String(v) };
  if (typeof v === "string") return v.length > 10000 ? v.slice(0, 10000) : v;
  if (typeof v === "boolean" || v === null) return v;
  if (v === undefined) return { $: "undefined" };
  if (typeof v === "bigint") return { $: "bigint", v: String(v) };
  if (d > 40) return { $: "deep" };
  if (typeof v === "object" && (Array.isArray(v) || ArrayBuffer.isView(v))) {
    const n = Math.min((v as any).length, 1000000);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = RETI_enc((v as any)[i], d + 1);
    return out;
  }
  if (typeof v === "object") {
    const o: any = {};
    for (const k of Object.keys(v).slice(0, 1000)) o[k] = RETI_enc(v[k], d + 1);
    return { $o: o };
  }
  return { $: typeof v };
};
const RETI_print = (r: any): void => { console.log("\\n${PROBE_PREFIX}" + JSON.stringify(r)); };`;

export function probeHelperCell(): string {
  return `// Added by the grader.\n${ENCODER}\nfunction RETI_probe(site: string, f: () => any): void { RETI_print({ site, value: RETI_enc(f()) }); }`;
}

/** The helper cell of the reference run: records everything, then fails like the original check. */
export function referenceHelperCell(): string {
  return `// Added by the grader.
import { check as RETI_check, checkClose as RETI_checkClose } from "reti";
${ENCODER}
function RETI_ref(site: string, form: string, op: string, a: () => any, b: () => any, msg: () => any, opts: () => any): void {
  const av = a();
  const bv = b();
  const m = String(msg());
  const o = opts();
  RETI_print({ site, a: RETI_enc(av), b: RETI_enc(bv), msg: m.slice(0, 300), opts: RETI_enc(o) });
  if (form === "close") RETI_checkClose(av, bv, m, o);
  else if (form === "bool") RETI_check(av, m);
  else {
    const ok = op === "===" ? av === bv : op === "!==" ? av !== bv : op === "==" ? av == bv : op === "!=" ? av != bv :
      op === "<" ? av < bv : op === "<=" ? av <= bv : op === ">" ? av > bv : av >= bv;
    RETI_check(ok, m);
  }
}`;
}

/**
 * The graded cell as the student's kernel runs it: each check replaced by its probe, declarations that
 * only feed expected values removed, comments (hidden-test markers included) dropped.
 * `forceBool`: sites to send as a whole condition (their reference B is an object: identity matters).
 */
export function studentTestCode(source: string, cell: number, forceBool: ReadonlySet<string> = new Set()): string {
  const { sf, calls } = findCalls(source, cell);
  const edits = calls.map((c) => {
    const t = (e: ts.Expression) => e.getText(sf);
    let body: string;
    if (forceBool.has(c.site.id) && c.site.form === "compare") body = `(${t(c.node.arguments[0]!)})`;
    else body = c.actual.length === 1 ? `(${t(c.actual[0]!)})` : `[${c.actual.map(t).join(", ")}]`;
    return { from: c.node.getStart(sf), to: c.node.getEnd(), text: `RETI_probe(${JSON.stringify(c.site.id)}, () => ${body})` };
  });
  for (const s of secretOnlyStatements(sf, calls)) edits.push({ from: s.getStart(sf), to: s.getEnd(), text: "" });
  const replaced = replaceRanges(source, edits);
  const printer = ts.createPrinter({ removeComments: true });
  return printer.printFile(ts.createSourceFile("cell.ts", replaced, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS));
}

/** The graded cell as the reference run executes it: each check records its values, then checks. */
export function referenceTestCode(source: string, cell: number): string {
  const { sf, calls } = findCalls(source, cell);
  const edits = calls.map((c) => {
    const r = c.ref;
    const thunk = (x: string | undefined) => `() => (${x ?? "undefined"})`;
    return {
      from: c.node.getStart(sf),
      to: c.node.getEnd(),
      text: `RETI_ref(${JSON.stringify(c.site.id)}, ${JSON.stringify(c.site.form)}, ${JSON.stringify(c.site.op ?? "")}, ${thunk(r.a)}, ${thunk(r.b)}, ${thunk(r.msg)}, ${thunk(r.opts)})`,
    };
  });
  return replaceRanges(source, edits);
}

/**
 * Why a site's verdict could be forged by a student who takes over their own kernel, or undefined:
 * its expected value is visible in the student release, or it rests on a boolean or a one-sided bound.
 */
export function forgeable(site: Site, forcedBool: boolean): string | undefined {
  if (site.form === "bool" || forcedBool) return "a bare boolean: the student's kernel could send true";
  if (site.form === "compare" && site.op && ORDERING.has(site.op)) return `a one-sided bound (${site.op}): the student's kernel could send an extreme value`;
  if (site.form === "compare" && (site.op === "!==" || site.op === "!=")) return `an inequality (${site.op}): any other value passes`;
  if (!site.hidden) return "visible in the student release: its expected value is known";
  return undefined;
}

/**
 * Code students read: `showSource(trainPerceptron)` shows the TypeScript source of a lib symbol in the
 * notebook, syntax-highlighted, read from the one copy in lib/src (the package ships it: reti/src
 * beside reti/dist). A small dependency-free tokenizer finds where the declaration ends and colours
 * it. Notebooks 01, 03 and 05 (the perceptron update, `Value.backward`, the dense layer's backward
 * pass, the convolution and max pooling's backward pass).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { displayBundle } from "../runtime/tslab";
import { escapeHtml } from "./display";

// ---------------------------------------------------------------------------------------------
// Tokens

/** The kinds of token the highlighter colours. */
export type TokenKind = "comment" | "string" | "regex" | "number" | "keyword" | "type" | "function" | "name" | "punct" | "space";

/** One token of TypeScript source: its kind and its text (the texts of all tokens give back the source). */
export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set(
  ("abstract as async await break case catch class const continue declare default delete do else enum export extends false finally " +
    "for from function get if implements import in instanceof interface keyof let new null of override private protected public readonly " +
    "return set static super switch this throw true try type typeof undefined var void while yield").split(" "),
);
const TYPES = new Set("number string boolean unknown never any object bigint symbol".split(" "));
/** After these tokens a `/` starts a regular expression, not a division. */
const REGEX_AFTER = new Set(["(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^", "return", "typeof", "case", "=>", "&&", "||", "??"]);

/**
 * Splits TypeScript source into tokens (comments, strings and template literals with their `${}`
 * parts, regular expressions, numbers, keywords, names, punctuation, white space), losslessly.
 * Notebooks 01, 03, 05 (code students read).
 */
export function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let lastSignificant = "";
  /** Open template literals: the brace depth at which each `${` started. */
  const templates: number[] = [];
  let braces = 0;
  const push = (kind: TokenKind, text: string) => {
    out.push({ kind, text });
    if (kind !== "space" && kind !== "comment") lastSignificant = text;
    i += text.length;
  };
  /** A template literal's text from i (just after "`" or "}") to its end or its next "${". */
  const templatePart = (start: number): string => {
    let j = start;
    while (j < source.length) {
      if (source[j] === "\\") j += 2;
      else if (source[j] === "`") return source.slice(i, j + 1);
      else if (source[j] === "$" && source[j + 1] === "{") {
        templates.push(braces);
        return source.slice(i, j + 2);
      } else j++;
    }
    return source.slice(i);
  };
  while (i < source.length) {
    const rest = source.slice(i);
    const c = source[i]!;
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) push("space", m[0]);
    else if (rest.startsWith("//")) push("comment", /^\/\/[^\n]*/.exec(rest)![0]);
    else if (rest.startsWith("/*")) {
      const end = source.indexOf("*/", i + 2);
      push("comment", end < 0 ? rest : source.slice(i, end + 2));
    } else if (c === '"' || c === "'") push("string", (new RegExp(`^${c}(?:\\\\.|[^${c}\\\\\\n])*${c}?`).exec(rest) ?? [c])[0]);
    else if (c === "`") push("string", templatePart(i + 1));
    else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === braces) {
      templates.pop();
      push("string", templatePart(i + 1));
    } else if (c === "/" && (REGEX_AFTER.has(lastSignificant) || lastSignificant === "") && (m = /^\/(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n[])+\/[a-z]*/.exec(rest))) {
      push("regex", m[0]);
    } else if ((m = /^(?:0[xXbBoO][\da-fA-F_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?n?)/.exec(rest)) && /[\d.]/.test(c)) {
      push("number", m[0]);
    } else if ((m = /^[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*/.exec(rest))) {
      const word = m[0];
      const next = /^\s*(\S)/.exec(source.slice(i + word.length))?.[1];
      const kind: TokenKind = KEYWORDS.has(word)
        ? "keyword"
        : TYPES.has(word) || /^[A-Z]/.test(word)
          ? "type"
          : next === "(" && lastSignificant !== "."
            ? "function"
            : "name";
      push(kind, word);
    } else {
      const op = /^(?:=>|\?\?=?|\?\.|\.\.\.|&&=?|\|\|=?|\*\*=?|[=!]==?|[<>]=?|[-+*/%&|^]=?|\+\+|--)/.exec(rest)?.[0] ?? c;
      if (op === "{") braces++;
      else if (op === "}") braces--;
      push("punct", op);
    }
  }
  return out;
}

const COLORS: Record<TokenKind, string | null> = {
  comment: "#6a737d",
  string: "#032f62",
  regex: "#032f62",
  number: "#005cc5",
  keyword: "#d73a49",
  type: "#6f42c1",
  function: "#6f42c1",
  name: "#24292e",
  punct: null,
  space: null,
};

/**
 * TypeScript source as HTML: one `<span style="color:…">` per coloured token (GitHub's light
 * palette), everything escaped; put it in a `<pre>`. Notebooks 01, 03, 05 (code students read).
 */
export function highlightTs(source: string): string {
  return tokenize(source)
    .map((t) => {
      const color = COLORS[t.kind];
      const text = escapeHtml(t.text);
      return color === null ? text : `<span style="color:${color}${t.kind === "comment" ? ";font-style:italic" : ""}">${text}</span>`;
    })
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Finding a declaration

/** The lib's TypeScript sources: lib/src when running from it, else ../../src beside dist/display. */
export function libSourceDir(): string | null {
  for (const dir of [resolve(__dirname, ".."), resolve(__dirname, "..", "..", "src")]) {
    if (existsSync(join(dir, "index.ts"))) return dir;
  }
  return null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []))
    .sort();
}

/** Where a declaration ends: the `;` at bracket depth 0, or a `}` that closes depth 0 at the end of a line. */
function declarationEnd(text: string, start: number): number {
  let depth = 0;
  let pos = start;
  const tokens = tokenize(text.slice(start));
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    pos += t.text.length;
    if (t.kind !== "punct") continue;
    if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
    else if (t.text === ")" || t.text === "]" || t.text === "}") {
      depth--;
      if (depth === 0 && t.text === "}") {
        const after = tokens[k + 1];
        if (after === undefined || (after.kind === "space" && after.text.includes("\n"))) return pos;
      }
    } else if (t.text === ";" && depth === 0) return pos;
  }
  return text.length;
}

const MODIFIERS = "(?:export\\s+)?(?:default\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?";
const MEMBER_MODIFIERS = "(?:(?:public|private|protected|static|readonly|override|abstract|async|get|set)\\s+)*";

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The start of the doc comment right above `index` (or `index` when there is none). */
function withDocComment(text: string, index: number): number {
  const before = text.slice(0, index);
  const m = /\/\*\*(?:[^*]|\*(?!\/))*\*\/[ \t]*\n[ \t]*$/.exec(before);
  if (!m) return index;
  return before.lastIndexOf("\n", m.index) + 1;
}

/** A declaration found in the lib's sources. */
export interface SourceExcerpt {
  /** What was asked for, e.g. "trainPerceptron" or "Value.backward". */
  name: string;
  /** The file, relative to lib/src, e.g. "scratch/perceptron.ts". */
  file: string;
  /** The 1-based line where the excerpt starts. */
  line: number;
  /** The declaration's source, with its doc comment unless `docs: false`. */
  code: string;
}

/** Options of `sourceOf` and `showSource`. */
export interface SourceOptions {
  /** Only look in files whose path (relative to lib/src) contains this, e.g. "backprop" or "scratch/conv". */
  file?: string;
  /** Include the doc comment above the declaration (default true). */
  docs?: boolean;
}

/** The name of a function or class, or the string itself. */
function symbolName(symbol: string | ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown)): string {
  const name = typeof symbol === "string" ? symbol : symbol.name;
  if (!name) throw new Error("sourceOf: this function has no name; pass the symbol's name as a string, e.g. \"trainPerceptron\"");
  return name;
}

/**
 * Finds the declaration of `symbol` in the lib's sources: a function, class, interface, type or
 * constant by name (or the function or class itself), or a class member as "Class.member". Throws
 * when it is not there, or is declared in several files (then pass `options.file`).
 * Notebooks 01, 03, 05 (code students read).
 */
export function sourceOf(symbol: string | ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown), options: SourceOptions = {}): SourceExcerpt {
  const name = symbolName(symbol);
  const dir = libSourceDir();
  if (dir === null) throw new Error(`sourceOf: the lib's TypeScript sources are not installed beside it (looked for src/index.ts next to ${__dirname})`);
  const [top, member] = name.split(".", 2) as [string, string | undefined];
  const declaration = new RegExp(`^${MODIFIERS}(?:function\\*?|class|interface|type|const|let|var|enum)\\s+${escapeRegex(top)}\\b`, "m");
  const found: { file: string; text: string; index: number }[] = [];
  for (const path of sourceFiles(dir)) {
    const file = relative(dir, path).split("\\").join("/");
    if (options.file !== undefined && !file.includes(options.file)) continue;
    const text = readFileSync(path, "utf8");
    const m = declaration.exec(text);
    if (m) found.push({ file, text, index: m.index });
  }
  if (found.length === 0) throw new Error(`sourceOf: no declaration of "${top}" in lib/src${options.file ? ` files matching "${options.file}"` : ""}`);
  if (found.length > 1) {
    throw new Error(`sourceOf: "${top}" is declared in ${found.map((f) => f.file).join(", ")}; choose one with { file: "…" }`);
  }
  const { file, text } = found[0]!;
  let start = found[0]!.index;
  let end = declarationEnd(text, start);
  if (member !== undefined) {
    const body = text.slice(start, end);
    const m = new RegExp(`^([ \\t]+)${MEMBER_MODIFIERS}${escapeRegex(member)}\\s*[(<:=?!]`, "m").exec(body);
    if (!m) throw new Error(`sourceOf: "${top}" in ${file} has no member "${member}"`);
    start += m.index;
    end = declarationEnd(text, start);
  }
  if (options.docs !== false) start = withDocComment(text, start);
  const line = text.slice(0, start).split("\n").length;
  const lines = text.slice(start, end).split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length));
  return { name, file, line, code: lines.map((l) => l.slice(indent)).join("\n") };
}

/**
 * Shows the TypeScript source of a lib symbol in the notebook, syntax-highlighted, with the file and
 * line it comes from: `showSource(trainPerceptron)`, `showSource("Value.backward")`,
 * `showSource(backprop.denseBackward)`. Outside a kernel it prints the plain source. If the sources
 * are not installed (a runtime with only the compiled lib), it says so instead of failing.
 * Notebooks 01, 03, 05 (the algorithms the lectures derive, as the lib runs them).
 */
export function showSource(symbol: string | ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown), options: SourceOptions = {}): void {
  const name = symbolName(symbol);
  if (libSourceDir() === null) {
    displayBundle({ data: { "text/plain": `[the source of ${name} is in lib/src, which is not installed here]` }, metadata: {} });
    return;
  }
  const s = sourceOf(name, options);
  const where = `lib/src/${s.file}:${s.line}`;
  const html =
    `<div class="reti-source"><div style="font-size:smaller;color:#555;margin-bottom:2px">${escapeHtml(s.name)} — ${escapeHtml(where)}</div>` +
    `<pre style="background:#f6f8fa;padding:8px 10px;border-radius:4px;overflow-x:auto;line-height:1.4;font-size:12.5px"><code>${highlightTs(s.code)}</code></pre></div>`;
  displayBundle({ data: { "text/html": html, "text/plain": `// ${where}\n${s.code}` }, metadata: {} });
}

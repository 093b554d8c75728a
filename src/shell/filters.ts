import type { ToolOutput } from "../dns/format/output.js";

/**
 * The text filters a lesson pipes kubectl's output into: `grep`, `head`, `tail` and `wc`, as GNU
 * coreutils and grep behave on stdin (the lab shell has no files). Options they do not know are
 * refused in the tool's own words, with its usage status (2 for grep, 1 for the others).
 */

/** A filter: arguments and stdin in, output out. */
export type Filter = (args: readonly string[], stdin: string) => ToolOutput;

/** The lines of a text, without their newlines (a last line without one still counts). */
function lines(text: string): string[] {
  if (text === "") return [];
  const all = text.split("\n");
  if (all[all.length - 1] === "") all.pop();
  return all;
}

const joined = (ls: readonly string[]): string => ls.map((l) => `${l}\n`).join("");

/**
 * A POSIX basic regular expression as a JavaScript one: in a BRE `+ ? | ( ) { }` are literal
 * and their backslashed forms are operators (GNU's extension), the reverse of an ERE's.
 */
function fromBasic(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) {
      const next = pattern[++i]!;
      out += "+?|(){}".includes(next) ? next : `\\${next}`;
    } else out += "+?|(){}".includes(c) ? `\\${c}` : c;
  }
  return out;
}

/** `grep [-i] [-v] [-E|-F] [-c] [-q] [-n] [-w] [-e PATTERN]... [PATTERN]` on stdin. */
export const grep: Filter = (args, stdin) => {
  const o = { i: false, v: false, E: false, F: false, c: false, q: false, n: false, w: false };
  const patterns: string[] = [];
  const words: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (a === "-e" || a === "--regexp") {
      const p = args[++k];
      if (p === undefined) return usage("grep", "option requires an argument -- 'e'", 2);
      patterns.push(p);
    } else if (a === "--ignore-case") o.i = true;
    else if (a === "--invert-match") o.v = true;
    else if (a === "--extended-regexp") o.E = true;
    else if (a.startsWith("-") && a.length > 1 && a !== "--") {
      for (const f of a.slice(1)) {
        if (!(f in o)) return usage("grep", `invalid option -- '${f}'`, 2);
        o[f as keyof typeof o] = true;
      }
    } else words.push(a);
  }
  if (patterns.length === 0) {
    const p = words.shift();
    if (p === undefined) return usage("grep", "no pattern given", 2);
    patterns.push(p);
  }
  if (words.length > 0) return { stdout: "", stderr: words.map((w) => `grep: ${w}: No such file or directory\n`).join(""), exitCode: 2 };
  let re: RegExp;
  try {
    const sources = patterns.map((p) => (o.F ? p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : o.E ? p : fromBasic(p)));
    const any = sources.map((s) => (o.w ? `(?<![\\w])(?:${s})(?![\\w])` : `(?:${s})`)).join("|");
    re = new RegExp(any, o.i ? "i" : "");
  } catch (e) {
    return { stdout: "", stderr: `grep: invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}\n`, exitCode: 2 };
  }
  const picked = lines(stdin).flatMap((line, n) => (re.test(line) !== o.v ? [o.n ? `${n + 1}:${line}` : line] : []));
  const exitCode = picked.length > 0 ? 0 : 1;
  if (o.q) return { stdout: "", stderr: "", exitCode };
  return { stdout: o.c ? `${picked.length}\n` : joined(picked), stderr: "", exitCode };
};

/** `-n N`, `-nN`, `--lines=N`, `-N`: how many lines head or tail keeps (10 by default). */
function lineCount(tool: string, args: readonly string[]): number | ToolOutput {
  let count = 10;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    let value: string | undefined;
    if (a === "-n" || a === "--lines") value = args[++k];
    else if (a.startsWith("--lines=")) value = a.slice(8);
    else if (/^-n./.test(a)) value = a.slice(2);
    else if (/^-\d+$/.test(a)) value = a.slice(1);
    else if (a.startsWith("-")) return usage(tool, `invalid option -- '${a.slice(1)}'`, 1);
    else return { stdout: "", stderr: `${tool}: cannot open '${a}' for reading: No such file or directory\n`, exitCode: 1 };
    if (value === undefined || !/^\d+$/.test(value)) return { stdout: "", stderr: `${tool}: invalid number of lines: '${value ?? ""}'\n`, exitCode: 1 };
    count = Number(value);
  }
  return count;
}

/** `head [-n N]`. */
export const head: Filter = (args, stdin) => {
  const n = lineCount("head", args);
  return typeof n === "number" ? { stdout: joined(lines(stdin).slice(0, n)), stderr: "", exitCode: 0 } : n;
};

/** `tail [-n N]`. */
export const tail: Filter = (args, stdin) => {
  const n = lineCount("tail", args);
  return typeof n === "number" ? { stdout: joined(n === 0 ? [] : lines(stdin).slice(-n)), stderr: "", exitCode: 0 } : n;
};

/** `wc [-l] [-w] [-c]`: one count alone as a bare number; several right-aligned in 7 columns, as GNU wc writes stdin's. */
export const wc: Filter = (args, stdin) => {
  const chosen = new Set<string>();
  for (const a of args) {
    const long: Readonly<Record<string, string>> = { "--lines": "l", "--words": "w", "--bytes": "c" };
    if (long[a]) chosen.add(long[a]);
    else if (/^-[lwc]+$/.test(a)) for (const f of a.slice(1)) chosen.add(f);
    else if (a.startsWith("-")) return usage("wc", `invalid option -- '${a.slice(1)}'`, 1);
    else return { stdout: "", stderr: `wc: ${a}: No such file or directory\n`, exitCode: 1 };
  }
  const counts = { l: (stdin.match(/\n/g) ?? []).length, w: stdin.split(/\s+/).filter(Boolean).length, c: new TextEncoder().encode(stdin).length };
  const order = (["l", "w", "c"] as const).filter((f) => chosen.size === 0 || chosen.has(f));
  const stdout = order.length === 1 ? `${counts[order[0]!]}\n` : `${order.map((f) => String(counts[f]).padStart(7)).join(" ")}\n`;
  return { stdout, stderr: "", exitCode: 0 };
};

function usage(tool: string, problem: string, exitCode: number): ToolOutput {
  return { stdout: "", stderr: `${tool}: ${problem}\nUsage: ${tool} [OPTION]...${tool === "grep" ? " PATTERNS" : ""}\n`, exitCode };
}

/** The filters by name. */
export const FILTERS: Readonly<Record<string, Filter>> = { grep, head, tail, wc };

/**
 * kubectl's `-o jsonpath=TEMPLATE`: client-go's `util/jsonpath` over the object as JSON, as
 * kubectl runs it (missing keys allowed, so a field that is not there prints nothing). Literal
 * text outside `{}`; inside, paths (`.a.b`, `..name`, `.*`, `['key']`, `[0]`, `[-1]`, `[1:3]`,
 * `[*]`, `[0,2]`, filters `[?(@.type=="Ready")]` with `==`, `!=`, `<`, `>`, `<=`, `>=` or a bare
 * path for existence), quoted text (`{"\n"}`), and `{range PATH}...{end}`. Several results of
 * one path are joined by spaces; strings print as they are, maps and lists as compact JSON
 * (keys sorted, as Go's encoder writes them). Errors are the parser's and executor's messages.
 */

/** A JSON value as the template sees it. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A template that does not parse or does not execute: kubectl's message, without `error: `. */
export class JsonPathError extends Error {
  override readonly name = "JsonPathError";
}

type Step =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "recursive" }
  | { readonly kind: "index"; readonly specs: readonly Slice[] }
  | { readonly kind: "keys"; readonly names: readonly string[] }
  | { readonly kind: "filter"; readonly left: readonly Step[]; readonly op: string; readonly right: Operand };

/** `[start:end:step]`, each part possibly absent; a lone index is `{start, single: true}`. */
interface Slice {
  readonly start?: number;
  readonly end?: number;
  readonly step?: number;
  readonly single: boolean;
}

type Operand = { readonly kind: "path"; readonly steps: readonly Step[] } | { readonly kind: "value"; readonly value: Json };

type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "path"; readonly steps: readonly Step[] }
  | { readonly kind: "range"; readonly steps: readonly Step[] }
  | { readonly kind: "end" };

/** A parsed template, ready to run on objects. */
export interface JsonPath {
  /** The template as given. */
  readonly template: string;
  readonly nodes: readonly Node[];
}

/** Parses a template as client-go's parser does. */
export function parseJsonPath(template: string): JsonPath {
  const nodes: Node[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    if (open < 0) {
      nodes.push({ kind: "text", text: template.slice(i) });
      break;
    }
    if (open > i) nodes.push({ kind: "text", text: template.slice(i, open) });
    const close = actionEnd(template, open + 1);
    nodes.push(...parseAction(template.slice(open + 1, close)));
    i = close + 1;
  }
  return { template, nodes };
}

/** The index of the `}` closing an action that starts at `from`, skipping quoted text. */
function actionEnd(s: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "}") return i;
  }
  throw new JsonPathError(quote ? "unclosed quoted string" : "unclosed action");
}

function parseAction(body: string): Node[] {
  const trimmed = body.trim();
  if (trimmed === "end") return [{ kind: "end" }];
  if (trimmed.startsWith("range ") || trimmed === "range") return [{ kind: "range", steps: parsePath(trimmed.slice(5).trim()) }];
  const nodes: Node[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === " " || c === "\t") {
      i++;
    } else if (c === '"') {
      const end = quoteEnd(body, i);
      nodes.push({ kind: "text", text: unquote(body.slice(i, end + 1)) });
      i = end + 1;
    } else {
      let end = i;
      while (end < body.length && body[end] !== " " && body[end] !== "\t") end = body[end] === "[" ? bracketEnd(body, end) + 1 : end + 1;
      nodes.push({ kind: "path", steps: parsePath(body.slice(i, end)) });
      i = end;
    }
  }
  return nodes;
}

function quoteEnd(s: string, from: number): number {
  for (let i = from + 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === s[from]) return i;
  }
  throw new JsonPathError("unclosed quoted string");
}

/** Go's strconv.Unquote of a double-quoted string. */
function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new JsonPathError(`invalid quoted string ${quoted}`);
  }
}

function bracketEnd(s: string, from: number): number {
  let quote: string | undefined;
  for (let i = from + 1; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "]") return i;
  }
  throw new JsonPathError("unclosed array expect ]");
}

const FIELD_CHAR = /[\p{L}\p{N}_\-/]/u;

/** A path: `@`, `$`, `.field` (with `\.` for a dot in a key), `..`, `*`, `[...]`. */
function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i]!;
    if (c === "@" || c === "$") {
      i++;
    } else if (c === ".") {
      if (path[i + 1] === ".") {
        // `..name`: the second dot starts the field looked for at every depth.
        steps.push({ kind: "recursive" });
        i++;
        continue;
      }
      i++;
      if (path[i] === "*") {
        steps.push({ kind: "wildcard" });
        i++;
        continue;
      }
      let name = "";
      while (i < path.length) {
        const d = path[i]!;
        if (d === "\\" && i + 1 < path.length) {
          name += path[i + 1];
          i += 2;
        } else if (FIELD_CHAR.test(d)) {
          name += d;
          i++;
        } else break;
      }
      if (name !== "") steps.push({ kind: "field", name });
    } else if (c === "[") {
      const end = bracketEnd(path, i);
      steps.push(parseBracket(path.slice(i + 1, end)));
      i = end + 1;
    } else if (c === "*") {
      steps.push({ kind: "wildcard" });
      i++;
    } else if (FIELD_CHAR.test(c)) {
      throw new JsonPathError(`unrecognized identifier ${path.slice(i).split(/[.[]/)[0]}`);
    } else {
      throw new JsonPathError(`unrecognized character in action: U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} '${c}'`);
    }
  }
  return steps;
}

function parseBracket(inner: string): Step {
  const text = inner.trim();
  if (text.startsWith("?")) return parseFilter(text.slice(1).trim());
  if (text === "*") return { kind: "index", specs: [{ single: false }] };
  if (/^['"]/.test(text)) {
    const names = text.split(",").map((part) => {
      const p = part.trim();
      if (!/^(['"]).*\1$/s.test(p)) throw new JsonPathError(`invalid array index ${text}`);
      return p.slice(1, -1);
    });
    return { kind: "keys", names };
  }
  const specs = text.split(",").map((part): Slice => {
    const pieces = part.trim().split(":");
    if (pieces.length > 3 || pieces.some((p) => p.trim() !== "" && !/^-?\d+$/.test(p.trim()))) throw new JsonPathError(`invalid array index ${part.trim()}`);
    const num = (k: number) => (pieces[k] === undefined || pieces[k]!.trim() === "" ? undefined : Number(pieces[k]));
    const [start, end, step] = [num(0), num(1), num(2)];
    if (pieces.length === 1) {
      if (start === undefined) throw new JsonPathError(`invalid array index ${part.trim()}`);
      return { start, single: true };
    }
    return { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}), ...(step !== undefined ? { step } : {}), single: false };
  });
  return { kind: "index", specs };
}

function parseFilter(text: string): Step {
  if (!text.startsWith("(") || !text.endsWith(")")) throw new JsonPathError("unmatched parentheses");
  const body = text.slice(1, -1).trim();
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/s.exec(body);
  if (!m) return { kind: "filter", left: parsePath(body), op: "exists", right: { kind: "value", value: null } };
  return { kind: "filter", left: parsePath(m[1]!), op: m[2]!, right: operand(m[3]!) };
}

function operand(text: string): Operand {
  const t = text.trim();
  if (t.startsWith("@") || t.startsWith("$") || t.startsWith(".")) return { kind: "path", steps: parsePath(t) };
  if (/^'.*'$/s.test(t)) return { kind: "value", value: t.slice(1, -1) };
  if (/^".*"$/s.test(t)) return { kind: "value", value: unquote(t) };
  if (t === "true" || t === "false") return { kind: "value", value: t === "true" };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: "value", value: Number(t) };
  throw new JsonPathError(`unrecognized identifier ${t}`);
}

/**
 * Runs a template on an object (or kubectl's List of several).
 *
 * @throws JsonPathError with kubectl's `error executing jsonpath` message when it fails.
 */
export function executeJsonPath(path: JsonPath, object: unknown): string {
  const data = JSON.parse(JSON.stringify(object)) as Json;
  try {
    return run(path.nodes, 0, path.nodes.length, data);
  } catch (e) {
    if (!(e instanceof JsonPathError)) throw e;
    throw new JsonPathError(
      `error executing jsonpath ${JSON.stringify(path.template)}: Error executing template: ${e.message}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t${path.template}\n\tobject given to jsonpath engine was:\n\t\t${goValue(data)}\n\n`,
    );
  }
}

/** Runs nodes `from`..`to` on `data`: a `range` runs the nodes up to its `end` once per item. */
function run(nodes: readonly Node[], from: number, to: number, data: Json): string {
  let out = "";
  for (let i = from; i < to; i++) {
    const node = nodes[i]!;
    switch (node.kind) {
      case "text":
        out += node.text;
        break;
      case "path":
        out += evaluate([data], node.steps).map(text).join(" ");
        break;
      case "end":
        throw new JsonPathError("not in range, nothing to end");
      case "range": {
        const end = matchingEnd(nodes, i);
        for (const item of evaluate([data], node.steps)) out += run(nodes, i + 1, end, item);
        i = end;
        break;
      }
    }
  }
  return out;
}

/** The `end` of the range at `at`, or the template's end when it has none (client-go runs the rest). */
function matchingEnd(nodes: readonly Node[], at: number): number {
  let depth = 0;
  for (let i = at + 1; i < nodes.length; i++) {
    const kind = nodes[i]!.kind;
    if (kind === "range") depth++;
    else if (kind === "end" && depth-- === 0) return i;
  }
  return nodes.length;
}

function isObject(v: Json): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function evaluate(input: readonly Json[], steps: readonly Step[]): Json[] {
  let values = [...input];
  for (const step of steps) values = apply(values, step);
  return values;
}

function apply(values: readonly Json[], step: Step): Json[] {
  const out: Json[] = [];
  switch (step.kind) {
    case "field":
      for (const v of values) if (isObject(v) && Object.hasOwn(v, step.name)) out.push(v[step.name]!);
      return out;
    case "keys":
      for (const v of values) for (const name of step.names) if (isObject(v) && Object.hasOwn(v, name)) out.push(v[name]!);
      return out;
    case "wildcard":
      for (const v of values) {
        if (isObject(v)) out.push(...Object.keys(v).sort().map((k) => v[k]!));
        else if (Array.isArray(v)) out.push(...v);
      }
      return out;
    case "recursive":
      for (const v of values) descend(v, out);
      return out;
    case "index":
      for (const v of values) {
        if (v === null) continue;
        if (!Array.isArray(v)) throw new JsonPathError(`${goType(v)} is not array or slice`);
        for (const spec of step.specs) out.push(...slice(v, spec));
      }
      return out;
    case "filter":
      for (const v of values) {
        if (v === null) continue;
        if (!Array.isArray(v)) throw new JsonPathError(`${goValue(v)} is not array or slice and cannot be filtered`);
        for (const item of v) if (passes(item, step)) out.push(item);
      }
      return out;
  }
}

/** A value and everything below it, parents first (client-go's evalRecursive). */
function descend(v: Json, out: Json[]): void {
  out.push(v);
  if (isObject(v)) for (const k of Object.keys(v).sort()) descend(v[k]!, out);
  else if (Array.isArray(v)) for (const item of v) descend(item, out);
}

function slice(list: readonly Json[], spec: Slice): Json[] {
  const len = list.length;
  const norm = (n: number) => (n < 0 ? n + len : n);
  if (spec.single) {
    const i = norm(spec.start!);
    if (i < 0 || i >= len) throw new JsonPathError(`array index out of bounds: index ${spec.start}, length ${len}`);
    return [list[i]!];
  }
  const step = spec.step ?? 1;
  if (step <= 0) throw new JsonPathError(`step must be > 0`);
  const start = Math.max(0, Math.min(len, norm(spec.start ?? 0)));
  const end = Math.max(0, Math.min(len, norm(spec.end ?? len)));
  const out: Json[] = [];
  for (let i = start; i < end; i += step) out.push(list[i]!);
  return out;
}

function passes(item: Json, f: Extract<Step, { kind: "filter" }>): boolean {
  const lefts = evaluate([item], f.left);
  if (f.op === "exists") return lefts.length > 0;
  if (lefts.length === 0) return false;
  if (lefts.length > 1) throw new JsonPathError("can only compare one element at a time");
  const rights = f.right.kind === "value" ? [f.right.value] : evaluate([item], f.right.steps);
  if (rights.length === 0) return false;
  if (rights.length > 1) throw new JsonPathError("can only compare one element at a time");
  const [l, r] = [lefts[0]!, rights[0]!];
  switch (f.op) {
    case "==":
      return sameValue(l, r);
    case "!=":
      return !sameValue(l, r);
    default: {
      if (typeof l !== typeof r || (typeof l !== "number" && typeof l !== "string")) throw new JsonPathError(`incompatible types for comparison`);
      const [a, b] = [l as number | string, r as number | string];
      return f.op === "<" ? a < b : f.op === ">" ? a > b : f.op === "<=" ? a <= b : a >= b;
    }
  }
}

function sameValue(a: Json, b: Json): boolean {
  return typeof a === "object" || typeof b === "object" ? JSON.stringify(a) === JSON.stringify(b) : a === b;
}

/** A result as PrintResults writes it: strings as they are, maps and lists as JSON. */
function text(v: Json): string {
  if (typeof v === "string") return v;
  if (v === null) return "null";
  if (typeof v === "object") return goJson(v);
  return String(v);
}

/** Go's json.Marshal: map keys sorted, `<`, `>` and `&` escaped. */
function goJson(v: Json): string {
  const sorted = (x: Json): Json => (Array.isArray(x) ? x.map(sorted) : isObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted(x[k]!)])) : x);
  return JSON.stringify(sorted(v)).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** The Go type of an unstructured value, as `%v` of its reflect.Type prints it. */
function goType(v: Json): string {
  if (isObject(v)) return "map[string]interface {}";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  return Number.isInteger(v) ? "int64" : "float64";
}

/** An unstructured value as Go's `%#v` prints it, for the executor's debugging dump. */
function goValue(v: Json): string {
  if (v === null) return "interface {}(nil)";
  if (Array.isArray(v)) return `[]interface {}{${v.map(goValue).join(", ")}}`;
  if (isObject(v)) return `map[string]interface {}{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${goValue(v[k]!)}`).join(", ")}}`;
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

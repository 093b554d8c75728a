/**
 * YAML read with positions, and a small schema language with one interpreter that checks what was
 * read, applies defaults and reports the first problem with its line, column and field path.
 *
 * The manifest loader describes each Kubernetes kind with these schemas; the scenario loader can
 * describe its file the same way. A schema says, per field: its type, whether it is required (or
 * when), its default, its enumeration or format, and for objects the fields mcsim knows, the
 * Kubernetes fields it deliberately does not model, and rules that relate fields to each other.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document } from "yaml";
import { parseIpv4 } from "../net/ip.js";
import { DURATION_FORMS, DurationError, formatDuration, parseDuration, type Micros } from "../sim/time.js";

/** A place in a file: 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A YAML value as read, with where it was written. Aliases and merge keys are already expanded. */
export type YamlNode = YamlMap | YamlSeq | YamlScalar;

/** A YAML mapping; entries keep the order they were written in. */
export interface YamlMap {
  readonly kind: "map";
  readonly position: Position;
  readonly entries: readonly YamlEntry[];
}

/** One `key: value` of a {@link YamlMap}. Keys are strings (YAML numbers and booleans are spelt out). */
export interface YamlEntry {
  readonly key: string;
  readonly keyPosition: Position;
  readonly value: YamlNode;
}

/** A YAML sequence. */
export interface YamlSeq {
  readonly kind: "seq";
  readonly position: Position;
  readonly items: readonly YamlNode[];
}

/** A YAML scalar; `source` is the text as written (with its quotes), for messages. */
export interface YamlScalar {
  readonly kind: "scalar";
  readonly position: Position;
  readonly value: string | number | boolean | null;
  readonly source: string;
}

/**
 * A problem found while reading or checking a document: where (position and field path, `""` for
 * the document itself) and what. Loaders add the file and document and rethrow their own error.
 */
export class LocatedError extends Error {
  override readonly name = "LocatedError";
  constructor(
    readonly position: Position,
    /** The field path, e.g. `spec.ports[0].port`; empty for the document as a whole. */
    readonly path: string,
    /** What is wrong, without the place. */
    readonly detail: string,
  ) {
    super(`${position.line}:${position.column}: ${path ? `${path}: ` : ""}${detail}`);
  }
}

/** One document of a YAML stream. */
export interface YamlDocument {
  /** 1-based: the first document of the file is document 1. */
  readonly index: number;
  /**
   * The document's value, or null for an empty document (nothing, or only comments).
   *
   * @throws LocatedError for a YAML syntax error, an unknown alias, a key that is not a scalar, or
   * a document that nests or expands too far.
   */
  read(): YamlNode | null;
}

/** Deeper than any Kubernetes object nests (a Deployment's probe port is 9 levels down). */
const MAX_DEPTH = 100;
/**
 * A bound on the values aliases expand to, so that an alias bomb (each alias repeating the one
 * before it ten times) is an error rather than a hang. Values written out are not bounded.
 */
const MAX_EXPANDED = 10_000;

/**
 * YAML 1.1's `1.5`, `.5` and `1.`, but not a lone `.` (Istio's `exportTo: [.]`): go-yaml reads a
 * plain scalar as a float only when Go can parse it, which `.` it cannot, so for kubectl it is a
 * string, where the yaml package's YAML 1.1 schema would read NaN.
 */
const FLOAT_WITH_DIGITS = /^[-+]?(?=[0-9_.]*[0-9])(?:[0-9][0-9_]*)?\.[0-9_]*$/;

/**
 * Splits YAML text into documents (`---` separated). The text is read as YAML 1.1 because that is
 * what kubectl's parser (go-yaml v2) reads: `yes`, `no`, `on` and `off` are booleans and `0777` is
 * octal. Like go-yaml, it does not read `2024-01-01` as a timestamp, `1:20` as base 60 or `.` as a
 * number, so those stay strings. Merge keys (`<<: *base`) are expanded.
 */
export function readYamlDocuments(text: string): YamlDocument[] {
  const lines = new LineCounter();
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, {
      version: "1.1",
      lineCounter: lines,
      prettyErrors: false,
      // The parser's own check compares each key with every other (slow for big maps); ours uses a Map.
      uniqueKeys: false,
      customTags: (tags) =>
        tags
          .filter((t) => typeof t === "string" || (t.tag !== "tag:yaml.org,2002:timestamp" && t.format !== "TIME"))
          .map((t) => (typeof t !== "string" && t.test?.test(".") ? { ...t, test: FLOAT_WITH_DIGITS } : t)),
    });
  } catch (e) {
    // The parser reports problems as errors on the documents; this is for anything it throws.
    const message = e instanceof Error ? e.message : String(e);
    return [{ index: 1, read: () => { throw new LocatedError({ line: 1, column: 1 }, "", `YAML syntax error: ${message}`); } }];
  }
  if (!Array.isArray(docs)) return [];
  if ("empty" in docs) {
    const error = (docs as { errors?: { message: string; pos: [number, number] }[] }).errors?.[0];
    if (!error) return [];
    return [{ index: 1, read: () => { throw new LocatedError(at(error.pos[0]), "", `YAML syntax error: ${error.message}`); } }];
  }
  return docs.map((doc, i) => ({
    index: i + 1,
    read: () => {
      const error = doc.errors[0];
      if (error) throw new LocatedError(at(error.pos[0]), "", `YAML syntax error: ${error.message}`);
      const contents = doc.contents;
      // A document of only comments (or nothing after `---`) has a null scalar for contents.
      if (contents === null || (isScalar(contents) && contents.value === null)) return null;
      return new Reader(doc, text, at).convert(contents, "", new Set(), 0);
    },
  }));
}

/** Converts the yaml package's nodes into {@link YamlNode}s, expanding aliases with bounds. */
class Reader {
  /** How many aliases are being expanded around the current node, and how many values they gave. */
  private aliasDepth = 0;
  private expanded = 0;
  private readonly targets = new Map<unknown, unknown>();

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly at: (offset: number) => Position,
  ) {}

  private position(node: unknown): Position {
    const range = node && typeof node === "object" ? (node as { range?: [number, number, number] | null }).range : undefined;
    return this.at(range ? range[0] : 0);
  }

  /** `ancestors` are the nodes being converted above this one: an alias to one of them is a cycle. */
  convert(node: unknown, path: string, ancestors: Set<unknown>, depth: number): YamlNode {
    const position = this.position(node);
    if (depth > MAX_DEPTH) throw new LocatedError(position, path, `nested more than ${MAX_DEPTH} levels deep`);
    if (this.aliasDepth > 0 && ++this.expanded > MAX_EXPANDED) throw new LocatedError(position, path, `aliases expand to more than ${MAX_EXPANDED} values`);
    if (isAlias(node)) {
      // resolve() searches the document for the anchor, so each alias is looked up once.
      let target = this.targets.get(node);
      if (!this.targets.has(node)) this.targets.set(node, (target = node.resolve(this.doc)));
      if (!target) throw new LocatedError(position, path, `alias *${node.source} refers to no anchor before it`);
      if (ancestors.has(target)) throw new LocatedError(position, path, `alias *${node.source} refers to a value that contains it`);
      this.aliasDepth++;
      try {
        // The value is the anchor's, but it is written here: messages about it point here.
        return { ...this.convert(target, path, ancestors, depth + 1), position };
      } finally {
        this.aliasDepth--;
      }
    }
    if (isScalar(node)) {
      const value = node.value;
      const range = node.range;
      const source = range ? this.text.slice(range[0], range[1]) : String(value);
      if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") {
        return { kind: "scalar", position, value, source };
      }
      throw new LocatedError(position, path, `unsupported YAML value ${JSON.stringify(source.slice(0, 40))} (tagged ${node.tag ?? "binary"}); write a plain string, number or boolean`);
    }
    const inner = new Set(ancestors).add(node);
    if (isMap(node)) return this.map(node.items, position, path, inner, depth);
    if (isSeq(node)) {
      const items = node.items.map((item, i) => {
        const p = `${path}[${i}]`;
        // `[a: 1]` is a flow sequence holding a one-entry map.
        if (isPair(item)) return this.map([item], this.position(item.key ?? node), p, inner, depth + 1);
        return this.convert(item, p, inner, depth + 1);
      });
      return { kind: "seq", position, items };
    }
    throw new LocatedError(position, path, "unsupported YAML value");
  }

  private map(pairs: readonly unknown[], position: Position, path: string, ancestors: Set<unknown>, depth: number): YamlMap {
    const explicit = new Map<string, YamlEntry>();
    const order: (string | YamlEntry[])[] = [];
    for (const pair of pairs) {
      if (!isPair(pair)) throw new LocatedError(position, path, "unsupported YAML map entry");
      const keyNode = pair.key;
      if (isScalar(keyNode) && typeof keyNode.value === "symbol") {
        // `<<: *base` or `<<: [*a, *b]`: the anchored maps' entries, unless given here.
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        const group: YamlEntry[] = [];
        for (const source of sources) {
          const value = this.convert(source, path, ancestors, depth + 1);
          if (value.kind !== "map") throw new LocatedError(value.position, path, "a merge key (<<) must refer to a map or a list of maps");
          group.push(...value.entries);
        }
        order.push(group);
        continue;
      }
      const keyPosition = this.position(keyNode ?? pair.value);
      const key = this.key(keyNode, keyPosition, path, ancestors, depth);
      // The reader does not know which maps hold fields: keys that could not be field names are shown as keys.
      const childPath = joinPath(path, /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : { key });
      if (explicit.has(key)) throw new LocatedError(keyPosition, childPath, `duplicate key ${JSON.stringify(key)}`);
      const value: YamlNode =
        pair.value === null || pair.value === undefined
          ? { kind: "scalar", position: keyPosition, value: null, source: "" }
          : this.convert(pair.value, childPath, ancestors, depth + 1);
      explicit.set(key, { key, keyPosition, value });
      order.push(key);
    }
    const entries: YamlEntry[] = [];
    const seen = new Set<string>();
    for (const item of order) {
      const group = typeof item === "string" ? [explicit.get(item)!] : item.filter((e) => !explicit.has(e.key));
      for (const entry of group) {
        if (seen.has(entry.key)) continue;
        seen.add(entry.key);
        entries.push(entry);
      }
    }
    return { kind: "map", position, entries };
  }

  private key(node: unknown, position: Position, path: string, ancestors: Set<unknown>, depth: number): string {
    const key = node === null || node === undefined ? null : this.convert(node, path, ancestors, depth + 1);
    // go-yaml spells number and boolean keys out (`80: x` is the key "80"); null and collections have no spelling.
    if (key?.kind === "scalar" && key.value !== null) return String(key.value);
    throw new LocatedError(position, path, `a map key must be a string, not ${key ? describe(key) : "nothing"}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Paths

/** One step of a field path: a field name, a list index, or a key of a string map (`labels[app]`). */
export type PathSegment = string | number | { readonly key: string };

/** `spec` + `ports` → `spec.ports`; `ports` + 0 → `ports[0]`; `labels` + {key: "app"} → `labels[app]`. */
export function joinPath(path: string, segment: PathSegment): string {
  if (typeof segment === "number") return `${path}[${segment}]`;
  if (typeof segment === "object") return `${path}[${segment.key}]`;
  return path ? `${path}.${segment}` : segment;
}

// ---------------------------------------------------------------------------------------------
// Formats

/** A rule for the text of a string: what is expected (for messages) and a check. */
export interface Format {
  /** Completes "expected …", e.g. `a DNS-1123 label (…)`. */
  readonly expected: string;
  /** Null when the text is valid; otherwise why not (or `""` when `expected` says it all). */
  problem(text: string): string | null;
  /** The same rule as a regular expression, for JSON Schema, where one can say it. */
  readonly pattern?: string;
}

const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS_LABEL_RE = new RegExp(`^${LABEL}$`);
const DNS_SUBDOMAIN_RE = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const DNS1035_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_KEY_RE = /^[-._a-zA-Z0-9]+$/;
const QUANTITY_RE = /^\+?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function tooLong(text: string, max: number): string | null {
  return text.length > max ? `it is ${text.length} characters long; the limit is ${max}` : null;
}

function pattern(expected: string, re: RegExp, max: number): Format {
  return { expected, problem: (text) => tooLong(text, max) ?? (re.test(text) ? null : ""), pattern: re.source };
}

/** True for an IPv4 address in dotted-quad form (no leading zeros, as `parseIpv4` requires). */
export function isIPv4(text: string): boolean {
  try {
    parseIpv4(text);
    return true;
  } catch {
    return false;
  }
}

/** True for an IPv6 address in any of its textual forms (`::`, embedded IPv4), without a zone. */
export function isIPv6(text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string): string[] | null => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return false;
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!isIPv4(last)) return false;
    all.pop();
    count += 1; // an embedded IPv4 address fills two groups
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** The address family of an IP address, or null when it is not one. */
export function ipFamily(text: string): "IPv4" | "IPv6" | null {
  return isIPv4(text) ? "IPv4" : isIPv6(text) ? "IPv6" : null;
}

const dnsSubdomain = pattern(
  "a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', each part between dots starting and ending with a letter or digit)",
  DNS_SUBDOMAIN_RE,
  253,
);

const qualifiedName: Format = {
  expected:
    "a qualified name (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
  problem(text) {
    const parts = text.split("/");
    if (parts.length > 2) return "it has more than one '/'";
    const name = parts[parts.length - 1]!;
    if (parts.length === 2) {
      const prefix = parts[0]!;
      if (prefix === "") return "the prefix before '/' is empty";
      const p = dnsSubdomain.problem(prefix);
      if (p !== null) return `the prefix ${JSON.stringify(prefix)} is not a DNS subdomain${p ? `: ${p}` : ""}`;
    }
    return tooLong(name, 63) ?? (QUALIFIED_NAME_RE.test(name) ? null : "");
  },
};

/** The string formats Kubernetes validates, with the wording of its rules. */
export const FORMATS = {
  dnsLabel: pattern(
    "a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)",
    DNS_LABEL_RE,
    63,
  ),
  dnsSubdomain,
  dns1035Label: pattern(
    "a DNS-1035 label (at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit)",
    DNS1035_RE,
    63,
  ),
  /** A DNS name that may end with the root dot, as `externalName` and search domains may. */
  dnsName: {
    expected: "a DNS name (a DNS-1123 subdomain, optionally ending with '.')",
    problem: (text: string) => dnsSubdomain.problem(text.endsWith(".") ? text.slice(0, -1) : text),
  },
  qualifiedName,
  labelValue: pattern(
    "a label value (empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
    /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/,
    63,
  ),
  /** IANA_SVC_NAME: a named port. */
  portName: {
    expected: "a port name (at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no '--')",
    problem: (text: string) =>
      tooLong(text, 15) ?? (/^[-a-z0-9]+$/.test(text) && /[a-z]/.test(text) && !/^-|-$|--/.test(text) ? null : ""),
  },
  ip: { expected: "an IP address (e.g. 10.0.0.1 or fd00::1)", problem: (text: string) => (ipFamily(text) ? null : "") },
  ipv4: { expected: "an IPv4 address (e.g. 10.0.0.1)", problem: (text: string) => (isIPv4(text) ? null : "") },
  ipv6: { expected: "an IPv6 address (e.g. fd00::1)", problem: (text: string) => (isIPv6(text) ? null : "") },
  configMapKey: {
    expected: "a ConfigMap key (at most 253 letters, digits, '-', '_' and '.', other than '.' and '..')",
    problem: (text: string) => tooLong(text, 253) ?? (CONFIG_KEY_RE.test(text) && text !== "." && text !== ".." ? null : ""),
  },
  quantity: { expected: "a quantity such as 250m, 1, 1.5 or 128Mi", problem: (text: string) => (QUANTITY_RE.test(text) ? null : "") },
  timestamp: {
    expected: "an RFC 3339 time such as 2024-05-01T12:00:00Z",
    problem: (text: string) => (TIMESTAMP_RE.test(text) ? null : ""),
  },
} as const satisfies Record<string, Format>;

// ---------------------------------------------------------------------------------------------
// Schemas

/** A field required only in some cases: `when` sees the object with its given fields and defaults. */
export interface RequiredWhen {
  readonly when: (object: any) => boolean;
  /** Completes "required when …", e.g. `type is ExternalName`. */
  readonly because: string;
}

interface SchemaBase {
  /** A field that must be given: always (`true`), or in the cases a {@link RequiredWhen} names. */
  readonly required?: true | RequiredWhen;
  /** The value used when the field is left out (or null), as the API server defaults it. */
  readonly default?: unknown;
  /** What the field means, for editors (the JSON Schema's `description`). */
  readonly description?: string;
  /**
   * Turns the checked value into what the program uses (a duration's text into microseconds, a
   * one-key map into a tagged union). Defaults are given in the transformed form.
   */
  readonly transform?: (value: any) => unknown;
}

/** A string, optionally one of an enumeration or of a {@link Format}. */
export interface StringSchema extends SchemaBase {
  readonly type: "string";
  readonly enum?: readonly string[];
  readonly format?: Format;
}

/** A whole number, optionally within bounds. */
export interface IntegerSchema extends SchemaBase {
  readonly type: "integer";
  readonly min?: number;
  readonly max?: number;
}

/** A finite number (not necessarily whole), optionally within bounds. */
export interface NumberSchema extends SchemaBase {
  readonly type: "number";
  readonly min?: number;
  readonly max?: number;
  /** True when `min` itself is not allowed (a rate must be more than 0). */
  readonly exclusiveMin?: boolean;
}

/** A Go-style duration (`250us`, `1.5s`, `1m30s`) read as microseconds. */
export interface DurationSchema extends SchemaBase {
  readonly type: "duration";
  /** The shortest allowed, in microseconds. */
  readonly min?: Micros;
  /** The duration must be a whole multiple of this (Istio's are whole milliseconds). */
  readonly step?: Micros;
  /**
   * Keep the text as written instead of reading it as microseconds: an object the API server
   * stores (an Istio rule's `timeout: 90s`) is printed back as it was written.
   */
  readonly asWritten?: true;
}

/** One of several schemas, picked by the shape of the value: a scalar, a map or a list. */
export interface UnionSchema extends SchemaBase {
  readonly type: "union";
  /** At most one per shape: a scalar schema, a map schema, a list schema. */
  readonly options: readonly Schema[];
}

export interface BooleanSchema extends SchemaBase {
  readonly type: "boolean";
}

/** A number within bounds, or a string of a format (a port number or a port name). */
export interface IntOrStringSchema extends SchemaBase {
  readonly type: "intOrString";
  readonly min: number;
  readonly max: number;
  readonly format: Format;
  /** Completes "expected …", e.g. `a port number from 1 to 65535 or a port name`. */
  readonly expected: string;
}

/** A map of strings to strings: labels, annotations, selectors, ConfigMap data. */
export interface StringMapSchema extends SchemaBase {
  readonly type: "stringMap";
  readonly keys?: Format;
  readonly values?: Format;
  /** Numbers are written as strings (resource quantities: `cpu: 1` is `"1"`). */
  readonly numbersAsStrings?: boolean;
  /** A bound on the summed length of keys and values (annotations: 256 KiB). */
  readonly maxSize?: number;
}

/**
 * A map whose values are all of one schema, keyed by strings of a format: Istio's header matches
 * (`headers: {x-user: {exact: a}}`), a PeerAuthentication's per-port modes, a ServiceEntry
 * endpoint's named ports. A map of plain strings is a {@link StringMapSchema}.
 */
export interface MapSchema extends SchemaBase {
  readonly type: "map";
  readonly keys?: Format;
  readonly values: Schema;
}

/** A value that must be different in each item of a list, e.g. each port's name. */
export interface Uniqueness {
  readonly by: (item: any) => string | undefined;
  /** Names the value in messages, e.g. `port name`. */
  readonly what: string;
}

/** A list. */
export interface ArraySchema extends SchemaBase {
  readonly type: "array";
  readonly items: Schema;
  readonly min?: number;
  readonly max?: number;
  readonly unique?: readonly Uniqueness[];
}

/**
 * Reports a problem found by a rule at a place inside the object the rule checks, given as path
 * segments relative to it (`["clusterIPs", 0]`). Never returns.
 */
export type Fail = (at: readonly PathSegment[], message: string) => never;

/** A check across fields of one object, run after its fields are checked and defaulted. */
export type Rule<T> = (object: T, fail: Fail) => void;

/** A map with known fields. */
export interface ObjectSchema extends SchemaBase {
  readonly type: "object";
  readonly fields: Readonly<Record<string, Schema>>;
  /** Real Kubernetes fields that mcsim does not model: named as such when given. */
  readonly unsupported?: readonly string[];
  /** Sets defaults that depend on other fields (a Service port's targetPort is its port). */
  readonly finish?: (object: any) => void;
  readonly rules?: readonly Rule<any>[];
  /**
   * Fields of which exactly one must be given (the action of a fault), named `what` in messages
   * (without an article: `fault action`); `several` says what to do when more are given.
   */
  readonly oneOf?: { readonly fields: readonly string[]; readonly what: string; readonly several?: string };
}

/** Any YAML value, passed on unchecked as a {@link YamlNode} (the items of a `List`). */
export interface RawSchema extends SchemaBase {
  readonly type: "raw";
}

export type Schema =
  | StringSchema
  | IntegerSchema
  | NumberSchema
  | DurationSchema
  | BooleanSchema
  | IntOrStringSchema
  | StringMapSchema
  | MapSchema
  | ArraySchema
  | ObjectSchema
  | UnionSchema
  | RawSchema;

/**
 * The field schemas of an object of type T: one per field of T, no more, and every field T
 * requires is required (or defaulted) in the schema, so the schema and the type cannot drift.
 */
export type FieldsOf<T> = {
  readonly [K in keyof T]-?: {} extends Pick<T, K> ? Schema : Schema & ({ readonly required: true | RequiredWhen } | { readonly default: unknown });
};

/** What {@link object} builds an {@link ObjectSchema} from, typed by the object it describes. */
export interface ObjectDefinition<T> {
  readonly fields: FieldsOf<T>;
  readonly unsupported?: readonly string[];
  readonly finish?: (object: T) => void;
  readonly rules?: readonly Rule<T>[];
  readonly oneOf?: ObjectSchema["oneOf"];
  readonly description?: string;
  readonly required?: true | RequiredWhen;
  readonly default?: unknown;
  readonly transform?: (value: T) => unknown;
}

/** An object schema for objects of type T. */
export function object<T>(definition: ObjectDefinition<T>): ObjectSchema {
  return { type: "object", ...definition, fields: definition.fields as Readonly<Record<string, Schema>> };
}

// ---------------------------------------------------------------------------------------------
// The interpreter

/**
 * Checks a value against a schema and returns it as plain data: fields in schema order, defaults
 * filled in, nulls for optional fields dropped (as the API server reads `field: null` as unset).
 *
 * @param path the field path of `node`, `""` for a document.
 * @throws LocatedError for the first problem, in the order the fields were written.
 */
export function validate(node: YamlNode, schema: Schema, path = ""): unknown {
  return check(node, schema, path, node.position);
}

/** `at` is where the value is named (its key), which is where a field missing from it is reported. */
function check(node: YamlNode, schema: Schema, path: string, at: Position): unknown {
  const value = checkShape(node, schema, path, at);
  if (!schema.transform) return value;
  try {
    return schema.transform(value);
  } catch (e) {
    // A transform may refuse what the schema cannot express (a distribution's p99 below its median).
    if (e instanceof ValueError) throw new LocatedError(node.position, path, e.message);
    throw e;
  }
}

/** Thrown by a {@link SchemaBase.transform} that refuses a value: reported at the value, with its path. */
export class ValueError extends Error {
  override readonly name = "ValueError";
}

function checkShape(node: YamlNode, schema: Schema, path: string, at: Position): unknown {
  switch (schema.type) {
    case "raw":
      return node;
    case "string": {
      const text = expectString(node, schema, path);
      if (schema.enum && !schema.enum.includes(text)) {
        const guess = didYouMean(text, schema.enum);
        throw new LocatedError(node.position, path, `expected ${expected(schema)}, got ${describe(node)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ""}`);
      }
      if (schema.format) checkFormat(schema.format, text, node.position, path);
      return text;
    }
    case "integer":
      if (node.kind === "scalar" && typeof node.value === "number" && inRange(node.value, schema.min, schema.max)) return node.value;
      throw mismatch(node, schema, path);
    case "number":
      if (node.kind === "scalar" && typeof node.value === "number" && inBounds(node.value, schema)) return node.value;
      throw mismatch(node, schema, path);
    case "duration":
      return checkDuration(node, schema, path);
    case "union": {
      const option = schema.options.find((o) => shapeOf(o) === node.kind);
      if (!option) throw mismatch(node, schema, path);
      return check(node, option, path, at);
    }
    case "boolean":
      if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
      throw mismatch(node, schema, path);
    case "intOrString":
      if (node.kind === "scalar" && typeof node.value === "number" && inRange(node.value, schema.min, schema.max)) return node.value;
      if (node.kind === "scalar" && typeof node.value === "string") {
        if (/^\d+$/.test(node.value)) throw mismatch(node, schema, path); // "8080" is neither: say to unquote it
        checkFormat(schema.format, node.value, node.position, path);
        return node.value;
      }
      throw mismatch(node, schema, path);
    case "stringMap":
      return checkStringMap(node, schema, path);
    case "map":
      return checkMap(node, schema, path);
    case "array":
      return checkArray(node, schema, path);
    case "object":
      return checkObject(node, schema, path, at);
  }
}

function inBounds(value: number, schema: NumberSchema): boolean {
  if (!Number.isFinite(value)) return false;
  if (schema.min !== undefined && (schema.exclusiveMin ? value <= schema.min : value < schema.min)) return false;
  return schema.max === undefined || value <= schema.max;
}

function checkDuration(node: YamlNode, schema: DurationSchema, path: string): Micros | string {
  const us = readDuration(node, path);
  if ((schema.min !== undefined && us < schema.min) || (schema.step !== undefined && us % schema.step !== 0)) {
    throw new LocatedError(node.position, path, `expected ${expected(schema)}, got ${describe(node)}`);
  }
  // readDuration took a string or a bare 0.
  return schema.asWritten ? String((node as YamlScalar).value) : us;
}

function readDuration(node: YamlNode, path: string): Micros {
  // `0` is the one duration YAML reads as a number; any other bare number lacks its unit.
  if (node.kind === "scalar" && node.value === 0) return 0;
  const fail = (why: string) => new LocatedError(node.position, path, `expected a duration (${DURATION_FORMS}), got ${describe(node)}${why ? ` (${why})` : ""}`);
  if (node.kind !== "scalar" || typeof node.value !== "string") throw fail(node.kind === "scalar" && typeof node.value === "number" ? unitHint(node.value) : "");
  try {
    return parseDuration(node.value);
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    // A quoted number lacks its unit as a bare one does.
    const text = node.value.trim();
    throw fail(/^\d+(\.\d+)?$/.test(text) ? unitHint(Number(text)) : e.problem);
  }
}

/** What to do with a number written where a duration was meant. */
function unitHint(n: number): string {
  if (!Number.isFinite(n)) return "";
  return n < 0 ? "durations cannot be negative" : `add a unit: ${n}ms or ${n}s`;
}

/** Which YAML shape a schema reads. */
function shapeOf(schema: Schema): YamlNode["kind"] {
  switch (schema.type) {
    case "object":
    case "stringMap":
    case "map":
      return "map";
    case "array":
      return "seq";
    case "union":
    case "raw":
      throw new Error(`a union cannot hold a ${schema.type} schema`);
    default:
      return "scalar";
  }
}

function inRange(value: number, min: number | undefined, max: number | undefined): boolean {
  return Number.isInteger(value) && (min === undefined || value >= min) && (max === undefined || value <= max);
}

function expectString(node: YamlNode, schema: Schema, path: string): string {
  if (node.kind === "scalar" && typeof node.value === "string") return node.value;
  throw mismatch(node, schema, path);
}

function checkFormat(format: Format, text: string, position: Position, path: string): void {
  const problem = format.problem(text);
  if (problem !== null) throw new LocatedError(position, path, `expected ${format.expected}, got ${quote(text)}${problem ? ` (${problem})` : ""}`);
}

function checkStringMap(node: YamlNode, schema: StringMapSchema, path: string): Record<string, string> {
  if (node.kind !== "map") throw mismatch(node, schema, path);
  const out: Record<string, string> = {};
  let size = 0;
  for (const entry of node.entries) {
    const p = joinPath(path, { key: entry.key });
    if (schema.keys) checkKey(schema.keys, entry, p);
    const v = entry.value;
    let text: string;
    if (v.kind === "scalar" && typeof v.value === "string") text = v.value;
    else if (schema.numbersAsStrings && v.kind === "scalar" && typeof v.value === "number" && Number.isFinite(v.value)) text = String(v.value);
    else throw new LocatedError(v.position, p, `expected ${schema.values ? schema.values.expected : "a string"}, got ${describe(v)}${stringHint(v)}`);
    if (schema.values) checkFormat(schema.values, text, v.position, p);
    size += entry.key.length + text.length;
    if (schema.maxSize !== undefined && size > schema.maxSize) throw new LocatedError(entry.keyPosition, p, `the entries total more than ${schema.maxSize} characters, the limit`);
    setField(out, entry.key, text);
  }
  return out;
}

function checkMap(node: YamlNode, schema: MapSchema, path: string): Record<string, unknown> {
  if (node.kind !== "map") throw mismatch(node, schema, path);
  const out: Record<string, unknown> = {};
  for (const entry of node.entries) {
    const p = joinPath(path, { key: entry.key });
    if (schema.keys) checkKey(schema.keys, entry, p);
    setField(out, entry.key, check(entry.value, schema.values, p, entry.keyPosition));
  }
  return out;
}

function checkKey(keys: Format, entry: YamlEntry, path: string): void {
  const problem = keys.problem(entry.key);
  if (problem !== null) throw new LocatedError(entry.keyPosition, path, `expected a key that is ${keys.expected}, got ${quote(entry.key)}${problem ? ` (${problem})` : ""}`);
}

function checkArray(node: YamlNode, schema: ArraySchema, path: string): unknown[] {
  if (node.kind !== "seq") throw mismatch(node, schema, path);
  const n = node.items.length;
  if (schema.min !== undefined && n < schema.min) {
    throw new LocatedError(node.position, path, `expected at least ${schema.min} item${schema.min === 1 ? "" : "s"}, got ${n}`);
  }
  if (schema.max !== undefined && n > schema.max) {
    throw new LocatedError(node.items[schema.max]!.position, path, `expected at most ${schema.max} item${schema.max === 1 ? "" : "s"}, got ${n}`);
  }
  const out = node.items.map((item, i) => check(item, schema.items, joinPath(path, i), item.position));
  for (const unique of schema.unique ?? []) {
    const first = new Map<string, number>();
    out.forEach((item, i) => {
      const value = unique.by(item);
      if (value === undefined) return;
      const j = first.get(value);
      if (j !== undefined) {
        throw new LocatedError(node.items[i]!.position, joinPath(path, i), `duplicate ${unique.what} ${quote(value)}: ${joinPath(path, j)} has it too`);
      }
      first.set(value, i);
    });
  }
  return out;
}

function checkObject(node: YamlNode, schema: ObjectSchema, path: string, at: Position): Record<string, unknown> {
  if (node.kind !== "map") throw mismatch(node, schema, path);
  const given = new Map<string, unknown>();
  for (const entry of node.entries) {
    const p = joinPath(path, entry.key);
    const field = Object.hasOwn(schema.fields, entry.key) ? schema.fields[entry.key] : undefined;
    if (!field) throw new LocatedError(entry.keyPosition, p, unknownField(entry.key, schema));
    if (entry.value.kind === "scalar" && entry.value.value === null) continue;
    given.set(entry.key, check(entry.value, field, p, entry.keyPosition));
  }
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.fields)) {
    if (given.has(name)) setField(out, name, given.get(name));
    else if (field.default !== undefined) setField(out, name, structuredClone(field.default));
  }
  if (schema.oneOf) {
    const { fields, what, several } = schema.oneOf;
    // In the order written, so that the one reported is the one written second.
    const present = node.entries.filter((e) => fields.includes(e.key) && given.has(e.key));
    if (present.length === 0) throw new LocatedError(at, path, `expected ${/^[aeiou]/i.test(what) ? "an" : "a"} ${what}: one of ${fields.join(", ")}`);
    if (present.length > 1) {
      const [first, second] = present as [YamlEntry, YamlEntry];
      throw new LocatedError(second.keyPosition, joinPath(path, second.key), `only one ${what} is allowed, but ${first.key} and ${second.key} are both given${several ? `; ${several}` : ""}`);
    }
  }
  for (const [name, field] of Object.entries(schema.fields)) {
    if (!field.required || Object.hasOwn(out, name)) continue;
    if (field.required === true) throw new LocatedError(at, joinPath(path, name), "required field missing");
    if (field.required.when(out)) throw new LocatedError(at, joinPath(path, name), `required when ${field.required.because}`);
  }
  if (schema.finish) {
    schema.finish(out);
    // Fields the hook filled in take their place in schema order, so that equal objects print alike.
    const filled = { ...out };
    for (const name of Object.keys(out)) delete out[name];
    for (const name of Object.keys(schema.fields)) if (Object.hasOwn(filled, name)) setField(out, name, filled[name]);
  }
  const fail: Fail = (segments, message) => {
    let p = path;
    for (const s of segments) p = joinPath(p, s);
    throw new LocatedError(locate(node, at, segments), p, message);
  };
  for (const rule of schema.rules ?? []) rule(out, fail);
  return out;
}

/**
 * Where the value at `segments` inside `node` was written; when it was not given, where its
 * nearest given parent was named (its key), which is where one would add it.
 */
function locate(node: YamlNode, at: Position, segments: readonly PathSegment[]): Position {
  let current: YamlNode = node;
  let named = at;
  for (const segment of segments) {
    let next: YamlNode | undefined;
    let nextNamed: Position | undefined;
    if (typeof segment === "number") {
      next = current.kind === "seq" ? current.items[segment] : undefined;
      nextNamed = next?.position;
    } else if (current.kind === "map") {
      const name = typeof segment === "string" ? segment : segment.key;
      const entry = current.entries.find((e) => e.key === name);
      next = entry?.value;
      nextNamed = entry?.keyPosition;
    }
    if (!next || !nextNamed) return named;
    if (next.kind === "scalar" && next.value === null) return nextNamed; // `field:` with nothing after it
    current = next;
    named = nextNamed;
  }
  return current.position;
}

/** Defines rather than assigns, so that a key such as `__proto__` is an ordinary key. */
function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function unknownField(name: string, schema: ObjectSchema): string {
  if (schema.unsupported?.includes(name)) {
    return `${JSON.stringify(name)} is a Kubernetes field that mcsim does not model; remove it`;
  }
  const known = Object.keys(schema.fields);
  const guess = didYouMean(name, known);
  if (guess) return `unknown field ${JSON.stringify(name)} (did you mean ${JSON.stringify(guess)}?)`;
  return `unknown field ${JSON.stringify(name)}; the fields here are ${known.join(", ")}`;
}

/** What a schema expects, completing "expected …". */
function expected(schema: Schema): string {
  switch (schema.type) {
    case "string":
      if (schema.enum) return `one of ${schema.enum.join(", ")}`;
      return schema.format ? schema.format.expected : "a string";
    case "integer":
      if (schema.min !== undefined && schema.max !== undefined) return `a number from ${schema.min} to ${schema.max}`;
      if (schema.min !== undefined) return `a whole number of at least ${schema.min}`;
      return "a whole number";
    case "number": {
      const low = schema.min === undefined ? "" : schema.exclusiveMin ? `more than ${schema.min}` : `at least ${schema.min}`;
      const high = schema.max === undefined ? "" : `at most ${schema.max}`;
      return `a number${low || high ? ` ${[low, high].filter(Boolean).join(" and ")}` : ""}`;
    }
    case "duration":
      return `${schema.min ? `a duration of at least ${formatDuration(schema.min)}` : "a duration"}${schema.step ? ` in whole multiples of ${formatDuration(schema.step)}` : ""}`;
    case "union":
      return schema.options.map(expected).join(", or ");
    case "boolean":
      return "true or false";
    case "intOrString":
      return schema.expected;
    case "stringMap":
      return "a map of strings";
    case "map":
      return `a map whose values are each ${expected(schema.values)}`;
    case "array":
      return "a list";
    case "object": {
      const names = Object.keys(schema.fields);
      return `a map of fields (${names.slice(0, 4).join(", ")}${names.length > 4 ? ", …" : ""})`;
    }
    case "raw":
      return "a value";
  }
}

function mismatch(node: YamlNode, schema: Schema, path: string): LocatedError {
  let hint = "";
  if (schema.type === "string" && !schema.enum) hint = stringHint(node);
  else if ((schema.type === "integer" || schema.type === "intOrString" || schema.type === "number") && node.kind === "scalar" && typeof node.value === "string" && numeric(schema).test(node.value)) {
    hint = ` (write ${node.value.trim()} without quotes)`;
  } else if (schema.type === "array" && node.kind === "map") hint = " (start each item with '- ')";
  return new LocatedError(node.position, path, `expected ${expected(schema)}, got ${describe(node)}${hint}`);
}

/** A quoted number of the kind a schema reads, as text. */
function numeric(schema: Schema): RegExp {
  return schema.type === "number" ? /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/ : /^\s*[-+]?\d+\s*$/;
}

/** For a number or boolean where a string was meant: how to write the string. */
function stringHint(node: YamlNode): string {
  if (node.kind !== "scalar" || node.value === null || typeof node.value === "string") return "";
  if (typeof node.value === "boolean" && !/^(true|false)$/i.test(node.source)) {
    return ` (kubectl's YAML reads ${node.source} as a boolean; write "${node.source}" for the string)`;
  }
  return ` (write "${node.source}" in quotes for a string)`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** A value as messages show it: `"http"`, `80`, `true`, `a map`, `a list`, `nothing`. */
export function describe(node: YamlNode): string {
  if (node.kind === "map") return "a map";
  if (node.kind === "seq") return "a list";
  if (typeof node.value === "string") return quote(node.value);
  if (node.value === null) return node.source ? node.source : "nothing";
  return node.source || String(node.value);
}

/**
 * The candidate a mistyped word most likely meant: the same ignoring case, or within a small
 * edit distance (a swap of neighbours counts as one edit). Undefined when nothing is close.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const d = lower === candidate.toLowerCase() ? 0 : editDistance(lower, candidate.toLowerCase());
    const limit = candidate.length >= 6 ? 2 : 1;
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Infinity; // never close enough to suggest
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

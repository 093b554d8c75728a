/**
 * The Corefile parser: CoreDNS's Caddyfile parser (coredns/caddy `caddyfile/parse.go`) and its
 * server-block checks (core/dnsserver/register.go), in three passes as CoreDNS runs them:
 *
 * 1. syntax: server blocks, snippets, imports, directives and their blocks, variables, and each
 *    plugin name checked against plugin.cfg (CoreDNS's "Unknown directive");
 * 2. keys: scheme, zone and port of every server block (InspectServerBlocks);
 * 3. listeners: no zone served twice on one transport, address and port
 *    (validateZonesAndListeningAddresses).
 *
 * Imports are expanded as CoreDNS expands them, by replacing the `import` line with the tokens of
 * the file or snippet, here a stack of token frames rather than a splice so that each frame knows
 * which import brought it in (for cycles and for error messages).
 */

import { CorefileError, at, type Position } from "./error.js";
import { lex, type Token } from "./lexer.js";
import { compareCodePoints, globMatcher, isGlob, normalizePath, resolveImport } from "./paths.js";
import { PLUGIN_ORDER, PLUGIN_RANK } from "./plugin-order.js";
import type { Corefile, CorefileOptions, Directive, ServerBlock } from "./types.js";
import { VariableError, substitute } from "./variables.js";
import { ZoneError, parseServerKey, type ServerKey } from "./zone.js";
import { findListenerConflict, type PlacedServer } from "./listeners.js";
import { closest } from "./suggest.js";

/**
 * At most this many imports (snippet uses and files read) per parse, so that a snippet or file
 * importing another twice, which imports another twice, and so on, cannot run away (dns.md §3.1).
 */
export const MAX_IMPORTS = 10_000;

/**
 * Plugin blocks may nest this deep. CoreDNS sets no limit, but no plugin nests more than two
 * levels, and the limit keeps a hostile input from exhausting the stack.
 */
export const MAX_BLOCK_DEPTH = 50;

/** Where a run of tokens came from: the Corefile, or an import of a file or a snippet. */
interface Origin {
  readonly kind: "file" | "snippet";
  readonly name: string;
  readonly parent: Origin | null;
  /** The `import` that brought it in; null for the Corefile itself. */
  readonly importedAt: Position | null;
}

/** A token as the parser sees it: where it came from, and whether it starts a line. */
interface Tok {
  readonly token: Token;
  readonly lineStart: boolean;
  readonly origin: Origin;
}

interface Frame {
  readonly tokens: readonly Token[];
  pos: number;
  readonly origin: Origin;
}

/** The tokens still to read: the Corefile's, with imported ones pushed on top where they go. */
class TokenStream {
  private readonly frames: Frame[] = [];

  push(tokens: readonly Token[], origin: Origin): void {
    if (tokens.length > 0) this.frames.push({ tokens, pos: 0, origin });
  }

  peek(): Tok | undefined {
    for (;;) {
      const top = this.frames[this.frames.length - 1];
      if (!top) return undefined;
      const token = top.tokens[top.pos];
      // The first token of an import is where the `import` line was: it starts a line.
      if (token) return { token, lineStart: token.lineStart || top.pos === 0, origin: top.origin };
      this.frames.pop();
    }
  }

  next(): Tok | undefined {
    const tok = this.peek();
    if (tok) this.frames[this.frames.length - 1]!.pos++;
    return tok;
  }
}

interface RawKey {
  readonly text: string;
  readonly tok: Tok;
}

interface RawServer {
  readonly keys: RawKey[];
  readonly directives: Directive[];
  readonly first: Tok;
  /** False for a block without '{', whose plugins run to the end of the file. */
  readonly braced: boolean;
}

interface Snippet {
  readonly tokens: Token[];
  readonly definedAt: Position;
}

/** Parses a Corefile; see {@link parseCorefile} in `../corefile.ts` for the contract. */
export function parse(text: string, file: string, options: CorefileOptions): Corefile {
  return new Parser(file, options).parse(text);
}

class Parser {
  private readonly variables: ReadonlyMap<string, string>;
  private readonly files = new Map<string, string>();
  private readonly plugins: ReadonlySet<string>;
  private readonly stream = new TokenStream();
  private readonly snippets = new Map<string, Snippet>();
  private readonly lexed = new Map<string, Token[]>();
  private readonly servers: RawServer[] = [];
  private imports = 0;

  constructor(
    private readonly file: string,
    options: CorefileOptions,
  ) {
    this.plugins = options.plugins;
    for (const name of options.plugins) {
      if (!PLUGIN_RANK.has(name)) {
        throw new RangeError(`the plugins option names '${name}', which is not a CoreDNS plugin (not in PLUGIN_ORDER)`);
      }
    }
    // Own properties only: a variable or file called "constructor" must not find Object's.
    this.variables = new Map(Object.entries(options.variables ?? {}));
    for (const [path, content] of Object.entries(options.files ?? {})) {
      const key = resolveImport(this.file, path);
      if (this.files.has(key)) throw new RangeError(`the files option names '${key}' twice (as '${path}' and another spelling)`);
      this.files.set(key, content);
    }
  }

  parse(text: string): Corefile {
    const root: Origin = { kind: "file", name: normalizePath(this.file), parent: null, importedAt: null };
    this.stream.push(lex(text, this.file), root);
    for (;;) {
      const tok = this.stream.next();
      if (!tok) break;
      if (tok.token.text === "import" && tok.lineStart) this.importAt(tok);
      else this.serverBlock(tok);
    }
    const servers = this.servers.map((s) => this.resolveKeys(s));
    const conflict = findListenerConflict(servers, (tok) => tok.token);
    if (conflict) this.fail(conflict.where, conflict.detail);
    return { servers: servers.map((s) => s.block) };
  }

  // ---- errors -------------------------------------------------------------------------------

  /** Throws at a token, naming the imports it came through. */
  private fail(tok: Tok, detail: string): never {
    return this.failAt(tok.token, tok.origin, detail);
  }

  private failAt(position: Position, origin: Origin, detail: string): never {
    const via: string[] = [];
    for (let o: Origin | null = origin; o?.parent && o.importedAt; o = o.parent) {
      via.push(`${o.kind === "snippet" ? `snippet '${o.name}'` : o.name} imported at ${at(o.importedAt)}`);
    }
    const suffix = via.length > 0 ? ` (via ${via.join("; ")})` : "";
    throw new CorefileError(detail + suffix, position.file, position.line, position.column);
  }

  // ---- pass 1: syntax -----------------------------------------------------------------------

  /** A token's text with its variables substituted. */
  private subst(tok: Tok): string {
    try {
      return substitute(tok.token.text, this.variables);
    } catch (e) {
      if (e instanceof VariableError) this.fail(tok, e.message);
      throw e;
    }
  }

  /** A server block or a snippet definition, starting at its first key. */
  private serverBlock(first: Tok): void {
    const keys: RawKey[] = [];
    let tok = first;
    let expectingAnother = false; // after a key ending in ',' (Caddy allows `a, b` and a line break after the comma)
    let open: Tok | null = null;
    for (;;) {
      const raw = tok.token.text;
      if (raw === "{") {
        if (expectingAnother) this.fail(tok, "expected another zone after ',' but found '{'");
        if (keys.length === 0) this.fail(tok, "missing zone: a server block starts with the zones it serves, e.g. '.:53 {' or 'example.org {'");
        open = tok;
        break;
      }
      if (raw === "}") this.fail(tok, "unexpected '}': no block is open here");
      if (raw === "import" && tok.lineStart && keys.length > 0) {
        this.importAt(tok);
      } else {
        let key = this.subst(tok);
        expectingAnother = key.endsWith(",");
        if (expectingAnother) key = key.slice(0, -1);
        if (key === "") this.fail(tok, "empty zone: expected a zone name such as '.' or 'example.org'");
        keys.push({ text: key, tok });
      }
      const next = this.stream.peek();
      if (!next) {
        if (expectingAnother) this.fail(tok, "expected another zone after ',' but the file ended");
        break;
      }
      if (!expectingAnother && next.lineStart) break;
      tok = this.stream.next()!;
    }
    // As in Caddy, a server block's '{' may also stand at the start of the next line.
    if (!open && this.stream.peek()?.token.text === "{") open = this.stream.next()!;

    const only = keys.length === 1 ? keys[0]! : null;
    if (only && only.text.length >= 2 && only.text.startsWith("(") && only.text.endsWith(")")) {
      this.snippet(only, open);
      return;
    }
    const server: RawServer = { keys, directives: [], first, braced: open !== null };
    if (open) this.serverBody(server, open);
    else this.bracelessBody(server);
    this.servers.push(server);
  }

  /** `(name) { … }`: keeps the tokens, brace-balanced, for `import name`. */
  private snippet(key: RawKey, open: Tok | null): void {
    const name = key.text.slice(1, -1);
    if (name === "") this.fail(key.tok, "empty snippet name '()': expected '(name) {'");
    const previous = this.snippets.get(name);
    if (previous) this.fail(key.tok, `snippet '${name}' is already defined at ${at(previous.definedAt)}`);
    if (!open) this.fail(key.tok, `snippet '(${name})' has no body: expected '{' after it`);
    const tokens: Token[] = [];
    let depth = 1;
    for (;;) {
      const tok = this.stream.next();
      if (!tok) this.fail(open, `unterminated snippet '(${name})': this '{' has no matching '}'`);
      if (tok.token.text === "}" && --depth === 0) break;
      if (tok.token.text === "{") depth++;
      tokens.push({ ...tok.token, lineStart: tok.lineStart });
    }
    this.snippets.set(name, { tokens, definedAt: key.tok.token });
  }

  /** The plugins of a server block, up to its '}'. */
  private serverBody(server: RawServer, open: Tok): void {
    for (;;) {
      const tok = this.stream.next();
      if (!tok) this.fail(open, "unterminated server block: this '{' has no matching '}'");
      const raw = tok.token.text;
      if (raw === "}") return;
      if (raw === "{") this.fail(tok, "unexpected '{': a block opens at the end of the line of its zone or plugin, e.g. 'health {'");
      if (raw === "import") this.importAt(tok);
      else server.directives.push(this.directive(tok, 0, server));
    }
  }

  /**
   * A server block without '{': as in Caddy, its plugins run to the end of the file. This is how
   * `health` alone on a top-level line turns into a zone (dns.md §3.1, "Unknown directive '.'").
   */
  private bracelessBody(server: RawServer): void {
    for (;;) {
      const tok = this.stream.next();
      if (!tok) return;
      const raw = tok.token.text;
      if (raw === "}") {
        const glued = server.keys.find((k) => k.text.endsWith("{"));
        this.fail(tok, `unexpected '}': no block is open (the server block '${server.keys.map((k) => k.text).join(" ")}' at ${at(server.first.token)} has no '{')` +
          (glued ? `; put a space before the '{' of '${glued.text}'` : ""));
      }
      if (raw === "{") this.fail(tok, "unexpected '{': a block opens at the end of the line of its zone or plugin, e.g. 'health {'");
      if (raw === "import") this.importAt(tok);
      else server.directives.push(this.directive(tok, 0, server));
    }
  }

  /**
   * A directive: its name, the rest of its line, and the block a '{' on that line opens. Tokens
   * after the '{' on the same line are the block's first line, as Caddy's dispenser reads them.
   */
  private directive(nameTok: Tok, depth: number, server: RawServer | null): Directive {
    const name = this.subst(nameTok);
    if (server) this.checkPlugin(nameTok, name, server);
    const args: string[] = [];
    let block: Directive[] | null = null;
    for (;;) {
      const tok = this.stream.peek();
      if (!tok || tok.lineStart) break;
      this.stream.next();
      const raw = tok.token.text;
      if (raw === "{") {
        block = this.block(tok, depth + 1);
        const after = this.stream.peek();
        if (after && !after.lineStart) {
          this.fail(after, `unexpected '${after.token.text}' after the '}' that closes '${name}': start a new line`);
        }
        break;
      }
      if (raw === "}") {
        // CoreDNS reads such a '}' as one more argument (or fails with "Unexpected '}'"), so
        // `health { lameduck 5s }` on one line does not do what it seems to.
        this.fail(tok, `'}' must start a new line: CoreDNS does not close a block at a '}' that follows '${name}' on the same line`);
      }
      args.push(this.subst(tok));
    }
    const t = nameTok.token;
    return { name, args, block, line: t.line, column: t.column, file: t.file };
  }

  /** The lines of a plugin's `{ … }` block, up to its '}'. */
  private block(open: Tok, depth: number): Directive[] {
    if (depth > MAX_BLOCK_DEPTH) this.fail(open, `blocks nested more than ${MAX_BLOCK_DEPTH} deep`);
    const lines: Directive[] = [];
    for (;;) {
      const tok = this.stream.next();
      if (!tok) this.fail(open, "unterminated block: this '{' has no matching '}'");
      const raw = tok.token.text;
      if (raw === "}") return lines;
      if (raw === "{") this.fail(tok, "unexpected '{': a block opens at the end of the line of its plugin or property");
      if (raw === "import") {
        // Caddy expands an import inside a plugin block only at the start of a line.
        if (!tok.lineStart) this.fail(tok, "import must start its own line");
        this.importAt(tok);
      } else {
        lines.push(this.directive(tok, depth, null));
      }
    }
  }

  /** Checks a server block's directive against plugin.cfg and the plugins mcsim runs. */
  private checkPlugin(tok: Tok, name: string, server: RawServer): void {
    if (PLUGIN_RANK.has(name)) {
      if (this.plugins.has(name)) return;
      const implemented = PLUGIN_ORDER.filter((p) => this.plugins.has(p));
      this.fail(tok, `plugin '${name}' is a CoreDNS plugin that mcsim does not implement; mcsim implements: ${implemented.join(", ") || "none"}`);
    }
    let hint = "";
    const open = server.first;
    const near = closest(name, PLUGIN_ORDER);
    if (!server.braced) {
      hint = `; '${server.keys.map((k) => k.text).join(" ")}' at ${at(open.token)} was read as the zone of a server block because no '{' follows it, ` +
        "and CoreDNS reads the rest of the file as that block's plugins: put plugins inside a server block's braces";
    } else if (near) {
      hint = ` (did you mean '${near}'?)`;
    } else if (/[.:/]/.test(name)) {
      hint = `; if it starts a new server block, close the one at ${at(open.token)} with '}' first`;
    }
    this.fail(tok, `unknown directive '${name}': expected the name of a CoreDNS plugin${hint}`);
  }

  /** `import PATTERN`: pushes the snippet's or files' tokens to be read next. */
  private importAt(tok: Tok): void {
    const args: Tok[] = [];
    for (let next = this.stream.peek(); next && !next.lineStart; next = this.stream.peek()) args.push(this.stream.next()!);
    const arg = args[0];
    if (!arg) this.fail(tok, "import needs an argument: a file, a glob pattern or a snippet name");
    if (args.length > 1) this.fail(args[1]!, `import takes one argument (a file, a glob pattern or a snippet name), got ${args.length}`);
    const pattern = this.subst(arg);
    if (pattern === "") this.fail(arg, "import needs a non-empty file name, glob pattern or snippet name");

    const snippet = this.snippets.get(pattern);
    if (snippet) {
      this.expand(tok, "snippet", pattern, snippet.tokens);
      return;
    }
    if ((pattern.match(/\*/g)?.length ?? 0) > 1 || (pattern.match(/\?/g)?.length ?? 0) > 1) {
      this.fail(arg, `import pattern '${pattern}' has more than one '*' or '?': CoreDNS allows one wildcard`);
    }
    if (pattern.includes("[") || pattern.includes("\\")) {
      this.fail(arg, `import pattern '${pattern}' has '[' or '\\': character classes and escapes are not supported`);
    }
    const path = resolveImport(tok.token.file, pattern);
    let matches: string[];
    if (isGlob(pattern)) {
      // No match is fine for a glob (CoreDNS logs a warning); files come in name order.
      const matcher = globMatcher(path);
      matches = [...this.files.keys()].filter(matcher).sort(compareCodePoints);
    } else if (this.files.has(path)) {
      matches = [path];
    } else {
      const prefix = path === "/" ? "/" : `${path}/`;
      if ([...this.files.keys()].some((k) => k.startsWith(prefix))) {
        this.fail(arg, `cannot import '${path}': it is a directory; to import its files write 'import ${pattern}/*'`);
      }
      this.fail(arg, `file to import not found: '${pattern}' is neither a snippet defined above nor a file ('${path}')`);
    }
    const runs = matches.map((path) => ({ path, tokens: this.lexFile(path, tok) }));
    // Pushed last to first, so the first file is read first.
    for (const run of runs.reverse()) this.expand(tok, "file", run.path, run.tokens);
  }

  /** Pushes an import's tokens, after the checks for cycles and runaway imports. */
  private expand(tok: Tok, kind: Origin["kind"], name: string, tokens: readonly Token[]): void {
    const chain: Origin[] = [];
    for (let o: Origin | null = tok.origin; o; o = o.parent) chain.unshift(o);
    if (chain.some((o) => o.kind === kind && o.name === name)) {
      const label = (o: { kind: string; name: string }): string => (o.kind === "snippet" ? `snippet '${o.name}'` : o.name);
      const start = chain.findIndex((o) => o.kind === kind && o.name === name);
      const cycle = [...chain.slice(start), { kind, name }].map(label).join(" → ");
      this.fail(tok, `import cycle: ${cycle}`);
    }
    if (++this.imports > MAX_IMPORTS) this.fail(tok, `more than ${MAX_IMPORTS} imports: snippets or files import each other too often`);
    this.stream.push(tokens, { kind, name, parent: tok.origin, importedAt: tok.token });
  }

  /** An imported file's tokens, lexed once however often it is imported. */
  private lexFile(path: string, importTok: Tok): Token[] {
    let tokens = this.lexed.get(path);
    if (!tokens) {
      try {
        tokens = lex(this.files.get(path)!, path);
      } catch (e) {
        if (e instanceof CorefileError) {
          this.failAt(e, { kind: "file", name: path, parent: importTok.origin, importedAt: importTok.token }, e.detail);
        }
        throw e;
      }
      this.lexed.set(path, tokens);
    }
    return tokens;
  }

  // ---- pass 2: keys -------------------------------------------------------------------------

  private resolveKeys(server: RawServer): PlacedServer<Tok> {
    const keys: { key: ServerKey; where: Tok }[] = [];
    for (const k of server.keys) {
      let parsed: ServerKey[];
      try {
        parsed = parseServerKey(k.text);
      } catch (e) {
        if (e instanceof ZoneError) this.fail(k.tok, e.message);
        throw e;
      }
      for (const key of parsed) keys.push({ key, where: k.tok });
    }
    const t = server.first.token;
    const block: ServerBlock = { keys: keys.map((k) => k.key), directives: server.directives, line: t.line, column: t.column, file: t.file };
    return { block, keys };
  }
}

/**
 * The lab shell's syntax: the part of POSIX sh that lessons use, read by hand (no eval, no real
 * shell). Words with single and double quotes and backslash escapes, `$NAME`, `${NAME}` and `$?`
 * (expanded when the command runs, so `export A=1; echo $A` sees the new value), comments,
 * pipelines (`|`), `&&`, `||`, `;` and newlines, and here-documents (`<<EOF`, `<<'EOF'`, `<<-EOF`)
 * as a command's stdin. Everything else a real shell would do with the line (redirections to
 * files, subshells, command substitution, globbing, background jobs) is refused with a one-line
 * {@link ShellSyntaxError} naming it, rather than being passed on as text.
 */

/** One piece of a word: text (quoted or not), or a variable to expand when the command runs. */
export type WordPart = { readonly text: string } | { readonly variable: string };

/** A word of a command line, before expansion. */
export type Word = readonly WordPart[];

/** A here-document: its body, and whether `$NAME` in it is expanded (an unquoted delimiter). */
export interface HereDoc {
  readonly body: Word;
}

/** One command of a pipeline: its words, and the here-document that is its stdin, if any. */
export interface SimpleCommand {
  readonly words: readonly Word[];
  readonly stdin?: HereDoc;
}

/** Commands joined by `|`. */
export type Pipeline = readonly SimpleCommand[];

/** Pipelines joined by `&&` and `||`: the first, then each with the operator before it. */
export interface AndOrList {
  readonly first: Pipeline;
  readonly rest: readonly { readonly op: "&&" | "||"; readonly pipeline: Pipeline }[];
}

/** A whole input: and-or lists run one after the other (`;` or a newline between them). */
export type Script = readonly AndOrList[];

/** Input the lab shell does not accept; the message is one line, ready to print. */
export class ShellSyntaxError extends Error {
  override readonly name: string = "ShellSyntaxError";
}

/**
 * Input that ends inside a construct (a quote, a here-document, after `|`, `&&`, `||` or a
 * trailing backslash): an interactive shell asks for another line, a script is at fault.
 */
export class IncompleteInput extends ShellSyntaxError {
  override readonly name = "IncompleteInput";
}

/** Characters that end an unquoted word. */
const METACHARACTERS = new Set([" ", "\t", "\n", ";", "&", "|", "<", ">", "(", ")", "'", '"', "\\", "$", "`", "#"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

interface PendingHereDoc {
  readonly delimiter: string;
  readonly expand: boolean;
  readonly stripTabs: boolean;
  readonly attach: (body: Word) => void;
}

/**
 * Parses a whole input.
 *
 * @throws IncompleteInput when it ends inside a construct; ShellSyntaxError for what is wrong or unsupported.
 */
export function parseScript(text: string): Script {
  return new Parser(text).script();
}

class Parser {
  private pos = 0;
  private readonly pending: PendingHereDoc[] = [];
  private readonly lists: AndOrList[] = [];
  private pipelines: Pipeline[] = [];
  private ops: ("&&" | "||")[] = [];
  private commands: SimpleCommand[] = [];
  private words: Word[] = [];
  private stdin: HereDoc | undefined;
  /** The operator that ended the last command, while no word has followed it (`a |` wants more). */
  private dangling: string | undefined;

  constructor(private readonly text: string) {}

  script(): Script {
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) break;
      if (c === " " || c === "\t") this.pos++;
      else if (c === "\n") this.newline();
      else if (c === "#") this.skipComment();
      else if (c === "\\" && this.text[this.pos + 1] === "\n") this.continueLine();
      else if (c === ";") this.endList(";", 1);
      else if (c === "&") {
        if (this.text[this.pos + 1] !== "&") throw new ShellSyntaxError("running commands in the background (&) is not supported: each command runs to its end");
        this.endPipeline("&&");
      } else if (c === "|") {
        if (this.text[this.pos + 1] === "|") this.endPipeline("||");
        else this.endCommand("|", 1);
      } else if (c === "<" && this.text[this.pos + 1] === "<") this.hereDoc();
      else if (c === "<" || c === ">") throw redirection(c);
      else if (c === "(" || c === ")") throw new ShellSyntaxError("subshells and grouping with ( ) are not supported: write the commands one after the other");
      else {
        this.words.push(this.word());
        this.dangling = undefined;
      }
    }
    if (this.pending.length > 0) throw new IncompleteInput(`the here-document <<${this.pending[0]!.delimiter} is not closed: end it with a line holding only ${this.pending[0]!.delimiter}`);
    if (this.dangling !== undefined && this.dangling !== ";") throw new IncompleteInput(`the line ends after ${this.dangling}: a command must follow it`);
    this.finishList();
    return this.lists;
  }

  /** A backslash before a newline joins the lines; at the end of the input, another line must come. */
  private continueLine(): void {
    this.pos += 2;
    if (this.pos >= this.text.length) throw new IncompleteInput("the line ends with a backslash: continue it on the next line");
  }

  private skipComment(): void {
    while (this.pos < this.text.length && this.text[this.pos] !== "\n") this.pos++;
  }

  private newline(): void {
    this.pos++;
    this.readHereDocBodies();
    // After `|`, `&&` or `||` a newline continues the list, as in sh.
    if (this.dangling === "|" || this.dangling === "&&" || this.dangling === "||") return;
    this.finishList();
  }

  private unexpected(token: string): ShellSyntaxError {
    return new ShellSyntaxError(`syntax error near unexpected token \`${token}'`);
  }

  private endCommand(op: string, length: number): void {
    if (this.words.length === 0) throw this.unexpected(op);
    this.commands.push(this.stdin ? { words: this.words, stdin: this.stdin } : { words: this.words });
    this.words = [];
    this.stdin = undefined;
    this.pos += length;
    this.dangling = op;
  }

  private endPipeline(op: "&&" | "||"): void {
    this.endCommand(op, 2);
    this.pipelines.push(this.commands);
    this.commands = [];
    this.ops.push(op);
  }

  private endList(op: string, length: number): void {
    const empty = this.words.length === 0 && this.commands.length === 0 && this.pipelines.length === 0;
    if (empty || (this.words.length === 0 && this.dangling !== undefined)) throw this.unexpected(op);
    this.finishList();
    this.pos += length;
    this.dangling = op;
  }

  /** Ends the and-or list being read, if it has anything in it. */
  private finishList(): void {
    if (this.words.length > 0) {
      this.commands.push(this.stdin ? { words: this.words, stdin: this.stdin } : { words: this.words });
      this.words = [];
      this.stdin = undefined;
    }
    if (this.commands.length > 0) this.pipelines.push(this.commands);
    this.commands = [];
    if (this.pipelines.length > 0) {
      const [first, ...others] = this.pipelines;
      this.lists.push({ first: first!, rest: others.map((pipeline, i) => ({ op: this.ops[i]!, pipeline })) });
    }
    this.pipelines = [];
    this.ops = [];
    this.dangling = undefined;
  }

  /** `<<DELIM`, `<<'DELIM'`, `<<-DELIM`: the body is read after the end of the line. */
  private hereDoc(): void {
    this.pos += 2;
    if (this.text[this.pos] === "<") throw new ShellSyntaxError("here-strings (<<<) are not supported: use a here-document (<<EOF) or echo TEXT |");
    const stripTabs = this.text[this.pos] === "-";
    if (stripTabs) this.pos++;
    while (this.text[this.pos] === " " || this.text[this.pos] === "\t") this.pos++;
    const start = this.pos;
    const word = this.word();
    const raw = this.text.slice(start, this.pos);
    const delimiter = word.map((p) => ("text" in p ? p.text : `$${p.variable}`)).join("");
    if (delimiter === "") throw this.unexpected("newline");
    if (this.stdin !== undefined) throw new ShellSyntaxError("a command can have one here-document only");
    // Quoting any part of the delimiter turns expansion off in the body (POSIX 2.7.4).
    const expand = !/['"\\]/.test(raw);
    // The body is known only once the line ends; the command holds this slot until then.
    const slot: { body: Word } = { body: [] };
    this.stdin = slot;
    this.pending.push({ delimiter, expand, stripTabs, attach: (body) => (slot.body = body) });
  }

  private readHereDocBodies(): void {
    while (this.pending.length > 0) {
      const doc = this.pending[0]!;
      const lines: string[] = [];
      for (;;) {
        if (this.pos >= this.text.length) return; // unclosed: script() reports it
        const end = this.text.indexOf("\n", this.pos);
        const line = this.text.slice(this.pos, end < 0 ? undefined : end);
        this.pos = end < 0 ? this.text.length : end + 1;
        const content = doc.stripTabs ? line.replace(/^\t+/, "") : line;
        if (content === doc.delimiter) break;
        if (end < 0) return; // unclosed: script() reports it
        lines.push(content);
      }
      this.pending.shift();
      const body = lines.map((l) => `${l}\n`).join("");
      doc.attach(doc.expand ? expandable(body) : [{ text: body }]);
    }
  }

  /** One word: unquoted text, quotes and expansions up to the next metacharacter. */
  private word(): Word {
    const parts: WordPart[] = [];
    let text = "";
    const flush = () => {
      if (text) parts.push({ text });
      text = "";
    };
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) break;
      if (c === "'") {
        const end = this.text.indexOf("'", this.pos + 1);
        if (end < 0) throw new IncompleteInput("a single quote (') is not closed");
        text += this.text.slice(this.pos + 1, end);
        // An empty quoted word ('') is still a word.
        if (end === this.pos + 1) parts.push({ text: "" });
        this.pos = end + 1;
      } else if (c === '"') {
        this.pos++;
        let closed = false;
        if (this.text[this.pos] === '"') parts.push({ text: "" });
        while (this.pos < this.text.length) {
          const d = this.text[this.pos]!;
          if (d === '"') {
            closed = true;
            this.pos++;
            break;
          }
          if (d === "\\" && /[$`"\\\n]/.test(this.text[this.pos + 1] ?? "")) {
            if (this.text[this.pos + 1] !== "\n") text += this.text[this.pos + 1];
            this.pos += 2;
          } else if (d === "$") {
            flush();
            this.dollar(parts, (s) => (text += s));
          } else if (d === "`") throw commandSubstitution();
          else {
            text += d;
            this.pos++;
          }
        }
        if (!closed) throw new IncompleteInput('a double quote (") is not closed');
      } else if (c === "\\") {
        const next = this.text[this.pos + 1];
        if (next === undefined) throw new IncompleteInput("the line ends with a backslash: continue it on the next line");
        if (next === "\n") this.continueLine();
        else {
          text += next;
          this.pos += 2;
        }
      } else if (c === "$") {
        flush();
        this.dollar(parts, (s) => (text += s));
      } else if (c === "`") throw commandSubstitution();
      // `#` starts a comment only at the start of a word (script() sees those), so here it is text.
      else if (METACHARACTERS.has(c) && c !== "#") break;
      else {
        if (c === "*" || c === "?") throw new ShellSyntaxError(`filename patterns (${c}) are not supported, the lab shell has no files: quote the word, as in '${this.bareWord()}'`);
        text += c;
        this.pos++;
      }
    }
    flush();
    return parts;
  }

  /** The unquoted word around the cursor, for a message. */
  private bareWord(): string {
    let from = this.pos;
    while (from > 0 && !METACHARACTERS.has(this.text[from - 1]!)) from--;
    let to = this.pos;
    while (to < this.text.length && !METACHARACTERS.has(this.text[to]!)) to++;
    return this.text.slice(from, to);
  }

  /** `$NAME`, `${NAME}`, `$?`; a `$` before anything else is itself. */
  private dollar(parts: WordPart[], literal: (s: string) => void): void {
    const rest = this.text.slice(this.pos + 1);
    if (rest.startsWith("(")) throw commandSubstitution();
    if (rest.startsWith("?")) {
      parts.push({ variable: "?" });
      this.pos += 2;
      return;
    }
    if (rest.startsWith("{")) {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*|\?)\}/.exec(rest);
      if (!m) throw new ShellSyntaxError(`\${...} supports a plain variable name only, as in \${NAME}`);
      parts.push({ variable: m[1]! });
      this.pos += m[0].length + 1;
      return;
    }
    const m = NAME.exec(rest);
    if (!m) {
      literal("$");
      this.pos++;
      return;
    }
    parts.push({ variable: m[0] });
    this.pos += m[0].length + 1;
  }
}

/** A here-document body with `$NAME` expanded (an unquoted delimiter): `\$`, `` \` `` and `\\` escape. */
function expandable(body: string): Word {
  const parts: WordPart[] = [];
  let text = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\" && /[$`\\]/.test(body[i + 1] ?? "")) {
      text += body[++i];
      continue;
    }
    if (c === "\\" && body[i + 1] === "\n") {
      i++;
      continue;
    }
    if (c === "$") {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*|\?)\}|([A-Za-z_][A-Za-z0-9_]*|\?))/.exec(body.slice(i));
      if (m) {
        if (text) parts.push({ text });
        text = "";
        parts.push({ variable: m[1] ?? m[2]! });
        i += m[0].length - 1;
        continue;
      }
      if (body[i + 1] === "(") throw commandSubstitution();
    }
    if (c === "`") throw commandSubstitution();
    text += c;
  }
  if (text) parts.push({ text });
  return parts;
}

function commandSubstitution(): ShellSyntaxError {
  return new ShellSyntaxError("command substitution ($(...) and `...`) is not supported: run the command, then use its output");
}

function redirection(c: string): ShellSyntaxError {
  return new ShellSyntaxError(
    c === ">"
      ? "redirecting output to a file (>) is not supported, the lab shell has no files: pipe it into grep, head, tail or wc instead"
      : "reading a file with < is not supported, the lab shell has no files: use a here-document (<<EOF) instead",
  );
}

/** Expands a word with the shell's variables (unset ones are empty, as in sh). */
export function expandWord(word: Word, lookup: (name: string) => string | undefined): string {
  return word.map((p) => ("text" in p ? p.text : (lookup(p.variable) ?? ""))).join("");
}

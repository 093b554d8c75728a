/**
 * The Corefile lexer: CoreDNS's Caddyfile lexer (coredns/caddy `caddyfile/lexer.go`), rule for
 * rule, plus the line and column of every token.
 *
 * - Tokens are separated by white space (Go's `unicode.IsSpace`). `{` and `}` are tokens only when
 *   white space surrounds them: `foo{` is one word. The parser, not the lexer, gives them meaning.
 * - A `"` at the start of a token quotes it up to the next unescaped `"`, across lines and white
 *   space. Inside quotes only `\"` is an escape; any other backslash is kept as written. A `"` in
 *   the middle of a word is an ordinary character, and a closing `"` ends the token even when a
 *   word follows without a space (`"a"b` is two tokens).
 * - An unquoted `#` starts a comment to the end of the line, even in the middle of a word
 *   (`foo#bar` is the token `foo`): dns.md §3.1, "comments may be started anywhere on a line".
 * - `\r` is skipped; only `\n` ends a line. A byte-order mark at the very start is dropped.
 * - Quoting does not survive lexing, as in CoreDNS: a quoted `"{"` is a brace and a quoted
 *   `"import"` an import, to the parser.
 *
 * One deliberate difference: CoreDNS ends an unterminated quoted token silently at the end of the
 * file; mcsim reports it, because nothing is silently ignored.
 */

import { CorefileError, type Position } from "./error.js";

/** A word of a Corefile. */
export interface Token extends Position {
  /** The text, quotes removed and `\"` unescaped; variables are not yet substituted. */
  readonly text: string;
  /** True when the token was written in quotes. */
  readonly quoted: boolean;
  /**
   * True when no other token precedes it on its line: the file's first token, or one with a
   * newline outside quotes between it and the previous token. This is what CoreDNS's
   * `isNewLine` computes from line numbers (counting newlines inside quoted tokens).
   */
  readonly lineStart: boolean;
}

/** Go's unicode.IsSpace: Latin-1 spaces (including U+0085 and U+00A0) and Unicode White_Space. */
const SPACE = new Set([
  "\t", "\n", "\v", "\f", "\r", " ", "\u0085", "\u00a0", "\u1680",
  "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
  "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
]);

/**
 * Splits a Corefile into tokens.
 *
 * @param source the file's text.
 * @param file the file's name, for positions and errors.
 * @throws CorefileError for a quoted token that is never closed.
 */
export function lex(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let column = 0; // of the character being read
  let text: string | null = null; // the token being built, null between tokens
  let start = { line: 1, column: 1 };
  let lineStart = true;
  let startsLine = true;
  let quoted = false;
  let escaped = false;
  let comment = false;

  const emit = (wasQuoted: boolean): void => {
    tokens.push({ text: text!, quoted: wasQuoted, lineStart: startsLine, file, line: start.line, column: start.column });
    text = null;
  };

  let first = true;
  for (const ch of source) {
    if (first) {
      first = false;
      if (ch === "\ufeff") continue;
    }
    column++;
    if (quoted) {
      if (ch === "\n") {
        line++;
        column = 0;
      }
      if (!escaped) {
        if (ch === "\\") {
          escaped = true;
          continue;
        }
        if (ch === '"') {
          quoted = false;
          emit(true);
          continue;
        }
      }
      // Only a quote can be escaped; any other backslash stays (Caddy: "only escape quotes").
      if (escaped && ch !== '"') text += "\\";
      text += ch;
      escaped = false;
      continue;
    }
    if (SPACE.has(ch)) {
      if (text !== null) emit(false);
      if (ch === "\n") {
        line++;
        column = 0;
        comment = false;
        lineStart = true;
      }
      continue;
    }
    if (ch === "#") comment = true;
    if (comment) continue;
    if (text === null) {
      start = { line, column };
      startsLine = lineStart;
      lineStart = false;
      text = "";
      if (ch === '"') {
        quoted = true;
        continue;
      }
    }
    text += ch;
  }
  if (quoted) {
    throw new CorefileError(`unterminated quoted string: the '"' opened here has no closing '"'`, file, start.line, start.column);
  }
  if (text !== null) emit(false);
  return tokens;
}

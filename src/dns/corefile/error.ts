/**
 * The one error type of the Corefile parser: every problem names the file, line and column it is
 * at, as `Corefile:12:5: unknown directive 'kubernets'`.
 */

/** A Corefile that cannot be read, with where the problem is. */
export class CorefileError extends Error {
  override readonly name = "CorefileError";

  constructor(
    /** What is wrong and what was expected, without the location. */
    readonly detail: string,
    /** The file the problem is in: the Corefile's name, or an imported file's path. */
    readonly file: string,
    /** 1-based line. */
    readonly line: number,
    /** 1-based column, in characters (code points; a tab counts as one). */
    readonly column: number,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
  }
}

/** A place in a file, as tokens and blocks carry it. */
export interface Position {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** `file:line:column`, for messages that point at a second place. */
export function at(position: Position): string {
  return `${position.file}:${position.line}:${position.column}`;
}

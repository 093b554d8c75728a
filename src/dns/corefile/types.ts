/**
 * What the Corefile parser produces and takes: plain data, no behaviour.
 */

import type { ServerKey } from "./zone.js";

/**
 * One line of a server block (a plugin) or of a plugin's block (a property such as
 * `pods insecure`), with the block it opens, if any.
 */
export interface Directive {
  /** The plugin or property name, variables substituted. */
  readonly name: string;
  /** The rest of its line, variables substituted, quotes removed. */
  readonly args: string[];
  /** The directives of its `{ … }` block; `[]` for an empty block, null when it has none. */
  readonly block: Directive[] | null;
  /** Where the name is written. */
  readonly line: number;
  readonly column: number;
  readonly file: string;
}

/** A server block: the zones it serves and its plugins, in the order the Corefile writes them. */
export interface ServerBlock {
  /**
   * The zones, in order; one key of the Corefile may stand for several (a CIDR on a non-octet
   * boundary), and `example.org org { … }` is one block with two keys (dns.md §3.1).
   */
  readonly keys: ServerKey[];
  /** The plugins as written; {@link orderDirectives} gives the order they run in. */
  readonly directives: Directive[];
  /** Where the block's first key is written. */
  readonly line: number;
  readonly column: number;
  readonly file: string;
}

/** A parsed Corefile. */
export interface Corefile {
  /** The server blocks, in file order (snippets and imports already expanded). */
  readonly servers: ServerBlock[];
}

/** What the parser needs besides the text. */
export interface CorefileOptions {
  /**
   * The plugins the caller can run: a subset of {@link PLUGIN_ORDER}. A directive that is a CoreDNS
   * plugin but not in this set is an error naming what mcsim implements.
   */
  readonly plugins: ReadonlySet<string>;
  /**
   * Values for `{$NAME}` and `{%NAME%}`. The environment is never read: a simulation must not
   * depend on the machine it runs on.
   */
  readonly variables?: Readonly<Record<string, string>>;
  /** Files `import` can read, by path (relative paths are relative to the Corefile's directory). */
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * `{$NAME}` and `{%NAME%}` in Corefile tokens (dns.md §3.1), from values the caller gives.
 */

/** A variable reference that cannot be substituted; the parser adds where it is. */
export class VariableError extends Error {
  override readonly name = "VariableError";
}

/**
 * Substitutes `{$NAME}` and `{%NAME%}` in one token, left to right.
 *
 * Unlike CoreDNS (coredns/caddy `replaceEnvVars`), which substitutes an empty string for an unset
 * variable, an undefined variable is an error: mcsim's rule is that nothing is silently ignored.
 * So are an unterminated reference (`{$NAME` without `}`) and an empty one (`{$}`), which CoreDNS
 * leaves as written. Substituted values are not scanned again; CoreDNS rescans, so a value that
 * contains its own reference loops forever there.
 *
 * @throws VariableError naming the variable and what is defined.
 */
export function substitute(text: string, variables: ReadonlyMap<string, string>): string {
  let out = "";
  let i = 0;
  for (;;) {
    const j = text.indexOf("{", i);
    if (j === -1) return out + text.slice(i);
    const sigil = text[j + 1];
    if (sigil !== "$" && sigil !== "%") {
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const ref = `{${sigil}`;
    const close = sigil === "$" ? "}" : "%}";
    const end = text.indexOf(close, j + 2);
    if (end === -1) throw new VariableError(`unterminated variable reference in '${text}': '${ref}' needs a closing '${close}'`);
    const name = text.slice(j + 2, end);
    if (name === "") throw new VariableError(`empty variable name '${ref}${close}' in '${text}'`);
    const value = variables.get(name);
    if (value === undefined) {
      const known = [...variables.keys()];
      throw new VariableError(
        `undefined variable '${name}' in '${text}': mcsim never reads the environment, so give it in the variables option` +
          (known.length > 0 ? ` (defined: ${known.join(", ")})` : " (none are defined)"),
      );
    }
    out += text.slice(i, j) + value;
    i = end + close.length;
  }
}

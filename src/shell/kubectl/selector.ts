import type { StringMap } from "../../k8s/objects.js";

/**
 * `kubectl -l` label selectors as apimachinery's `labels.Parse` reads them: requirements joined
 * by commas, each `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`,
 * `key` (exists) or `!key` (does not).
 */

/** A selector that cannot be read: the message kubectl prints after `error: `. */
export class SelectorError extends Error {}

type Requirement = (labels: StringMap) => boolean;

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on the commas that are not inside a `( … )` value set. */
function requirementsOf(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function checked(key: string, values: readonly string[], whole: string): void {
  if (!KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
  for (const v of values) if (!VALUE.test(v)) throw new SelectorError(`unable to parse requirement: invalid label value "${v}" in "${whole}"`);
}

function requirement(text: string): Requirement {
  let m = /^(!)?\s*([^\s=!(),]+)$/.exec(text);
  if (m) {
    const [, not, key] = m as unknown as [string, string | undefined, string];
    checked(key, [], text);
    return not ? (l) => !(key in l) : (l) => key in l;
  }
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(text);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    checked(key, [value], text);
    return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (m) {
    const [, key, op, list] = m as unknown as [string, string, string, string];
    const values = list.split(",").map((v) => v.trim());
    checked(key, values, text);
    const set = new Set(values);
    return op === "in" ? (l) => key in l && set.has(l[key]!) : (l) => !(key in l) || !set.has(l[key]!);
  }
  throw new SelectorError(`unable to parse requirement: found '${text}', expected: key, !key, key=value, key!=value, key in (values) or key notin (values)`);
}

/**
 * A predicate over labels for a selector's text; the empty selector matches everything.
 *
 * @throws SelectorError for text that is not a selector.
 */
export function parseSelector(text: string): (labels: StringMap | undefined) => boolean {
  if (text.trim() === "") return () => true;
  const requirements = requirementsOf(text).map(requirement);
  return (labels) => requirements.every((r) => r(labels ?? {}));
}

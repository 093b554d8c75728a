/** Walking and editing parsed YAML documents, for tests that change a scenario one value at a time. */

/** Every path (keys and indices) to a value inside a parsed document, the document's own first. */
export function pathsIn(doc: unknown, path: readonly (string | number)[] = []): (readonly (string | number)[])[] {
  if (doc === null || typeof doc !== "object") return [path];
  const inner = Array.isArray(doc) ? doc.map((v, i) => pathsIn(v, [...path, i])) : Object.entries(doc).map(([k, v]) => pathsIn(v, [...path, k]));
  return [path, ...inner.flat()];
}

/** A copy of a parsed document with the value at `path` replaced. */
export function replaceAt(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [step, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(doc) ? [...doc] : { ...(doc as object) }) as Record<string | number, unknown>;
  copy[step] = replaceAt(copy[step], rest, value);
  return copy;
}

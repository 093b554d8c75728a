/**
 * File paths for `import`: POSIX paths over the caller's in-memory file map, never the disk.
 */

/**
 * A path with `.` and empty segments removed and `..` applied where it can be. Absolute paths keep
 * their leading `/` (and `..` stops at the root); a relative path may keep leading `..` segments.
 */
export function normalizePath(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const joined = out.join("/");
  if (absolute) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** The directory part of a normalized path (`.` for a bare file name). */
function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash === -1) return ".";
  if (slash === 0) return "/";
  return path.slice(0, slash);
}

/**
 * Where an import refers to: an absolute pattern as written, a relative one relative to the
 * directory of the file the `import` is in (Caddy issue #867: "relative to the file of the token
 * being processed rather than the current working directory").
 */
export function resolveImport(fromFile: string, pattern: string): string {
  if (pattern.startsWith("/")) return normalizePath(pattern);
  return normalizePath(`${dirname(normalizePath(fromFile))}/${pattern}`);
}

/** True when the pattern is a glob (Go's filepath.Glob meta characters `*` and `?`). */
export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/** A matcher for a glob: `*` is any run of characters but `/`, `?` is one character but `/`. */
export function globMatcher(pattern: string): (path: string) => boolean {
  let source = "^";
  for (const ch of pattern) {
    if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/gu, "\\$&");
  }
  const re = new RegExp(`${source}$`, "u");
  return (path) => re.test(path);
}

/** Orders strings by code point, as Go orders file names (by bytes of their UTF-8). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/**
 * kubectl's tables: Go's tabwriter as kubectl configures it (minimum cell width 6, padding 3,
 * spaces), so each column is as wide as its widest cell plus three, and at least six; the last
 * column is not padded.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(6, ...all.map((r) => (r[c] ?? "").length + 3)));
  return all.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("")).map((line) => `${line}\n`).join("");
}

/**
 * Plain-text tables for terminal reports: a header row, columns padded to their widest cell,
 * numbers right-aligned.
 */

/**
 * A cell. Columns whose cells are all numbers (`1,339`, `0.25`, `99.51%`, `62x`), durations
 * (`661us`, `2.38ms`, `1m20s`) or `-` for none are right-aligned, so that magnitudes line up.
 */
export type Cell = string | number;

/** `-`, or one or more numbers each with an optional unit (a duration's parts: `1m20s`). */
const NUMERIC = /^(-|(-?\d[\d.,]*(e[+-]?\d+)?(%|x|us|ms|s|m|h)?)+)$/;

/** Lays out rows under a header, two spaces between columns. */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map((c) => String(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.length > 0 && text.every((r) => NUMERIC.test(r[i] ?? "")));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...text.map(line)].join("\n");
}

/** Microseconds as milliseconds with three decimals, `-` when there is no value. */
export function millis(us: number): string {
  return Number.isFinite(us) ? (us / 1000).toFixed(3) : "-";
}

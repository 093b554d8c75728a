import { expect } from "vitest";

/** The rows of a table section of the report: the lines after its title, up to the next blank line. */
export function section(text: string, title: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(title));
  expect(start, `no section ${title}`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf("", start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

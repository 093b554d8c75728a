/**
 * Go's text/tabwriter with spaces, as kubectl's describers use it (`minwidth 0, padding 2`): each
 * line's cells end at tabs, and a column is aligned over the run of consecutive lines that have a
 * cell in it, so a line without tabs (`Containers:`) ends the alignment above it. The text after
 * a line's last tab is not padded.
 */
export function tabwriteBlocks(text: string, padding = 2, minWidth = 0): string {
  const lines = text.split("\n");
  const last = lines.pop();
  const cells = lines.map((l) => l.split("\t"));
  const out: string[] = [];
  const widths: number[] = [];
  const write = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = cells[i]!;
      out.push(line.map((cell, c) => (c < line.length - 1 ? cell.padEnd(widths[c]!) : cell)).join(""));
    }
  };
  // text/tabwriter's format(): a block of column `widths.length` starts at the first line with a
  // cell in it, ends at the first line without, and is formatted recursively for the next column.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= cells[i]!.length - 1) continue;
      write(start, i);
      let width = minWidth;
      const blockStart = i;
      for (; i < line1 && column < cells[i]!.length - 1; i++) width = Math.max(width, cells[i]![column]!.length + padding);
      widths.push(width);
      format(blockStart, i);
      widths.pop();
      start = i;
      i--;
    }
    write(start, line1);
  };
  format(0, cells.length);
  return out.map((l) => `${l}\n`).join("") + (last ?? "");
}

import type { TraceSink } from "./trace.js";

/** Where two traces first differ. */
export interface Divergence {
  /** 1-based line number in both traces (line 1 is the header). */
  readonly line: number;
  /** That line in the first trace, or null when the first trace ended earlier. */
  readonly first: string | null;
  /** That line in the second trace, or null when the second trace ended earlier. */
  readonly second: string | null;
}

/** The first line at which two NDJSON traces differ, or null when they are identical. */
export function firstDivergence(first: string, second: string): Divergence | null {
  if (first === second) return null;
  const a = first.split("\n");
  const b = second.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { line: i + 1, first: a[i] ?? null, second: b[i] ?? null };
  }
  return null;
}

/**
 * Runs a world twice and compares the traces byte for byte, as madsim and FoundationDB check
 * their own determinism (shared/reference/simulation.md §2). `run` must build a fresh world with
 * the given sink among its trace sinks (at the trace level it wants compared) and run it.
 * Returns the trace of the first run and the first divergence, if any.
 */
export function checkDeterminism(run: (sink: TraceSink) => void): { readonly trace: string; readonly divergence: Divergence | null } {
  const traces = [0, 1].map(() => {
    const chunks: string[] = [];
    run((chunk) => chunks.push(chunk));
    return chunks.join("");
  });
  return { trace: traces[0]!, divergence: firstDivergence(traces[0]!, traces[1]!) };
}

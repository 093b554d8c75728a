/**
 * "Did you mean" for misspelt plugin names.
 */

/**
 * The name nearest to a misspelling, if any: at most `limit` edits away (by default two, and a
 * third of its length).
 */
export function closest(name: string, names: readonly string[], limit = Math.min(2, Math.max(1, Math.floor(name.length / 3)))): string | undefined {
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of names) {
    const d = editDistance(name, candidate, bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, or `cap` when it is at least `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return Math.min(prev[b.length]!, cap);
}

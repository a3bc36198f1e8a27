/**
 * The known name a mistyped one most likely meant ("cout" → "count", "conc" → "concurrency"), or
 * undefined when none is close. Edit distance counts a swap of two neighbours as one edit (Damerau),
 * since swapped letters are the commonest typo. Twenty lines, so written here rather than a dependency.
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.startsWith(typed) && typed.length >= 3 ? 0 : editDistance(typed, name);
    if (distance <= allowedEdits(name) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Short names allow one edit, longer ones about a third of their letters. */
function allowedEdits(name: string): number {
  return Math.max(1, Math.floor(name.length / 3));
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

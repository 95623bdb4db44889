/** "Did you mean": the names a user most likely meant, for a name that matches none exactly. */

const normal = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** Edit distance counting a swap of two neighbours as one edit (names are short). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Candidates that differ only by case or spacing, else those within a small edit distance
 * (one edit per four characters, at most two), closest first.
 */
export function nearMisses(name: string, candidates: Iterable<string>): string[] {
  const unique = [...new Set(candidates)].filter((c) => c !== name);
  const same = unique.filter((c) => normal(c) === normal(name));
  if (same.length > 0) return same;
  const limit = Math.min(2, Math.floor(normal(name).length / 4));
  return unique
    .map((c) => ({ c, d: distance(normal(c), normal(name)) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d)
    .map((x) => x.c);
}

/** ` (did you mean "X"?)`, or an empty string when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const near = nearMisses(name, candidates).slice(0, 3);
  return near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : '';
}

/**
 * An environment's gateway group that the control plane does not have: the groups it has, the
 * nearest name, and the key to change.
 */
export function unknownGroupMessage(
  group: string,
  environment: string,
  existing: string[],
  file: string,
): string {
  const has = existing.length ? existing.map((n) => `"${n}"`).join(', ') : 'none';
  return `gateway group "${group}" (environment "${environment}") does not exist on the control plane${didYouMean(group, existing)}; the groups it has: ${has}; set environments.${environment}.gatewayGroup in ${file} to one of them`;
}

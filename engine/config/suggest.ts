/**
 * "Did you mean …?" for names a person typed: environment names on the command line and in
 * the config. A near miss is a difference of case, spaces, "-"/"_", or a couple of typos.
 */

function normalise(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Edit distance (insert, delete, substitute), enough for short names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate closest to `name`, when it is close enough to be what was meant. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const wanted = normalise(name);
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const score = distance(wanted, normalise(candidate));
    const allowed = Math.max(1, Math.floor(Math.max(wanted.length, candidate.length) / 4));
    if (score <= allowed && (!best || score < best.score)) best = { candidate, score };
  }
  return best?.candidate;
}

/** ` Did you mean "x"?` or nothing, to append to a sentence. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const close = closestName(name, candidates);
  return close === undefined ? '' : ` Did you mean "${close}"?`;
}

/**
 * The sentence for an environment the config does not declare, shared by every place that
 * looks one up (plan, rollback, the CLI), so that all of them say it the same way.
 */
export function unknownEnvironmentMessage(name: string, declared: readonly string[], file: string): string {
  const list = declared.length ? declared.map((d) => `"${d}"`).join(', ') : 'none';
  return `environment "${name}" is not declared in ${file} (declared: ${list}).${didYouMean(name, declared)}`;
}

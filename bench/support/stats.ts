/** Summaries of repeated measurements: every figure is printed as min / median / max. */

export interface Summary {
  min: number;
  median: number;
  max: number;
  runs: number;
}

export function summarize(xs: number[]): Summary {
  if (xs.length === 0) throw new Error('no measurements to summarize');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s.at(-1)!, runs: s.length };
}

/** Milliseconds, seconds past 10 s. */
export const ms = (v: number): string =>
  Math.abs(v) >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;

/** `min / median / max unit`, formatted by `format` (milliseconds by default). */
export function range(xs: number[], format: (v: number) => string = ms): string {
  const { min, median, max } = summarize(xs);
  return `${format(min)} / ${format(median)} / ${format(max)}`;
}

export const fixed =
  (digits: number, unit = '') =>
  (v: number): string =>
    `${v.toFixed(digits)}${unit}`;

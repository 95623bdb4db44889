/**
 * Markdown that we write to GitHub. Untrusted text goes through the project's one escaper
 * (engine/markdown.ts), re-exported here for the GitHub side.
 */
export { inert } from '../engine/index.js';

/** A Markdown table; every cell must already be inert (or our own fixed text). */
export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`),
  ].join('\n');
}

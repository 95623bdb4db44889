/**
 * Text that lands in GitHub Markdown (check run summaries, tables) but comes from somebody else:
 * service names and versions from API7, environment names and reasons from a config or a comment.
 * It must render as the same characters and nothing more: no table break, no markup, no HTML, no
 * @mention, no issue link, no autolink, no invisible reordering.
 */

/** Longest text quoted back; beyond this a name is a payload, not a name. */
const MAX_CHARS = 200;

/**
 * Characters that break out of a cell or turn into markup. Every ASCII punctuation character may
 * be backslash-escaped in CommonMark; the backslash itself is escaped first so that `\|` in the
 * input cannot pair with our escape and leave a bare pipe that splits the table row.
 */
const MARKUP = /[\\`*_{}[\]()#!|<>~]/g;

/** C0/C1 controls and the bidirectional overrides and isolates (Trojan Source). */
const INVISIBLE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** A zero-width space after `@` and `#` stops GitHub from linking mentions and issue references. */
const ZWSP = '\u200b';

/** Inert Markdown for one table cell or inline position. */
export function inert(text: string): string {
  const chars = [...text];
  const cut = chars.length > MAX_CHARS ? `${chars.slice(0, MAX_CHARS).join('')}…` : text;
  return (
    cut
      .replace(INVISIBLE, (c) =>
        // Newlines end a table row; show every invisible character as its escape instead.
        c === '\n' || c === '\r' || c === '\t'
          ? ' '
          : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
      )
      .replace(/&/g, '&amp;')
      .replace(MARKUP, (c) => `\\${c}`)
      .replace(/[@#]/g, (c) => `${c}${ZWSP}`)
      // GFM links bare URLs and www. names on its own; break the pattern it looks for.
      .replace(/:\/\//g, `:${ZWSP}//`)
      .replace(/www\./gi, (w) => `${w.slice(0, 3)}${ZWSP}.`)
  );
}

/** A Markdown table; every cell must already be inert (or our own fixed text). */
export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`),
  ].join('\n');
}

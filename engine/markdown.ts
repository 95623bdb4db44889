/**
 * The one escaper for untrusted text in GitHub Markdown: service names and versions from API7,
 * environment names and reasons from a config, a comment or a hand-made lock ref, error text a
 * control plane sent. Wherever it lands (a PR comment, a table cell, a Check Run, a job summary)
 * it must render as the same characters and nothing more: no table break, no markup, no HTML, no
 * link or image, no @mention, no issue reference, no autolink, no invisible reordering.
 *
 * Escaping rather than a code span: a backslash escape means the same inside a table cell and
 * outside one, whereas a `|` inside a code span splits a table row unless escaped, and the escape
 * then shows outside tables. So one form serves every place.
 */

/** Longest quoted text by default; beyond this a name or a reason is a payload, not a name. */
export const MAX_QUOTED_CHARS = 200;

/**
 * Characters that break out of a cell or turn into markup. Every ASCII punctuation character may
 * be backslash-escaped in CommonMark; the backslash itself is escaped too, so that `\|` in the
 * input cannot pair with our escape and leave a bare pipe that splits the table row.
 */
const MARKUP = /[\\`*_{}[\]()#+!|<>~]/g;

/**
 * Controls, format characters (zero-width joiners, the bidirectional overrides and isolates of
 * Trojan Source, soft hyphens) and the line and paragraph separators: shown as escapes.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** A zero-width space after `@` and `#` stops GitHub from linking mentions and issue references. */
const ZWSP = '\u200b';

/**
 * Inert Markdown for one table cell or inline position. `max` caps the length in characters
 * (code points); error text from the engine may pass a larger cap than quoted user text. (An
 * options object, not a bare number, so that `list.map(inert)` cannot pass an index as the cap.)
 */
export function inert(text: string, { max = MAX_QUOTED_CHARS }: { max?: number } = {}): string {
  const chars = [...text];
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
  return (
    cut
      .replace(INVISIBLE, (c) =>
        // Newlines and tabs end a table row or a paragraph; a space reads the same.
        c === '\n' || c === '\r' || c === '\t'
          ? ' '
          : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
      )
      .replace(/&/g, '&amp;')
      .replace(MARKUP, (c) => `\\${c}`)
      // The zero-width space we add ourselves comes after INVISIBLE ran, so it stays.
      .replace(/[@#]/g, (c) => `${c}${ZWSP}`)
      // GFM links bare URLs and www. names on its own; break the patterns it looks for.
      .replace(/:\/\//g, `:${ZWSP}//`)
      .replace(/www\./gi, (w) => `${w.slice(0, 3)}${ZWSP}.`)
  );
}

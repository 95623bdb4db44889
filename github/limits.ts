/**
 * GitHub's size limits for what we write, and the one way text is fitted under them. GitHub
 * refuses a comment body over 65,536 characters and a Check Run output summary or text over
 * 65,535 (422): a refused update leaves a status comment stale or a check run queued for good. So
 * long text (a 600-service table) is cut at a line boundary, keeping its end marker, and says how
 * much was left out and where the whole of it is.
 */

/** An issue or pull-request comment body. */
export const MAX_COMMENT_CHARS = 65_536;
/** A Check Run's `output.summary`, and separately its `output.text`. */
export const MAX_CHECK_OUTPUT_CHARS = 65_535;

/**
 * `text` cut to at most `max` UTF-16 code units (never more characters than GitHub counts), at
 * a line boundary, with a closing line saying how many lines were left out. `keepTail` is text
 * at the end that must survive (a status comment's state marker).
 */
export function fitText(text: string, max: number, elsewhere: string, keepTail = ''): string {
  if (text.length <= max) return text;
  const tail = keepTail && text.endsWith(keepTail) ? keepTail : '';
  const head = text.slice(0, text.length - tail.length);
  const note = (left: number) =>
    `\n\n… ${left} more line${left === 1 ? '' : 's'} left out here (GitHub's size limit); ${elsewhere}.\n`;
  const budget = max - tail.length - note(head.split('\n').length).length;
  const cut = head.lastIndexOf('\n', Math.max(0, budget));
  const kept = head.slice(0, cut > 0 ? cut : Math.max(0, budget));
  const left = head.split('\n').length - kept.split('\n').length;
  return `${kept}${note(left)}${tail}`;
}

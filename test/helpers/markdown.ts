/** Pieces of a Markdown file, for tests that hold the README to what it says. */

/** The text of a `## ` section, up to the next one. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

/** The fenced blocks of one language (or of any language, with `.*`) in a piece of Markdown. */
export function blocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** The heading levels in order (2 for `##`), outside fenced blocks. */
export function headingLevels(markdown: string): number[] {
  const levels: number[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && /^#{1,6} /.test(line)) levels.push(line.indexOf(' '));
  }
  return levels;
}

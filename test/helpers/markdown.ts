/** Pieces of a Markdown file, for tests that hold the README to what it says. */
import { Lexer, type Token, type Tokens } from 'marked';

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

/** One table as GitHub's Markdown (CommonMark + GFM) reads it: header cells and rows of cells. */
export interface ParsedTable {
  header: string[];
  rows: string[][];
}

/**
 * Every table of a Markdown text, parsed by a real CommonMark + GFM parser (marked), so that a
 * test sees what GitHub renders: two tables with no blank line between them come out as one.
 * Cells are their source text (escapes kept), trimmed.
 */
export function tables(markdown: string): ParsedTable[] {
  const out: ParsedTable[] = [];
  const walk = (tokens: Token[]) => {
    for (const t of tokens) {
      if (t.type === 'table') {
        const table = t as Tokens.Table;
        out.push({
          header: table.header.map((c) => c.text.trim()),
          rows: table.rows.map((r) => r.map((c) => c.text.trim())),
        });
      } else if ('tokens' in t && Array.isArray(t.tokens)) walk(t.tokens);
    }
  };
  walk(new Lexer({ gfm: true }).lex(markdown));
  return out;
}

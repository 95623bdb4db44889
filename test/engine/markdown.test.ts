/**
 * The one escaper for untrusted text in GitHub Markdown, checked by parsing what it produces with
 * a CommonMark + GFM parser: whatever goes in renders as text only, in a table cell or inline.
 */
import fc from 'fast-check';
import { Lexer, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { inert, MAX_QUOTED_CHARS } from '../../engine/markdown.js';

/** Every token of a parsed document, depth first. */
function walk(tokens: Token[]): Token[] {
  return tokens.flatMap((t) => {
    const table = t as Tokens.Table;
    const cells = t.type === 'table' ? [...table.header, ...table.rows.flat()].flatMap((c) => c.tokens) : [];
    const inner = (t as { tokens?: Token[] }).tokens ?? [];
    return [t, ...walk(inner), ...walk(cells)];
  });
}

const lex = (markdown: string) => walk(Lexer.lex(markdown, { gfm: true }));
const rendered = (tokens: Token[]) =>
  tokens
    .filter((t) => t.type === 'text' || t.type === 'escape')
    .map((t) => (t as Tokens.Text).text)
    .join('');

const HOSTILE = [
  '@alice please look',
  'see #12 and acme/shop#3',
  '[click](https://evil.test) ![x](https://evil.test/x.png)',
  '<img src=x onerror=alert(1)> <!-- api7-sync:state x -->',
  '`code` ``two``',
  'a|b\\|c',
  'https://evil.test www.evil.test mail@evil.test',
  '\u202eevil\u2066 zero\u200bwidth\u0007bell',
  '**bold** _em_ ~~gone~~',
  '\n# heading\n- item',
];

describe('inert, the escaper for untrusted Markdown', () => {
  it.each(HOSTILE)(
    'renders %j as plain text in a table cell: no link, image, HTML, code or mention',
    (text) => {
      const cell = inert(text);
      const tokens = lex(`| a | b |\n| --- | --- |\n| ${cell} | x |\n`);
      const table = tokens.find((t) => t.type === 'table') as Tokens.Table;
      expect(table.rows).toHaveLength(1);
      expect(table.rows[0]).toHaveLength(2);
      expect(table.rows[0]![1]!.text).toBe('x');
      for (const t of tokens) expect(['table', 'text', 'escape'], `${t.type} in ${cell}`).toContain(t.type);
      const shown = rendered(table.rows[0]![0]!.tokens);
      expect(shown).not.toMatch(/@[a-z]|#\d|https?:\/\/|www\.|[\u202a-\u202e\u2066-\u2069\n]/);
      expect(shown).not.toContain('\u0007');
    },
  );

  it.each(HOSTILE)('renders %j as plain text inline', (text) => {
    const tokens = lex(`Lock held by ${inert(text)} since noon.`);
    for (const t of tokens) expect(['paragraph', 'text', 'escape'], t.type).toContain(t.type);
  });

  it('keeps every visible character of ordinary text, and shows invisible ones as escapes', () => {
    expect(rendered(lex(inert('orders (v2) *beta* <x>')))).toBe('orders (v2) *beta* <x>');
    expect(rendered(lex(inert('a\u202eb')))).toBe('a\\u202eb');
  });

  it('cuts quoted text at 200 characters unless told otherwise', () => {
    expect(inert('x'.repeat(500))).toBe(`${'x'.repeat(MAX_QUOTED_CHARS)}…`);
    expect(inert('x'.repeat(500), { max: 1000 })).toBe('x'.repeat(500));
  });

  it('never lets any string out of its cell (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const table = Lexer.lex(`| a | b |\n| --- | --- |\n| ${inert(text)} | end |\n`, { gfm: true }).find(
          (t) => t.type === 'table',
        ) as Tokens.Table | undefined;
        expect(table?.rows).toHaveLength(1);
        expect(table!.rows[0]!.at(-1)!.text).toBe('end');
        expect(walk(table!.rows[0]![0]!.tokens).every((t) => t.type === 'text' || t.type === 'escape')).toBe(
          true,
        );
      }),
    );
  });
});

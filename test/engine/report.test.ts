import { Lexer, type Token } from 'marked';
import { describe, expect, it } from 'vitest';
import type { ServiceResult, SyncResult } from '../../engine/model.js';
import { resultMarkdown, resultText, statusMarkdown } from '../../engine/report.js';

const service = (over: Partial<ServiceResult>): ServiceResult => ({
  name: 'httpbin API',
  action: 'rolled-back',
  version: '0.9.0',
  requestedVersion: null,
  previousVersion: '1.0.0',
  serviceVersionId: 'sv9',
  runtimeRepaired: false,
  runtime: null,
  drift: [],
  warnings: [],
  verify: [],
  reason: null,
  message: null,
  ...over,
});

const rollback = (services: ServiceResult[]): SyncResult => ({
  schemaVersion: 1,
  operation: 'rollback',
  from: { environment: 'production', gatewayGroup: '生产网关组' },
  to: { environment: 'production', gatewayGroup: '生产网关组' },
  dryRun: false,
  services,
  ok: true,
  durationMs: 5,
});

describe('a rollback reads as a rollback', () => {
  it('in text: no "sync production -> production", no "synced", no "-> null"', () => {
    const text = resultText(rollback([service({})]));
    expect(text).toBe('rollback in production (生产网关组)\n  rolled back httpbin API  1.0.0 -> 0.9.0');
    const refused = resultText(
      rollback([
        service({
          action: 'refused',
          version: null,
          reason: 'no-earlier-version',
          message: 'nothing before',
        }),
      ]),
    );
    expect(refused).toContain('refused     httpbin API  1.0.0');
    expect(refused).not.toMatch(/null|undefined|sync production/);
  });

  it('in Markdown: titled as a rollback in one gateway group', () => {
    const md = resultMarkdown(rollback([service({})]));
    expect(md).toMatch(/^### Rollback in production \\\(生产网关组\\\)/);
    expect(md).toContain('1.0.0 → 0.9.0');
    expect(md).not.toMatch(/Promotion|production → production/);
  });
});

it('lists drift and warnings under the row they belong to', () => {
  const text = resultText({
    ...rollback([]),
    operation: 'promotion',
    from: { environment: 'test', gatewayGroup: 't' },
    dryRun: true,
    services: [
      service({
        action: 'planned',
        version: '1.0.0',
        previousVersion: '1.0.0',
        message: 'already at 1.0.0',
        drift: [{ key: 'hosts', target: null, config: ['api.example.com'] }],
        warnings: ['this adds hosts api.example.com'],
      }),
    ],
  });
  expect(text.split('\n')).toEqual([
    'plan test (t) -> production (生产网关组)',
    '  planned     httpbin API  1.0.0',
    '              already at 1.0.0',
    '              drift: hosts (target: none; config: api.example.com)',
    '              warning: this adds hosts api.example.com',
  ]);
});

describe('service names from API7 in the Markdown tables', () => {
  const hostile = '@acme/sre `x` [click](https://evil.example) #12 \u202eevil';
  /** Every token, table cells included. */
  const tokens = (md: string): Token[] => {
    const walk = (ts: Token[]): Token[] =>
      ts.flatMap((t) => {
        const any = t as { tokens?: Token[]; header?: { tokens: Token[] }[]; rows?: { tokens: Token[] }[][] };
        const cells = [...(any.header ?? []), ...(any.rows ?? []).flat()].flatMap((c) => c.tokens);
        return [t, ...walk(any.tokens ?? []), ...walk(cells)];
      });
    return walk(Lexer.lex(md, { gfm: true }));
  };

  it('render as text only in the result table and the status matrix: no mention, link, code or bidi', () => {
    const result = resultMarkdown({
      schemaVersion: 1,
      operation: 'promotion',
      from: { environment: 'test', gatewayGroup: 'g1' },
      to: { environment: 'production', gatewayGroup: 'g2' },
      dryRun: false,
      services: [service({ name: hostile, message: `failed for ${hostile}`, reason: 'publish-failed' })],
      ok: false,
      durationMs: 1,
    } as SyncResult);
    const matrix = statusMarkdown({
      environments: [{ name: 'production', found: true }],
      services: [{ name: hostile, versions: { production: '1.0.0' }, drift: {} }],
    } as never);
    for (const md of [result, matrix]) {
      const types = new Set(tokens(md).map((t) => t.type));
      for (const bad of ['link', 'image', 'codespan', 'html'])
        expect(types.has(bad), `${bad} in ${md}`).toBe(false);
      expect(md).not.toMatch(/@acme\/sre|(^|[^\\])#12|\u202e/);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { ServiceResult, SyncResult } from '../../engine/model.js';
import { resultMarkdown, resultText } from '../../engine/report.js';

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

import { describe, expect, it } from 'vitest';
import type { SyncResult } from '../../../engine/model.js';
import { policyMarkdown, policyText, withPolicies } from '../../../engine/policy/result.js';

const result: SyncResult = {
  schemaVersion: 1,
  operation: 'promotion',
  from: { environment: 'test', gatewayGroup: 't' },
  to: { environment: 'production', gatewayGroup: 'p' },
  dryRun: true,
  services: [
    {
      name: 'orders <b>',
      action: 'planned',
      version: '1.0.0',
      requestedVersion: null,
      previousVersion: '0.9.0',
      serviceVersionId: 'sv1',
      runtimeRepaired: false,
      runtime: null,
      verify: [],
      reason: null,
      message: null,
      drift: [],
      warnings: [],
    },
  ],
  ok: true,
  durationMs: 1,
};

describe('policies in the result', () => {
  it('carries the route diff per entry and the break-glass reason; renders both, escaped', () => {
    const out = withPolicies(
      {
        from: { environment: 'test' },
        to: { environment: 'production' },
        createdAt: 0,
        breakGlass: { reason: 'INC-1 | <script>', overrode: true },
        entries: [
          {
            name: 'orders <b>',
            decision: 'sync',
            reason: null,
            message: null,
            version: '1.0.0',
            requestedVersion: null,
            drift: [],
            runtimeLabel: null,
            probes: [],
            routes: { added: ['status'], removed: [], changed: [{ name: 'headers', fields: ['paths'] }] },
          },
        ],
      },
      result,
    );
    expect(out.breakGlass).toEqual({ reason: 'INC-1 | <script>', overrode: true });
    expect(policyText(out)).toEqual([
      '  routes of orders <b>: + status, ~ headers (paths)',
      '  break glass (outside the promotion windows): INC-1 | <script>',
    ]);
    const md = policyMarkdown(out);
    expect(md).toContain('| orders \\<b\\> | \\+ status, \\~ headers \\(paths\\) |');
    expect(md).toContain('**Break glass** (outside the promotion windows): INC-1 \\| \\<script\\>');
    expect(md).not.toContain('<script>');
    expect(policyMarkdown(result)).toBe('');
  });
});

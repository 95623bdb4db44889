import { describe, expect, it } from 'vitest';
import type { PublishedService } from '../../../engine/api7/client.js';
import { atomicRefusals, chunks, leftOver, outcome, runtimeBody } from '../../../engine/apply/decide.js';
import type { Observed } from '../../../engine/apply/observe.js';
import type { Work } from '../../../engine/apply/work.js';
import type { PlanEntry } from '../../../engine/model.js';

const UP = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };
const OLD_UP = { nodes: [{ host: 'old', port: 80, weight: 100 }] };

function entry(over: Partial<PlanEntry> = {}): PlanEntry {
  return {
    name: 'svc',
    decision: 'sync',
    reason: null,
    message: null,
    templateId: 't1',
    version: '1.0.0',
    requestedVersion: null,
    sourceVersionId: 'sv-new',
    drift: [],
    runtimeLabel: null,
    probes: [],
    desiredRuntime: { upstream: UP, hosts: ['api.example.com'] },
    ...over,
  };
}

const previous: PublishedService = {
  id: 'p1',
  service_id: 't1',
  name: 'svc',
  version: '0.9.0',
  service_version_id: 'sv-old',
  status: 1,
  upstream: OLD_UP,
};

const seen = (service: Partial<PublishedService>, running: string | undefined): Observed => ({
  service: { ...previous, ...service },
  running,
});

const work = (e: PlanEntry, over: Partial<Work> = {}): Work => ({
  entry: e,
  versionId: 'sv-new',
  touched: true,
  verify: [],
  ...over,
});

const verifyFailed = { reason: 'verify-failed' as const, message: 'verification failed' };

describe('atomicRefusals', () => {
  it('refuses every service to be synced, naming the refused one, when atomic', () => {
    const ok = entry({ name: 'a' });
    const bad = entry({ name: 'ghost', decision: 'refused', reason: 'unknown-service' });
    const same = entry({ name: 'same', decision: 'unchanged' });
    const out = atomicRefusals([ok, bad, same], true);
    expect([...out.keys()]).toEqual([ok]);
    expect(out.get(ok)).toMatchObject({ reason: 'atomic-refusal' });
    expect(out.get(ok)!.message).toContain('"ghost" (unknown-service)');
  });

  it('refuses nothing more without atomic, or when nothing was refused', () => {
    const ok = entry();
    const bad = entry({ decision: 'refused', reason: 'unknown-service' });
    expect(atomicRefusals([ok, bad], false).size).toBe(0);
    expect(atomicRefusals([ok, entry()], true).size).toBe(0);
  });
});

describe('runtimeBody', () => {
  it('modern first sync: the whole runtime and enable', () => {
    expect(runtimeBody(entry(), 'sv-new', 'modern')).toEqual({
      upstreams: UP,
      hosts: ['api.example.com'],
      status: 1,
    });
  });

  it('legacy: the publish carries the runtime, so a version change needs no PATCH', () => {
    const e = entry({
      target: previous,
      targetVersionId: 'sv-old',
      drift: [{ key: 'upstream', target: 'x', config: 'y' }],
    });
    expect(runtimeBody(e, 'sv-new', 'legacy')).toBeUndefined();
  });

  it('a disabled target at the same version is only enabled', () => {
    const e = entry({ target: { ...previous, status: 0 }, targetVersionId: 'sv-new' });
    expect(runtimeBody(e, 'sv-new', 'legacy')).toEqual({ status: 1 });
  });
});

describe('leftOver', () => {
  it('names hosts and a path prefix the service did not have before', () => {
    expect(leftOver(previous, { ...previous, hosts: ['a.example.com'], path_prefix: '/v1' })).toEqual([
      'hosts a.example.com',
      'path prefix /v1',
    ]);
  });
  it('is empty when the service had them before (they can be put back)', () => {
    const before = { ...previous, hosts: ['old.example.com'], path_prefix: '/v0' };
    expect(leftOver(before, { ...previous, hosts: ['a.example.com'], path_prefix: '/v1' })).toEqual([]);
  });
});

describe('outcome', () => {
  const existing = entry({ target: previous, targetVersionId: 'sv-old' });

  it('synced when the target runs the new version, enabled, with the runtime asked for', () => {
    const o = seen({ service_version_id: 'sv-new', upstream: UP, hosts: ['api.example.com'] }, 'sv-new');
    expect(outcome(work(existing), o, false)).toMatchObject({ action: 'synced', reason: null });
  });

  it('rolled-back only when the target is exactly as before', () => {
    const result = outcome(
      work(existing, { failed: verifyFailed, rolledBack: true }),
      seen({}, 'sv-old'),
      false,
    );
    expect(result).toMatchObject({ action: 'rolled-back', reason: 'verify-failed' });
    expect(result.message).toContain('back on 0.9.0');
  });

  it('failed with cannot-clear-hosts when the version is back but hosts added remain', () => {
    const result = outcome(
      work(existing, { failed: verifyFailed, rolledBack: true }),
      seen({ hosts: ['api.example.com'] }, 'sv-old'),
      false,
    );
    expect(result).toMatchObject({ action: 'failed', reason: 'cannot-clear-hosts' });
    expect(result.message).toContain('hosts api.example.com');
    expect(result.message).not.toContain('undefined');
  });

  it('first sync: rolled-back when removed, failed left-disabled when only disabled', () => {
    const first = entry();
    expect(outcome(work(first, { failed: verifyFailed, rolledBack: true }), undefined, false)).toMatchObject({
      action: 'rolled-back',
    });
    const disabled = outcome(
      work(first, { failed: verifyFailed, rolledBack: true }),
      seen({ status: 0, service_version_id: 'sv-new', version: '1.0.0' }, 'sv-new'),
      false,
    );
    expect(disabled).toMatchObject({ action: 'failed', reason: 'left-disabled' });
    expect(disabled.message).toMatch(/runs 1\.0\.0 \(disabled\)/);
  });

  it('never rolled-back for a partial undo: another version still running is a failure', () => {
    const result = outcome(
      work(existing, { failed: verifyFailed, rolledBack: true }),
      seen({}, 'sv-new'),
      false,
    );
    expect(result).toMatchObject({ action: 'failed', reason: 'verify-failed' });
    expect(result.message).toMatch(/ROLLBACK INCOMPLETE/);
  });

  it('failed with an unknown state when the target cannot be read back', () => {
    expect(outcome(work(existing), undefined, true)).toMatchObject({ action: 'failed' });
  });
});

it('chunks a list into batches of at most the given size', () => {
  expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  expect(chunks([], 50)).toEqual([]);
});

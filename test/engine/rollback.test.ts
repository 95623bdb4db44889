import { describe, expect, it } from 'vitest';
import type { VersionHistoryItem } from '../../engine/api7/client.js';
import { defaultRollbackTarget, describeHistory } from '../../engine/rollback.js';

/** History as the API lists it: newest first. */
const history = (...items: [string, string, string][]): VersionHistoryItem[] =>
  items.map(([id, version, time]) => ({ id, service_id: 't', version, publish_time: time })).reverse();

describe('defaultRollbackTarget', () => {
  it('is the version that ran before the current one first came in', () => {
    const h = history(
      ['sv8', '0.8.0', '2026-01-01T00:00:00Z'],
      ['sv9', '0.9.0', '2026-01-02T00:00:00Z'],
      ['sv10', '1.0.0', '2026-01-03T00:00:00Z'],
    );
    expect(defaultRollbackTarget(h, 'sv10')?.version).toBe('0.9.0');
  });

  it('never a version published after that, such as a failed sync that was rolled back', () => {
    const h = history(
      ['sv8', '0.8.0', '2026-01-01T00:00:00Z'],
      ['sv9', '0.9.0', '2026-01-02T00:00:00Z'],
      ['sv10', '1.0.0', '2026-01-03T00:00:00Z'],
      ['sv9', '0.9.0', '2026-01-03T00:00:01Z'],
    );
    expect(defaultRollbackTarget(h, 'sv9')?.version).toBe('0.8.0');
  });

  it('none when the current version is the first the group ran', () => {
    const h = history(
      ['sv9', '0.9.0', '2026-01-02T00:00:00Z'],
      ['sv10', '1.0.0', '2026-01-03T00:00:00Z'],
      ['sv9', '0.9.0', '2026-01-03T00:00:01Z'],
    );
    expect(defaultRollbackTarget(h, 'sv9')).toBeUndefined();
    expect(describeHistory(h)).toMatch(/^0\.9\.0 \(published 2026-01-03T00:00:01Z\), 1\.0\.0/);
  });

  it('equal publish times keep the order the API gave', () => {
    const t = '2026-01-01T00:00:00Z';
    const h = history(['sv8', '0.8.0', t], ['sv9', '0.9.0', t]);
    expect(defaultRollbackTarget(h, 'sv9')?.version).toBe('0.8.0');
  });

  it('a "No Version" service goes back to the last version published', () => {
    const h = history(['sv8', '0.8.0', '2026-01-01T00:00:00Z'], ['sv9', '0.9.0', '2026-01-02T00:00:00Z']);
    expect(defaultRollbackTarget(h, undefined)?.version).toBe('0.9.0');
  });
});

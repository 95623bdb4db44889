import { describe, expect, it } from 'vitest';
import { describeRouteDiff, diffRoutes } from '../../../engine/policy/route-diff.js';

describe('route diff', () => {
  it('matches routes by name and ignores IDs, timestamps, key order and API7 defaults', () => {
    const before = [
      {
        id: 'a1',
        name: 'headers',
        paths: ['/headers'],
        methods: ['GET'],
        service_version_id: 'v1',
        priority: 0,
      },
      { id: 'a2', name: 'ip', paths: ['/ip'] },
      { id: 'a3', name: 'same', plugins: { cors: { allow_origins: '*', max_age: 5 } } },
    ];
    const after = [
      { id: 'b1', name: 'headers', methods: ['GET', 'POST'], paths: ['/headers'], service_version_id: 'v2' },
      { id: 'b3', name: 'same', plugins: { cors: { max_age: 5, allow_origins: '*' } }, update_time: 9 },
      { id: 'b4', name: 'anything', paths: ['/anything/*'] },
    ];
    const diff = diffRoutes(before, after);
    expect(diff).toEqual({
      added: ['anything'],
      removed: ['ip'],
      changed: [{ name: 'headers', fields: ['methods'] }],
    });
    expect(describeRouteDiff(diff)).toBe('+ anything, - ip, ~ headers (methods)');
    expect(describeRouteDiff(diffRoutes(after, after))).toBe('no route changes');
  });
});

import { expect, it } from 'vitest';
import { nextProbeDelay, verifyFailure } from '../../engine/verify.js';

it('confirms after confirmMs, and backs off only while the answer is wrong, up to 1 s', () => {
  expect(nextProbeDelay(0, 200)).toBe(200);
  expect([1, 2, 3, 4, 5].map((n) => nextProbeDelay(n, 200))).toEqual([200, 400, 800, 1000, 1000]);
  expect(nextProbeDelay(0, 50)).toBe(50);
  expect(nextProbeDelay(3, 2000)).toBe(2000);
});

it('says when a path prefix is the likely reason every probe answered 404', () => {
  const results = [{ path: '/headers', status: 404, ok: false, ms: 1 }];
  expect(verifyFailure(results, 'http://gw', '/v1')).toMatch(/path prefix is \/v1.*\/v1\/headers/);
  expect(verifyFailure(results, 'http://gw')).toBe(
    'verification through http://gw failed: /headers answered 404',
  );
  expect(verifyFailure([{ path: '/ip', status: null, ok: false, ms: 1 }], 'http://gw')).not.toMatch(
    /null|undefined/,
  );
});

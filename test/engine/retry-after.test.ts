/**
 * One reading of `Retry-After` for the control plane and GitHub: seconds or an HTTP date, and an
 * unreadable value is "no advice" (the caller's own backoff), never "retry at once".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { Api7Client } from '../../engine/api7/client.js';
import { Api7Error } from '../../engine/api7/transport.js';
import { retryAfterMs } from '../../engine/index.js';
import { rateLimitWaitMs } from '../../github/api.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';

const NOW = Date.parse('2030-01-02T03:04:05Z');

describe('retryAfterMs', () => {
  it('reads delay-seconds', () => {
    expect(retryAfterMs('0', NOW)).toBe(0);
    expect(retryAfterMs('120', NOW)).toBe(120_000);
    expect(retryAfterMs(' 7 ', NOW)).toBe(7_000);
    expect(retryAfterMs(['3', '9'], NOW)).toBe(3_000);
    expect(retryAfterMs(2, NOW)).toBe(2_000);
  });

  it('reads an HTTP date (IMF-fixdate and RFC 850), against the clock it is given', () => {
    expect(retryAfterMs('Wed, 02 Jan 2030 03:04:35 GMT', NOW)).toBe(30_000);
    expect(retryAfterMs('Wednesday, 02-Jan-30 03:05:05 GMT', NOW)).toBe(60_000);
  });

  it('takes a date already past as "now", which is what the server said', () => {
    expect(retryAfterMs('Tue, 01 Jan 2030 00:00:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, null, '', '   ', 'soon', '-5', '1.5.2', 'tomorrow 5', 'Wed, 99 Foo 2030 GMT', -1, NaN])(
    'gives no advice for %j instead of a wait of ~0',
    (value) => {
      expect(retryAfterMs(value as string, NOW)).toBeUndefined();
    },
  );
});

describe('the control plane sending an unreadable Retry-After', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  async function answering(retryAfter: string): Promise<{ url: string; reads: () => number }> {
    let reads = 0;
    server = http.createServer((_req, res) => {
      reads++;
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': retryAfter });
      res.end(JSON.stringify({ error_msg: 'busy' }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reads: () => reads };
  }

  it('is retried with the backoff, and the error carries no wait of its own', async () => {
    const cp = await answering('whenever you like');
    const client = new Api7Client({
      baseUrl: cp.url,
      token: 'a7ee-token',
      budgets: { readRetryWindowMs: 5_000 },
    });
    try {
      const err = await client.version().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Api7Error);
      expect((err as Api7Error).retryAfterMs).toBeUndefined();
      expect(cp.reads()).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('gives up at once when a readable date lies beyond the retry window', async () => {
    const later = new Date(Date.now() + 3_600_000).toUTCString();
    const cp = await answering(later);
    const client = new Api7Client({
      baseUrl: cp.url,
      token: 'a7ee-token',
      budgets: { readRetryWindowMs: 5_000 },
    });
    try {
      const err = (await client.version().catch((e: unknown) => e)) as Api7Error;
      expect(err.retryAfterMs).toBeGreaterThan(3_000_000);
      expect(cp.reads()).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('GitHub refusing for a rate limit', () => {
  let gh: FakeGitHub | undefined;
  afterEach(async () => {
    await gh?.close();
    gh = undefined;
  });

  async function refusal(status: number, message: string, headers: Record<string, string>): Promise<unknown> {
    gh = await fakeGitHub();
    gh.failNext('GET', /\/repos\/acme\/shop$/, status, message, headers);
    const octokit = getOctokit('ghs_token', { baseUrl: gh.url });
    return octokit
      .request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' })
      .catch((e: unknown) => e);
  }

  it('waits what retry-after says, in seconds or as a date', async () => {
    const now = Date.now();
    expect(rateLimitWaitMs(await refusal(429, 'slow down', { 'retry-after': '42' }), now)).toBe(42_000);
    await gh?.close();
    const at = new Date(now + 90_000);
    at.setUTCMilliseconds(0);
    const err = await refusal(429, 'slow down', { 'retry-after': at.toUTCString() });
    expect(rateLimitWaitMs(err, now)).toBe(at.getTime() - now);
  });

  it('falls back to a minute, not ~0, when retry-after cannot be read', async () => {
    const err = await refusal(403, 'You have exceeded a secondary rate limit.', { 'retry-after': 'later' });
    expect(rateLimitWaitMs(err, Date.now())).toBe(60_000);
  });
});

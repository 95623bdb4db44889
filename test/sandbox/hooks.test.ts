import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { api, requestLog, sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
afterEach(async () => sb?.close());

describe('test hooks under /sandbox/', () => {
  it('records control-plane requests in order, without the hooks themselves', async () => {
    sb = await sandbox();
    expect((await api(sb, 'GET', '/sandbox/healthz', undefined, null)).body).toEqual({ status: 'ok' });
    await api(sb, 'GET', '/api/gateway_groups?search=%E7%94%9F%E4%BA%A7&page=1&page_size=5');
    await api(sb, 'POST', '/api/gateway_groups', { name: 'uat' });
    await api(sb, 'GET', '/api/version', undefined, 'a7ee-wrong');
    const log = await requestLog(sb);
    expect(log.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/api/gateway_groups', 200],
      ['POST', '/api/gateway_groups', 200],
      ['GET', '/api/version', 401],
    ]);
    expect(log[0]!.query).toEqual({ search: '生产', page: '1', page_size: '5' });
    expect(log[1]!.body).toEqual({ name: 'uat' });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    expect(await requestLog(sb)).toEqual([]);
  });

  it('says how much CPU it had spent when it answered each request, and when asked for the log', async () => {
    sb = await sandbox();
    await api(sb, 'GET', '/api/version');
    // Real work between two answers, so the second must show more CPU than the first.
    for (let i = 0; i < 20; i++) await api(sb, 'POST', '/api/gateway_groups', { name: `cpu-${i}` });
    const answer = (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body as {
      list: { cpuMs?: number }[];
      cpuMs: number;
    };
    const spent = answer.list.map((r) => r.cpuMs);
    expect(spent.every((ms) => typeof ms === 'number' && ms > 0)).toBe(true);
    for (let i = 1; i < spent.length; i++) expect(spent[i]!).toBeGreaterThanOrEqual(spent[i - 1]!);
    expect(spent.at(-1)!).toBeGreaterThan(spent[0]!);
    expect(answer.cpuMs).toBeGreaterThanOrEqual(spent.at(-1)!);
  });

  it('injects errors and resets on matching requests only, reproducibly by seed', async () => {
    sb = await sandbox();
    const set = await api(sb, 'PUT', '/sandbox/faults', { errorRate: 1, match: { method: 'POST' } }, null);
    expect(set.status).toBe(200);
    expect((await api(sb, 'GET', '/api/version')).status).toBe(200);
    const faulted = await api(sb, 'POST', '/api/gateway_groups', { name: 'never' });
    expect(faulted.status).toBe(503);
    expect([...sb.store.groups.values()].some((g) => g.name === 'never')).toBe(false);

    await api(
      sb,
      'PUT',
      '/sandbox/faults',
      { resetRate: 1, match: { pathPrefix: '/api/gateway_groups' } },
      null,
    );
    const reset = request(`${sb.controlPlane}/api/gateway_groups`, {
      method: 'POST',
      headers: { 'x-api-key': sb.token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'applied-but-unanswered' }),
    });
    await expect(reset).rejects.toThrow();
    // The ambiguous case: the change happened although no answer came.
    expect([...sb.store.groups.values()].some((g) => g.name === 'applied-but-unanswered')).toBe(true);

    const draw = async (seed: number) => {
      await api(
        sb,
        'PUT',
        '/sandbox/faults',
        { errorRate: 0.5, seed, match: { pathPrefix: '/api/version' } },
        null,
      );
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await api(sb, 'GET', '/api/version')).status);
      return out;
    };
    const first = await draw(42);
    expect(await draw(42)).toEqual(first);
    expect(first).toContain(503);
    expect(first).toContain(200);
    await api(sb, 'DELETE', '/sandbox/faults', undefined, null);
    expect((await api(sb, 'GET', '/api/version')).status).toBe(200);
  });

  it('faults with `after` start only once a matching request has succeeded', async () => {
    sb = await sandbox();
    await api(
      sb,
      'PUT',
      '/sandbox/faults',
      {
        errorRate: 1,
        match: { method: 'GET' },
        after: { method: 'POST', pathPrefix: '/api/gateway_groups' },
      },
      null,
    );
    expect((await api(sb, 'GET', '/api/version')).status).toBe(200);
    // A refused POST does not start the outage; a successful one does.
    expect((await api(sb, 'POST', '/api/gateway_groups', {})).status).toBe(400);
    expect((await api(sb, 'GET', '/api/version')).status).toBe(200);
    expect((await api(sb, 'POST', '/api/gateway_groups', { name: 'uat' })).status).toBe(200);
    expect((await api(sb, 'GET', '/api/version')).status).toBe(503);
    expect((await api(sb, 'GET', '/api/gateway_groups')).status).toBe(503);
  });

  it('adds latency and rejects a malformed fault set', async () => {
    sb = await sandbox();
    await api(
      sb,
      'PUT',
      '/sandbox/faults',
      { latencyMs: 5_000, match: { pathPrefix: '/api/version' } },
      null,
    );
    // A client that waits 300 ms for headers gives up on a delayed path, not on another one.
    const impatient = (path: string) =>
      request(`${sb.controlPlane}${path}`, { headers: { 'x-api-key': sb.token }, headersTimeout: 300 });
    await expect(impatient('/api/version')).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect((await impatient('/api/gateway_groups')).statusCode).toBe(200);
    const bad = await api(sb, 'PUT', '/sandbox/faults', { errorRate: 2 }, null);
    expect(bad.status).toBe(400);
    expect(bad.body.error_msg).toBe('Error at "/errorRate": must be a number from 0 to 1');
  });

  it('a gateway group created through the API gets its own gateway, listed by /sandbox/gateways', async () => {
    sb = await sandbox();
    expect((await api(sb, 'POST', '/api/gateway_groups', { name: 'uat' })).status).toBe(200);
    // The gateway starts listening after the group is created: poll, with a deadline.
    let url: string | undefined;
    const deadline = Date.now() + 10_000;
    while (!url && Date.now() < deadline) {
      url = (await api(sb, 'GET', '/sandbox/gateways', undefined, null)).body.gateways.uat;
      if (!url) await new Promise((r) => setTimeout(r, 20));
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await request(`${url}/headers`);
    expect(answer.statusCode).toBe(404);
    expect(((await answer.body.json()) as any).error_msg).toMatch(/Route Not Found/);
  });
});

import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Api7Client, generationOf, parseApi7Version } from '../../../engine/api7/client.js';
import { Api7Error } from '../../../engine/api7/transport.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { api, PROD, sandbox, walkthroughSeed } from '../../helpers/sandbox.js';

const ORIGIN = 'https://api7.test:7443';
const TOKEN = 'a7ee-super-secret-token-value';

let agent: MockAgent | undefined;
let sb: Sandbox | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await sb?.close();
  sb = undefined;
});

function mockClient(budgets = {}) {
  agent = new MockAgent();
  agent.disableNetConnect();
  return {
    pool: agent.get(ORIGIN),
    client: new Api7Client({ baseUrl: ORIGIN, token: TOKEN, dispatcher: agent, budgets }),
  };
}

describe('the control-plane transport', () => {
  it('retries a read on 503, honouring Retry-After, and sends the token as X-API-KEY', async () => {
    const { pool, client } = mockClient();
    pool
      .intercept({ path: '/api/version', method: 'GET', headers: { 'x-api-key': TOKEN } })
      .reply(503, { error_msg: 'busy' }, { headers: { 'retry-after': '0' } });
    pool
      .intercept({ path: '/api/version', method: 'GET', headers: { 'x-api-key': TOKEN } })
      .reply(200, { value: '3.9.14' });
    expect(await client.version()).toBe('3.9.14');
    expect(client.transport.counts).toMatchObject({ reads: 2, retries: 1 });
  });

  it('gives up on a read after three tries', async () => {
    const { pool, client } = mockClient();
    pool.intercept({ path: '/api/version', method: 'GET' }).reply(502, { error_msg: 'bad gateway' }).times(3);
    await expect(client.version()).rejects.toMatchObject({ status: 502, errorMsg: 'bad gateway' });
    expect(client.transport.counts.reads).toBe(3);
  });

  it('never re-sends a write, and marks an unanswered one ambiguous', async () => {
    const { pool, client } = mockClient();
    pool.intercept({ path: '/api/services/publish', method: 'POST' }).reply(503, { error_msg: 'busy' });
    await expect(client.publish('gg', false, [])).rejects.toMatchObject({ status: 503, ambiguous: false });
    pool
      .intercept({ path: '/api/services/publish', method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await expect(client.publish('gg', false, [])).rejects.toMatchObject({
      ambiguous: true,
      networkCode: 'ECONNRESET',
      code: 'unreachable',
    });
    expect(client.transport.counts).toMatchObject({ writes: 2, retries: 0 });
  });

  it('retries a write once when the connection was refused (nothing was sent)', async () => {
    const { pool, client } = mockClient();
    pool
      .intercept({ path: '/api/services/publish', method: 'POST' })
      .replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    pool.intercept({ path: '/api/services/publish', method: 'POST' }).reply(200, { value: {} });
    await client.publish('gg', false, []);
    expect(client.transport.counts).toMatchObject({ writes: 2, retries: 1 });
  });

  it('errors name method, path, status and error_msg, never the token', async () => {
    const { pool, client } = mockClient();
    pool
      .intercept({ path: /\/api\/gateway_groups\?.*/, method: 'GET' })
      .reply(401, { error_msg: `invalid token ${TOKEN.slice(0, 4)}…` });
    const err = (await client.listGatewayGroups().catch((e: unknown) => e)) as Api7Error;
    expect(err).toBeInstanceOf(Api7Error);
    expect(err.message).toMatch(/^GET \/api\/gateway_groups: HTTP 401: invalid token/);
    expect(err.isAuth).toBe(true);
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain(TOKEN);
  });

  it('takes the token out of whatever the control plane echoes back, in any spelling', async () => {
    const { pool, client } = mockClient();
    pool
      .intercept({ path: /\/api\/gateway_groups\?.*/, method: 'GET' })
      .reply(400, { error_msg: `bad key ${TOKEN} (${encodeURIComponent(TOKEN + '/x')})` });
    const err = (await client.listGatewayGroups().catch((e: unknown) => e)) as Api7Error;
    expect(err).toBeInstanceOf(Api7Error);
    expect(err.message).toMatch(/^GET \/api\/gateway_groups: HTTP 400: bad key \*\*\* /);
    expect(err.code).toBe('bad-answer');
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain(TOKEN);
  });

  it('pages through a long list explicitly', async () => {
    sb = await sandbox(walkthroughSeed());
    for (let i = 0; i < 230; i++) await api(sb, 'POST', '/api/gateway_groups', { name: `g${i}` });
    const client = new Api7Client({ baseUrl: sb.controlPlane, token: sb.token });
    const groups = await client.listGatewayGroups();
    expect(groups).toHaveLength(232);
    expect(new Set(groups.map((g) => g.id)).size).toBe(232);
    expect((await client.gatewayGroupByName(PROD))?.name).toBe(PROD);
    expect(await client.gatewayGroupByName('生产')).toBeUndefined();
    await client.close();
  });
});

describe('API7 versions', () => {
  it('compares four-part versions numerically and picks the generation', () => {
    expect(parseApi7Version('3.2.14.6')).toEqual([3, 2, 14, 6]);
    expect(generationOf('3.2.14.6')).toBe('legacy');
    expect(generationOf('3.5.9')).toBe('legacy');
    expect(generationOf('3.6.0')).toBe('modern');
    expect(generationOf('3.10.1')).toBe('modern');
    expect(generationOf('dev')).toBe('modern');
    expect(() => generationOf('3.2.13')).toThrow(/older than 3\.2\.14/);
    expect(() => generationOf('v3-beta')).toThrow(/cannot read/);
  });
});

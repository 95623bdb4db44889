/**
 * Lists read page by page, as the contract says API7 answers them, and the same lists read from a
 * server that ignores the paging: then the first answer already holds everything, and asking for
 * "page 2" would only fetch the whole list again (once per page: quadratic in the list's length).
 */
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Api7Client } from '../../../engine/api7/client.js';
import { groupRoutes } from '../../../engine/api7/routes.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { manyServicesSeed } from '../../helpers/many-services.js';
import { api, groupId, TEST } from '../../helpers/sandbox.js';
import { sandbox } from '../../helpers/sandbox.js';

const ORIGIN = 'https://api7.test:7443';

let agent: MockAgent | undefined;
let sb: Sandbox | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await sb?.close();
  sb = undefined;
});

describe('reading a long list', () => {
  it("reads the sandbox's admin route list in pages, each route once", async () => {
    sb = await sandbox(manyServicesSeed(250));
    const gg = await groupId(sb, TEST);
    const page = await api(sb, 'GET', `/apisix/admin/routes?gateway_group_id=${gg}&page=3&page_size=100`);
    expect(page.body.total).toBe(250);
    expect(page.body.list).toHaveLength(50);
    const client = new Api7Client({ baseUrl: sb.controlPlane, token: sb.token });
    const byService = await groupRoutes(client, gg);
    expect(client.transport.counts.reads).toBe(3);
    expect(byService.size).toBe(250);
    expect([...byService.values()].every((routes) => routes.length === 1)).toBe(true);
    await client.close();
  });

  it('reads once from a server that answers the whole list on its first page', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const items = Array.from({ length: 250 }, (_, i) => ({ id: `gg-${i}`, name: `group-${i}` }));
    // One answer only: a second request would find no interceptor and fail the read.
    agent
      .get(ORIGIN)
      .intercept({ path: (p) => p.startsWith('/api/gateway_groups?'), method: 'GET' })
      .reply(200, { list: items, total: items.length });
    const client = new Api7Client({ baseUrl: ORIGIN, token: 'a7ee-token', dispatcher: agent });
    const groups = await client.listGatewayGroups();
    expect(groups).toHaveLength(250);
    expect(new Set(groups.map((g) => g.id)).size).toBe(250);
    expect(client.transport.counts.reads).toBe(1);
  });

  describe('a list counted moments ago: every page asked for at once', () => {
    it.each([
      ['as counted', 250, 250, 3],
      ['shrunk since it was counted (pages past the end are left out)', 250, 150, 3],
      ['grown since it was counted (the rest read after the first page)', 150, 250, 3],
    ])('%s', async (_what, expected, actual, reads) => {
      sb = await sandbox(manyServicesSeed(actual));
      const gg = await groupId(sb, TEST);
      const client = new Api7Client({ baseUrl: sb.controlPlane, token: sb.token });
      const services = await client.publishedServices(gg, expected);
      expect(services).toHaveLength(actual);
      expect(new Set(services.map((s) => s.id)).size).toBe(actual);
      expect(client.transport.counts.reads).toBe(reads);
      await client.close();
    });

    it('from a server that ignores the paging, each item once', async () => {
      agent = new MockAgent();
      agent.disableNetConnect();
      const items = Array.from({ length: 250 }, (_, i) => ({
        id: `s-${i}`,
        service_id: `t-${i}`,
        name: `svc-${i}`,
      }));
      agent
        .get(ORIGIN)
        .intercept({ path: (p) => p.startsWith('/api/gateway_groups/gg-1/services?'), method: 'GET' })
        .reply(200, { list: items, total: items.length })
        .times(3);
      const client = new Api7Client({ baseUrl: ORIGIN, token: 'a7ee-token', dispatcher: agent });
      const services = await client.publishedServices('gg-1', 250);
      expect(services).toHaveLength(250);
      expect(new Set(services.map((s) => s.id)).size).toBe(250);
    });
  });
});

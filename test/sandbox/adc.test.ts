/**
 * ADC's recorded conversations (as recorded from ADC 0.28), replayed against the sandbox:
 * the answers ADC depends on, for both API generations. IDs and bodies are ADC's own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { makeTls } from '../../sandbox/tls.js';
import { ADC_ROUTE_ID, ADC_SERVICE_ID, adcRoute, adcService } from '../helpers/adc.js';
import { api, sandbox, viaGateway } from '../helpers/sandbox.js';

type Json = Record<string, any>;

/** ADC's reading of `/api/schema/core`: the defaults of each resource (its `extractObjectDefault`). */
function defaultsOf(schema: Json | undefined): Json {
  const out: Json = {};
  for (const [key, field] of Object.entries<Json>(schema?.properties ?? {})) {
    if (field.type === 'object') out[key] = defaultsOf(field);
    else if (field.type === 'array' && field.items?.type === 'object') out[key] = [defaultsOf(field.items)];
    else if (field.default !== undefined) out[key] = field.default;
  }
  return out;
}

/**
 * ADC's `mergeDefault`: what ADC expects to read back for what it wrote, given the server's
 * defaults. A missing object or array is never created; arrays take the first item's defaults.
 */
function merged(resource: Json, defaults: Json): Json {
  const out: Json = structuredClone(resource);
  for (const [key, value] of Object.entries(defaults)) {
    const isObj = typeof value === 'object' && !Array.isArray(value);
    if (out[key] === undefined || out[key] === null) {
      if (!isObj && !Array.isArray(value)) out[key] = value;
    } else if (isObj && typeof out[key] === 'object' && !Array.isArray(out[key])) {
      out[key] = merged(out[key], value);
    } else if (Array.isArray(value) && value[0] && Array.isArray(out[key])) {
      out[key] = out[key].map((item: Json) => merged(item, value[0]));
    }
  }
  return out;
}

/** What a dump must show for a resource ADC wrote: it plus the server's defaults (ADC's differ sees no change). */
function expected(core: Json, type: string, resource: Json): Json {
  // Before 3.8 API7 lists no `upstream`: ADC takes the service's.
  const schema = type === 'upstream' && !core.upstream ? core.service?.properties?.upstream : core[type];
  return merged(resource, defaultsOf(schema));
}

const SVC = ADC_SERVICE_ID;
const ROUTE_HEADERS = ADC_ROUTE_ID;
const ROUTE_IP = 'f0f14e1dbe5af6c255a75c1e3eea580eed43c51b';
const TCP = '36ff0495d99f492dff0b37cf8e95110ae1991224';
const STREAM_ROUTE = '35ddcbba36b2dfebfa447cc6cb5dd8ec4dafcd16';
const CANARY = '60b89558bd39c5d00c6954bf4e488b53d8703ea0';
const CREDENTIAL = '32d42fe8b440cbae0de43c216aa7c4c68819c65a';
const SSL = '401f83bc96721eeeba6f5c1c54cf0a83dc08a30b';

const service1 = adcService;
const headers1 = adcRoute;

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

/** ADC's preamble; answers what ADC reads from it. */
async function preamble(s: Sandbox, group = 'default') {
  const version = await api(s, 'GET', '/api/version');
  const groups = await api(s, 'GET', `/api/gateway_groups?search=${group}&name=${group}`);
  const schema = await api(s, 'GET', '/api/schema/core');
  expect(schema.status).toBe(200);
  expect(schema.body.value).toEqual(expect.any(Object));
  return {
    version: version.body.value as string,
    gg: groups.body.list[0].id as string,
    core: schema.body.value as Json,
  };
}

/** What ADC reads to build the remote state (a dump), in ADC's order. */
async function dump(s: Sandbox, gg: string, labels = '', withUpstreams = true) {
  const q = `gateway_group_id=${gg}${labels}`;
  const services = (await api(s, 'GET', `/apisix/admin/services?${q}`)).body.list;
  const consumers = (await api(s, 'GET', `/apisix/admin/consumers?${q}`)).body.list;
  const ssls = (await api(s, 'GET', `/apisix/admin/ssls?${q}`)).body.list;
  const globalRules = (await api(s, 'GET', `/apisix/admin/global_rules?${q}`)).body.list;
  const metadata = (await api(s, 'GET', `/apisix/admin/plugin_metadata?${q}`)).body.value;
  const perService = await Promise.all(
    services.map(async (svc: any) => ({
      id: svc.id,
      // ADC asks for a service's upstreams only from API7 3.5.0 on.
      upstreams: withUpstreams
        ? (await api(s, 'GET', `/apisix/admin/services/${svc.id}/upstreams?gateway_group_id=${gg}`)).body.list
        : [],
      routes: (
        await api(
          s,
          'GET',
          `/apisix/admin/${svc.type === 'stream' ? 'stream_routes' : 'routes'}?gateway_group_id=${gg}&service_id=${svc.id}`,
        )
      ).body.list,
    })),
  );
  const credentials = await Promise.all(
    consumers.map(
      async (c: any) =>
        (await api(s, 'GET', `/apisix/admin/consumers/${c.username}/credentials?gateway_group_id=${gg}`)).body
          .list,
    ),
  );
  return { services, consumers, ssls, globalRules, metadata, perService, credentials };
}

const put = async (s: Sandbox, path: string, gg: string, body: unknown) => {
  const res = await api(s, 'PUT', `/apisix/admin/${path}?gateway_group_id=${gg}`, body);
  expect(res.status, `PUT ${path}: ${JSON.stringify(res.body)}`).toBe(200);
  return res;
};

describe.each([
  ['legacy (before 3.5, no upstreams list)', '3.4.0'],
  ['legacy', '3.5.0'],
  ['modern', '3.9.12'],
])('ADC against the %s generation', (_g, version) => {
  const upstreamsListed = version !== '3.4.0';
  it('6b: sync into an empty group, diff finds nothing, update, delete with cascades', async () => {
    sb = await sandbox(
      { token: 'a7ee-adc', gatewayGroups: [{ name: 'default' }, { name: 'default-eu' }] },
      version,
    );
    const { gg, core } = await preamble(sb);
    expect((await dump(sb, gg)).services).toEqual([]);

    // sync1
    await put(sb, `services/${SVC}`, gg, service1);
    await put(sb, `routes/${ROUTE_HEADERS}`, gg, headers1);
    // diff-after-sync1: objects read back as written plus API7's defaults (which ADC merges into
    // its local copy from /api/schema/core before comparing), plus id.
    const after1 = await dump(sb, gg, '', upstreamsListed);
    expect(after1.services).toEqual([{ ...expected(core, 'service', service1), id: SVC }]);
    expect(after1.perService[0]!.routes).toEqual([
      { ...expected(core, 'route', headers1), id: ROUTE_HEADERS },
    ]);
    // The inline upstream is listed under the service's own id, which ADC drops as "the default".
    if (upstreamsListed)
      expect(after1.perService[0]!.upstreams).toEqual([
        { ...expected(core, 'upstream', service1.upstream), id: SVC },
      ]);
    else
      expect(
        (await api(sb, 'GET', `/apisix/admin/services/${SVC}/upstreams?gateway_group_id=${gg}`)).status,
      ).toBe(404);
    expect(after1.metadata).toEqual({});
    // A service created this way is "No Version", and the gateway serves it at once.
    expect(
      (await api(sb, 'GET', `/apisix/admin/services/${SVC}?gateway_group_id=${gg}&with_publish_info=true`))
        .body.value.version,
    ).toBe('');
    const served = await viaGateway(sb.gateways.default!, '/headers');
    expect(served.status).toBe(200);

    // sync2-update
    const headers2 = { ...headers1, methods: ['GET'] };
    const service2 = { ...service1, plugins: { 'proxy-rewrite': { headers: { set: { 'X-From': 'adc' } } } } };
    const ip = {
      route_id: ROUTE_IP,
      name: 'ip',
      labels: { 'managed-by': 'adc' },
      service_id: SVC,
      paths: ['/ip'],
    };
    await put(sb, `routes/${ROUTE_HEADERS}`, gg, headers2);
    await put(sb, `services/${SVC}`, gg, service2);
    await put(sb, `routes/${ROUTE_IP}`, gg, ip);
    const after2 = await dump(sb, gg, '', upstreamsListed);
    expect(after2.services).toEqual([{ ...expected(core, 'service', service2), id: SVC }]);
    expect(after2.perService[0]!.routes).toEqual([
      { ...expected(core, 'route', headers2), id: ROUTE_HEADERS },
      { ...expected(core, 'route', ip), id: ROUTE_IP },
    ]);
    expect((await viaGateway(sb.gateways.default!, '/headers', undefined, 'POST')).status).toBe(404);

    // sync3-delete: only the service is deleted; its routes go with it.
    expect((await api(sb, 'DELETE', `/apisix/admin/services/${SVC}?gateway_group_id=${gg}`)).status).toBe(
      200,
    );
    expect((await dump(sb, gg, '', upstreamsListed)).services).toEqual([]);
    expect((await api(sb, 'GET', `/apisix/admin/routes?gateway_group_id=${gg}`)).body.list).toEqual([]);
    expect((await viaGateway(sb.gateways.default!, '/ip')).status).toBe(404);
    // The other group never saw any of it (exact name lookup: "default" is not "default-eu").
    const eu = (await api(sb, 'GET', '/api/gateway_groups?search=default-eu&name=default-eu')).body.list;
    expect(eu.map((g: any) => g.name)).toEqual(['default-eu']);
    expect((await api(sb, 'GET', `/apisix/admin/services?gateway_group_id=${eu[0].id}`)).body.list).toEqual(
      [],
    );
  });

  it('6c: a richer config, label selectors, and delete-all with cascades', async () => {
    sb = await sandbox({ token: 'a7ee-adc', gatewayGroups: [{ name: 'default' }] }, version);
    const { gg, core } = await preamble(sb);
    const pair = await certificate();
    const ssl = {
      id: SSL,
      labels: { 'managed-by': 'adc' },
      status: 1,
      type: 'server',
      snis: ['test.example.com'],
      cert: pair.cert,
      key: pair.key,
    };
    const httpbin = {
      service_id: SVC,
      name: 'httpbin',
      desc: 'demo service',
      labels: { team: 'core', 'managed-by': 'adc' },
      upstream: {
        type: 'chash',
        hash_on: 'header',
        key: 'x-user',
        nodes: [{ host: 'httpbin.org', port: 443, weight: 100, priority: 0 }],
        scheme: 'https',
        retries: 2,
        timeout: { connect: 3, send: 3, read: 3 },
        pass_host: 'pass',
      },
      plugins: { 'limit-count': { count: 10, time_window: 60 } },
      path_prefix: '/v1',
      strip_path_prefix: true,
      hosts: ['api.example.com'],
      type: 'http',
    };
    const tcp = {
      service_id: TCP,
      name: 'tcp-echo',
      labels: { 'managed-by': 'adc' },
      upstream: {
        type: 'roundrobin',
        nodes: [{ host: '10.0.0.3', port: 9000, weight: 1, priority: 0 }],
        scheme: 'tcp',
        pass_host: 'pass',
      },
      type: 'stream',
    };
    const route = {
      route_id: ROUTE_HEADERS,
      name: 'headers',
      labels: { 'managed-by': 'adc' },
      methods: ['GET', 'POST'],
      plugins: {
        'traffic-split': {
          rules: [{ weighted_upstreams: [{ upstream_id: 'canary-id-placeholder', weight: 10 }] }],
        },
      },
      service_id: SVC,
      paths: ['/headers'],
      priority: 10,
      vars: [['http_x_debug', '==', '1']],
    };
    const streamRoute = {
      stream_route_id: STREAM_ROUTE,
      name: 'echo',
      labels: { 'managed-by': 'adc' },
      service_id: TCP,
      server_port: 9100,
    };
    const consumer = {
      username: 'alice',
      labels: { tier: 'gold', 'managed-by': 'adc' },
      plugins: { 'limit-count': { count: 5, time_window: 60 } },
    };
    const canary = {
      name: 'canary',
      type: 'roundrobin',
      nodes: [{ host: '10.0.0.2', port: 8080, weight: 1, priority: 0 }],
      scheme: 'http',
      pass_host: 'pass',
    };
    const credential = {
      id: CREDENTIAL,
      name: 'alice-key',
      plugins: { 'key-auth': { key: 'alice-secret' } },
    };

    // validate: only from 3.9.10, and it stores nothing.
    const validate = await api(sb, 'POST', `/apisix/admin/configs/validate?gateway_group_id=${gg}`, {
      routes: [route],
      services: [httpbin, tcp],
      consumers: [consumer],
      ssls: [ssl],
      global_rules: [{ plugins: { prometheus: { prefer_name: true } } }],
      stream_routes: [streamRoute],
      plugin_metadata: [{ id: 'http-logger', log_format: { host: '$host' } }],
    });
    expect(validate.status).toBe(version === '3.9.12' ? 200 : 404);
    if (version === '3.9.12') {
      const invalid = await api(sb, 'POST', `/apisix/admin/configs/validate?gateway_group_id=${gg}`, {
        routes: [{ name: 'x', paths: [] }],
        services: [httpbin, { ...httpbin, name: 'bad-host-svc', hosts: [] }],
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body).toEqual({
        error_msg: 'Configuration validation failed',
        errors: [
          {
            resource_type: 'routes',
            index: 0,
            resource_name: 'x',
            error: 'does not match schema due to: Error at "/paths": minimum number of items is 1',
          },
          {
            resource_type: 'services',
            index: 1,
            resource_name: 'bad-host-svc',
            error: 'does not match schema due to: Error at "/hosts": minimum number of items is 1',
          },
        ],
      });
    }
    expect((await dump(sb, gg, '', upstreamsListed)).services).toEqual([]);

    // sync, in ADC's order
    await put(sb, `ssls/${SSL}`, gg, ssl);
    await put(sb, `services/${SVC}`, gg, httpbin);
    await put(sb, `services/${TCP}`, gg, tcp);
    await put(sb, `routes/${ROUTE_HEADERS}`, gg, route);
    await put(sb, `stream_routes/${STREAM_ROUTE}`, gg, streamRoute);
    await put(sb, 'consumers/alice', gg, consumer);
    // ADC sends a service's own upstreams from 3.5 on only.
    if (upstreamsListed) await put(sb, `services/${SVC}/upstreams/${CANARY}`, gg, canary);
    await put(sb, 'global_rules/prometheus', gg, { plugins: { prometheus: { prefer_name: true } } });
    await put(sb, 'plugin_metadata/http-logger', gg, { log_format: { host: '$host' } });
    await put(sb, `consumers/alice/credentials/${CREDENTIAL}`, gg, credential);

    // diff-after: everything reads back as written plus API7's defaults (the SSL key never).
    const after = await dump(sb, gg, '', upstreamsListed);
    const streamType = core.stream_service ? 'stream_service' : 'service';
    expect(after.services).toEqual([
      { ...expected(core, 'service', httpbin), id: SVC },
      { ...expected(core, streamType, tcp), id: TCP },
    ]);
    expect(after.perService[0]!.routes).toEqual([{ ...expected(core, 'route', route), id: ROUTE_HEADERS }]);
    if (upstreamsListed)
      expect(after.perService[0]!.upstreams).toEqual([
        { ...expected(core, 'upstream', httpbin.upstream), id: SVC },
        { ...expected(core, 'upstream', canary), id: CANARY },
      ]);
    expect(after.perService[1]!.routes).toEqual([
      { ...expected(core, 'stream_route', streamRoute), id: STREAM_ROUTE },
    ]);
    expect(after.consumers).toEqual([{ ...consumer, id: 'alice' }]);
    expect(after.credentials).toEqual([[{ ...credential, id: CREDENTIAL }]]);
    const { key: _key, ...sslShown } = ssl;
    expect(after.ssls).toEqual([{ ...expected(core, 'ssl', sslShown), id: SSL }]);
    expect(after.globalRules).toEqual([{ plugins: { prometheus: { prefer_name: true } }, id: 'prometheus' }]);
    expect(after.metadata).toEqual({ 'http-logger': { log_format: { host: '$host' } } });

    // dump-labelsel: labels[team]=core filters the top-level lists only, and never global rules
    // or plugin metadata, which carry no labels (ADC sends the filter to them anyway).
    const selected = await dump(sb, gg, '&labels%5Bteam%5D=core', upstreamsListed);
    expect(selected.services.map((s: any) => s.name)).toEqual(['httpbin']);
    expect(selected.consumers).toEqual([]);
    expect(selected.ssls).toEqual([]);
    expect(selected.perService[0]!.routes).toHaveLength(1);
    expect(selected.globalRules).toEqual(after.globalRules);
    expect(selected.metadata).toEqual(after.metadata);

    // sync-delete-all: services, consumer, ssl, global rule; routes, upstreams, credentials cascade.
    for (const p of [
      `services/${SVC}`,
      `services/${TCP}`,
      'consumers/alice',
      `ssls/${SSL}`,
      'global_rules/prometheus',
    ]) {
      expect((await api(sb, 'DELETE', `/apisix/admin/${p}?gateway_group_id=${gg}`)).status, p).toBe(200);
    }
    const empty = await dump(sb, gg, '', upstreamsListed);
    expect([empty.services, empty.consumers, empty.ssls, empty.globalRules]).toEqual([[], [], [], []]);
    expect((await api(sb, 'GET', `/apisix/admin/stream_routes?gateway_group_id=${gg}`)).body.list).toEqual(
      [],
    );
    expect(
      (await api(sb, 'GET', `/apisix/admin/consumers/alice/credentials?gateway_group_id=${gg}`)).status,
    ).toBe(404);
  });

  it('an admin key implies its group; a bad body is a 400 naming the field and changes nothing', async () => {
    sb = await sandbox(
      {
        token: 'a7ee-adc',
        gatewayGroups: [{ name: 'default', adminKey: 'a7adm-default-key' }, { name: 'other' }],
      },
      version,
    );
    const key = 'a7adm-default-key';
    // What a client reads before the admin API: the version, the schema, and a ping.
    expect((await api(sb, 'GET', '/api/version', undefined, key)).body).toEqual({ value: version });
    expect((await api(sb, 'GET', '/api/schema/core', undefined, key)).body.value.service).toBeDefined();
    const ping = await api(sb, 'GET', '/api/gateway_groups', undefined, key);
    expect(ping.status).toBe(200);
    expect(ping.body.list.map((g: any) => g.name)).toEqual(['default']);
    // Nothing else outside /apisix/admin, and never another group's resources.
    expect((await api(sb, 'POST', '/api/gateway_groups', { name: 'x' }, key)).status).toBe(401);
    const { gg } = await preamble(sb);
    expect((await api(sb, 'GET', `/api/gateway_groups/${gg}/services`, undefined, key)).status).toBe(401);
    const other = (await api(sb, 'GET', '/api/gateway_groups?name=other')).body.list[0].id;
    const foreign = await api(sb, 'GET', `/apisix/admin/services?gateway_group_id=${other}`, undefined, key);
    expect(foreign.status).toBe(403);
    const asAdmin = await api(sb, 'PUT', `/apisix/admin/services/${SVC}`, service1, key);
    expect(asAdmin.status).toBe(200);
    expect((await api(sb, 'GET', `/apisix/admin/services?gateway_group_id=${gg}`)).body.list).toHaveLength(1);
    const before = JSON.stringify([...sb.store.published.values()]);
    const bad = await api(sb, 'PUT', `/apisix/admin/routes/${ROUTE_IP}?gateway_group_id=${gg}`, {
      route_id: ROUTE_IP,
      name: 'ip',
      service_id: SVC,
      paths: ['ip'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error_msg).toBe('Error at "/paths/0": string doesn\'t match the regular expression "^/"');
    const badService = await api(sb, 'PUT', `/apisix/admin/services/${SVC}?gateway_group_id=${gg}`, {
      ...service1,
      upstream: { nodes: [{ host: 'x', port: 'eighty', weight: 1 }] },
    });
    expect(badService.body.error_msg).toBe('Error at "/upstream/nodes/0/port": value must be an integer');
    expect(JSON.stringify([...sb.store.published.values()])).toBe(before);
  });
});

/** A real certificate and its key: API7 checks that an SSL's key matches its certificate. */
let pem: { cert: string; key: string } | undefined;
async function certificate() {
  pem ??= await makeTls();
  return pem;
}

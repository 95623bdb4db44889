/** Gateway groups, their service registries, and the version of the control plane. */
import { ApiError, type ServiceRegistry } from '../store.js';
import { bad, onlyKeys, optionalString, requireObject, requireString } from '../validate.js';
import { ok, orderBy, paged, type Context, type On } from './common.js';

export const GG = '/api/gateway_groups/([^/]+)';

export function registerGroups(on: On, { store, version }: Context): void {
  on('GET', '/api/version', () => ok(version.text));
  on('GET', '/api/gateway_groups', (r) => {
    const groups = [...store.groups.values()].filter((g) => !r.scope || g.id === r.scope);
    return paged(orderBy(groups, r.query), r.query);
  });
  on('POST', '/api/gateway_groups', (r) => {
    const b = requireObject(r.body, 'body');
    onlyKeys(b, ['name', 'description', 'desc', 'labels'], '');
    const name = requireString(b.name, 'name');
    const labels =
      b.labels === undefined ? undefined : (requireObject(b.labels, 'labels') as Record<string, string>);
    return ok(
      store.createGroup({
        name,
        description: optionalString(b.description ?? b.desc, 'description'),
        labels,
      }),
    );
  });
  on('GET', GG, (_r, [g]) => ok(store.group(g!)));
  on('GET', `${GG}/service_registries`, (r, [g]) => {
    store.group(g!);
    return paged(store.registriesOf(g!).map(registryView), r.query);
  });
  on('POST', `${GG}/service_registries`, (r, [g]) => {
    const b = requireObject(r.body, 'body');
    const name = requireString(b.name, 'name');
    if (!['nacos', 'kubernetes', 'consul'].includes(b.type as string))
      bad('type', 'value is not one of the allowed values');
    return ok(registryView(store.createRegistry(g!, { name, type: b.type as ServiceRegistry['type'] })));
  });
  on('GET', `${GG}/service_registries/([^/]+)`, (_r, [g, id]) => {
    const reg = store.registries.get(id!);
    if (!reg || reg.gateway_group_id !== g) throw new ApiError(404, `service registry "${id}" not found`);
    return ok(registryView(reg));
  });
}

function registryView(r: ServiceRegistry) {
  const { services: _s, ...rest } = r;
  // The registry's own connection settings: the sandbox has no real registry behind them.
  const connection =
    r.type === 'kubernetes'
      ? { kubernetes_config: { service: { schema: 'https', host: 'kubernetes.default.svc', port: '443' } } }
      : r.type === 'nacos'
        ? { nacos_config: { hosts: ['http://nacos.sandbox:8848'] } }
        : { consul_config: { servers: ['http://consul.sandbox:8500'] } };
  return {
    ...rest,
    ...connection,
    status: 'healthy',
    last_connect_time: r.updated_at,
    associated_services_count: 0,
  };
}

/**
 * The sandbox's in-memory model of an API7 EE control plane: gateway groups, service templates,
 * immutable service versions, published services per group (with their history), and service
 * registries (their shapes are in `records.ts`). It knows nothing of HTTP; `control-plane.ts` maps
 * requests onto it.
 *
 * Written from our reading of the API7 contract (docs/api7-contract.md) on its own: it must share no code with the engine, so
 * that two independent readings of the contract catch each other's mistakes.
 */
import { randomBytes } from 'node:crypto';
import type {
  GatewayGroup,
  GroupResources,
  PublishedService,
  Route,
  ServiceRegistry,
  ServiceTemplate,
  ServiceVersion,
} from './records.js';
import type { Api7Version, Generation } from './version.js';

export type { Generation } from './version.js';

export type {
  GatewayGroup,
  GroupResources,
  PublishedService,
  RegistryService,
  Route,
  ServiceRegistry,
  ServiceTemplate,
  ServiceVersion,
  Upstream,
  UpstreamNode,
} from './records.js';

/** A 4xx answer with API7's `error_msg`; nothing in the store has changed when it is thrown. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

const now = (): number => Math.floor(Date.now() / 1000);
const clone = <T>(value: T): T => structuredClone(value);

export class Store {
  readonly groups = new Map<string, GatewayGroup>();
  readonly templates = new Map<string, ServiceTemplate>();
  readonly versions = new Map<string, ServiceVersion>();
  /** Keyed by `${groupId}/${templateId}`. */
  readonly published = new Map<string, PublishedService>();
  readonly registries = new Map<string, ServiceRegistry>();
  private readonly groupResources = new Map<string, GroupResources>();
  private seq = 0;
  /**
   * Called after every change that a gateway must see: which service of which group changed,
   * so that a gateway with a propagation delay copies only that one.
   */
  onChange: (groupId: string, templateId: string) => void = () => {};
  /** Called when a gateway group is created (the server starts its gateway). */
  onGroupCreated: (group: GatewayGroup) => void = () => {};

  constructor(readonly version: Api7Version) {}

  get generation(): Generation {
    return this.version.generation;
  }

  /** Consumers, SSLs, global rules and plugin metadata of a group. */
  resources(groupId: string): GroupResources {
    let r = this.groupResources.get(groupId);
    if (!r) {
      r = { consumers: new Map(), ssls: new Map(), globalRules: new Map(), pluginMetadata: new Map() };
      this.groupResources.set(groupId, r);
    }
    return r;
  }

  /**
   * Removes a service from a group. With `dropTemplate` (a delete through the admin API),
   * deleting the last published copy of a service also deletes its template and versions, as
   * API7 does: a service created through the admin API does not outlive its last copy.
   */
  unpublish(groupId: string, templateId: string, dropTemplate: boolean): void {
    this.published.delete(`${groupId}/${templateId}`);
    this.onChange(groupId, templateId);
    if (!dropTemplate) return;
    for (const p of this.published.values()) if (p.service_id === templateId) return;
    this.templates.delete(templateId);
    for (const [id, v] of this.versions) if (v.service_id === templateId) this.versions.delete(id);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  group(id: string): GatewayGroup {
    const group = this.groups.get(id);
    if (!group) throw new ApiError(404, `gateway group "${id}" not found`);
    return group;
  }

  createGroup(input: { name: string; description?: string; labels?: Record<string, string> }): GatewayGroup {
    for (const g of this.groups.values()) {
      if (g.name === input.name)
        throw new ApiError(400, `name: gateway group "${input.name}" already exists`);
    }
    const t = now();
    const group: GatewayGroup = {
      id: newId('gg'),
      name: input.name,
      description: input.description ?? '',
      labels: input.labels ?? {},
      type: 'api7_gateway',
      enforce_service_publishing: false,
      created_at: t,
      updated_at: t,
    };
    this.groups.set(group.id, group);
    this.onGroupCreated(group);
    return group;
  }

  template(id: string): ServiceTemplate {
    const template = this.templates.get(id);
    if (!template) throw new ApiError(404, `service "${id}" not found`);
    return template;
  }

  createTemplate(input: {
    id?: string;
    name: string;
    desc?: string;
    labels?: Record<string, string>;
    routes?: Omit<Route, 'id'>[];
  }): ServiceTemplate {
    const t = now();
    const template: ServiceTemplate = {
      id: input.id ?? newId('svc'),
      name: input.name,
      ...(input.desc !== undefined ? { desc: input.desc } : {}),
      ...(input.labels !== undefined ? { labels: input.labels } : {}),
      routes: (input.routes ?? []).map((r) => ({ ...clone(r), id: newId('rt') }) as Route),
      created_at: t,
      updated_at: t,
    };
    this.templates.set(template.id, template);
    return template;
  }

  findTemplateByName(name: string): ServiceTemplate | undefined {
    for (const t of this.templates.values()) if (t.name === name) return t;
    return undefined;
  }

  publishedIn(groupId: string, templateId: string): PublishedService | undefined {
    return this.published.get(`${groupId}/${templateId}`);
  }

  publishedById(groupId: string, id: string): PublishedService | undefined {
    for (const p of this.published.values()) if (p.gateway_group_id === groupId && p.id === id) return p;
    return undefined;
  }

  servicesOf(groupId: string): PublishedService[] {
    return [...this.published.values()].filter((p) => p.gateway_group_id === groupId);
  }

  registriesOf(groupId: string): ServiceRegistry[] {
    return [...this.registries.values()].filter((r) => r.gateway_group_id === groupId);
  }

  createRegistry(groupId: string, input: { name: string; type: ServiceRegistry['type'] }): ServiceRegistry {
    this.group(groupId);
    if (this.registriesOf(groupId).some((r) => r.name === input.name)) {
      throw new ApiError(400, `name: service registry "${input.name}" already exists in this gateway group`);
    }
    const t = now();
    const registry: ServiceRegistry = {
      id: newId('reg'),
      gateway_group_id: groupId,
      name: input.name,
      type: input.type,
      created_at: t,
      updated_at: t,
      services: [],
    };
    this.registries.set(registry.id, registry);
    return registry;
  }

  /** Mints a new version from what the service runs in `groupId`, or from its template. */
  mintVersion(templateId: string, label: string, groupId: string): ServiceVersion {
    const template = this.template(templateId);
    for (const v of this.versions.values()) {
      if (v.service_id === templateId && v.version === label) {
        throw new ApiError(
          400,
          `version: "${label}" already exists for service "${template.name}"; choose a new label`,
        );
      }
    }
    const live = this.publishedIn(groupId, templateId);
    const version: ServiceVersion = {
      id: newId('sv'),
      service_id: templateId,
      version: label,
      name: live?.name ?? template.name,
      routes: clone(live ? live.routes : template.routes),
      ...(live?.plugins ? { plugins: clone(live.plugins) } : {}),
      created_at: now(),
    };
    this.versions.set(version.id, version);
    return version;
  }

  /**
   * Makes `groupId` run `version`. Runtime configuration (upstream, hosts, path prefix, status)
   * is per group and not versioned: it is replaced only by what `runtime` carries.
   */
  run(
    groupId: string,
    version: ServiceVersion,
    runtime: Partial<Pick<PublishedService, 'upstream' | 'hosts' | 'path_prefix' | 'strip_path_prefix'>> & {
      status?: 0 | 1;
    },
  ): PublishedService {
    const t = now();
    const key = `${groupId}/${version.service_id}`;
    const existing = this.published.get(key);
    const publishTime = new Date().toISOString();
    const service: PublishedService = existing ?? {
      id: newId('ps'),
      gateway_group_id: groupId,
      service_id: version.service_id,
      name: version.name,
      version: '',
      status: 0,
      routes: [],
      created_at: t,
      updated_at: t,
      history: [],
    };
    service.name = version.name;
    service.version = version.version;
    service.service_version_id = version.id;
    if (version.plugins) service.plugins = clone(version.plugins);
    else delete service.plugins;
    // A copy's routes belong to that copy: they carry its ID, not the source group's.
    service.routes = clone(version.routes).map((r) =>
      r.service_id === undefined ? r : { ...r, service_id: service.id },
    );
    for (const k of ['upstream', 'hosts', 'path_prefix', 'strip_path_prefix'] as const) {
      if (k in runtime) (service as unknown as Record<string, unknown>)[k] = clone(runtime[k]);
    }
    if (runtime.status !== undefined) service.status = runtime.status;
    service.updated_at = t;
    service.history.push({ service_version_id: version.id, publish_time: publishTime, seq: this.nextSeq() });
    this.published.set(key, service);
    this.onChange(groupId, version.service_id);
    return service;
  }
}

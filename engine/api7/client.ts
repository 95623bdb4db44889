/**
 * The API7 EE Admin API as the engine uses it. Every call the contract marks
 * as inferred [I] sits behind one named function here, so that a correction is a one-place change.
 */
import pLimit from 'p-limit';
import { SyncError } from '../errors.js';
import { Api7Error, Transport, type Query, type TransportOptions } from './transport.js';

export type * from './types.js';
import type {
  Api7Upstream,
  GatewayGroup,
  Generation,
  PublishedService,
  RuntimeConfiguration,
  ServiceRegistry,
  VersionHistoryItem,
} from './types.js';

export interface ListOptions {
  /** Caps this list's pages in flight: a read started ahead of need leaves room for others. */
  pagesAtOnce?: number;
  /**
   * About how many items the list holds, when the caller counted them moments ago: that many
   * pages are asked for at once instead of after the first page's total, a round trip less.
   */
  expected?: number;
}

export interface PublishItem {
  service_id: string;
  service_version_id?: string;
  version: string;
  name?: string;
  upstream?: Api7Upstream;
  hosts?: string[];
  path_prefix?: string;
  status: 0 | 1;
}

const PAGE_SIZE = 100;

/** API7 versions have four parts (3.2.14.6), which semver rejects: compare numerically. */
export function parseApi7Version(raw: string): number[] | 'dev' {
  if (raw === 'dev') return 'dev';
  if (!/^\d+(\.\d+){1,3}$/.test(raw)) {
    throw new SyncError(
      'bad-answer',
      `the control plane reports version "${raw}", which api7-sync cannot read; it supports API7 EE 3.2.14 and later`,
    );
  }
  return raw.split('.').map(Number);
}

function atLeast(version: number[], floor: number[]): boolean {
  for (let i = 0; i < floor.length; i++) {
    const a = version[i] ?? 0;
    const b = floor[i]!;
    if (a !== b) return a > b;
  }
  return true;
}

/** Which API generation a control plane speaks. */
export function generationOf(raw: string): Generation {
  const v = parseApi7Version(raw);
  if (v === 'dev') return 'modern';
  if (!atLeast(v, [3, 2, 14])) {
    throw new SyncError(
      'bad-answer',
      `API7 EE ${raw} is older than 3.2.14, the oldest version api7-sync supports; upgrade the control plane`,
    );
  }
  return atLeast(v, [3, 6]) ? 'modern' : 'legacy';
}

/** The group of exactly that name in a full list; two of one name is an error (rename one in API7). */
export function groupNamed(groups: GatewayGroup[], name: string): GatewayGroup | undefined {
  const matches = groups.filter((g) => g.name === name);
  const which = `${matches.length} gateway groups are named "${name}" in API7, so api7-sync cannot tell which one is meant`;
  if (matches.length > 1) throw new SyncError('bad-answer', `${which}; rename all but one in API7`);
  return matches[0];
}

export class Api7Client {
  readonly transport: Transport;

  constructor(options: TransportOptions) {
    this.transport = new Transport(options);
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  async version(): Promise<string> {
    const res = await this.transport.get<{ value?: unknown } | undefined>('/api/version');
    const value = res?.value;
    if (typeof value !== 'string' || value.length === 0) {
      throw new Api7Error(
        'GET',
        '/api/version',
        200,
        "the answer has no version (value); this is not API7's Admin API: check controlPlane.url",
        false,
        undefined,
        'bad-answer',
      );
    }
    return value;
  }

  /** Every page of a list, paged explicitly: API7's default page size is unknown. */
  async listAll<T>(
    path: string,
    query: Query = {},
    { pagesAtOnce, expected }: ListOptions = {},
  ): Promise<T[]> {
    const gate: <R>(read: () => Promise<R>) => Promise<R> = pagesAtOnce ? pLimit(pagesAtOnce) : (r) => r();
    const page = (n: number) =>
      gate(() =>
        this.transport.get<{ list?: T[]; total?: number }>(path, { ...query, page: n, page_size: PAGE_SIZE }),
      );
    const asked = Math.max(1, Math.ceil((expected ?? 0) / PAGE_SIZE));
    const [first, ...early] = await Promise.all(Array.from({ length: asked }, (_, i) => page(i + 1)));
    const items = [...(first!.list ?? [])];
    const total = first!.total ?? items.length;
    // A server that ignores the paging answers everything at once: asking for more pages would
    // fetch the whole list again per page (a quadratic read that once cost 2000 services 100 MiB).
    if (items.length >= total) return items;
    const pages = Math.ceil(total / PAGE_SIZE);
    const rest = await Promise.all(
      Array.from({ length: Math.max(0, pages - asked) }, (_, i) => page(asked + i + 1)),
    );
    // Pages asked for beyond the end (the list shrank since it was counted) are left out.
    for (const p of [...early.slice(0, pages - 1), ...rest]) items.push(...(p.list ?? []));
    return items;
  }

  /**
   * Resolves a gateway group by its **exact** name over the full list: `search` is fuzzy, and
   * `prod` must never resolve to `prod-eu`.
   */
  async gatewayGroupByName(name: string): Promise<GatewayGroup | undefined> {
    return groupNamed(await this.listGatewayGroups(), name);
  }

  listGatewayGroups(): Promise<GatewayGroup[]> {
    return this.listAll<GatewayGroup>('/api/gateway_groups');
  }

  /** `expected`: about how many the group holds, when just counted (see ListOptions). */
  publishedServices(groupId: string, expected?: number): Promise<PublishedService[]> {
    const path = `/api/gateway_groups/${encodeURIComponent(groupId)}/services`;
    return this.listAll<PublishedService>(path, {}, { expected });
  }

  /**
   * [I] The snapshot a published service is running. The list item's `service_version_id` when
   * present (the 3.2 spec's list items lack it), else the runtime view with publish info (3.2.13+).
   * Never "the newest history item": after a rollback the running version is not the newest.
   */
  async runningVersionId(groupId: string, service: PublishedService): Promise<string | undefined> {
    if (service.service_version_id) return service.service_version_id;
    if (!hasVersion(service)) return undefined;
    const res = await this.transport.get<{ value: { service_version_id?: string } }>(
      `/apisix/admin/services/${encodeURIComponent(service.id)}`,
      { gateway_group_id: groupId, with_publish_info: true },
    );
    return res.value.service_version_id;
  }

  /** [I] Version history in a group; items' `id` is the `service_version_id`. Newest first. */
  versionHistory(groupId: string, templateId: string): Promise<VersionHistoryItem[]> {
    return this.listAll<VersionHistoryItem>(
      `/api/gateway_groups/${encodeURIComponent(groupId)}/services/${encodeURIComponent(templateId)}/versions`,
      { order_by: 'publish_time', direction: 'desc' },
    );
  }

  serviceRegistries(groupId: string): Promise<ServiceRegistry[]> {
    return this.listAll<ServiceRegistry>(
      `/api/gateway_groups/${encodeURIComponent(groupId)}/service_registries`,
    );
  }

  async runtimeConfiguration(groupId: string, templateId: string): Promise<RuntimeConfiguration> {
    const res = await this.transport.get<{ value: RuntimeConfiguration }>(runtimePath(groupId, templateId));
    return res.value;
  }

  /** [I on 3.6+] Sets a published service's runtime configuration (upstream, hosts, status). */
  async setRuntimeConfiguration(
    groupId: string,
    templateId: string,
    body: RuntimeConfiguration,
  ): Promise<void> {
    await this.transport.send('PATCH', runtimePath(groupId, templateId), body);
  }

  /**
   * Removes a published service from one gateway group, leaving its template and other groups
   * alone. Legacy: `DELETE /api/gateway_groups/{gg}/services/{templateId}` [C, 3.2 spec], because
   * there `/apisix/admin/services/{id}` is the template itself. Modern: the admin API's per-group
   * view, `DELETE /apisix/admin/services/{publishedId}?gateway_group_id=` [I for versioned services].
   */
  async deletePublishedService(
    groupId: string,
    service: PublishedService,
    generation: Generation,
  ): Promise<void> {
    if (generation === 'legacy') {
      await this.transport.send(
        'DELETE',
        `/api/gateway_groups/${encodeURIComponent(groupId)}/services/${encodeURIComponent(service.service_id)}`,
        undefined,
      );
      return;
    }
    await this.transport.send(
      'DELETE',
      `/apisix/admin/services/${encodeURIComponent(service.id)}`,
      undefined,
      {
        gateway_group_id: groupId,
      },
    );
  }

  /**
   * [I semantics] `POST /api/services/publish`. `create_new_version: false` applies an existing
   * `service_version_id` (sync, rollback); `true` mints a new version from the live service.
   */
  async publish(groupId: string, createNewVersion: boolean, services: PublishItem[]): Promise<void> {
    await this.transport.send('POST', '/api/services/publish', {
      create_new_version: createNewVersion,
      gateway_group_id: groupId,
      services,
    });
  }

  /** Route conflicts that a publish would cause in the target group. Changes nothing. */
  async conflictCheck(
    groupId: string,
    services: PublishItem[],
    createNewVersion = false,
  ): Promise<{ duplicate: ConflictPair[]; overlapping: ConflictPair[] }> {
    const res = await this.transport.check<{
      value: { duplicate?: ConflictPair[]; overlapping?: ConflictPair[] };
    }>('POST', '/api/services/conflict_check', {
      create_new_version: createNewVersion,
      gateway_group_id: groupId,
      services,
    });
    return { duplicate: res.value?.duplicate ?? [], overlapping: res.value?.overlapping ?? [] };
  }
}

export type ConflictPair = {
  service_id?: string;
  service_name?: string;
  route_name?: string;
  url?: string;
}[];

function runtimePath(groupId: string, templateId: string): string {
  return `/api/gateway_groups/${encodeURIComponent(groupId)}/services/${encodeURIComponent(templateId)}/runtime_configuration`;
}

/** [I] "No Version": `version` absent, null or "" (the shape was never captured live). */
export function hasVersion(service: Pick<PublishedService, 'version'>): boolean {
  return typeof service.version === 'string' && service.version.length > 0;
}

export { Api7Error };

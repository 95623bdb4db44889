/**
 * The items of `POST /api/services/publish`, per API generation: legacy carries
 * the group's runtime configuration in every item; modern carries none (400 otherwise).
 */
import type { Generation, PublishedService, PublishItem } from './api7/client.js';
import type { PlanEntry } from './model.js';
import type { Api7Runtime } from './runtime.js';

function withRuntime(item: PublishItem, generation: Generation, runtime: Api7Runtime): PublishItem {
  if (generation === 'modern') return item;
  return {
    ...item,
    ...(runtime.upstream ? { upstream: runtime.upstream } : {}),
    ...(runtime.hosts ? { hosts: runtime.hosts } : {}),
    ...(runtime.path_prefix ? { path_prefix: runtime.path_prefix } : {}),
    ...(runtime.strip_path_prefix !== undefined ? { strip_path_prefix: runtime.strip_path_prefix } : {}),
  };
}

/** The runtime the target should run after the sync: what it runs now, overridden by the config. */
export function targetRuntime(entry: PlanEntry): Api7Runtime {
  const t = entry.target;
  return {
    ...(t?.upstream ? { upstream: t.upstream } : {}),
    ...(t?.hosts ? { hosts: t.hosts } : {}),
    ...(t?.path_prefix ? { path_prefix: t.path_prefix } : {}),
    ...entry.desiredRuntime,
  };
}

/** Sync: apply the source's running snapshot to the target group. */
export function syncItem(entry: PlanEntry, generation: Generation, serviceVersionId: string): PublishItem {
  // Legacy: a first sync is live at once; an existing target keeps its status. Modern: a first
  // sync lands disabled and is enabled after its runtime configuration is set.
  const status = (entry.target ? (entry.target.status ?? 1) : generation === 'legacy' ? 1 : 0) as 0 | 1;
  return withRuntime(
    { service_id: entry.templateId!, service_version_id: serviceVersionId, version: entry.version!, status },
    generation,
    targetRuntime(entry),
  );
}

/** Label a "No Version" source: publish its live configuration as a new version in the source group. */
export function labelItem(entry: PlanEntry, generation: Generation): PublishItem {
  const source = entry.source!;
  return withRuntime(
    {
      service_id: entry.templateId!,
      version: entry.newVersionLabel!,
      name: source.name,
      status: (source.status ?? 1) as 0 | 1,
    },
    generation,
    { upstream: source.upstream, hosts: source.hosts, path_prefix: source.path_prefix },
  );
}

/**
 * A "No Version" source as it would go live in the target under its new label, for a conflict
 * check there (`create_new_version: true`): the label, the target's status and runtime.
 */
export function labelItemFor(entry: PlanEntry, generation: Generation): PublishItem {
  const status = (entry.target ? (entry.target.status ?? 1) : 1) as 0 | 1;
  return withRuntime(
    { service_id: entry.templateId!, version: entry.newVersionLabel!, status },
    generation,
    targetRuntime(entry),
  );
}

/** Rollback: apply a version that ran in the group before, with the runtime it had then. */
export function rollbackItem(
  previous: PublishedService,
  serviceVersionId: string,
  generation: Generation,
): PublishItem {
  return withRuntime(
    {
      service_id: previous.service_id,
      service_version_id: serviceVersionId,
      version: previous.version ?? '',
      status: (previous.status ?? 1) as 0 | 1,
    },
    generation,
    { upstream: previous.upstream, hosts: previous.hosts, path_prefix: previous.path_prefix },
  );
}

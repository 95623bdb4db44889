/**
 * The seed file: gateway groups, registries and published services that exist
 * before the sandbox listens. Seeding writes the store directly and is never in the request log.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { checkResource } from './schema/check.js';
import { seedShapeProblem } from './seed-shape.js';
import { ApiError, type Route, type Store, type Upstream } from './store.js';
import { checkHosts, checkPathPrefix, checkUpstream, isObject } from './validate.js';

export interface Seed {
  api7Version?: string;
  listen?: string;
  token?: string;
  propagationDelayMs?: number;
  /** Serve the control plane over HTTPS (and the gateways too with `{gateways: true}`). */
  tls?: boolean | { gateways?: boolean };
  /** `adminKey`: a gateway-group admin key (`a7adm-…`) that implies the group on /apisix/admin. */
  gatewayGroups?: { name: string; gatewayPort?: number; adminKey?: string }[];
  registries?: {
    gatewayGroup: string;
    name: string;
    type: 'nacos' | 'kubernetes' | 'consul';
    services?: {
      namespace: string;
      group: string;
      name: string;
      instances: { host: string; port?: number; weight?: number }[];
    }[];
  }[];
  services?: {
    gatewayGroup: string;
    name: string;
    version?: string;
    enabled?: boolean;
    hosts?: string[];
    pathPrefix?: string;
    routes?: Omit<Route, 'id'>[];
    upstream?: Upstream & { nodes?: { host: string; port?: number; weight?: number }[] };
    /** A discovery upstream by registry name, like the config file's. */
    discovery?: { registry: string; namespace?: string; group?: string; service: string };
  }[];
}

/** A seed the sandbox cannot use: a file it cannot read, or content it cannot apply. */
export class SeedError extends Error {}

/** The seed file's text; a path that names no file says so, and names a near miss if there is one. */
function readSeedFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const near = nearMiss(file);
      throw new SeedError(
        `there is no seed file ${file}` +
          (near ? `: did you mean ${near}?` : ': check the path given to --seed'),
      );
    }
    if (code === 'EISDIR') throw new SeedError(`${file} is a directory: --seed takes a YAML seed file`);
    throw new SeedError(`${file}: cannot read the seed file (${code ?? (err as Error).message})`);
  }
}

/** A file next to where `file` was looked for whose name differs by a letter or two (or by case). */
function nearMiss(file: string): string | undefined {
  const dir = path.dirname(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined; // the directory is missing too: there is nothing near to suggest
  }
  const wanted = path.basename(file).toLowerCase();
  const best = names
    .map((name) => ({ name, distance: editDistance(wanted, name.toLowerCase()) }))
    .filter((n) => n.distance <= 2 && /\.ya?ml$/i.test(n.name))
    .sort((a, b) => a.distance - b.distance)[0];
  return best && path.join(dir, best.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}

export function loadSeed(file: string): Seed {
  const text = readSeedFile(file);
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (err) {
    throw new SeedError(`${file}: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new SeedError(`${file}: the seed must be a YAML mapping`);
  const known = [
    'api7Version',
    'listen',
    'token',
    'propagationDelayMs',
    'tls',
    'gatewayGroups',
    'registries',
    'services',
  ];
  for (const k of Object.keys(doc)) {
    if (!known.includes(k)) throw new SeedError(`${file}: unknown key "${k}" (known: ${known.join(', ')})`);
  }
  const problem = seedShapeProblem(doc);
  if (problem) throw new SeedError(`${file}: ${problem}`);
  if (doc.api7Version !== undefined) doc.api7Version = String(doc.api7Version);
  return doc as Seed;
}

/** Applies a seed to an empty store; entries apply in order. */
export function applySeed(store: Store, seed: Seed): void {
  const groupId = (name: string, where: string) => {
    for (const g of store.groups.values()) if (g.name === name) return g.id;
    throw new SeedError(`${where}: gateway group "${name}" is not listed under gatewayGroups`);
  };
  for (const g of seed.gatewayGroups ?? []) store.createGroup({ name: String(g.name) });
  for (const [i, r] of (seed.registries ?? []).entries()) {
    const registry = store.createRegistry(groupId(r.gatewayGroup, `registries[${i}]`), {
      name: r.name,
      type: r.type,
    });
    registry.services = (r.services ?? []).map((s) => ({ ...s, instances: s.instances ?? [] }));
  }
  for (const [i, s] of (seed.services ?? []).entries()) {
    const where = `services[${i}]`;
    const gid = groupId(s.gatewayGroup, where);
    try {
      const upstream = seedUpstream(store, gid, s);
      const routes = (s.routes ?? []).map((r, j) =>
        checkResource<Omit<Route, 'id'>>('route', structuredClone(r), store.version, `/routes/${j}`),
      );
      const template = store.findTemplateByName(s.name) ?? store.createTemplate({ name: s.name, routes });
      template.routes = routes.map(
        (r, j) => ({ ...r, id: template.routes[j]?.id ?? `${template.id}-r${j}` }) as Route,
      );
      const runtime = {
        upstream,
        hosts: checkHosts(s.hosts, 'hosts', store.version),
        path_prefix: checkPathPrefix(s.pathPrefix, 'path_prefix', store.version),
        status: (s.enabled === false ? 0 : 1) as 0 | 1,
      };
      if (s.version !== undefined) {
        const label = String(s.version);
        const existing = [...store.versions.values()].find(
          (v) => v.service_id === template.id && v.version === label,
        );
        const version = existing ?? store.mintVersion(template.id, label, '');
        store.run(gid, version, runtime);
      } else {
        // "No Version": the service was created directly in the group.
        store.run(gid, store.mintVersion(template.id, `__seed-${i}`, ''), runtime);
        const p = store.publishedIn(gid, template.id)!;
        store.versions.delete(p.service_version_id!);
        p.version = '';
        delete p.service_version_id;
        p.history = [];
      }
    } catch (err) {
      if (err instanceof ApiError) throw new SeedError(`${where}: ${err.message}`);
      throw err;
    }
  }
}

function seedUpstream(store: Store, gid: string, s: NonNullable<Seed['services']>[number]): Upstream {
  const ctx = { store, groupId: gid, version: store.version };
  if (s.discovery) {
    const registry = store.registriesOf(gid).find((r) => r.name === s.discovery!.registry);
    if (!registry)
      throw new ApiError(
        400,
        `discovery.registry: "${s.discovery.registry}" is not a registry of this group`,
      );
    const ns = s.discovery.namespace ?? 'public';
    const grp = s.discovery.group ?? 'DEFAULT_GROUP';
    return checkUpstream(
      {
        discovery_type: registry.type,
        service_name: `${registry.id}/${ns}/${grp}/${s.discovery.service}`,
        discovery_args: { metadata: { namespace_id: ns, group_name: grp } },
      },
      'discovery',
      ctx,
    );
  }
  const up: { nodes?: { host: string; port?: number; weight?: number }[] } = s.upstream ?? {
    nodes: [{ host: 'httpbin' }],
  };
  // In the seed, a node without port or weight means port 80, weight 100.
  const nodes = up.nodes?.map((n) => ({ ...n, port: n.port ?? 80, weight: n.weight ?? 100 }));
  return checkUpstream({ ...up, ...(nodes ? { nodes } : {}) }, 'upstream', ctx);
}

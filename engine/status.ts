/** The service × environment matrix: the version each group runs, and where it drifted. */
import { hasVersion, type Api7Client } from './api7/client.js';
import type { Config } from './config/types.js';
import type { Drift } from './model.js';
import { mapRuntime, runtimeDrift } from './runtime.js';
import { unknownGroupMessage } from './suggest.js';

export interface StatusMatrix {
  environments: {
    name: string;
    gatewayGroup: string;
    found: boolean;
    /** When the group is missing: the groups the control plane has, and the key to change. */
    message?: string;
  }[];
  services: {
    name: string;
    /** Per environment: "1.0.0", "No Version", with " (disabled)"; null when absent. */
    versions: Record<string, string | null>;
    /** Per environment: runtime keys on which the group differs from the config. */
    drift: Record<string, Drift[]>;
  }[];
}

export async function status(client: Api7Client, config: Config): Promise<StatusMatrix> {
  const envs = Object.entries(config.environments);
  const names = Object.keys(config.services);
  const groups = await client.listGatewayGroups();
  const columns = await Promise.all(
    envs.map(async ([name, env]) => {
      const group = groups.find((g) => g.name === env.gatewayGroup);
      const discovery = names.some((n) => config.services[n]?.runtime?.[name]?.upstream?.discovery);
      const [services, registries] = group
        ? await Promise.all([
            client.publishedServices(group.id),
            discovery ? client.serviceRegistries(group.id) : Promise.resolve(undefined),
          ])
        : [[], undefined];
      return { name, env, group, services, registries };
    }),
  );
  return {
    environments: columns.map((c) => ({
      name: c.name,
      gatewayGroup: c.env.gatewayGroup,
      found: Boolean(c.group),
      ...(c.group
        ? {}
        : {
            message: unknownGroupMessage(
              c.env.gatewayGroup,
              c.name,
              groups.map((g) => g.name),
              config.file,
            ),
          }),
    })),
    services: names.map((name) => {
      const versions: Record<string, string | null> = {};
      const drift: Record<string, Drift[]> = {};
      for (const c of columns) {
        const s = c.services.find((x) => x.name === name);
        versions[c.name] = s
          ? `${hasVersion(s) ? s.version : 'No Version'}${s.status === 1 ? '' : ' (disabled)'}`
          : null;
        const runtime = config.services[name]?.runtime?.[c.name];
        const mapping = s && runtime ? mapRuntime(runtime, c.registries, c.env.gatewayGroup) : undefined;
        drift[c.name] = s && mapping?.ok ? runtimeDrift(s, mapping.runtime) : [];
      }
      return { name, versions, drift };
    }),
  };
}

/** Reading a gateway group back: what each service runs, by template ID. */
import type { Api7Client, PublishedService } from '../api7/client.js';
import { pause } from './converge.js';
import { messageOf } from '../errors.js';

export interface Observed {
  service: PublishedService;
  /** The running snapshot's `service_version_id`; undefined for "No Version". */
  running: string | undefined;
}

export type GroupView = Map<string, Observed>;

/** The services of a group by template ID, with what each runs; undefined when unreadable. */
export async function observeGroup(
  client: Api7Client,
  groupId: string,
  log: (line: string) => void,
  expected?: number,
): Promise<GroupView | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const services = await client.publishedServices(groupId, expected);
      const out: GroupView = new Map();
      await Promise.all(
        services.map(async (s) => {
          out.set(s.service_id, { service: s, running: await client.runningVersionId(groupId, s) });
        }),
      );
      return out;
    } catch (err) {
      log(`reading the gateway group back failed: ${messageOf(err)}`);
      await pause(attempt);
    }
  }
  return undefined;
}

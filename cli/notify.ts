/**
 * `sync` and `rollback` tell the config's `notify` webhooks about the result before the CLI
 * exits. What happens to a notification never changes the exit code or stdout: failures are
 * warnings on stderr, and the webhook URL is never written anywhere.
 */
import type { Config, SyncResult } from '../engine/index.js';
import { notify, NOTIFY_TIMEOUT_MS, type NotifyLinks } from '../github/notify.js';
import { actionsRunUrl } from '../github/run-url.js';
import type { Io } from './io.js';

/** Lowers the notification timeout (milliseconds), for tests and for impatient terminals. */
export const NOTIFY_TIMEOUT_VARIABLE = 'API7_SYNC_NOTIFY_TIMEOUT_MS';

function timeoutMs(io: Io): number {
  const raw = io.env[NOTIFY_TIMEOUT_VARIABLE];
  if (raw === undefined || raw === '') return NOTIFY_TIMEOUT_MS;
  const ms = Number(raw);
  if (Number.isInteger(ms) && ms > 0 && ms <= 60_000) return ms;
  io.stderr(
    `api7-sync: ${NOTIFY_TIMEOUT_VARIABLE} takes milliseconds from 1 to 60000, not "${raw}"; using ${NOTIFY_TIMEOUT_MS}`,
  );
  return NOTIFY_TIMEOUT_MS;
}

/** Inside a GitHub Actions job, the message links to the run. */
function links(io: Io): NotifyLinks {
  const run = actionsRunUrl(io.env.GITHUB_SERVER_URL, io.env.GITHUB_REPOSITORY, io.env.GITHUB_RUN_ID);
  return run ? { run } : {};
}

/** Sends the result to every `notify` webhook that wants it; never throws. */
export async function notifyFromCli(config: Config, result: SyncResult, io: Io): Promise<void> {
  if (!config.notify?.length) return;
  await notify(config.notify, result, {
    logger: { info: (m) => io.stderr(`api7-sync: ${m}`), warn: (m) => io.stderr(`api7-sync: warning: ${m}`) },
    links: links(io),
    timeoutMs: timeoutMs(io),
  });
}

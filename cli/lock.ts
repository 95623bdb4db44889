/**
 * `--lock OWNER/REPO`: the CLI takes the same environment lock as the Action and the bot, in
 * that repository, with GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise Server), through
 * the same promotion session: renewed every `API7_SYNC_HEARTBEAT_MS` (default 60000) and released
 * at the end. This file only builds the sessions; the promotion run (github/promotion.ts) claims
 * and ends them.
 */
import { userInfo } from 'node:os';
import { ENVIRONMENT_NAME_RULE, type Logger } from '../engine/index.js';
import { gitHubClient } from '../github/client.js';
import { parseHeartbeatMs } from '../github/heartbeat.js';
import { describeHolder, isLockableEnvironment } from '../github/lock.js';
import type { SessionFactory } from '../github/promotion.js';
import { startSession } from '../github/session.js';
import { usage } from './context.js';
import type { Io } from './io.js';

/** Below this a heartbeat only makes sense against a local stand-in for GitHub (tests). */
const MIN_HEARTBEAT_MS = 10;

/**
 * The sessions of `--lock OWNER/REPO` for `environments`. Everything that cannot work (the slug,
 * the token, the heartbeat, a name no branch can carry) is refused here, before any GitHub request.
 */
export function lockSessions(
  slug: string,
  environments: string[],
  reason: string,
  io: Io,
  waitSeconds = 0,
): SessionFactory {
  const [owner, repo, ...rest] = slug.split('/');
  if (!owner || !repo || rest.length) throw usage(`--lock takes OWNER/REPO, not "${slug}"`);
  const token = io.env.GITHUB_TOKEN;
  if (!token) throw usage('--lock needs GITHUB_TOKEN (a token that may write to the repository)');
  for (const environment of environments)
    if (!isLockableEnvironment(environment))
      throw usage(
        `--lock cannot lock environment "${environment}": a lock is a branch, so ${ENVIRONMENT_NAME_RULE}`,
      );
  // A bad value is a usage error (exit 64) naming the variable.
  const heartbeatMs = parseHeartbeatMs(
    io.env.API7_SYNC_HEARTBEAT_MS,
    'API7_SYNC_HEARTBEAT_MS',
    MIN_HEARTBEAT_MS,
  );
  const log: Logger = {
    debug: () => undefined,
    info: (m) => io.stderr(m),
    warn: (m) => io.stderr(`warning: ${m}`),
    error: (m) => io.stderr(`error: ${m}`),
  };
  const github = gitHubClient(token, log, { baseUrl: io.env.GITHUB_API_URL ?? 'https://api.github.com' });
  return (environment) =>
    startSession({
      github,
      repo: { owner, repo },
      environment,
      lock: { holder: `api7-sync CLI (${userInfo().username})`, reason },
      heartbeatMs,
      waitMs: waitSeconds * 1000,
      onWait: (heldBy) =>
        io.stderr(
          `waiting up to ${waitSeconds} s: the lock on "${environment}" is ${describeHolder(heldBy)}`,
        ),
      log,
    });
}

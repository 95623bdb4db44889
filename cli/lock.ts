/**
 * `--lock OWNER/REPO`: the CLI takes the same environment lock as the Action and the bot, in
 * that repository, with GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise Server).
 */
import { getOctokit } from '@actions/github';
import { userInfo } from 'node:os';
import { describeHolder, EnvironmentLock, type HeldLock } from '../github/lock.js';
import type { Io } from './io.js';

export class LockUsageError extends Error {}

export type LockOutcome<T> = { ran: true; value: T } | { ran: false; message: string };

export async function withEnvironmentLock<T>(
  slug: string | undefined,
  environment: string,
  reason: string,
  io: Io,
  fn: () => Promise<T>,
  waitSeconds = 0,
): Promise<LockOutcome<T>> {
  if (!slug) return { ran: true, value: await fn() };
  const [owner, repo, ...rest] = slug.split('/');
  if (!owner || !repo || rest.length) throw new LockUsageError(`--lock takes OWNER/REPO, not "${slug}"`);
  const token = io.env.GITHUB_TOKEN;
  if (!token)
    throw new LockUsageError('--lock needs GITHUB_TOKEN (a token that may write to the repository)');
  const octokit = getOctokit(token, { baseUrl: io.env.GITHUB_API_URL ?? 'https://api.github.com' });
  const lock = new EnvironmentLock(octokit, { owner, repo });
  const claim = await lock.claimWaiting(
    environment,
    { holder: `api7-sync CLI (${userInfo().username})`, reason },
    {
      waitMs: waitSeconds * 1000,
      onWait: (heldBy) =>
        io.stderr(
          `waiting up to ${waitSeconds} s: the lock on "${environment}" is ${describeHolder(heldBy)}`,
        ),
    },
  );
  if (!claim.claimed)
    return {
      ran: false,
      message: `the lock on environment "${environment}" is ${describeHolder(claim.heldBy)}`,
    };
  if (claim.tookOverFrom)
    io.stderr(
      `took over the expired lock on "${environment}", which was ${describeHolder(claim.tookOverFrom)}`,
    );
  const held: HeldLock = claim.lock;
  try {
    return { ran: true, value: await fn() };
  } finally {
    await lock
      .release(environment, held.sha)
      .catch((err: unknown) => io.stderr(`could not release the lock: ${(err as Error).message}`));
  }
}

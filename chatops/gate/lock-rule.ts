/**
 * Lock: a promotion into the environment that holds its lock (`api7-sync-lock/<env>`) must not be
 * joined by a deployment the gate lets through. Who holds it is read from the lock commit, which
 * anyone with write access can author, so it is quoted inert.
 */
import type { GitHubClient, Repo } from '../../github/api.js';
import { EnvironmentLock } from '../../github/lock.js';
import { inert } from '../inert.js';
import { describeFailure } from '../failure.js';
import { failed, passed, unknown, type RuleOutcome } from './verdict.js';

export async function lockRule(
  github: GitHubClient,
  repo: Repo,
  environment: string,
  now: () => number,
): Promise<RuleOutcome> {
  let held;
  try {
    held = await new EnvironmentLock(github, repo, now).read(environment);
  } catch (err) {
    return unknown('lock', `\`api7-sync-lock/${environment}\` could not be read: ${describeFailure(err)}`);
  }
  if (!held) return passed('lock', `\`${environment}\` is not locked`);
  const { holder, reason, since, until } = held.info;
  const who = `${inert(holder)} since ${inert(since)}${reason ? ` (${inert(reason)})` : ''}`;
  if (!(Date.parse(until) > now()))
    return passed('lock', `\`${environment}\` is free: the lock of ${who} expired at ${inert(until)}`);
  return failed(
    'lock',
    `\`${environment}\` is locked by ${who} until ${inert(until)}; wait for it to be released (or \`/unlock\` a hand lock)`,
  );
}

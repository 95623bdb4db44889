/**
 * The Octokit of the Action and of the CLI's `--lock`: `@actions/github`'s (`GITHUB_API_URL` for
 * GitHub Enterprise Server) with the retry and throttling plugins Probot gives the App. Server
 * errors are retried; rate-limit answers (primary, and secondary with `retry-after`) are waited
 * out, a bounded number of times for a bounded wait, then the request fails saying so.
 *
 * Unlike the App, which serves many repositories from one process, a run makes a handful of
 * writes, so writes are not paced one a second; only GitHub's own rate-limit answers make it wait.
 */
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import type { Logger } from '../engine/index.js';
import type { GitHubClient } from './api.js';

/** How many times one request waits out a rate limit before it fails. */
export const RATE_LIMIT_RETRIES = 3;
/** The longest wait for one rate limit, in seconds: past it the request fails at once. */
export const RATE_LIMIT_MAX_WAIT_S = 600;

export type ActionsOctokit = ReturnType<typeof getOctokit>;

/** Whether to wait `retryAfter` seconds and send again, saying so either way. */
export function waitOrGiveUp(
  kind: 'primary' | 'secondary',
  retryAfter: number,
  request: { method: string; url: string },
  retryCount: number,
  log: Pick<Logger, 'warn'>,
): boolean {
  const what = `${request.method} ${request.url}`;
  const limit = kind === 'primary' ? 'rate limit' : 'secondary rate limit';
  if (retryCount < RATE_LIMIT_RETRIES && retryAfter <= RATE_LIMIT_MAX_WAIT_S) {
    log.warn(
      `GitHub's ${limit} refused ${what}: waiting ${retryAfter} s as GitHub asks, then sending it again (${retryCount + 1} of ${RATE_LIMIT_RETRIES})`,
    );
    return true;
  }
  log.warn(
    retryAfter > RATE_LIMIT_MAX_WAIT_S
      ? `GitHub's ${limit} refused ${what} for ${retryAfter} s, longer than the ${RATE_LIMIT_MAX_WAIT_S} s api7-sync waits: giving up`
      : `GitHub's ${limit} refused ${what} ${retryCount + 1} times: giving up`,
  );
  return false;
}

export function gitHubClient(
  token: string,
  log: Pick<Logger, 'warn'>,
  options: { baseUrl?: string } = {},
): ActionsOctokit & GitHubClient {
  // One group per client, without a pause between writes: see the module's comment.
  const unpaced = () => new Bottleneck.Group({ maxConcurrent: 10 });
  return getOctokit(
    token,
    {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      throttle: {
        write: unpaced(),
        notifications: unpaced(),
        onRateLimit: (after, request, _octokit, count) => waitOrGiveUp('primary', after, request, count, log),
        onSecondaryRateLimit: (after, request, _octokit, count) =>
          waitOrGiveUp('secondary', after, request, count, log),
      },
    },
    retry,
    throttling,
  );
}

/**
 * The GitHub client every door hands to the GitHub code: Octokit's own `request` (typed by route
 * from GitHub's OpenAPI description) and `paginate`. The Action's and the CLI's Octokit
 * (client.ts) and Probot's both are one, so this module depends on neither.
 */
import type { Octokit } from '@octokit/core';
import type { PaginateInterface } from '@octokit/plugin-paginate-rest';
import { messageOf, retryAfterMs } from '../engine/index.js';
export type GitHubClient = Pick<Octokit, 'request'> & { paginate: PaginateInterface };

export interface Repo {
  owner: string;
  repo: string;
}

/** Octokit's errors carry the HTTP status; anything else is not an HTTP answer. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * How long GitHub asked us to wait, in milliseconds, when it refused a request for a rate limit
 * (403 or 429 with `retry-after`, or with no requests left until `x-ratelimit-reset`); undefined
 * for any other answer.
 */
export function rateLimitWaitMs(err: unknown, now = Date.now()): number | undefined {
  const status = statusOf(err);
  if (status !== 403 && status !== 429) return undefined;
  const headers = (err as { response?: { headers?: Record<string, string | number | undefined> } }).response
    ?.headers;
  const retryAfter = retryAfterMs(headers?.['retry-after'], now);
  if (retryAfter !== undefined) return retryAfter;
  if (String(headers?.['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers?.['x-ratelimit-reset']) * 1000;
    if (Number.isFinite(reset)) return Math.max(0, reset - now);
  }
  // Without a time to wait, GitHub asks for at least a minute.
  const secondary = /secondary rate limit/i.test(messageOf(err));
  return status === 429 || secondary ? 60_000 : undefined;
}

/**
 * Reading a request's state from the app's own Check Run (see requests.ts for where it lives and
 * how it moves): a state counts only in a check run the app itself made, signed with the app's
 * key, naming this repository, pull request and request, on the head SHA it names.
 */
import { statusOf } from '../github/api.js';
import type { CommandContext } from './context.js';
import { decodeState, stateKey, type RequestState } from './state.js';

export interface TrackedRequest {
  /** The check run that holds the state. */
  checkRun: number;
  state: RequestState;
  /** What the check run shows now, kept by a move that changes only the state. */
  output: { title: string; summary: string };
}

interface CheckRunData {
  id: number;
  head_sha: string;
  external_id?: string | null;
  app?: { slug?: string } | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
}

export class StaleRequest extends Error {}

/** The state in a check run, if the app wrote it for this pull request; undefined otherwise. */
function trusted(ctx: CommandContext, run: CheckRunData): TrackedRequest | undefined {
  if (`${run.app?.slug ?? ''}[bot]`.toLowerCase() !== ctx.settings.appLogin.toLowerCase()) return undefined;
  const state = decodeState(stateKey(ctx.settings.stateSecret), run.output?.text ?? '');
  if (!state || state.pr !== ctx.pr.number || state.carriedTo !== undefined) return undefined;
  if (state.repository.toLowerCase() !== ctx.pr.repository.toLowerCase()) return undefined;
  if (String(state.request) !== run.external_id || state.headSha !== run.head_sha) return undefined;
  return {
    checkRun: run.id,
    state: { ...state, checkRun: run.id },
    output: { title: run.output?.title ?? '', summary: run.output?.summary ?? '' },
  };
}

/**
 * The requests whose state lives on a head (the pull request's current head by default): one paged
 * read of that commit's check runs, whatever the number of comments.
 */
export async function readRequests(
  ctx: CommandContext,
  headSha?: string,
): Promise<Map<number, TrackedRequest>> {
  const sha = headSha ?? (await ctx.pr.facts()).headSha;
  const requests = new Map<number, TrackedRequest>();
  for (let page = 1; ; page++) {
    const { data } = await ctx.pr.github.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      ...ctx.pr.repo,
      ref: sha,
      filter: 'all',
      per_page: 100,
      page,
    });
    const runs = (data.check_runs ?? []) as CheckRunData[];
    for (const run of runs) {
      const tracked = trusted(ctx, run);
      if (tracked) requests.set(tracked.state.request, tracked);
    }
    if (runs.length < 100) return requests;
  }
}

/** One request's state, read from its check run; undefined when it holds none of ours. */
export async function readRequest(
  ctx: CommandContext,
  checkRun: number,
): Promise<TrackedRequest | undefined> {
  try {
    const { data } = await ctx.pr.github.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      ...ctx.pr.repo,
      check_run_id: checkRun,
    });
    return trusted(ctx, data as CheckRunData);
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

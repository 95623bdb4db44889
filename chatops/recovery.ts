/**
 * Nothing a restart loses, at a cost that does not grow with history. A run holds its environment
 * lock, renewed every heartbeat, from before its state says `running` until it ends, and posts a
 * heartbeat status on its deployment; so a run whose process died is a request `running` in the
 * app's own state whose lock lease ran out or whose deployment's heartbeat stopped.
 * Recovery looks only where that can show: the `api7-sync-lock/*` refs (one list) and the app's
 * **own** recent deployments (one list, newest first, with an age cut-off). A deployment anyone
 * else created is ignored, and a request is moved only if its state (read from the app's check run)
 * says `running`. Lists are read with `If-None-Match`: unchanged, GitHub answers 304, which costs
 * no rate limit. A stale run's deployment is marked failed, its request `interrupted` with what the
 * target runs now, its lock released if still held for it, its check run completed.
 */
import type { GitHubClient, Repo } from '../github/api.js';
import type { ChatopsSettings, CommandContext } from './context.js';
import { lockRequestId } from './lock-holder.js';
import { PullRequest } from './pull-request.js';
import {
  ownRecentDeployments,
  readLocks,
  recoveryMemory,
  type Deployment,
  type RecoveryMemory,
} from './recovery-reads.js';
import { findDeployment, markerOf, recoverRequest } from './recover-request.js';
import { readRequest, readRequests, unsavedRequest, type TrackedRequest } from './requests.js';
import { decodeState, stateKey, targetsOf } from './state.js';

export { recoveryMemory, type RecoveryMemory } from './recovery-reads.js';

/** Recovers the stale runs of one repository; returns the requests it marked interrupted. */
export async function recoverStaleRuns(
  github: GitHubClient,
  repo: Repo,
  settings: ChatopsSettings,
  memory: RecoveryMemory = recoveryMemory(),
): Promise<number[]> {
  const repository = `${repo.owner}/${repo.repo}`;
  const now = settings.now();
  const locks = await readLocks(github, repo, memory);
  const live = (environment: string, request: string) => {
    const info = locks.get(environment);
    return info?.request === request && Date.parse(info.until) > now;
  };
  const recovered: number[] = [];
  const looked = new Set<string>();
  /** The requests recovered in this sweep: their other deployments were ended with them. */
  const ended = new Set<string>();
  const deployments = await ownRecentDeployments(github, repo, settings, memory);
  // A fan-out records one deployment per target: all of a request's are ended together.
  const ofRequest = requestDeployments(repository, deployments);
  for (const d of deployments) {
    const marker = markerOf(d.payload);
    const key = `${repository}#${d.id}`;
    if (!marker?.pr || !marker.request || !marker.environment || !(marker.checkRun || marker.state)) {
      memory.settled.add(key);
      continue;
    }
    const holder = lockRequestId(repository, marker.pr, marker.request);
    if (ended.has(holder)) {
      memory.settled.add(key);
      continue;
    }
    looked.add(holder);
    // A live lease with a current heartbeat is a run in progress: not looked at further.
    if (live(marker.environment, holder) && !(await heartbeatStopped(github, repo, settings, d))) continue;
    const ctx = contextFor(github, repo, settings, marker.pr, marker.request);
    const tracked = marker.checkRun
      ? await readRequest(ctx, marker.checkRun)
      : await unwrittenRun(ctx, marker.state ?? '');
    if (tracked?.state.request !== marker.request || tracked.state.status !== 'running') {
      if (tracked?.state.status !== 'approved') memory.settled.add(key);
      continue;
    }
    const own = ofRequest.get(holder) ?? new Map<string, number>();
    await recoverRequest(ctx, tracked, own);
    for (const id of own.values()) memory.settled.add(`${repository}#${id}`);
    memory.settled.add(key);
    ended.add(holder);
    recovered.push(marker.request);
  }
  // A run that died after taking its lock and before recording its deployment: its lease ran out.
  for (const [environment, info] of locks) {
    const parsed = /^(.+)#(\d+)\/request-(\d+)$/.exec(info.request ?? '');
    if (!parsed || looked.has(info.request!) || Date.parse(info.until) > now) continue;
    if (parsed[1] !== repository.toLowerCase()) continue;
    const [pr, request] = [Number(parsed[2]), Number(parsed[3])];
    const ctx = contextFor(github, repo, settings, pr, request);
    const known = new Map<string, number>();
    let tracked = (await readRequests(ctx)).get(request);
    if (!tracked) {
      // Not written yet: its deployment carries its state, even when others pushed it off the list.
      const found = await findDeployment(ctx, { pr, request }, environment);
      if (found?.marker.state) tracked = await unwrittenRun(ctx, found.marker.state);
      if (found) known.set(environment, found.id);
    }
    if (tracked?.state.status !== 'running' || !targetsOf(tracked.state).includes(environment)) continue;
    await recoverRequest(ctx, tracked, known);
    recovered.push(request);
  }
  return recovered;
}

/**
 * The request of a run that started without writing it (see `unsavedRequest`), from the signed
 * state its deployment carries: as GitHub holds it if the run wrote it before dying, else as the
 * run held it. Undefined when the state is not ours, not this request's, or not running.
 */
async function unwrittenRun(ctx: CommandContext, signed: string): Promise<TrackedRequest | undefined> {
  const state = decodeState(stateKey(ctx.settings.stateSecret), signed);
  if (!state || state.status !== 'running' || state.request !== ctx.commandId) return undefined;
  if (state.pr !== ctx.pr.number || state.repository.toLowerCase() !== ctx.pr.repository.toLowerCase())
    return undefined;
  const written = (await readRequests(ctx, state.headSha)).get(state.request);
  if (written) return written;
  const tracked = unsavedRequest(state, { title: 'Interrupted', summary: '' });
  return { ...tracked, state: { ...state, seq: 0 } };
}

/**
 * Whether a deployment's run stopped sending heartbeats: its latest status is not a recent
 * `in_progress` (two intervals). A deployment with no status yet is one its run created less than
 * a beat ago or one whose run died before its first beat: its creation is its first heartbeat.
 * Asked only of the app's own deployments whose lock is held.
 */
async function heartbeatStopped(
  github: GitHubClient,
  repo: Repo,
  settings: ChatopsSettings,
  deployment: Deployment,
): Promise<boolean> {
  const { data } = await github.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
    ...repo,
    deployment_id: deployment.id,
    per_page: 1,
  });
  const latest = (data as { state: string; created_at: string }[])[0] ?? {
    state: 'in_progress',
    created_at: deployment.created_at,
  };
  if (latest.state !== 'in_progress') return true;
  return settings.now() - Date.parse(latest.created_at) > 2 * settings.heartbeatMs;
}

/** A context for reading the request's state; the default branch is asked only when recovering. */
function contextFor(
  github: GitHubClient,
  repo: Repo,
  settings: ChatopsSettings,
  pr: number,
  request: number,
): CommandContext {
  return {
    settings,
    pr: new PullRequest(github, repo, pr),
    defaultBranch: '',
    commandId: request,
    commenter: '',
    commentUrl: '',
  };
}

/** The deployments of each request (by its lock holder id), by environment. */
function requestDeployments(repository: string, deployments: Deployment[]): Map<string, Map<string, number>> {
  const byRequest = new Map<string, Map<string, number>>();
  for (const d of deployments) {
    const marker = markerOf(d.payload);
    if (!marker?.pr || !marker.request || !marker.environment) continue;
    const holder = lockRequestId(repository, marker.pr, marker.request);
    const own = byRequest.get(holder) ?? new Map<string, number>();
    // Newest first: a target's newest deployment is the run's.
    if (!own.has(marker.environment)) own.set(marker.environment, d.id);
    byRequest.set(holder, own);
  }
  return byRequest;
}

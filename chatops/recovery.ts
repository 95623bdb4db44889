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
import { statusOf } from '../github/api.js';
import { endedFields } from '../github/check-run.js';
import { setDeploymentStatus } from '../github/deployment.js';
import { EnvironmentLock, parseLockMessage, type LockInfo } from '../github/lock.js';
import type { ChatopsSettings, CommandContext } from './context.js';
import { lockRequestId } from './lock-holder.js';
import { PullRequest } from './pull-request.js';
import { moveRequest, readRequest, readRequests, StaleRequest, type TrackedRequest } from './requests.js';
import { whatRunsNow } from './standing.js';
import { targetsOf } from './state.js';

const LOCK_PREFIX = 'refs/heads/api7-sync-lock/';
/** Older deployments are finished or already recovered: the list is not read past this age. */
export const RECOVERY_CUTOFF_MS = 7 * 24 * 60 * 60_000;
/** A run's own deployment is among the newest few; a lock whose lease ran out finds the rest. */
const DEPLOYMENTS_PER_SWEEP = 10;

/** What one process remembers between sweeps, so that an idle repository costs two 304s. */
export interface RecoveryMemory {
  /** ETag and answer of each list already read. */
  lists: Map<string, { etag: string; data: unknown }>;
  /** Lock commits by SHA: a commit never changes. */
  lockCommits: Map<string, LockInfo>;
  /** Deployments already looked at that need no second look (finished, or not the app's). */
  settled: Set<string>;
}

export function recoveryMemory(): RecoveryMemory {
  return { lists: new Map(), lockCommits: new Map(), settled: new Set() };
}

interface Marker {
  pr?: number;
  request?: number;
  environment?: string;
  checkRun?: number;
}

interface Deployment {
  id: number;
  created_at: string;
  creator?: { login?: string } | null;
  payload?: unknown;
}

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
  for (const d of await ownRecentDeployments(github, repo, settings, memory)) {
    const marker = (d.payload as { api7Sync?: Marker } | null)?.api7Sync;
    const key = `${repository}#${d.id}`;
    if (!marker?.pr || !marker.request || !marker.environment || !marker.checkRun) {
      memory.settled.add(key);
      continue;
    }
    const holder = lockRequestId(repository, marker.pr, marker.request);
    looked.add(holder);
    // A live lease with a current heartbeat is a run in progress: not looked at further.
    if (live(marker.environment, holder) && !(await heartbeatStopped(github, repo, settings, d.id))) continue;
    const ctx = contextFor(github, repo, settings, marker.pr, marker.request);
    const tracked = await readRequest(ctx, marker.checkRun);
    if (tracked?.state.request !== marker.request || tracked.state.status !== 'running') {
      if (tracked?.state.status !== 'approved') memory.settled.add(key);
      continue;
    }
    await recoverOne(ctx, tracked, d.id);
    memory.settled.add(key);
    recovered.push(marker.request);
  }
  // A run that died after taking its lock and before recording its deployment: its lease ran out.
  for (const [environment, info] of locks) {
    const parsed = /^(.+)#(\d+)\/request-(\d+)$/.exec(info.request ?? '');
    if (!parsed || looked.has(info.request!) || Date.parse(info.until) > now) continue;
    if (parsed[1] !== repository.toLowerCase()) continue;
    const [pr, request] = [Number(parsed[2]), Number(parsed[3])];
    const ctx = contextFor(github, repo, settings, pr, request);
    const tracked = (await readRequests(ctx)).get(request);
    if (tracked?.state.status !== 'running' || !targetsOf(tracked.state).includes(environment)) continue;
    await recoverOne(ctx, tracked, undefined);
    recovered.push(request);
  }
  return recovered;
}

/**
 * Whether a deployment's run stopped sending heartbeats: its latest status is not a recent
 * `in_progress` (two intervals). Asked only of the app's own deployments whose lock is held.
 */
async function heartbeatStopped(
  github: GitHubClient,
  repo: Repo,
  settings: ChatopsSettings,
  deploymentId: number,
): Promise<boolean> {
  const { data } = await github.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
    ...repo,
    deployment_id: deploymentId,
    per_page: 1,
  });
  const latest = (data as { state: string; created_at: string }[])[0];
  if (latest?.state !== 'in_progress') return true;
  return settings.now() - Date.parse(latest.created_at) > 2 * settings.heartbeatMs;
}

/** The lock refs and who holds each (one conditional list; each lock commit read once ever). */
async function readLocks(
  github: GitHubClient,
  repo: Repo,
  memory: RecoveryMemory,
): Promise<Map<string, LockInfo>> {
  const refs = (await conditional(github, memory, 'GET /repos/{owner}/{repo}/git/matching-refs/{ref}', {
    ...repo,
    ref: 'heads/api7-sync-lock/',
  })) as { ref: string; object: { sha: string } }[];
  const locks = new Map<string, LockInfo>();
  for (const r of refs) {
    if (!r.ref.startsWith(LOCK_PREFIX)) continue;
    const environment = r.ref.slice(LOCK_PREFIX.length);
    let info = memory.lockCommits.get(r.object.sha);
    if (!info) {
      const { data } = await github.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
        ...repo,
        commit_sha: r.object.sha,
      });
      info = parseLockMessage(String(data.message ?? ''), environment);
      memory.lockCommits.set(r.object.sha, info);
    }
    locks.set(environment, info);
  }
  return locks;
}

/** The app's own deployments younger than the cut-off that still need a look. */
async function ownRecentDeployments(
  github: GitHubClient,
  repo: Repo,
  settings: ChatopsSettings,
  memory: RecoveryMemory,
): Promise<Deployment[]> {
  const list = (await conditional(github, memory, 'GET /repos/{owner}/{repo}/deployments', {
    ...repo,
    per_page: DEPLOYMENTS_PER_SWEEP,
  })) as Deployment[];
  const app = settings.appLogin.toLowerCase();
  const now = settings.now();
  return list.filter((d) => {
    const key = `${repo.owner}/${repo.repo}#${d.id}`;
    if (memory.settled.has(key)) return false;
    // Anyone with write access can create a deployment naming any request: only the app's count.
    const ours = d.creator?.login?.toLowerCase() === app;
    if (!ours || now - Date.parse(d.created_at) > RECOVERY_CUTOFF_MS) {
      memory.settled.add(key);
      return false;
    }
    return true;
  });
}

/** A list read with `If-None-Match`: when GitHub answers 304 the remembered answer stands. */
async function conditional(
  github: GitHubClient,
  memory: RecoveryMemory,
  route: string,
  params: Record<string, unknown>,
): Promise<unknown> {
  const key = `${route} ${JSON.stringify(params)}`;
  const known = memory.lists.get(key);
  try {
    const answer = await github.request(route, {
      ...params,
      ...(known ? { headers: { 'if-none-match': known.etag } } : {}),
    });
    if (answer.status === 304 && known) return known.data;
    const etag = (answer as { headers?: Record<string, string | undefined> }).headers?.etag;
    if (etag) memory.lists.set(key, { etag, data: answer.data });
    return answer.data;
  } catch (err) {
    if (statusOf(err) === 304 && known) return known.data;
    // A repository with no lock branch at all answers an empty list, not 404; an error is real.
    throw err;
  }
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

async function recoverOne(
  reading: CommandContext,
  tracked: TrackedRequest,
  deploymentId: number | undefined,
): Promise<void> {
  const { state } = tracked;
  // What the target runs now is read through the config on the default branch.
  const { data } = await reading.pr.github.request('GET /repos/{owner}/{repo}', { ...reading.pr.repo });
  const ctx: CommandContext = { ...reading, defaultBranch: String(data.default_branch ?? 'main') };
  const { log } = ctx.settings;
  if (deploymentId !== undefined)
    await setDeploymentStatus(ctx.pr.github, ctx.pr.repo, { id: deploymentId }, 'failure', {
      description: 'interrupted: the process running it stopped',
    });
  const lock = new EnvironmentLock(ctx.pr.github, ctx.pr.repo, ctx.settings.now);
  const notes: string[] = [];
  const standing: string[] = [];
  for (const environment of targetsOf(state)) {
    const released = await lock.releaseIfHeldBy(
      environment,
      lockRequestId(ctx.pr.repository, state.pr, state.request),
    );
    notes.push(
      released
        ? `the lock on \`${environment}\` is released`
        : `the lock on \`${environment}\` was no longer held for it and was left alone`,
    );
    standing.push(`What \`${environment}\` runs now:\n\n${await whatRunsNow(ctx, environment)}`);
  }
  const deployment = deploymentId === undefined ? '' : `deployment #${deploymentId} is marked failed, `;
  try {
    await moveRequest(
      ctx,
      tracked,
      'interrupted',
      `The run was interrupted: the process running it stopped (${deployment}${notes.join(', ')}).\n\n${standing.join('\n\n')}\n\nCheck it, then ask again with \`/sync ${state.environment}\` or \`/rollback\`.`,
      {},
      endedFields('cancelled', 'interrupted: the process running it stopped'),
    );
  } catch (err) {
    if (!(err instanceof StaleRequest)) throw err;
    log.warn(`recovery of request ${state.request}: ${err.message}`);
  }
  log.warn(`recovered interrupted request ${state.request} of ${ctx.pr.repository} (${notes.join(', ')})`);
}

/**
 * The reads of a recovery sweep (recovery.ts), each a list read with `If-None-Match` so that an
 * idle repository costs two 304s: the lock refs with who holds each, and the app's own recent
 * deployments that still need a look.
 */
import type { GitHubClient, Repo } from '../github/api.js';
import { statusOf } from '../github/api.js';
import { parseLockMessage, type LockInfo } from '../github/lock.js';
import type { ChatopsSettings } from './context.js';

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

export interface Deployment {
  id: number;
  created_at: string;
  creator?: { login?: string } | null;
  payload?: unknown;
}

/** The lock refs and who holds each (one conditional list; each lock commit read once ever). */
export async function readLocks(
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
export async function ownRecentDeployments(
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

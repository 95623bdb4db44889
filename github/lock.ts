/**
 * Environment locks (DESIGN.md §8): a branch `api7-sync-lock/<environment>` pointing at a commit
 * whose tree holds `lock.json` (who, which run, since when, why, until when).
 *
 * Claim = create the ref (422 when it exists). Renew and take over = a fast-forward update of the
 * ref to a new commit whose parent is the current lock commit, with `force: false`, so that of two
 * contenders exactly one wins. Release = delete the ref only while it still points at our commit.
 */
import { statusOf, type GitHubRequest, type Repo } from './api.js';

export interface LockInfo {
  environment: string;
  /** Who holds it: a workflow run, a bot request, a CLI user. */
  holder: string;
  /** A link to the run or the pull-request comment. */
  url?: string;
  reason: string;
  /** The run or request this lock is for, so a recoverer can tell its own leftovers. */
  request?: string;
  since: string;
  until: string;
}

export interface HeldLock {
  sha: string;
  info: LockInfo;
}

export type ClaimOutcome =
  | { claimed: true; lock: HeldLock; tookOverFrom?: LockInfo }
  | { claimed: false; heldBy: LockInfo | undefined };

export const LOCK_TTL_MS = 15 * 60_000;
/** Renewals come at least twice per TTL, so a live holder never looks stale. */
export const LOCK_HEARTBEAT_MS = 5 * 60_000;

export function lockBranch(environment: string): string {
  return `api7-sync-lock/${environment}`;
}

export class EnvironmentLock {
  constructor(
    private readonly github: GitHubRequest,
    private readonly repo: Repo,
    private readonly now: () => number = Date.now,
  ) {}

  /** Claims the lock, or takes it over when the holder's lease has run out. */
  async claim(
    environment: string,
    who: Omit<LockInfo, 'environment' | 'since' | 'until'>,
    ttlMs = LOCK_TTL_MS,
  ): Promise<ClaimOutcome> {
    const info: LockInfo = {
      environment,
      ...who,
      since: new Date(this.now()).toISOString(),
      until: new Date(this.now() + ttlMs).toISOString(),
    };
    const sha = await this.commit(info, []);
    try {
      await this.github.request('POST /repos/{owner}/{repo}/git/refs', {
        ...this.repo,
        ref: `refs/heads/${lockBranch(environment)}`,
        sha,
      });
      return { claimed: true, lock: { sha, info } };
    } catch (err) {
      if (statusOf(err) !== 422) throw err;
    }
    const current = await this.read(environment);
    if (!current) return this.claim(environment, who, ttlMs); // released in between: try again
    if (Date.parse(current.info.until) > this.now()) return { claimed: false, heldBy: current.info };
    const next = await this.commit(info, [current.sha]);
    if (await this.fastForward(environment, next))
      return { claimed: true, lock: { sha: next, info }, tookOverFrom: current.info };
    return { claimed: false, heldBy: (await this.read(environment))?.info };
  }

  /**
   * Claims the lock, waiting up to `waitMs` for its holder to release it (a queue rather than a
   * failure, for runs that should follow one another), checking every `pollMs`.
   */
  async claimWaiting(
    environment: string,
    who: Omit<LockInfo, 'environment' | 'since' | 'until'>,
    options: {
      waitMs: number;
      pollMs?: number;
      ttlMs?: number;
      onWait?: (heldBy: LockInfo | undefined) => void;
    },
  ): Promise<ClaimOutcome> {
    const deadline = this.now() + options.waitMs;
    for (let first = true; ; first = false) {
      const outcome = await this.claim(environment, who, options.ttlMs);
      if (outcome.claimed || this.now() >= deadline) return outcome;
      if (first) options.onWait?.(outcome.heldBy);
      await new Promise((r) =>
        setTimeout(r, Math.min(options.pollMs ?? 5_000, Math.max(0, deadline - this.now()))),
      );
    }
  }

  /** Extends our lease; false when the lock is no longer ours. */
  async renew(lock: HeldLock, ttlMs = LOCK_TTL_MS): Promise<HeldLock | undefined> {
    const info = { ...lock.info, until: new Date(this.now() + ttlMs).toISOString() };
    const next = await this.commit(info, [lock.sha]);
    return (await this.fastForward(info.environment, next)) ? { sha: next, info } : undefined;
  }

  /** Deletes the lock branch if it still points at our commit; never someone else's. */
  async release(environment: string, sha: string): Promise<boolean> {
    const current = await this.readSha(environment);
    if (current !== sha) return false;
    try {
      await this.github.request('DELETE /repos/{owner}/{repo}/git/refs/{ref}', {
        ...this.repo,
        ref: `heads/${lockBranch(environment)}`,
      });
      return true;
    } catch (err) {
      if (statusOf(err) === 422 || statusOf(err) === 404) return false;
      throw err;
    }
  }

  /** Who holds the lock, if anyone. */
  async read(environment: string): Promise<HeldLock | undefined> {
    const sha = await this.readSha(environment);
    if (!sha) return undefined;
    const { data } = await this.github.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
      ...this.repo,
      commit_sha: sha,
    });
    return { sha, info: parseLockMessage(String(data.message ?? ''), environment) };
  }

  private async readSha(environment: string): Promise<string | undefined> {
    try {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
        ...this.repo,
        ref: `heads/${lockBranch(environment)}`,
      });
      return data.object?.sha as string | undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async fastForward(environment: string, sha: string): Promise<boolean> {
    try {
      await this.github.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        ...this.repo,
        ref: `heads/${lockBranch(environment)}`,
        sha,
        force: false,
      });
      return true;
    } catch (err) {
      if (statusOf(err) === 422) return false;
      throw err;
    }
  }

  private async commit(info: LockInfo, parents: string[]): Promise<string> {
    const json = JSON.stringify(info, null, 2);
    const tree = await this.github.request('POST /repos/{owner}/{repo}/git/trees', {
      ...this.repo,
      tree: [{ path: 'lock.json', mode: '100644', type: 'blob', content: json + '\n' }],
    });
    const commit = await this.github.request('POST /repos/{owner}/{repo}/git/commits', {
      ...this.repo,
      message: `api7-sync lock: ${info.environment}\n\n${json}\n`,
      tree: tree.data.sha,
      parents,
    });
    return commit.data.sha as string;
  }
}

/** The lock's JSON from its commit message; a hand-made lock still reads as "held by someone". */
export function parseLockMessage(message: string, environment: string): LockInfo {
  const start = message.indexOf('{');
  try {
    const parsed = JSON.parse(message.slice(start)) as Partial<LockInfo>;
    return {
      environment,
      holder: String(parsed.holder ?? 'unknown'),
      ...(parsed.url ? { url: String(parsed.url) } : {}),
      ...(parsed.request ? { request: String(parsed.request) } : {}),
      reason: String(parsed.reason ?? ''),
      since: String(parsed.since ?? ''),
      until: String(parsed.until ?? new Date(8.64e15).toISOString()),
    };
  } catch {
    return {
      environment,
      holder: 'unknown (the lock commit is not an api7-sync lock)',
      reason: '',
      since: '',
      until: new Date(8.64e15).toISOString(),
    };
  }
}

/** "held by octo/repo run 42 since 2026-11-27T12:00:00Z (promote test → production)". */
export function describeHolder(info: LockInfo | undefined): string {
  if (!info) return 'held by someone who just released or changed it; try again';
  return `held by ${info.holder} since ${info.since}${info.reason ? ` (${info.reason})` : ''}${info.url ? `: ${info.url}` : ''}; it expires at ${info.until}`;
}

/**
 * Environment locks: a branch `api7-sync-lock/<environment>` pointing at a commit
 * whose message says who holds it, for which request, since when, why and until when. The message
 * is `api7-sync lock: <environment>`, a blank line, then that JSON. Its tree (`lock.json`) records
 * the claim as first made; renewals reuse that tree, so that a renewal creates one commit and
 * moves the ref (two writes) rather than also writing a tree.
 *
 * Claim = create the ref (422 when it exists). Renew and take over = a fast-forward update of the
 * ref to a new commit whose parent is the current lock commit, with `force: false`, so that of two
 * contenders exactly one wins. Release = delete the ref only while it still points at our latest
 * commit. Only the promotion session (session.ts) holds a lock; this module is its storage.
 */
import { messageOf, SyncError } from '../engine/index.js';
import { statusOf, type GitHubClient, type Repo } from './api.js';
import { DEFAULT_HEARTBEAT_MS, lockTtl } from './heartbeat.js';

/** The lease of a lock taken without a session's own heartbeat. */
export const LOCK_TTL_MS = lockTtl(DEFAULT_HEARTBEAT_MS);

export interface LockInfo {
  environment: string;
  /** Who holds it: a workflow run, a bot request, a CLI user. */
  holder: string;
  /** A link to the run or the pull-request comment. */
  url?: string;
  /** An id a recoverer can match (a bot request, a workflow run attempt). */
  request?: string;
  reason: string;
  since: string;
  until: string;
}

export interface HeldLock {
  sha: string;
  info: LockInfo;
  /** The tree of the lock commit, which renewals reuse (read from GitHub when unknown). */
  tree?: string;
}

export type ClaimOutcome =
  | { claimed: true; lock: HeldLock; tookOverFrom?: LockInfo }
  | { claimed: false; heldBy: LockInfo | undefined };

export type Claimant = Omit<LockInfo, 'environment' | 'since' | 'until'>;

/**
 * How many times a claim races a ref that exists when created and is gone when read. Each round
 * means somebody else released in between; a handful of rounds in a row means GitHub disagrees
 * with itself, and retrying for ever would not help.
 */
export const CLAIM_ATTEMPTS = 5;

const REF_SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Whether an environment name can be a lock branch: letters, digits, `.`, `_`, `-`, not starting
 * with a punctuation mark, no `..`, not ending in `.lock` (git refuses those ref names).
 */
export function isLockableEnvironment(name: string): boolean {
  return REF_SAFE.test(name) && !name.includes('..') && !name.endsWith('.lock');
}

/** Refuses a name that cannot be a lock branch, before anything is written to GitHub. */
export function assertLockableEnvironment(name: string): void {
  if (!isLockableEnvironment(name))
    throw new SyncError(
      'usage',
      `"${name}" cannot name an environment lock: use letters, digits, ".", "_" or "-", starting with a letter or digit, without ".." and not ending in ".lock"`,
    );
}

export function lockBranch(environment: string): string {
  return `api7-sync-lock/${environment}`;
}

/** GitHub's own words for a refused request, without Octokit's documentation link. */
function githubMessage(err: unknown): string {
  const data = (err as { response?: { data?: { message?: unknown } } }).response?.data;
  return typeof data?.message === 'string' ? data.message : messageOf(err);
}

export class EnvironmentLock {
  constructor(
    private readonly github: GitHubClient,
    private readonly repo: Repo,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Claims the lock, or takes it over when the holder's lease has run out. Throws
   * `SyncError('lock-backend')` when GitHub refuses the ref itself (final) or keeps changing its
   * mind about whether it exists.
   */
  async claim(environment: string, who: Claimant, ttlMs = LOCK_TTL_MS): Promise<ClaimOutcome> {
    assertLockableEnvironment(environment);
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const info: LockInfo = {
        environment,
        ...who,
        since: new Date(this.now()).toISOString(),
        until: new Date(this.now() + ttlMs).toISOString(),
      };
      const { sha, tree } = await this.commit(info, []);
      try {
        await this.github.request('POST /repos/{owner}/{repo}/git/refs', {
          ...this.repo,
          ref: `refs/heads/${lockBranch(environment)}`,
          sha,
        });
        return { claimed: true, lock: { sha, info, tree } };
      } catch (err) {
        if (statusOf(err) !== 422) throw err;
        // Any other 422 (a ref name GitHub will not take) is final: retrying cannot change it.
        if (!/already exists/i.test(githubMessage(err)))
          throw new SyncError(
            'lock-backend',
            `GitHub refused the lock branch ${lockBranch(environment)}: ${githubMessage(err)}`,
            { cause: err },
          );
      }
      const current = await this.read(environment);
      if (!current) continue; // released in between: try again, a bounded number of times
      if (Date.parse(current.info.until) > this.now()) return { claimed: false, heldBy: current.info };
      const next = await this.commit(info, [current.sha]);
      if (await this.fastForward(environment, next.sha))
        return { claimed: true, lock: { ...next, info }, tookOverFrom: current.info };
      return { claimed: false, heldBy: (await this.read(environment))?.info };
    }
    throw new SyncError(
      'lock-backend',
      `could not claim the lock on "${environment}": ${CLAIM_ATTEMPTS} times GitHub said ${lockBranch(environment)} exists and then that it does not`,
    );
  }

  /**
   * Claims the lock, waiting up to `waitMs` for its holder to release it (a queue rather than a
   * failure, for runs that should follow one another), checking every `pollMs`.
   */
  async claimWaiting(
    environment: string,
    who: Claimant,
    options: {
      waitMs: number;
      pollMs: number;
      ttlMs: number;
      onWait?: (heldBy: LockInfo | undefined) => void;
    },
  ): Promise<ClaimOutcome> {
    const deadline = this.now() + options.waitMs;
    for (let first = true; ; first = false) {
      const outcome = await this.claim(environment, who, options.ttlMs);
      if (outcome.claimed || this.now() >= deadline) return outcome;
      if (first) options.onWait?.(outcome.heldBy);
      await new Promise((r) => setTimeout(r, Math.min(options.pollMs, Math.max(0, deadline - this.now()))));
    }
  }

  /** Extends our lease from our latest commit; undefined when the lock is no longer ours. */
  async renew(lock: HeldLock, ttlMs = LOCK_TTL_MS): Promise<HeldLock | undefined> {
    return this.advance(await this.renewal(lock, ttlMs));
  }

  /**
   * The commit of a renewal, not yet on the lock branch: our latest commit's child with a new
   * lease, on the same tree. `advance` puts it on the branch; a caller whose `advance` failed on
   * a rate limit sends the same commit again rather than writing another.
   */
  async renewal(lock: HeldLock, ttlMs = LOCK_TTL_MS): Promise<HeldLock> {
    assertLockableEnvironment(lock.info.environment);
    const info = { ...lock.info, until: new Date(this.now() + ttlMs).toISOString() };
    return { ...(await this.commit(info, [lock.sha], lock.tree)), info };
  }

  /** Moves the lock branch to `next` if that is a fast forward; undefined when it is not ours. */
  async advance(next: HeldLock): Promise<HeldLock | undefined> {
    return (await this.fastForward(next.info.environment, next.sha)) ? next : undefined;
  }

  /** Deletes the lock branch if it still points at our latest commit; never someone else's. */
  async release(environment: string, sha: string): Promise<boolean> {
    assertLockableEnvironment(environment);
    const current = await this.readSha(environment);
    if (current !== sha) return false;
    return this.deleteRef(environment);
  }

  /**
   * Deletes the lock only while it is held for `request` (a recoverer freeing the lock of a job
   * that died, or the Action's post step after a cancelled main step).
   */
  async releaseIfHeldBy(environment: string, request: string): Promise<boolean> {
    assertLockableEnvironment(environment);
    const current = await this.read(environment);
    if (!current || current.info.request !== request) return false;
    return this.release(environment, current.sha);
  }

  /** Who holds the lock, if anyone. */
  async read(environment: string): Promise<HeldLock | undefined> {
    assertLockableEnvironment(environment);
    const sha = await this.readSha(environment);
    if (!sha) return undefined;
    const { data } = await this.github.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
      ...this.repo,
      commit_sha: sha,
    });
    return { sha, info: parseLockMessage(data.message, environment), tree: data.tree.sha };
  }

  private async deleteRef(environment: string): Promise<boolean> {
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

  private async readSha(environment: string): Promise<string | undefined> {
    try {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
        ...this.repo,
        ref: `heads/${lockBranch(environment)}`,
      });
      return data.object.sha;
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

  /** A lock commit: on `tree` when given (a renewal), else on a new tree recording the claim. */
  private async commit(
    info: LockInfo,
    parents: string[],
    tree?: string,
  ): Promise<{ sha: string; tree: string }> {
    const json = JSON.stringify(info, null, 2);
    tree ??= (
      await this.github.request('POST /repos/{owner}/{repo}/git/trees', {
        ...this.repo,
        tree: [{ path: 'lock.json', mode: '100644', type: 'blob', content: json + '\n' }],
      })
    ).data.sha;
    const commit = await this.github.request('POST /repos/{owner}/{repo}/git/commits', {
      ...this.repo,
      message: `api7-sync lock: ${info.environment}\n\n${json}\n`,
      tree,
      parents,
    });
    return { sha: commit.data.sha, tree };
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
export function describeHolder(info: LockInfo | undefined, quote: (text: string) => string = String): string {
  if (!info) return 'held by someone who just released or changed it; try again';
  // Anyone who may push can write a lock ref by hand: in Markdown every field is quoted inertly.
  const q = (text: unknown) => quote(String(text));
  return `held by ${q(info.holder)} since ${q(info.since)}${info.reason ? ` (${q(info.reason)})` : ''}${info.url ? `: ${q(info.url)}` : ''}; it expires at ${q(info.until)}`;
}

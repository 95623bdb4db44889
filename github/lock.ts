/**
 * The writes of an environment lock: a branch `api7-sync-lock/<environment>` pointing at a
 * commit whose message says who holds it (lock-info.ts). The data is all in the message, so the
 * commit's tree is git's empty tree, which git treats as present in every repository: a claim is
 * one commit and one ref (two writes), a renewal one commit and a ref update (two writes). That
 * GitHub accepts the empty tree without it having been written is inferred from git's behaviour,
 * not documented by GitHub; should it answer 422, a tree is written once and used from then on.
 *
 * Claim = create the ref (422 when it exists). Renew and take over = a fast-forward update of the
 * ref to a new commit whose parent is the current lock commit, with `force: false`, so that of two
 * contenders exactly one wins. Release = delete the ref only while it still points at our latest
 * commit. Only the promotion session (session.ts) holds a lock; this module is its storage.
 */
import { messageOf, SyncError } from '../engine/index.js';
import { statusOf, type GitHubClient, type Repo } from './api.js';
import { DEFAULT_HEARTBEAT_MS, lockTtl } from './heartbeat.js';
import {
  assertLockableEnvironment,
  lockBranch,
  lockMessage,
  parseLockMessage,
  type LockInfo,
} from './lock-info.js';

export {
  assertLockableEnvironment,
  describeHolder,
  isLockableEnvironment,
  lockBranch,
  lockMessage,
  parseLockMessage,
  type LockInfo,
} from './lock-info.js';

/** Git's empty tree: its SHA-1 is fixed, and git resolves it in every repository. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** The lease of a lock taken without a session's own heartbeat. */
export const LOCK_TTL_MS = lockTtl(DEFAULT_HEARTBEAT_MS);

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

  /**
   * A tree for lock commits, written only if GitHub refused a commit on the empty tree; kept for
   * the life of this lock object (renewals reuse their claim's tree anyway).
   */
  private fallbackTree: string | undefined;

  /** A lock commit: on `tree` when given (a renewal), else on the empty tree (see above). */
  private async commit(
    info: LockInfo,
    parents: string[],
    tree: string = this.fallbackTree ?? EMPTY_TREE,
  ): Promise<{ sha: string; tree: string }> {
    const create = (on: string) =>
      this.github.request('POST /repos/{owner}/{repo}/git/commits', {
        ...this.repo,
        message: lockMessage(info),
        tree: on,
        parents,
      });
    try {
      return { sha: (await create(tree)).data.sha, tree };
    } catch (err) {
      if (tree !== EMPTY_TREE || statusOf(err) !== 422) throw err;
      this.fallbackTree = await this.writeTree(info);
      return { sha: (await create(this.fallbackTree)).data.sha, tree: this.fallbackTree };
    }
  }

  /** The fallback tree: one file recording the claim as first made. */
  private async writeTree(info: LockInfo): Promise<string> {
    const { data } = await this.github.request('POST /repos/{owner}/{repo}/git/trees', {
      ...this.repo,
      tree: [
        { path: 'lock.json', mode: '100644', type: 'blob', content: `${JSON.stringify(info, null, 2)}\n` },
      ],
    });
    return data.sha;
  }
}

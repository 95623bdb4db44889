/**
 * The recovery sweep over every repository the app is installed on, run every heartbeat on every
 * replica. Installations and repositories are paged to their end (100 a page), and the repositories
 * are spread over the interval, so that a large installation's requests never come in one burst. A
 * repository whose sweep fails is logged and looked at again next time; the others go on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitHubClient, Repo } from '../github/api.js';
import { messageOf } from '../engine/index.js';

export interface SweepOptions {
  /** The app's own client (no ID), or an installation's. */
  auth(installationId?: number): Promise<GitHubClient>;
  recover(github: GitHubClient, repo: Repo): Promise<number[]>;
  /** The heartbeat interval the sweep is spread over; 0 sweeps at once. */
  intervalMs: number;
  log(line: string): void;
  /** Stops the sweep between repositories (the server closing). */
  signal?: AbortSignal;
}

const PAGE = 100;

export async function sweepInstallations(options: SweepOptions): Promise<void> {
  const targets: { github: GitHubClient; repo: Repo }[] = [];
  const app = await options.auth();
  for (let page = 1; ; page++) {
    const { data } = await app.request('GET /app/installations', { per_page: PAGE, page });
    const installations = data as { id: number }[];
    for (const installation of installations) {
      const github = await options.auth(installation.id);
      for (const repo of await repositoriesOf(github)) targets.push({ github, repo });
    }
    if (installations.length < PAGE) break;
  }
  // Most of the interval, so that one sweep ends before the next is due.
  const gap = targets.length > 1 ? (options.intervalMs * 0.8) / targets.length : 0;
  for (const [i, { github, repo }] of targets.entries()) {
    if (i > 0 && gap > 0 && !(await pause(gap, options.signal))) return;
    if (options.signal?.aborted) return;
    const name = `${repo.owner}/${repo.repo}`;
    try {
      const recovered = await options.recover(github, repo);
      if (recovered.length)
        options.log(`api7-sync bot: recovered interrupted request(s) ${recovered.join(', ')} of ${name}`);
    } catch (err) {
      options.log(`api7-sync bot: recovery of ${name} failed (will try again): ${messageOf(err)}`);
    }
  }
}

async function repositoriesOf(github: GitHubClient): Promise<Repo[]> {
  const repos: Repo[] = [];
  for (let page = 1; ; page++) {
    const { data } = await github.request('GET /installation/repositories', { per_page: PAGE, page });
    const list = (data.repositories ?? []) as { name: string; owner: { login: string } }[];
    repos.push(...list.map((r) => ({ owner: r.owner.login, repo: r.name })));
    if (list.length < PAGE) return repos;
  }
}

/** Waits `ms`; false when the signal stopped the wait. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
    return true;
  } catch (err) {
    if (signal?.aborted) return false;
    throw err;
  }
}

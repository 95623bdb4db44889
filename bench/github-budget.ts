/**
 * The GitHub budget of chat-ops (the App), counted on the GitHub stand-in that the tests use, with
 * the bot in process through Probot and the sandbox as API7:
 * - an idle bot with 1 and with 300 past promotions in a repository: GitHub requests per heartbeat
 *   (recovery sweep) for that repository, the first sweep after start and every later one;
 * - `/sync production` (no approvals) and `/approve` on a pull request with 250 comments: requests,
 *   writes (POST, PATCH, PUT, DELETE), sequential round trips, and the seconds GitHub adds when each
 *   of its answers takes 100 ms (the command timed at 100 ms per answer minus at 0 ms);
 * - and the seconds until the user sees the final status (the check run completed and the status
 *   comment saying how it ended) with GitHub's recommended pacing as Probot applies it
 *   (@octokit/plugin-throttling: a write starts at least 1 s after the previous write, a write that
 *   notifies people, such as a new comment, at least 3 s after the previous such write). The
 *   pacing is not run: it is counted from the order of the recorded requests, each answered in
 *   100 ms, one after another; the engine's own time (API7) is not in it.
 * The app's own sign-in (its login, an installation token) is made once per process and not counted.
 */
import { throttling } from '@octokit/plugin-throttling';
import type { GitHubClient } from '../github/api.js';
import { botConfig, harness, type Harness } from '../test/helpers/bot.js';
import type { RecordedRequest } from '../test/helpers/github-server.js';
import { sandbox } from '../test/helpers/sandbox.js';

export const GITHUB_LATENCY_MS = 100;
const COMMENTS = 250;
const PAST = 300;
const shop = { owner: 'acme', repo: 'shop' };

export interface CommandBudget {
  command: string;
  requests: number;
  writes: number;
  /** GitHub requests made one after another (none of chat-ops' GitHub calls overlap). */
  roundTrips: number;
  /** Seconds GitHub adds at GITHUB_LATENCY_MS per answer. */
  githubSeconds: number;
  /** With Probot's pacing, seconds from the command to its final status (GitHub's part only). */
  finalStatusSeconds: number;
  /** With Probot's pacing, seconds until the command's last GitHub request has its answer. */
  pacedSeconds: number;
}

/** Probot's throttling (plugin-throttling's write and notification limiters). */
export const WRITE_GAP_MS = 1_000;
export const NOTIFYING_WRITE_GAP_MS = 3_000;

/**
 * When each recorded request has its answer, the requests made one after another as recorded, each
 * answered in `latencyMs`, writes started as Probot's throttling would start them.
 */
export function pacedAnswers(requests: RecordedRequest[], latencyMs = GITHUB_LATENCY_MS): number[] {
  let clock = 0;
  let lastWrite = -Infinity;
  let lastNotifying = -Infinity;
  return requests.map((r) => {
    let start = clock;
    if (r.method !== 'GET' && r.method !== 'HEAD') {
      start = lastWrite = Math.max(start, lastWrite + WRITE_GAP_MS);
      if (throttling.triggersNotification(r.path.split('?')[0]!))
        start = lastNotifying = Math.max(start, lastNotifying + NOTIFYING_WRITE_GAP_MS);
    }
    clock = start + latencyMs;
    return clock;
  });
}

/** The last request of the final status: the check run completed, the status comment's result. */
export function finalStatusIndex(requests: RecordedRequest[]): number {
  const ended = /· \*\*(done|failed|interrupted|cancelled|denied)\*\*/;
  let last = -1;
  requests.forEach((r, i) => {
    if (r.method === 'GET') return;
    const checkRun = /\/check-runs(\/\d+)?$/.test(r.path) && r.body?.status === 'completed';
    const comment = /\/issues\/(\d+\/comments|comments\/\d+)$/.test(r.path) && ended.test(r.body?.body ?? '');
    if (checkRun || comment) last = i;
  });
  if (last < 0) throw new Error('the command wrote no final status');
  return last;
}

export interface IdleBudget {
  past: number;
  firstSweep: number;
  laterSweep: number;
  /** Of the later sweep's requests, how many GitHub answered 304 (not counted against the limit). */
  notModified: number;
}

export interface GitHubBudget {
  idle: IdleBudget[];
  commands: CommandBudget[];
}

const repoRequests = (h: Harness, from: number): RecordedRequest[] =>
  h.github.requests.slice(from).filter((r) => r.path.startsWith('/repos/'));

async function idle(past: number): Promise<IdleBudget> {
  const sb = await sandbox();
  const h = harness(sb, { configText: botConfig(sb, 0), heartbeatMs: 60_000 });
  try {
    await h.say('alice', '/sync production');
    const own = h.github.deployments[0]!;
    // Past promotions as the app leaves them: its deployments, finished, naming done requests.
    for (let i = 1; i < past; i++) {
      h.github.handle('POST', '/repos/acme/shop/deployments', own.body);
      h.github.deployments.at(-1)!.statuses.push(...own.statuses);
    }
    // A restarted process: nothing remembered from the first.
    const restarted = harness(sb, { configText: botConfig(sb, 0), heartbeatMs: 60_000, github: h.github });
    await restarted.say('mallory', '/help'); // loads the app
    const octokit = (await restarted.probot.auth(1)) as unknown as GitHubClient;
    const sweep = async () => {
      const before = h.github.requests.length;
      await restarted.bot.recover(octokit, shop);
      return repoRequests(h, before);
    };
    const first = await sweep();
    await sweep();
    const later = await sweep();
    return {
      past,
      firstSweep: first.length,
      laterSweep: later.length,
      notModified: later.filter((r) => r.status === 304).length,
    };
  } finally {
    h.close();
    await sb.close();
  }
}

/** One command on a 250-comment pull request; `prepare` sets the request up beforehand. */
async function command(
  name: string,
  approvals: number,
  latencyMs: number,
  prepare: (h: Harness) => Promise<void>,
  run: (h: Harness) => Promise<unknown>,
): Promise<{ requests: RecordedRequest[]; ms: number }> {
  const sb = await sandbox();
  const h = harness(sb, { configText: botConfig(sb, approvals) });
  try {
    for (let i = 0; i < COMMENTS; i++) h.github.addComment(7, i % 2 ? 'carol' : 'erin', `review note ${i}`);
    await h.say('mallory', '/help'); // the app's sign-in, made once per process
    await prepare(h);
    h.github.latencyMs = latencyMs;
    const before = h.github.requests.length;
    const started = performance.now();
    await run(h);
    const ms = performance.now() - started;
    const status = h.comments().find((c) => c.includes('request '));
    if (!/\*\*done\*\*/.test(status ?? '')) throw new Error(`${name} did not end done: ${status}`);
    return { requests: repoRequests(h, before), ms };
  } finally {
    h.close();
    await sb.close();
  }
}

async function commandBudget(
  name: string,
  approvals: number,
  prepare: (h: Harness) => Promise<void>,
  run: (h: Harness) => Promise<unknown>,
): Promise<CommandBudget> {
  const fast = await command(name, approvals, 0, prepare, run);
  const slow = await command(name, approvals, GITHUB_LATENCY_MS, prepare, run);
  const githubSeconds = (slow.ms - fast.ms) / 1000;
  const paced = pacedAnswers(slow.requests);
  return {
    command: name,
    requests: slow.requests.length,
    writes: slow.requests.filter((r) => r.method !== 'GET').length,
    roundTrips: Math.round((githubSeconds * 1000) / GITHUB_LATENCY_MS),
    githubSeconds,
    finalStatusSeconds: paced[finalStatusIndex(slow.requests)]! / 1000,
    pacedSeconds: (paced.at(-1) ?? 0) / 1000,
  };
}

export async function githubBudget(log: (line: string) => void): Promise<GitHubBudget> {
  log('GitHub budget: idle sweeps…');
  const idleFigures = [await idle(1), await idle(PAST)];
  log('GitHub budget: /sync and /approve on a 250-comment pull request…');
  const sync = await commandBudget(
    '`/sync production` (no approvals)',
    0,
    async () => undefined,
    (h) => h.say('alice', '/sync production'),
  );
  const approve = await commandBudget(
    '`/approve` (1 of 1, then the run)',
    1,
    async (h) => void (await h.say('alice', '/sync production')),
    (h) => h.say('bob', '/approve'),
  );
  return { idle: idleFigures, commands: [sync, approve] };
}

export function githubBudgetMarkdown(b: GitHubBudget): string {
  const idleRows = b.idle.map(
    (i) => `| ${i.past} | ${i.firstSweep} | ${i.laterSweep} (${i.notModified} answered 304) |`,
  );
  const commandRows = b.commands.map(
    (c) =>
      `| ${c.command} | ${c.requests} | ${c.writes} | ${c.roundTrips} | ${c.githubSeconds.toFixed(2)} s | ${c.finalStatusSeconds.toFixed(1)} s | ${c.pacedSeconds.toFixed(1)} s |`,
  );
  return [
    `Counted on the GitHub stand-in with the App in process (Probot), one repository; the app's own sign-in is not counted. Round trips and seconds: each GitHub answer delayed by ${GITHUB_LATENCY_MS} ms, the command timed with and without the delay.`,
    '',
    '| past promotions | requests, first sweep after start | requests per heartbeat after that |',
    '| ---: | ---: | ---: |',
    ...idleRows,
    '',
    `| command on a PR with ${COMMENTS} comments | requests | writes | sequential round trips | seconds GitHub adds at ${GITHUB_LATENCY_MS} ms | with Probot's pacing: final status after | with Probot's pacing: last request answered after |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...commandRows,
    '',
    `Probot's pacing (writes at least ${WRITE_GAP_MS / 1000} s apart, new comments at least ${NOTIFYING_WRITE_GAP_MS / 1000} s apart) is counted from the recorded order of the requests, each answered in ${GITHUB_LATENCY_MS} ms, not run; the engine's own time is not in it. The final status is the check run completed and the status comment saying how the command ended; the deployment's last status and the lock's release come after it.`,
    '',
  ].join('\n');
}

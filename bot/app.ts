/**
 * The Probot app: the GitHub App door onto the chat-ops core. It only turns webhooks into chat-ops
 * contexts and queues them; every rule (who may do what, approvals, the lock, at-most-once) lives
 * in `chatops/`, shared with the Action's workflow mode.
 */
import type { Probot } from 'probot';
import type { ChatopsSettings, CommandContext } from '../chatops/context.js';
import { DEFAULT_CONFIG_PATH } from '../chatops/context.js';
import { handleCommand } from '../chatops/dispatch.js';
import { parseCommand } from '../chatops/grammar.js';
import { PullRequest } from '../chatops/pull-request.js';
import { lapseOnPush } from '../chatops/push.js';
import { recoverStaleRuns, recoveryMemory } from '../chatops/recovery.js';
import { answerDeploymentGate } from '../chatops/gate/index.js';
import type { GitHubClient, Repo } from '../github/api.js';
import { policyEngines, ruleFor, type Policy } from './policy.js';
import { JobQueue } from './queue.js';
import { messageOf, type Logger } from '../engine/index.js';

export interface BotOptions {
  policy: Policy;
  api7Token: string;
  /** Signs request state in status comments (API7_SYNC_STATE_SECRET). */
  stateSecret: string;
  configPath?: string;
  approvalTtlMs?: number;
  heartbeatMs?: number;
  verifyTimeoutMs?: number;
  /** The app's own account; learned from `GET /app` when absent. */
  appLogin?: string;
  now?: () => number;
}

export interface Bot {
  app: (app: Probot) => void;
  queue: JobQueue;
  /**
   * One recovery sweep over a repository (the server runs it every heartbeat on every replica);
   * returns the requests it marked interrupted.
   */
  recover(github: GitHubClient, repo: Repo): Promise<number[]>;
  /**
   * Shutting down (SIGTERM): the runs in flight stop before their next API7 write, undo what their
   * rules say and record the interruption; resolves once every queued job has ended.
   */
  stop(): Promise<void>;
}

const DAY = 24 * 60 * 60_000;

export function createBot(options: BotOptions): Bot {
  let probotLog: Probot['log'] | undefined;
  // Probot's logger once the app is loaded; the engines and the GitHub side log through it too.
  const log: Logger = {
    debug: (m) => probotLog?.debug(m),
    info: (m) => probotLog?.info(m),
    warn: (m) => probotLog?.warn(m),
    error: (m) => probotLog?.error(m),
  };
  const queue = new JobQueue((err) => log.error(`api7-sync job failed: ${messageOf(err)}`));
  const stopping = new AbortController();
  let appLogin: Promise<string> | undefined = options.appLogin
    ? Promise.resolve(options.appLogin)
    : undefined;
  const settingsFor = async (probot: Probot): Promise<ChatopsSettings> => ({
    stateSecret: options.stateSecret,
    appLogin: await (appLogin ??= learnAppLogin(probot).catch((err: unknown) => {
      appLogin = undefined; // ask again next time rather than remember a failure
      throw err;
    })),
    engines: policyEngines(options.policy, options.api7Token, options.now, log),
    configEnv: false,
    // Only the operator's webhooks: a repository config cannot send results anywhere.
    notifyTargets: (repository) =>
      (ruleFor(options.policy, repository)?.notify ?? []).map((url) => ({ url })),
    log,
    configPath: options.configPath ?? DEFAULT_CONFIG_PATH,
    heartbeatMs: options.heartbeatMs ?? 60_000,
    approvalTtlMs: options.approvalTtlMs ?? DAY,
    ...(options.verifyTimeoutMs ? { verifyTimeoutMs: options.verifyTimeoutMs } : {}),
    checkRuns: true,
    now: options.now ?? Date.now,
    stopping: stopping.signal,
  });
  let probotRef: Probot | undefined;
  // What sweeps remember (ETags, lock commits, finished deployments): an idle repository costs 304s.
  const memory = recoveryMemory();

  const app = (probot: Probot) => {
    probotLog = probot.log;
    probotRef = probot;
    const wiring: Wiring = { options, queue, log, settings: () => settingsFor(probot) };
    onCommandComment(probot, wiring);
    onDeploymentGate(probot, wiring);
    onPush(probot, wiring);
  };

  return {
    app,
    queue,
    async recover(github, repo) {
      if (!probotRef) throw new Error('the app is not loaded yet');
      return recoverStaleRuns(github, repo, await settingsFor(probotRef), memory);
    },
    async stop() {
      stopping.abort(new Error('api7-sync is shutting down'));
      await queue.idle();
    },
  };
}

/** What the webhook handlers share: the options, the job queue, the log and the chat-ops settings. */
interface Wiring {
  options: BotOptions;
  queue: JobQueue;
  log: Logger;
  settings: () => Promise<ChatopsSettings>;
}

/** A pull-request comment that starts with a command: queued per environment (or per pull request). */
function onCommandComment(probot: Probot, { queue, settings }: Wiring): void {
  probot.on('issue_comment.created', async (context) => {
    const { comment, issue, repository, sender } = context.payload;
    if (!issue.pull_request) return;
    const author = comment.user;
    if (author?.type !== 'User' || sender.type !== 'User') return; // people only
    const parsed = parseCommand(comment.body ?? '');
    if (!parsed) return;
    const repo = { owner: repository.owner.login, repo: repository.name };
    const lane =
      parsed.ok && 'environment' in parsed.command
        ? `${repository.full_name}#${parsed.command.environment}`
        : `${repository.full_name}#pr${issue.number}`;
    queue.enqueue(lane, async () => {
      const ctx: CommandContext = {
        settings: await settings(),
        pr: new PullRequest(context.octokit, repo, issue.number),
        defaultBranch: repository.default_branch,
        commandId: comment.id,
        commenter: author.login,
        commentUrl: comment.html_url,
        commentCreatedAt: comment.created_at,
      };
      await handleCommand(ctx, parsed);
    });
  });
}

/** The App as a custom deployment protection rule: reads only, answers through the callback. */
function onDeploymentGate(probot: Probot, { options, queue, log }: Wiring): void {
  probot.on('deployment_protection_rule.requested', async (context) => {
    const github = context.octokit;
    const deps = {
      github,
      engines: policyEngines(options.policy, options.api7Token, options.now, log),
      configPath: options.configPath ?? DEFAULT_CONFIG_PATH,
      now: options.now ?? Date.now,
    };
    queue.enqueue(`${context.payload.repository.full_name}#gate`, () =>
      answerDeploymentGate(context.payload, deps, log),
    );
  });
}

/** New commits on a pull request: its waiting requests lapse. */
function onPush(probot: Probot, { queue, settings }: Wiring): void {
  probot.on('pull_request.synchronize', async (context) => {
    const { pull_request: pr, repository } = context.payload;
    const repo = { owner: repository.owner.login, repo: repository.name };
    queue.enqueue(`${repository.full_name}#pr${pr.number}`, async () => {
      const ctx: CommandContext = {
        settings: await settings(),
        pr: new PullRequest(context.octokit, repo, pr.number),
        defaultBranch: repository.default_branch,
        commandId: 0,
        commenter: '',
        commentUrl: '',
      };
      await lapseOnPush(ctx, context.payload.before, pr.head.sha);
    });
  });
}

/** `<slug>[bot]`: the account the app's comments are written by. */
async function learnAppLogin(probot: Probot): Promise<string> {
  const octokit = await probot.auth();
  const { data } = await octokit.request('GET /app');
  return `${String(data?.slug)}[bot]`;
}

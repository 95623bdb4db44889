/**
 * Chat-ops with nothing to host: when the Action runs for `issue_comment` (or a pull request's
 * `synchronize`), it runs the same chat-ops core as the GitHub App, with the workflow's token as
 * the GitHub client, `github-actions[bot]` as the account whose comments carry request state, and
 * the repository's own config and API7 token standing in for the operator policy. The gate is
 * GitHub's own (workflow-gate.ts): the promotion runs in a GitHub Environment whose reviewers
 * approve it; `/approve` comments count only where the config opts in. A re-run acts on nothing.
 */
import { createHash } from 'node:crypto';
import * as core from '@actions/core';
import * as github from '@actions/github';
import { gitHubClient } from '../github/client.js';
import {
  DEFAULT_CONFIG_PATH,
  type ChatopsSettings,
  type CommandContext,
  type EngineSource,
} from '../chatops/context.js';
import { handleCommand } from '../chatops/dispatch.js';
import { PullRequest } from '../chatops/pull-request.js';
import { lapseOnPush } from '../chatops/push.js';
import { readRequests } from '../chatops/requests.js';
import { recoverStaleRuns } from '../chatops/recovery.js';
import { runRequest } from '../chatops/run.js';
import { createEngine, messageOf, SyncError } from '../engine/index.js';
import type { GitHubClient } from '../github/api.js';
import { parseHeartbeatMs } from '../github/heartbeat.js';
import { stateSecretProblem } from '../chatops/state-secret.js';
import type { Cancellation } from '../github/promotion.js';
import { actionCancellation, reportInterruption } from './cancel.js';
import { MIN_HEARTBEAT_MS, STATE } from './io.js';
import { commandEvent, type CommandEvent } from './workflow-event.js';
import { actionLog } from './log.js';
import { present } from './present.js';
import { isReRun } from './rerun.js';
import { environmentGated, readChatopsJob, workflowGate, type ChatopsJob } from './workflow-gate.js';
import { settleJob } from './workflow-settle.js';
import { maskNotifyUrls } from './notify.js';
import { commentApprovalsCount, requireSecretForApprovals } from './workflow-approvals.js';

/** Whether this run is a chat-ops event rather than a promotion step. */
export function isChatopsEvent(): boolean {
  const { eventName, payload } = github.context;
  return eventName === 'issue_comment' || (eventName === 'pull_request' && payload.action === 'synchronize');
}

const WORKFLOW_ACCOUNT = 'github-actions[bot]';

export async function runWorkflowMode(): Promise<void> {
  const token = core.getInput('token');
  const githubToken = core.getInput('github-token');
  const stateSecret = core.getInput('state-secret');
  for (const secret of [token, githubToken, stateSecret]) if (secret) core.setSecret(secret);
  if (await isReRun()) return;
  const event = commandEvent();
  if (!event) return;
  requireInputs(token, githubToken, stateSecret);
  const job = readChatopsJob();
  // A job that may promote stops as the Action's plain mode does when GitHub cancels it; the
  // plan and settle jobs and a push's lapse never write to API7, so a signal simply ends them.
  const mayPromote = job !== 'plan' && job !== 'settle' && github.context.eventName === 'issue_comment';
  const cancellation = mayPromote ? actionCancellation() : undefined;
  try {
    await command(event, job, cancellation);
  } catch (err) {
    // Cancelled: the step says interrupted (exit 130), the error goes to the log after it.
    if (!cancellation?.interruptedBy) throw err;
    present(err);
  } finally {
    cancellation?.dispose();
  }
  reportInterruption(
    cancellation,
    "the request's status comment and check run say what each target runs now",
  );
}

async function command(
  { pr, comment, parsed }: CommandEvent,
  job: ChatopsJob,
  cancellation: Cancellation | undefined,
): Promise<void> {
  const { eventName, payload } = github.context;
  const token = core.getInput('token');
  const githubToken = core.getInput('github-token');
  const stateSecret = core.getInput('state-secret');
  const octokit = gitHubClient(githubToken, actionLog);
  const needed = new Map<string, number>();
  const settings: ChatopsSettings = {
    ...workflowSettings(token, stateSecret, cancellation),
    adaptConfig: (config) => environmentGated(config, needed),
    mayRun: workflowGate({ job, github: octokit, runId: github.context.runId, needed }),
    ...(job === 'plan' ? { handoffRun: github.context.runId } : {}),
  };
  const ctx: CommandContext = {
    settings,
    pr: new PullRequest(octokit, github.context.repo, Number(pr.number)),
    defaultBranch: String(payload.repository?.default_branch ?? 'main'),
    commandId: comment?.id ?? 0,
    commenter: comment?.user?.login ?? '',
    commentUrl: comment?.html_url ?? '',
    ...(comment?.created_at ? { commentCreatedAt: comment.created_at } : {}),
  };
  // Nothing (not even recovery, which writes) runs for someone who may not write: a stranger's
  // `/help` must not make this run touch deployments, locks or request state.
  const sender = String(payload.sender?.login ?? ctx.commenter);
  const senderMayWrite = await ctx.pr.canWrite(sender);
  if (senderMayWrite) {
    if (!stateSecret) await requireSecretForApprovals(ctx);
    await recoverInterrupted(octokit, settings);
  } else core.info(`api7-sync: @${sender} may not write to this repository; no recovery sweep in this run`);
  if (eventName === 'pull_request') {
    const lapsed = await lapseOnPush(
      ctx,
      String(payload.before ?? ''),
      String(payload.pull_request?.head?.sha),
    );
    core.info(
      lapsed.length ? `approvals lapsed for request(s) ${lapsed.join(', ')}` : 'no approvals to lapse',
    );
    return;
  }
  if (job === 'promote') return promoteJob(ctx, senderMayWrite);
  if (job === 'settle') return settleJob(ctx, github.context.runId, senderMayWrite);
  if (
    parsed?.ok &&
    parsed.command.kind === 'approve' &&
    senderMayWrite &&
    !(await commentApprovalsCount(ctx))
  ) {
    await ctx.pr.comment(
      `@${ctx.commenter} in this repository's workflow, approvals come from the required reviewers of the GitHub Environment the promotion job runs in; \`/approve\` comments do not count (an environment opts in with \`protection.workflowApprovals: comments\`).`,
    );
    await ctx.pr.react(ctx.commandId, 'confused');
    return;
  }
  const outcome = await handleCommand(ctx, parsed!);
  core.info(`api7-sync: command ${outcome}`);
  await summarise(ctx, outcome === 'done');
}

/** The tokens the run needs, and a state secret (when given) that is not one of them. */
function requireInputs(token: string, githubToken: string, stateSecret: string): void {
  if (!token)
    throw new SyncError('usage', 'input token is empty: pass the API7 token from an environment secret');
  if (!githubToken)
    throw new SyncError('usage', 'input github-token is empty; keep its default (${{ github.token }})');
  const weakSecret =
    stateSecret &&
    stateSecretProblem('input state-secret', stateSecret, [
      { name: 'input token', value: token },
      { name: 'input github-token', value: githubToken },
    ]);
  if (weakSecret) throw new SyncError('usage', weakSecret);
}

/** Everything but the gate: the same for every job of a chat-ops workflow. */
function workflowSettings(
  token: string,
  stateSecret: string,
  cancellation: Cancellation | undefined,
): ChatopsSettings {
  const holdings: { environment: string; deploymentId?: number }[] = [];
  return {
    // Without a state secret, the API7 token (a secret the workflow already holds) keys the
    // signatures; environments that need approvals require a secret of their own (checked below).
    stateSecret:
      stateSecret || createHash('sha256').update(`api7-sync workflow state\n${token}`).digest('hex'),
    appLogin: core.getInput('app-login') || WORKFLOW_ACCOUNT,
    engines: repositoryEngines(token, core.getInput('ca-file'), cancellation?.hardStop),
    ...(cancellation ? { cancellation } : {}),
    configEnv: process.env,
    notifyTargets: (_repository, config) => {
      maskNotifyUrls(config);
      return config.notify ?? [];
    },
    log: actionLog,
    configPath: core.getInput('config') || DEFAULT_CONFIG_PATH,
    heartbeatMs: parseHeartbeatMs(
      process.env.API7_SYNC_HEARTBEAT_MS,
      'API7_SYNC_HEARTBEAT_MS',
      MIN_HEARTBEAT_MS,
    ),
    approvalTtlMs: 24 * 3_600_000,
    verifyTimeoutMs: Number(core.getInput('verify-timeout')) || undefined,
    checkRuns: true,
    now: Date.now,
    // Every environment the run holds (several for /sync eu,us), so that the post step of a
    // cancelled run frees each lock and closes each deployment.
    holding: (held) => {
      const at = holdings.findIndex((h) => h.environment === held.environment);
      const entry = {
        environment: held.environment,
        ...(held.deploymentId ? { deploymentId: held.deploymentId } : {}),
      };
      if (at >= 0) holdings[at] = entry;
      else holdings.push(entry);
      core.saveState(STATE.lockRequest, held.lockRequest);
      core.saveState(STATE.fanoutSessions, JSON.stringify(holdings));
    },
  };
}

/**
 * The second job, in the GitHub Environment: it runs the one request the first job named, if the
 * comment's author may still write and the request is still due.
 */
async function promoteJob(ctx: CommandContext, senderMayWrite: boolean): Promise<void> {
  const request = core.getInput('request').trim();
  if (!request) {
    core.info('api7-sync: no request to promote (the plan job named none)');
    return;
  }
  if (!/^[1-9]\d*$/.test(request))
    throw new SyncError('usage', `input request is "${request}"; it takes the plan job's request output`);
  if (!senderMayWrite) {
    core.info(`api7-sync: @${ctx.commenter} may not write to this repository; nothing promoted`);
    return;
  }
  // The request's state, from the app's own check run on the pull request's head.
  const due = (await readRequests(ctx)).get(Number(request));
  if (!due) {
    core.info(`api7-sync: request ${request} is not on this pull request's head; nothing promoted`);
    return;
  }
  await runRequest(ctx, due);
  await summarise(ctx, true);
}

/**
 * The post step of a chat-ops run stopped at once (a second signal, or the undo's grace ran out),
 * once it ended the sessions the run held: the request the run left `running` is recorded
 * `interrupted` now, with what each target runs, rather than at the next command.
 */
export async function recoverAfterCancel(): Promise<void> {
  const token = core.getInput('token');
  const githubToken = core.getInput('github-token');
  const stateSecret = core.getInput('state-secret');
  for (const secret of [token, githubToken, stateSecret]) if (secret) core.setSecret(secret);
  if (!token || !githubToken) return;
  const settings = workflowSettings(token, stateSecret, undefined);
  await recoverInterrupted(gitHubClient(githubToken, actionLog), settings);
}

/**
 * No process outlives a workflow run, so no one sweeps in the background as the App's replicas
 * do: each chat-ops run first recovers the runs a killed runner left behind (deployment failed,
 * status comment `interrupted`, lock freed). A failure here is logged and does not stop the command.
 */
async function recoverInterrupted(client: GitHubClient, settings: ChatopsSettings): Promise<void> {
  try {
    const recovered = await recoverStaleRuns(client, github.context.repo, settings);
    if (recovered.length) core.warning(`recovered interrupted request(s) ${recovered.join(', ')}`);
  } catch (err) {
    core.warning(`could not look for interrupted runs: ${messageOf(err)}`);
  }
}

/** The repository's own config and token are the policy: every control plane it names is its own. */
function repositoryEngines(token: string, caFile: string, hardStop: AbortSignal | undefined): EngineSource {
  return {
    check: () => undefined,
    open: (_repository, config) =>
      createEngine({
        config: caFile ? { ...config, controlPlane: { ...config.controlPlane, caFile } } : config,
        token,
        logger: actionLog,
        // A second signal, or the undo's grace running out, ends the requests in flight.
        signal: hardStop,
      }),
  };
}

/** The job summary: the state of the request this comment made or decided, as its check run has it. */
async function summarise(ctx: CommandContext, acted: boolean): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  // A refused or repeated command changed no request: nothing to read back.
  const requests = acted ? await readRequests(ctx) : new Map<number, never>();
  const latest =
    requests.get(ctx.commandId) ??
    [...requests.values()].find((r) => r.state.handled.includes(ctx.commandId));
  const text = latest
    ? `api7-sync · request ${latest.state.request} by @${latest.state.requester} · **${latest.state.status}**\n\n${latest.output.summary}`
    : 'No request changed.';
  await core.summary.addRaw(text).write();
}

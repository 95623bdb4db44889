/**
 * Workflow mode on GitHub's own gate. A repository secret is readable by any writer's branch
 * workflow, and anything a workflow token writes a writer can write too, so in a workflow the
 * gate that holds is GitHub's: the promotion job runs with `environment: <env>`, whose secret is
 * the API7 token (default branch only) and whose required reviewers approve the job. Comment
 * approvals (`/approve`) count only where the config opts in (`protection.workflowApprovals:
 * comments`). The layout of the jobs is the `chatops-job` input:
 * - `plan`: parse, authorise and plan; never runs a promotion. It names the request and the
 *   environment for the next job in its outputs (`request`, `environment`).
 * - `promote`: runs in the environment, once its reviewers approved; runs that one request.
 * - `single` (default): both in one job (the job itself must then run in the environment).
 * Wherever a promotion runs, the run's environment approvals are read
 * (`GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`) and shown in the status comment
 * and the Check Run; an environment that needs approvals and shows none refuses the run.
 */
import * as core from '@actions/core';
import type { CommandContext } from '../chatops/context.js';
import { loadRepositoryConfig } from '../chatops/repository-config.js';
import { moveRequest, type TrackedRequest } from '../chatops/requests.js';
import { targetsOf } from '../chatops/state.js';
import { endedFields } from '../github/check-run.js';
import { type Config, inert, SyncError } from '../engine/index.js';
import type { GitHubClient, Repo } from '../github/api.js';

export type ChatopsJob = 'single' | 'plan' | 'promote' | 'settle';

export function readChatopsJob(): ChatopsJob {
  const job = core.getInput('chatops-job') || 'single';
  if (job !== 'single' && job !== 'plan' && job !== 'promote' && job !== 'settle')
    throw new SyncError('usage', `input chatops-job is "${job}"; it takes single, plan, promote or settle`);
  return job;
}

/** One reviewer's approval of this workflow run's deployment to some environments. */
export interface EnvironmentApproval {
  user: string;
  environments: string[];
  comment: string;
}

/** One reviewer's decision on this workflow run's deployment to some environments. */
export interface EnvironmentReview extends EnvironmentApproval {
  state: 'approved' | 'rejected';
}

/** How this workflow run's environments were reviewed; pending reviews are left out. */
export async function readRunReviews(
  github: GitHubClient,
  repo: Repo,
  runId: number,
): Promise<EnvironmentReview[]> {
  const { data } = await github.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals', {
    ...repo,
    run_id: runId,
  });
  return (
    data as {
      state?: string;
      user?: { login?: string };
      environments?: { name?: string }[];
      comment?: string;
    }[]
  )
    .filter((a) => (a.state === 'approved' || a.state === 'rejected') && a.user?.login)
    .map((a) => ({
      state: a.state as EnvironmentReview['state'],
      user: String(a.user!.login),
      environments: (a.environments ?? []).map((e) => String(e.name ?? '')),
      comment: String(a.comment ?? ''),
    }));
}

/** Who approved this workflow run's environments; rejections and pending reviews are left out. */
export async function readRunApprovals(
  github: GitHubClient,
  repo: Repo,
  runId: number,
): Promise<EnvironmentApproval[]> {
  return (await readRunReviews(github, repo, runId))
    .filter((r) => r.state === 'approved')
    .map(({ user, environments, comment }) => ({ user, environments, comment }));
}

/** Whether an environment takes its approvals from `/approve` comments rather than GitHub's reviewers. */
const byComments = (config: Config, environment: string) =>
  config.environments[environment]?.protection?.workflowApprovals === 'comments';

/**
 * The config as chat-ops sees it in a workflow: where GitHub's reviewers approve, the comment
 * approvals the config asks for are their job, so chat-ops waits for none; the numbers it asked
 * for are kept aside to check that the reviewers did approve.
 */
export function environmentGated(config: Config, needed: Map<string, number>): Config {
  const environments = Object.fromEntries(
    Object.entries(config.environments).map(([name, env]) => {
      if (byComments(config, name) || !env.protection) return [name, env];
      const asked = Math.max(env.protection.approvals ?? 0, env.protection.rollbackApprovals ?? 0);
      if (asked > 0) needed.set(name, asked);
      return [name, { ...env, protection: { ...env.protection, approvals: 0, rollbackApprovals: 0 } }];
    }),
  );
  return { ...config, environments };
}

/** The line shown with the request: who approved it in which GitHub Environment. */
export function approvalNote(approvals: EnvironmentApproval[], environments: string[]): string | undefined {
  const lines = environments.flatMap((env) => {
    const by = approvals.filter((a) => a.environments.includes(env));
    if (!by.length) return [];
    const who = by.map((a) => `@${a.user}${a.comment ? ` (${inert(a.comment)})` : ''}`).join(', ');
    return [`🛡️ Approved in the GitHub Environment \`${env}\` by ${who}.`];
  });
  return lines.length ? lines.join('\n') : undefined;
}

/**
 * The gate chat-ops asks before it runs a due request. In the `plan` job: never (the request is
 * handed to the `promote` job through the outputs). Elsewhere: when every environment whose
 * approvals are GitHub's shows an approval of this run; the approvers are shown with the request.
 */
export function workflowGate(options: {
  job: ChatopsJob;
  github: GitHubClient;
  runId: number;
  needed: Map<string, number>;
}): (ctx: CommandContext, request: TrackedRequest) => Promise<boolean> {
  return async (ctx, request) => {
    const { state } = request;
    const targets = targetsOf(state);
    if (options.job === 'plan') {
      // Only this run's settle job may end the request should its review reject it: say which run.
      if (state.handedTo !== options.runId)
        await moveRequest(
          ctx,
          request,
          'approved',
          `Approved. The promotion job of workflow run ${options.runId} runs it once the GitHub Environment's reviewers approve.`,
          { handedTo: options.runId },
        );
      core.setOutput('request', String(state.request));
      core.setOutput('environment', targets[0]!);
      core.info(
        `api7-sync: request ${state.request} is due; the promotion job (environment ${targets[0]}) runs it`,
      );
      return false;
    }
    // Read here, in the job that runs, not remembered from the plan job: what needs approval is
    // what the default branch's config says now (reading it fills `needed`).
    await loadRepositoryConfig(ctx);
    const approvals = await readRunApprovals(options.github, ctx.pr.repo, options.runId);
    ctx.settings.approvalNote = approvalNote(approvals, targets);
    const unapproved = targets.filter(
      (env) => options.needed.has(env) && !approvals.some((a) => a.environments.includes(env)),
    );
    if (!unapproved.length) return true;
    const names = unapproved.map((e) => `\`${e}\``).join(', ');
    const why = `${names} needs approval in its GitHub Environment; nobody approved this run`;
    await moveRequest(
      ctx,
      request,
      'failed',
      `Not run: ${names} needs approval, and in a workflow that is the GitHub Environment's required reviewers; nobody approved this run in it. ${fanoutHint(targets, unapproved, approvals)}Run the promotion in a job with \`environment:\` set to it (and required reviewers on it), or opt into \`/approve\` comments with \`protection.workflowApprovals: comments\`. Nothing was changed.`,
      {},
      endedFields('refused', why),
    );
    await ctx.pr.react(state.request, 'confused');
    return false;
  };
}

/**
 * A job runs in one GitHub Environment, so a fan-out's run is approved by one environment's
 * reviewers: say that the others were not asked, and how to promote those.
 */
function fanoutHint(targets: string[], unapproved: string[], approvals: EnvironmentApproval[]): string {
  const approved = targets.filter((env) => approvals.some((a) => a.environments.includes(env)));
  if (targets.length < 2 || !approved.length) return '';
  const list = (envs: string[]) => envs.map((e) => `\`${e}\``).join(', ');
  return `This run was approved in ${list(approved)}; a job runs in one GitHub Environment, so the reviewers of ${list(unapproved)} were not asked: promote ${unapproved.length > 1 ? 'each' : 'it'} with a \`/sync\` of its own. `;
}

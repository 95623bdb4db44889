/**
 * One Check Run `api7-sync / <environment>` per chat-ops request, on the pull request's head SHA,
 * updated in place: queued with the plan while it waits for approvals, in progress while it
 * runs, completed with a conclusion that matches the result. Reviewers see what will move where
 * GitHub shows checks, and branch protection can require it.
 *
 * A check run is a report, not part of the promotion: every call logs its failure and returns
 * false, never throws, so a GitHub hiccup cannot change what the promotion did or says it did.
 */
import { isFailure, messageOf, type Logger, type SyncResult } from '../engine/index.js';
import type { GitHubClient, Repo } from './api.js';
import { countActions, planSummary, resultSummary } from './check-run-summary.js';
import { fitText, MAX_CHECK_OUTPUT_CHARS } from './limits.js';
import { inert } from './markdown.js';

export type CheckConclusion = 'success' | 'failure' | 'neutral';

/** Why a request ended without a promotion result: all three are `neutral`. */
export type EndedWithoutResult = 'refused' | 'denied' | 'cancelled';

export interface CheckRunContext {
  github: GitHubClient;
  repo: Repo;
  /** The pull request's head SHA (in workflow mode never GITHUB_SHA, which is the default branch there). */
  headSha: string;
  environment: string;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** The request ID (the command comment's ID): lets a later run find this check run again. */
  externalId?: string;
  /** Where "Details" leads: the status comment, or the workflow run. */
  detailsUrl?: string;
  /** Markdown for the output's text (below the summary): who approved outside chat-ops. */
  text?: string;
}

/** The check run's name for an environment; branch protection requires it by this name. */
export function checkRunName(environment: string): string {
  return `api7-sync / ${environment}`;
}

/**
 * Success when every service synced or is unchanged (or, for a dry run, planned; or, for a
 * rollback asked for, rolled back); failure when any failed or a promotion was rolled back; neutral
 * when something was refused and nothing failed.
 */
export function conclusionFor(result: SyncResult): CheckConclusion {
  if (result.services.some(isFailure)) return 'failure';
  if (result.services.some((s) => s.action === 'refused')) return 'neutral';
  return 'success';
}

const TITLE_WORDS = { planned: 'to sync', refused: 'refused' };

export interface CheckRunOutput {
  title: string;
  summary: string;
  /** Below the summary; chat-ops keeps the request's signed state here. */
  text?: string;
}

/** What one write to a check run says: its status, conclusion and output. */
export interface CheckRunFields {
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: CheckConclusion;
  started_at?: string;
  completed_at?: string;
  output?: CheckRunOutput;
}

/** A write that also says what the check run shows. */
export type CheckRunFieldsWithOutput = CheckRunFields & { output: CheckRunOutput };

/** Queued with the plan table: the request waits for approvals or its turn. */
export function queuedFields(plan: SyncResult): CheckRunFieldsWithOutput {
  return {
    status: 'queued',
    output: { title: `Waiting: ${countActions(plan, TITLE_WORDS)}`, summary: planSummary(plan) },
  };
}

/** Running: the promotion holds the lock and writes. The plan stays as the output. */
export function inProgressFields(): CheckRunFields {
  return { status: 'in_progress', started_at: new Date().toISOString() };
}

/** Completed with the promotion's result table and the conclusion that matches it. */
export function completedFields(result: SyncResult): CheckRunFieldsWithOutput {
  const conclusion = conclusionFor(result);
  return finished(conclusion, {
    title: `${conclusion === 'success' ? 'Done' : conclusion === 'failure' ? 'Failed' : 'Not done'}: ${countActions(result)}`,
    summary: resultSummary(result),
  });
}

/**
 * Completed without a promotion result: refused before any write, denied by an approver, or
 * cancelled. `plan` (when known) keeps the table that was waiting; `message` says why.
 */
export function endedFields(
  why: EndedWithoutResult,
  message: string,
  plan?: SyncResult,
): CheckRunFieldsWithOutput {
  const lead = `**${why[0]!.toUpperCase()}${why.slice(1)}**: ${inert(message)}`;
  return finished('neutral', {
    title: `${why[0]!.toUpperCase()}${why.slice(1)}`,
    summary: plan ? planSummary(plan, lead) : `${lead}\n`,
  });
}

function finished(conclusion: CheckConclusion, output: CheckRunOutput): CheckRunFieldsWithOutput {
  return { status: 'completed', conclusion, completed_at: new Date().toISOString(), output };
}

/** The output with the door's text added, each part under GitHub's limit (else the update fails). */
export function fitOutput(output: CheckRunOutput, text: string | undefined): CheckRunOutput {
  const elsewhere = '`api7-sync plan` or `status` from the CLI lists every service';
  const withText = text ? { ...output, text } : output;
  return {
    ...withText,
    summary: fitText(withText.summary, MAX_CHECK_OUTPUT_CHARS, elsewhere),
    ...(withText.text ? { text: fitText(withText.text, MAX_CHECK_OUTPUT_CHARS, elsewhere) } : {}),
  };
}

/** A request's check run. Create it with `createCheckRun`, or pick it up again with `resumeCheckRun`. */
export class CheckRun {
  constructor(
    private readonly context: CheckRunContext,
    /** Undefined while GitHub has not accepted the creation: the next update creates it then. */
    public id?: number,
  ) {}

  get name(): string {
    return checkRunName(this.context.environment);
  }

  /** Queued with the plan table: the request waits for approvals or its turn. */
  queue(plan: SyncResult): Promise<boolean> {
    return this.send('queue', queuedFields(plan));
  }

  /** Running: the promotion holds the lock and writes. The plan stays as the output. */
  inProgress(): Promise<boolean> {
    return this.send('mark in progress', inProgressFields());
  }

  /** Completed with the promotion's result table and the conclusion that matches it. */
  complete(result: SyncResult): Promise<boolean> {
    return this.send('complete', completedFields(result));
  }

  /** Completed without a promotion result (see `endedFields`). */
  end(why: EndedWithoutResult, message: string, plan?: SyncResult): Promise<boolean> {
    return this.send('complete', endedFields(why, message, plan));
  }

  /** Updates in place; creates the run first if that never succeeded. Logs and returns false on failure. */
  private async send(what: string, given: CheckRunFields): Promise<boolean> {
    const { github, repo, headSha, externalId, detailsUrl, logger, text } = this.context;
    const fields = given.output ? { ...given, output: fitOutput(given.output, text) } : given;
    try {
      if (this.id === undefined) {
        const { data } = await github.request('POST /repos/{owner}/{repo}/check-runs', {
          ...repo,
          name: this.name,
          head_sha: headSha,
          ...(externalId ? { external_id: externalId } : {}),
          ...(detailsUrl ? { details_url: detailsUrl } : {}),
          ...fields,
        });
        this.id = Number(data.id);
      } else {
        await github.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
          ...repo,
          check_run_id: this.id,
          ...fields,
        });
      }
      return true;
    } catch (err) {
      logger.warn(
        `could not ${what} the check run "${this.name}" on ${headSha.slice(0, 12)}: ${messageOf(err)}; the promotion is not affected`,
      );
      return false;
    }
  }
}

/** Creates the request's check run, queued with the plan. Never throws (see `CheckRun`). */
export async function createCheckRun(context: CheckRunContext, plan: SyncResult): Promise<CheckRun> {
  const run = new CheckRun(context);
  await run.queue(plan);
  return run;
}

/** The check run of a request whose ID was kept (in the request's state). */
export function resumeCheckRun(context: CheckRunContext, id: number): CheckRun {
  return new CheckRun(context, id);
}

/**
 * Finds the request's check run on the head SHA by its external ID (the request ID), for a later
 * workflow run that kept no ID. Undefined when there is none or GitHub could not be asked (logged).
 */
export async function findCheckRun(context: CheckRunContext): Promise<CheckRun | undefined> {
  const { github, repo, headSha, externalId, logger } = context;
  if (!externalId) return undefined;
  const name = checkRunName(context.environment);
  try {
    // Every page until the one that has it: a head re-run many times has many runs of this name.
    let match: { id: number } | undefined;
    await github.paginate(
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
      { ...repo, ref: headSha, check_name: name, filter: 'all', per_page: 100 },
      (response, done) => {
        match ??= response.data.find((r) => r.external_id === externalId);
        if (match) done();
        return [];
      },
    );
    return match ? new CheckRun(context, match.id) : undefined;
  } catch (err) {
    logger.warn(`could not look for the check run "${name}" on ${headSha.slice(0, 12)}: ${messageOf(err)}`);
    return undefined;
  }
}

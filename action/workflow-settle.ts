/**
 * The settle job of a chat-ops workflow: it runs after the promotion job (`needs: [plan, promote]`,
 * `if: always()`), in the run whose plan job handed a request over. When a GitHub Environment's
 * reviewer rejected the promotion job, GitHub never started it, so nothing else would move the
 * request on from `approved`: this job writes it `denied`, saying by whom, and frees any lock still
 * held for it. When the promotion job ended without running it for another reason (its run was
 * cancelled, the review timed out), the request is written `cancelled`. Only the run the request
 * was handed to (`handedTo` in its state) may settle it: another run's reviews say nothing about it.
 */
import * as core from '@actions/core';
import type { CommandContext } from '../chatops/context.js';
import { lockRequestId } from '../chatops/lock-holder.js';
import { moveRequest, readRequests, StaleRequest } from '../chatops/requests.js';
import { targetsOf } from '../chatops/state.js';
import { inert, SyncError } from '../engine/index.js';
import { endedFields } from '../github/check-run.js';
import { EnvironmentLock } from '../github/lock.js';
import { readRunReviews, type EnvironmentReview } from './workflow-gate.js';

export async function settleJob(ctx: CommandContext, runId: number, senderMayWrite: boolean): Promise<void> {
  const request = core.getInput('request').trim();
  if (!request) {
    core.info('api7-sync: no request to settle (the plan job named none)');
    return;
  }
  if (!/^[1-9]\d*$/.test(request))
    throw new SyncError('usage', `input request is "${request}"; it takes the plan job's request output`);
  if (!senderMayWrite) {
    core.info(`api7-sync: @${ctx.commenter} may not write to this repository; nothing settled`);
    return;
  }
  const tracked = (await readRequests(ctx)).get(Number(request));
  if (tracked?.state.status !== 'approved') {
    core.info(
      `api7-sync: request ${request} is ${tracked?.state.status ?? 'not on this pull request'}; nothing to settle`,
    );
    return;
  }
  const { state } = tracked;
  if (state.handedTo !== runId) {
    core.info(
      `api7-sync: request ${request} was not handed to this workflow run (${runId}); nothing to settle`,
    );
    return;
  }
  const targets = targetsOf(state);
  const rejections = (await readRunReviews(ctx.pr.github, ctx.pr.repo, runId)).filter(
    (r) => r.state === 'rejected' && r.environments.some((e) => targets.includes(e)),
  );
  const released = await releaseLocks(
    ctx,
    targets,
    lockRequestId(ctx.pr.repository, state.pr, state.request),
  );
  const freed = released.length
    ? ` The lock on ${released.map((e) => `\`${e}\``).join(', ')} is released.`
    : '';
  try {
    if (rejections.length) {
      const who = rejected(rejections, targets);
      await moveRequest(
        ctx,
        tracked,
        'denied',
        `${who.text}. Nothing was changed.${freed}`,
        {},
        endedFields('denied', who.plain),
      );
    } else {
      const why = `the promote job of this workflow run ended without running it (its run was cancelled, or the environment's review timed out)`;
      await moveRequest(
        ctx,
        tracked,
        'cancelled',
        `Not run: ${why}. Nothing was changed.${freed} Ask again with \`/sync ${targets.join(',')}\`.`,
        {},
        endedFields('cancelled', why),
      );
    }
  } catch (err) {
    if (!(err instanceof StaleRequest)) throw err;
    core.info(`api7-sync: request ${request}: ${err.message}`);
    return;
  }
  await ctx.pr.react(state.request, 'confused');
}

/** `Rejected in the GitHub Environment `production` by @bob (comment)`, per environment. */
function rejected(rejections: EnvironmentReview[], targets: string[]): { text: string; plain: string } {
  const parts = targets.flatMap((env) => {
    const by = rejections.filter((r) => r.environments.includes(env));
    if (!by.length) return [];
    return [
      {
        text: `Rejected in the GitHub Environment \`${env}\` by ${by.map((r) => `@${r.user}${r.comment ? ` (${inert(r.comment)})` : ''}`).join(', ')}`,
        plain: `rejected in the GitHub Environment ${env} by ${by.map((r) => `@${r.user}`).join(', ')}`,
      },
    ];
  });
  return { text: parts.map((p) => p.text).join('; '), plain: parts.map((p) => p.plain).join('; ') };
}

/** The locks still held for the request (none, unless its run died holding them): released. */
async function releaseLocks(ctx: CommandContext, targets: string[], holder: string): Promise<string[]> {
  const lock = new EnvironmentLock(ctx.pr.github, ctx.pr.repo, ctx.settings.now);
  const released: string[] = [];
  for (const environment of targets)
    if (await lock.releaseIfHeldBy(environment, holder)) released.push(environment);
  return released;
}

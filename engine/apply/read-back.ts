/**
 * The read-back that decides every result (apply/index.ts): what the target group runs once the
 * promotion is over. It may start early, as soon as every service's writes have settled and only
 * verifications are left (the last of them wait out their confirming pause): the read then
 * travels during that pause instead of after it. It is used only if no write was sent to API7
 * after it started (no undo, no re-send) and it could be read; otherwise the group is read again.
 */
import { observeGroup, type GroupView } from './observe.js';
import type { Run } from './work.js';

export function startEarlyReadBack(run: Run): void {
  const mark = run.ctx.client.transport.writeMark();
  if (!mark.settled) return;
  run.earlyReadBack = {
    sentBefore: mark.sent,
    view: observeGroup(run.ctx.client, run.targetId, run.ctx.log, run.plan.entries.length),
  };
}

/** What the target runs now; undefined when it cannot be read. */
export async function readBack(run: Run): Promise<GroupView | undefined> {
  const early = run.earlyReadBack;
  const mark = run.ctx.client.transport.writeMark();
  if (early && mark.settled && mark.sent === early.sentBefore) {
    const view = await early.view;
    if (view) return view;
  }
  return observeGroup(run.ctx.client, run.targetId, run.ctx.log, run.plan.entries.length);
}

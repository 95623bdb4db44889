/**
 * `/lock <environment> [reason]` and `/unlock <environment>`: the environment's deployers hold or
 * free it by hand. `/unlock` lifts only a lock taken by hand (or one that has expired): a lock held
 * by a running promotion is released by that promotion, never from a comment.
 */
import { describeHolder, EnvironmentLock } from '../../github/lock.js';
import type { CommandContext } from '../context.js';
import type { Command } from '../grammar.js';
import { authorise } from '../guards.js';
import { inert } from '../inert.js';
import { handLockId, isHandLock } from '../lock-holder.js';
import { Refusal } from '../refusal.js';

type LockCommand = Extract<Command, { kind: 'lock' | 'unlock' }>;

/** A lock by hand lasts a working day at most; it is not renewed. */
const HAND_LOCK_MS = 8 * 60 * 60_000;

export async function lockCommand(ctx: CommandContext, command: LockCommand): Promise<void> {
  await authorise(ctx, {
    environment: command.environment,
    role: 'deployers',
    needsSource: false,
    services: [],
    lockMustBeFree: false,
  });
  const lock = new EnvironmentLock(ctx.pr.github, ctx.pr.repo, ctx.settings.now);
  if (command.kind === 'lock') {
    const claim = await lock.claim(
      command.environment,
      {
        holder: `@${ctx.commenter} (PR #${ctx.pr.number})`,
        url: ctx.commentUrl,
        reason: command.reason || 'locked by hand',
        request: handLockId(ctx.commenter),
      },
      HAND_LOCK_MS,
    );
    if (!claim.claimed)
      throw new Refusal(
        `not locked: \`${command.environment}\` is ${quoteHolder(claim.heldBy)}`,
        'lock-held',
      );
    await ctx.pr.comment(
      `🔒 \`${command.environment}\` is locked by @${ctx.commenter} until ${claim.lock.info.until}${command.reason ? ` (${inert(command.reason)})` : ''}. \`/unlock ${command.environment}\` releases it.`,
    );
    await ctx.pr.react(ctx.commandId, 'rocket');
    return;
  }
  const held = await lock.read(command.environment);
  if (!held) {
    await ctx.pr.comment(`\`${command.environment}\` was not locked.`);
    return;
  }
  const expired = Date.parse(held.info.until) <= ctx.settings.now();
  if (!expired && !isHandLock(held.info.request))
    throw new Refusal(
      `\`${command.environment}\` is ${quoteHolder(held.info)}: a running promotion releases its own lock`,
      'lock-held',
    );
  if (!(await lock.release(command.environment, held.sha)))
    throw new Refusal(`\`${command.environment}\` changed hands while unlocking; look again`, 'lock-held');
  await ctx.pr.comment(`🔓 \`${command.environment}\` is unlocked (it was ${quoteHolder(held.info)}).`);
  await ctx.pr.react(ctx.commandId, 'rocket');
}

/** The holder as text someone else wrote (a lock reason) must be quoted inertly. */
function quoteHolder(info: Parameters<typeof describeHolder>[0]): string {
  if (!info) return describeHolder(info);
  return (
    describeHolder({ ...info, reason: '' }, inert) + (info.reason ? ` (reason: ${inert(info.reason)})` : '')
  );
}

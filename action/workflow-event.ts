/**
 * The event a chat-ops workflow run is for, as GitHub hands it to the step: the pull request, the
 * new comment and the command it makes, or nothing (with a line saying why) for any other event.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { parseCommand, type Parsed } from '../chatops/grammar.js';

export type CommandEvent = NonNullable<ReturnType<typeof commandEvent>>;

/** A new comment on a pull request, as the event carries it. */
interface EventComment {
  id: number;
  body?: string;
  html_url: string;
  created_at?: string;
  user?: { login: string; type: string };
}

/**
 * The pull request, comment and command this run is for, or undefined (and a line saying why)
 * when the event is not one for api7-sync: a plain issue, an edited comment, prose, a bot.
 */
export function commandEvent():
  { pr: { number: number }; comment: EventComment | undefined; parsed: Parsed } | undefined {
  const { eventName, payload } = github.context;
  const pr = eventName === 'issue_comment' ? payload.issue : payload.pull_request;
  if (!pr || (eventName === 'issue_comment' && !payload.issue?.pull_request)) {
    core.info('api7-sync: this comment is not on a pull request; nothing to do');
    return undefined;
  }
  if (eventName === 'issue_comment' && payload.action !== 'created') {
    core.info(`api7-sync: comment ${String(payload.action)}; only new comments are commands`);
    return undefined;
  }
  const comment = payload.comment as EventComment | undefined;
  const parsed = comment ? parseCommand(comment.body ?? '') : null;
  if (eventName === 'issue_comment' && (!parsed || comment?.user?.type !== 'User')) {
    core.info('api7-sync: not a command for api7-sync; nothing to do');
    return undefined;
  }
  return { pr: pr as { number: number }, comment, parsed };
}

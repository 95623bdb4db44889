/**
 * A re-run of a chat-ops workflow run delivers the same event again: the same `/sync`, the same
 * `/approve`. Acting on it would replay an old command against today's state (a rolled-back
 * version promoted again, an old approval counted again, a refused `/sync` run once the lock is
 * free). So a re-run (`GITHUB_RUN_ATTEMPT` > 1) acts on nothing, writes nothing on GitHub, says
 * so in the log and the job summary, and ends successfully.
 */
import * as core from '@actions/core';

/** Whether this run is a re-run; if so, it has already said so and the caller must stop. */
export async function isReRun(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1');
  if (!Number.isInteger(attempt) || attempt <= 1) return false;
  const message =
    `api7-sync: this is attempt ${attempt} of this workflow run, a re-run. A chat-ops command acts once, ` +
    'in the run its comment started; a re-run acts on nothing. To do it again, post the command again as a new comment.';
  core.info(message);
  if (env.GITHUB_STEP_SUMMARY)
    await core.summary
      .addHeading('api7-sync: re-run, nothing done', 3)
      .addRaw(
        `Attempt ${attempt} of this run replays an old comment. A command acts once, in the run its comment started: nothing was read or changed. Post the command again as a new comment to do it again.`,
      )
      .write();
  return true;
}

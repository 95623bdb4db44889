/**
 * The Action's one error funnel: the main step, the chat-ops workflow mode and the post step all
 * end here. Every failure sets the `error-code` output (the SyncError's code, `config` for config
 * problems, `internal` for anything unexpected) so that a later step can branch on it, and fails
 * the step with a message a person can act on: config problems as file:line:col annotations,
 * never a stack trace.
 */
import * as core from '@actions/core';
import {
  codeOf,
  ConfigError,
  isFailure,
  messageOf,
  SyncError,
  type ErrorCode,
  type SyncResult,
} from '../engine/index.js';

/** Which step reports: the post step says so, since its failure comes after the main step's. */
export type Step = 'main' | 'post';

export function present(err: unknown, step: Step = 'main'): void {
  core.setOutput('error-code', codeOf(err));
  const where = step === 'post' ? 'api7-sync post step: ' : '';
  if (err instanceof ConfigError) {
    for (const p of err.problems) {
      core.error(p.message, {
        title: 'api7-sync config',
        file: p.file,
        startLine: p.line,
        startColumn: p.col,
      });
    }
    core.setFailed(`${where}${err.problems.length} problem(s) in ${err.problems[0]?.file ?? 'the config'}`);
    return;
  }
  if (err instanceof SyncError) {
    core.setFailed(`${where}${messageOf(err)}`);
    return;
  }
  // Not one of ours: a bug or a library failing in a way nothing here foresaw.
  core.setFailed(
    `${where || 'api7-sync: '}unexpected failure: ${messageOf(err)} (please report it with this log; error-code internal)`,
  );
}

/** A promotion whose result is not ok, as the error the funnel reports: code of its first failure. */
export function promotionFailed(results: SyncResult[]): SyncError {
  const failed = results.filter((r) => !r.ok);
  const bad = failed.flatMap((r) => r.services.filter((s) => s.action === 'refused' || isFailure(s)));
  const code: ErrorCode = bad.find((s) => s.reason)?.reason ?? 'internal';
  const message = failed
    .map(
      (r) =>
        `promotion ${r.from.environment} → ${r.to.environment} did not succeed: ${r.services
          .filter((s) => bad.includes(s))
          .map((s) => `"${s.name}" ${s.action}${s.reason ? ` (${s.reason})` : ''}: ${s.message ?? ''}`)
          .join('; ')}`,
    )
    .join('\n');
  return new SyncError(code, message);
}

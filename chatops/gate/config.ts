/**
 * The repository config as the gate reads it: from the default branch only (a branch's workflow
 * cannot change what gates it), with no `${VAR}` interpolation (the App holds secrets). A config
 * that is missing or invalid stops the gate with a rejection that says what to fix.
 */
import { ConfigError, parseConfig, type Config } from '../../engine/index.js';
import { statusOf, type GitHubClient } from '../../github/api.js';
import { inert } from '../inert.js';
import type { GateEvent } from './event.js';
import { failed, GateStop } from './verdict.js';

/** Config problems shown in a rejection; the rest are counted. */
const MAX_PROBLEMS = 10;

export async function readGateConfig(github: GitHubClient, event: GateEvent, path: string): Promise<Config> {
  const text = await fileAt(github, event, path);
  if (text === undefined)
    throw new GateStop(
      failed(
        'config',
        `there is no \`${path}\` on the default branch ${inert(event.defaultBranch)}, so no rule can be checked; add one and merge it first`,
      ),
    );
  try {
    return parseConfig(text, path, { env: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.message.split('\n').filter((l) => l.trim() !== '');
    const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `  - ${inert(p, { max: 600 })}`);
    if (problems.length > MAX_PROBLEMS) shown.push(`  - … and ${problems.length - MAX_PROBLEMS} more`);
    throw new GateStop(
      failed(
        'config',
        `\`${path}\` on the default branch is invalid, so no rule can be checked; fix it:\n${shown.join('\n')}`,
      ),
    );
  }
}

async function fileAt(github: GitHubClient, event: GateEvent, path: string): Promise<string | undefined> {
  try {
    const { data } = await github.request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...event.repo,
      path,
      ref: event.defaultBranch,
    });
    return Buffer.from('content' in data ? String(data.content ?? '') : '', 'base64').toString('utf8');
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

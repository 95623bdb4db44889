/**
 * The `deployment_protection_rule` (requested) webhook as the gate needs it: which repository,
 * which GitHub environment, and which workflow run waits for the answer. GitHub names the answer's
 * address in `deployment_callback_url`; the gate answers through the REST route that address
 * stands for (`POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`), so its
 * installation token only ever goes to the GitHub it already talks to, and only for this repository.
 */
import type { Repo } from '../../github/api.js';

export interface GateEvent {
  repo: Repo;
  /** `owner/name`, as the operator policy keys it. */
  repository: string;
  defaultBranch: string;
  /** The GitHub environment the job references, exactly as GitHub spells it. */
  githubEnvironment: string;
  /** The workflow run whose job waits for the gate. */
  runId: number;
}

/** A payload that cannot be answered, with what was wrong; the gate logs it. */
export class UnanswerableEvent extends Error {}

const CALLBACK =
  /^(?:\/api\/v3)?\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function readGateEvent(payload: unknown): GateEvent {
  const p = (payload ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const owner = text(p.repository?.owner?.login);
  const name = text(p.repository?.name);
  const githubEnvironment = text(p.environment);
  const callback = text(p.deployment_callback_url);
  if (!owner || !name) throw new UnanswerableEvent('the event names no repository');
  if (!githubEnvironment) throw new UnanswerableEvent('the event names no environment');
  if (!callback || !URL.canParse(callback))
    throw new UnanswerableEvent('the event carries no deployment_callback_url');
  const m = CALLBACK.exec(new URL(callback).pathname);
  // A callback for another repository's run would spend this installation's token elsewhere.
  if (
    !m ||
    decodeURIComponent(m[1]!).toLowerCase() !== owner.toLowerCase() ||
    decodeURIComponent(m[2]!).toLowerCase() !== name.toLowerCase()
  )
    throw new UnanswerableEvent(
      `deployment_callback_url is not the deployment_protection_rule route of a run of ${owner}/${name}`,
    );
  return {
    repo: { owner, repo: name },
    repository: `${owner}/${name}`,
    defaultBranch: text(p.repository?.default_branch) ?? 'main',
    githubEnvironment,
    runId: Number(m[3]),
  };
}

/**
 * The little of the GitHub REST API that locks and deployment records need. Both the Action's
 * Octokit (`@actions/github`) and Probot's satisfy it through their `request` method, so this
 * module depends on neither.
 */
export interface GitHubRequest {
  request(route: string, params?: Record<string, unknown>): Promise<{ status: number; data: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Repo {
  owner: string;
  repo: string;
}

/** Octokit's errors carry the HTTP status; anything else is not an HTTP answer. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

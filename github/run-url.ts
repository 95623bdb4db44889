/** The one address of a GitHub Actions workflow run, for locks, deployments and notifications. */

/** `https://github.com/OWNER/REPO/actions/runs/ID`, or undefined when any part is unknown. */
export function actionsRunUrl(
  serverUrl: string | undefined,
  repository: string | undefined,
  runId: string | number | undefined,
): string | undefined {
  if (!serverUrl || !repository || !runId) return undefined;
  return `${serverUrl}/${repository}/actions/runs/${runId}`;
}

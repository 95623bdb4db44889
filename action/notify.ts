/**
 * The Action tells the config's `notify` webhooks about a promotion's result, with links to the
 * workflow run, the pull request (when the event has one) and the environment's deployments.
 * Each URL is registered as a secret first, so the runner masks it in every later log line.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import type { Config, SyncResult } from '../engine/index.js';
import { notify, type NotifyLinks, type NotifyOutcome } from '../github/notify.js';
import { actionsRunUrl } from '../github/run-url.js';

/** Shortest path still worth masking on its own: shorter ones would mask ordinary words. */
const MIN_MASKED_PATH = 8;

/**
 * Masks every notify URL, and its path (a log line may quote a request without the origin).
 * Safe to call more than once; call it as soon as the config is loaded.
 */
export function maskNotifyUrls(config: Config): void {
  for (const { url } of config.notify ?? []) {
    core.setSecret(url);
    if (URL.canParse(url)) {
      const { pathname, search } = new URL(url);
      if (pathname.length >= MIN_MASKED_PATH) core.setSecret(pathname + search);
    }
  }
}

function links(result: SyncResult, deploymentRecorded: boolean): NotifyLinks {
  const { serverUrl, runId, payload } = github.context;
  const repository = process.env.GITHUB_REPOSITORY;
  if (!repository) return {};
  const pr = (payload.pull_request?.html_url ?? payload.issue?.pull_request?.html_url) as string | undefined;
  return {
    run: actionsRunUrl(serverUrl, repository, runId),
    pullRequest: pr,
    deployment: deploymentRecorded
      ? `${serverUrl}/${repository}/deployments/${encodeURIComponent(result.to.environment)}`
      : undefined,
  };
}

/**
 * Sends the result to every `notify` webhook that wants it. Never throws and never fails the
 * step: a notification that could not be sent is a warning.
 */
export async function notifyFromAction(
  config: Config,
  result: SyncResult,
  deploymentRecorded = false,
): Promise<NotifyOutcome[]> {
  if (!config.notify?.length) return [];
  maskNotifyUrls(config);
  return notify(config.notify, result, {
    logger: { info: (m) => core.info(m), warn: (m) => core.warning(m) },
    links: links(result, deploymentRecorded),
  });
}

/**
 * The Action with `to: eu,us,ap` or `to: "@production"`: the fan-out (engine/fanout.ts). One
 * promotion session (lock and deployment) per environment, started in sorted order so that two
 * fan-outs over overlapping environments cannot each hold a lock the other waits for; each ends
 * with its own target's outcome. The result output is the multi-target document.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { gitHubClient } from '../github/client.js';
import {
  createEngine,
  fanOut,
  lockOrder,
  resolveWaves,
  summaryMarkdown,
  type Config,
  type FanoutResult,
  SyncError,
} from '../engine/index.js';
import { describeHolder } from '../github/lock.js';
import { sessionOutcome, type Cancellation } from '../github/promotion.js';
import { startSession, type PromotionSession, type SessionLog } from '../github/session.js';
import { githubTokenFor, runLockRequest } from './run-identity.js';
import { InputError, planRequest, STATE, writeOutputs, type Inputs } from './io.js';
import { notifyFromAction } from './notify.js';

export async function promoteFanout(
  inputs: Inputs,
  config: Config,
  log: SessionLog,
  runUrl: string,
  cancellation?: Cancellation,
): Promise<FanoutResult> {
  let waves: string[][];
  try {
    waves = resolveWaves(config, inputs.to);
  } catch (err) {
    if (err instanceof SyncError) throw new InputError(`input to: ${err.message}`);
    throw err;
  }
  const sessions = new Map<string, PromotionSession>();
  let result: FanoutResult | undefined;
  try {
    if (!inputs.dryRun && (inputs.lock || inputs.recordDeployment)) {
      const githubToken = githubTokenFor(inputs);
      const { runId, serverUrl, actor, workflow } = github.context;
      const repo = github.context.repo;
      const request = runLockRequest();
      if (inputs.lock) core.saveState(STATE.lockRequest, request);
      const saved: { environment: string; deploymentId?: number }[] = [];
      for (const environment of lockOrder(waves)) {
        // Saved before the claim: a step cancelled mid-claim still leaves the post step this lock.
        saved.push({ environment });
        core.saveState(STATE.fanoutSessions, JSON.stringify(saved));
        const started = await startSession({
          github: gitHubClient(githubToken, { warn: (m) => core.warning(m) }),
          repo,
          environment,
          lock: inputs.lock && {
            holder: `${repo.owner}/${repo.repo} workflow "${workflow}" run ${runId} (by ${actor})`,
            url: `${serverUrl}/${repo.owner}/${repo.repo}/actions/runs/${runId}`,
            reason: `promote ${inputs.from} → ${inputs.to}`,
            request,
          },
          deployment: inputs.recordDeployment
            ? {
                ref: github.context.sha || github.context.ref,
                description: `api7-sync ${inputs.from} → ${environment} (fan-out ${inputs.to})`,
                payload: {
                  from: inputs.from,
                  to: environment,
                  fanout: inputs.to,
                  ...(inputs.breakGlass ? { breakGlass: { reason: inputs.breakGlass } } : {}),
                },
                production: /^prod(uction)?$/i.test(environment),
                environmentUrl: config.environments[environment]?.gatewayUrl,
                logUrl: runUrl,
              }
            : undefined,
          heartbeatMs: inputs.heartbeatMs,
          waitMs: inputs.lockWaitSeconds * 1000,
          log,
        });
        if (!started.started)
          throw new InputError(
            `the lock on environment "${environment}" is ${describeHolder(started.heldBy)}`,
          );
        sessions.set(environment, started.session);
        saved[saved.length - 1]!.deploymentId = started.session.deploymentId;
        core.saveState(STATE.fanoutSessions, JSON.stringify(saved));
      }
    }
    const engine = createEngine({
      config,
      token: inputs.token,
      logger: (line) => core.info(line),
      signal: cancellation?.hardStop,
    });
    try {
      result = await fanOut(
        engine,
        config,
        planRequest(inputs),
        {
          dryRun: inputs.dryRun,
          verify: inputs.verify,
          rollbackOnFailure: inputs.rollbackOnFailure,
          verifyTimeoutMs: inputs.verifyTimeoutMs,
          atomic: inputs.atomic,
          signal: cancellation?.signal,
          onProgress: (e) => cancellation?.track(e),
        },
        (line) => core.info(line),
      );
    } finally {
      await engine.close();
    }
    const done = result;
    writeOutputs({
      result: JSON.stringify(done),
      changed: done.targets.some((t) =>
        t.services.some((s) => s.action === 'synced' || s.action === 'planned'),
      )
        ? 'true'
        : 'false',
      versions: JSON.stringify(
        Object.fromEntries(
          done.targets.map((t) => [
            t.to.environment,
            Object.fromEntries(
              t.services
                .filter((s) => ['synced', 'unchanged', 'planned'].includes(s.action))
                .map((s) => [s.name, s.version]),
            ),
          ]),
        ),
      ),
    });
    if (process.env.GITHUB_STEP_SUMMARY)
      await core.summary.addRaw(done.targets.map(summaryMarkdown).join('\n')).write();
    for (const target of done.targets)
      await notifyFromAction(config, target, sessions.has(target.to.environment));
    return done;
  } finally {
    for (const [environment, session] of sessions) {
      const target = result?.targets.find((t) => t.to.environment === environment);
      const ended = sessionOutcome(target, cancellation?.interruptedBy);
      await session.end({
        state: ended.state,
        description:
          target && !cancellation?.interruptedBy
            ? target.services.map((s) => `${s.name} ${s.action}`).join(', ')
            : ended.description,
        environmentUrl: config.environments[environment]?.gatewayUrl,
        logUrl: runUrl,
      });
    }
  }
}

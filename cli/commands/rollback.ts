/** `api7-sync rollback`: a service back on a version that ran before in the same group. */
import { createEngine, refusedResult, resultText, type SyncResult } from '../../engine/index.js';
import { claimSessions, endSessions, stopSignal, type SessionFactory } from '../../github/promotion.js';
import { loadConfig, readToken, usage, type Values } from '../context.js';
import { exitForResult } from '../exit.js';
import type { Io } from '../io.js';
import { lockSessionsFor, lockWait } from '../locking.js';
import { notifyFromCli } from '../notify.js';
import { printResult } from '../output.js';
import { progressLogger } from '../progress.js';

export async function rollbackCommand(values: Values, io: Io): Promise<number> {
  if (!values.env || !values.service) throw usage('--env and --service are required');
  const waitSeconds = lockWait(values);
  const config = loadConfig(values, io);
  const log = progressLogger(io);
  const engine = createEngine({ config, token: readToken(values, io), logger: log });
  try {
    const started = Date.now();
    const environment = values.env as string;
    const service = values.service as string;
    const reason = `roll back "${service}"`;
    const sessions = await lockSessionsFor(values, [environment], reason, io, waitSeconds);
    const locked = await underLock(sessions, environment, (signal) =>
      engine.rollback(
        { environment, service, toVersion: values['to-version'] as string | undefined },
        { verify: !values['no-verify'], signal },
      ),
    );
    const result = locked.ran
      ? locked.value
      : refusedResult(
          {
            from: { environment },
            to: { environment },
            entries: [
              {
                name: service,
                decision: 'refused',
                reason: null,
                message: null,
                version: null,
                requestedVersion: null,
                drift: [],
                runtimeLabel: null,
                probes: [],
              },
            ],
            createdAt: started,
          },
          'lock-held',
          locked.message,
          started,
        );
    log.stop();
    printResult(io, Boolean(values.json), result, () => resultText(result));
    // After the result is out: a slow webhook never delays or changes what the user sees.
    await notifyFromCli(config, result, io);
    return exitForResult(result);
  } finally {
    log.stop();
    await engine.close();
  }
}

/**
 * Runs the rollback holding the environment's session (when `--lock` is given), stopped before its
 * next write should the lock's lease be lost, and ends the session with the rollback's outcome.
 */
async function underLock(
  start: SessionFactory | undefined,
  environment: string,
  fn: (signal: AbortSignal | undefined) => Promise<SyncResult>,
): Promise<{ ran: true; value: SyncResult } | { ran: false; message: string }> {
  if (!start) return { ran: true, value: await fn(undefined) };
  const claim = await claimSessions([environment], start);
  if (!claim.ok) return { ran: false, message: claim.message };
  let value: SyncResult | undefined;
  try {
    value = await fn(stopSignal(claim.sessions));
    return { ran: true, value };
  } finally {
    await endSessions(claim.sessions, value && { targets: [value] }, undefined);
  }
}

/** `api7-sync rollback`: a service back on a version that ran before in the same group. */
import { createEngine, refusedResult, resultText } from '../../engine/index.js';
import { loadConfig, readToken, usage, type Values } from '../context.js';
import { exitForResult } from '../exit.js';
import type { Io } from '../io.js';
import { lockWait, withLock } from '../locking.js';
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
    const locked = await withLock(
      values,
      environment,
      `roll back "${service}"`,
      io,
      () =>
        engine.rollback(
          { environment, service, toVersion: values['to-version'] as string | undefined },
          { verify: !values['no-verify'] },
        ),
      waitSeconds,
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

/** `api7-sync plan` and `api7-sync sync`: promote the running version from one group to another. */
import {
  createEngine,
  isFanout,
  policyText,
  type ApplyProgress,
  refusedResult,
  resultText,
} from '../../engine/index.js';
import { loadConfig, readToken, usage, type Values } from '../context.js';
import { exitForResult } from '../exit.js';
import type { Io } from '../io.js';
import { lockWait, withLock } from '../locking.js';
import { notifyFromCli } from '../notify.js';
import { failuresFirst, printResult } from '../output.js';
import { progressLogger } from '../progress.js';
import { cliCancellation } from '../cancel.js';
import { EXIT_INTERRUPTED, sessionOutcome } from '../../github/promotion.js';
import { policyOptions } from './policy-flags.js';

export async function promoteCommand(command: 'plan' | 'sync', values: Values, io: Io): Promise<number> {
  if (typeof values.to === 'string' && isFanout(values.to)) return fanoutFromCli(command, values, io);
  if (!values.from || !values.to) throw usage('--from and --to are required');
  // performance.now() counts from the process's start: the whole run, as a user waits for it.
  const commandStart = performance.now();
  const verifyTimeout = checkedVerifyTimeout(values);
  const waitSeconds = lockWait(values);
  const config = loadConfig(values, io);
  const token = readToken(values, io);
  const dryRun = command === 'plan' || Boolean(values['dry-run']);
  const log = progressLogger(io);
  // Only a promotion that writes has something to undo when it is interrupted.
  const cancellation = dryRun ? undefined : cliCancellation(io, command, () => log.stop());
  const engine = createEngine({ config, token, logger: log, signal: cancellation?.hardStop });
  try {
    const makePlan = () =>
      engine.plan({
        from: values.from as string,
        to: values.to as string,
        services: values.service as string[] | undefined,
        expectVersion: values.version as string | undefined,
        newVersion: values['new-version'] as string | undefined,
        verify: !values['no-verify'],
        ...policyOptions(values),
      });
    const plan = await makePlan();
    const planned = performance.now();
    const started = Date.now();
    // Under a lock the plan is made again: the target may have changed while we waited.
    const apply = async () =>
      engine.apply(values.lock && !dryRun ? await makePlan() : plan, {
        dryRun,
        verify: !values['no-verify'],
        rollbackOnFailure: !values['no-rollback'],
        atomic: values.atomic ? true : values['no-atomic'] ? false : undefined,
        verifyTimeoutMs: verifyTimeout,
        signal: cancellation?.signal,
        onProgress: (e) => {
          cancellation?.track(e);
          log.track(e);
        },
      });
    // Plans and dry runs change nothing, so they need no lock.
    const locked = dryRun
      ? { ran: true as const, value: await apply() }
      : await withLock(
          values,
          plan.to.environment,
          `promote ${plan.from.environment} → ${plan.to.environment}`,
          io,
          apply,
          waitSeconds,
          (result) => sessionOutcome(result, cancellation?.interruptedBy),
        );
    const applied = locked.ran ? locked.value : refusedResult(plan, 'lock-held', locked.message, started);
    const now = performance.now();
    const result = {
      ...applied,
      durationMs: Math.round(now),
      phases: {
        startupMs: Math.round(commandStart),
        planMs: Math.round(planned - commandStart),
        applyMs: Math.round(now - planned),
      },
    };
    log.stop();
    printResult(io, Boolean(values.json), result, () =>
      [...failuresFirst([result]), resultText(result), ...policyText(result)].join('\n'),
    );
    // After the result is out: a slow webhook never delays or changes what the user sees.
    await notifyFromCli(config, result, io);
    return cancellation?.interruptedBy ? EXIT_INTERRUPTED : exitForResult(result);
  } finally {
    cancellation?.dispose();
    log.stop();
    await engine.close();
  }
}

/** Several targets (`--to eu,us` or `--to @tag`): see fanout.ts. */
async function fanoutFromCli(command: 'plan' | 'sync', values: Values, io: Io): Promise<number> {
  const verifyTimeout = checkedVerifyTimeout(values);
  const config = loadConfig(values, io);
  const log = progressLogger(io);
  const dryRun = command === 'plan' || Boolean(values['dry-run']);
  const cancellation = dryRun ? undefined : cliCancellation(io, command, () => log.stop());
  const engine = createEngine({
    config,
    token: readToken(values, io),
    logger: log,
    signal: cancellation?.hardStop,
  });
  try {
    const deps = {
      config,
      engine,
      verifyTimeoutMs: verifyTimeout,
      lockWaitSeconds: lockWait(values),
      cancellation,
      onProgress: (e: ApplyProgress) => {
        cancellation?.track(e);
        log.track(e);
      },
    };
    // Loaded only for a fan-out: a single promotion does not pay for it at start-up.
    const { fanoutCommand } = await import('./fanout.js');
    return await fanoutCommand(command, values, io, deps, () => log.stop());
  } finally {
    cancellation?.dispose();
    log.stop();
    await engine.close();
  }
}

/** The flags both a single promotion and a fan-out check the same way; the verify timeout. */
function checkedVerifyTimeout(values: Values): number | undefined {
  if (values.atomic && values['no-atomic']) throw usage('--atomic and --no-atomic contradict each other');
  const raw = values['verify-timeout'];
  const ms = raw === undefined ? undefined : Number(raw);
  if (ms !== undefined && !(Number.isInteger(ms) && ms > 0))
    throw usage(`--verify-timeout takes milliseconds, such as 10000, not "${String(raw)}"`);
  return ms;
}

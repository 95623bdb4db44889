/**
 * `api7-sync plan` and `api7-sync sync`: promote the running version from one group to another,
 * or to several (`--to eu,us,ap`, `--to @production`), through the one promotion run
 * (github/promotion.ts). This file only translates flags into it and its result into text or JSON
 * and an exit code.
 */
import {
  createEngine,
  isFanout,
  policyText,
  resolveWaves,
  resultText,
  type SyncResult,
} from '../../engine/index.js';
import { runPromotion, type PromotionRun } from '../../github/promotion.js';
import { cliCancellation } from '../cancel.js';
import { loadConfig, readToken, usage, type Values } from '../context.js';
import { exitForResult } from '../exit.js';
import type { Io } from '../io.js';
import { lockSessionsFor, lockWait } from '../locking.js';
import { notifyFromCli } from '../notify.js';
import { failuresFirst, printResult } from '../output.js';
import { progressLogger } from '../progress.js';
import { policyOptions } from './policy-flags.js';

export async function promoteCommand(command: 'plan' | 'sync', values: Values, io: Io): Promise<number> {
  const to = typeof values.to === 'string' ? values.to : undefined;
  // A fan-out may leave the source to each target's only `promoteFrom`.
  if (!to || (!values.from && !isFanout(to))) throw usage('--from and --to are required');
  // performance.now() counts from the process's start: the whole run, as a user waits for it.
  const commandStart = performance.now();
  const verifyTimeoutMs = checkedVerifyTimeout(values);
  const waitSeconds = lockWait(values);
  const config = loadConfig(values, io);
  const token = readToken(values, io);
  const dryRun = command === 'plan' || Boolean(values['dry-run']);
  const targets = resolveWaves(config, to).flat();
  const from = values.from as string | undefined;
  const reason = `promote ${from ? `${from} → ` : 'to '}${targets.join(', ')}`;
  // Plans and dry runs change nothing, so they need no lock.
  const sessions = dryRun ? undefined : await lockSessionsFor(values, targets, reason, io, waitSeconds);
  const log = progressLogger(io);
  // Only a promotion that writes has something to undo when it is interrupted.
  const cancellation = dryRun ? undefined : cliCancellation(io, command, () => log.stop());
  const engine = createEngine({ config, token, logger: log, signal: cancellation?.hardStop });
  try {
    const verify = !values['no-verify'];
    const run = await runPromotion({
      to,
      engine,
      config,
      request: {
        from,
        services: values.service as string[] | undefined,
        expectVersion: values.version as string | undefined,
        newVersion: values['new-version'] as string | undefined,
        verify,
        ...policyOptions(values),
      },
      apply: {
        dryRun,
        verify,
        rollbackOnFailure: !values['no-rollback'],
        atomic: atomicFlag(values, isFanout(to)),
        verifyTimeoutMs,
      },
      sessions,
      cancellation,
      onProgress: (event) => log.track(event),
      log: (line) => io.stderr(line),
      notify: (target) => notifyFromCli(config, target, io),
    });
    log.stop();
    for (const [environment, why] of run.lostLocks)
      io.stderr(`error: the promotion into "${environment}" stopped before its next write: ${why}`);
    printRun(io, Boolean(values.json), run, commandStart);
    // After the result is out: a slow webhook never delays or changes what the user sees.
    await run.announce();
    return exitForResult(run.result, run.interruptedBy);
  } finally {
    cancellation?.dispose();
    log.stop();
    await engine.close();
  }
}

/**
 * One target prints a single promotion's document, with the phases of the whole command;
 * several print the multi-target document. Results on stdout: `plan --to eu,us > plan.txt` holds
 * the plan.
 */
function printRun(io: Io, json: boolean, run: PromotionRun, commandStart: number): void {
  const now = performance.now();
  const single: SyncResult | undefined = run.single
    ? {
        ...run.result.targets[0]!,
        durationMs: Math.round(now),
        phases: {
          startupMs: Math.round(commandStart),
          planMs: Math.round(run.plannedAt - commandStart),
          applyMs: Math.round(now - run.plannedAt),
        },
      }
    : undefined;
  const targets = single ? [single] : run.result.targets;
  printResult(io, json, single ?? run.result, () =>
    [...failuresFirst(targets), ...targets.map((t) => [resultText(t), ...policyText(t)].join('\n'))].join(
      '\n',
    ),
  );
}

/**
 * `--atomic` / `--no-atomic`. Across targets the default is not atomic, whatever the number of
 * services; for one target the engine decides (all-or-none when more than one service is named).
 */
function atomicFlag(values: Values, fanout: boolean): boolean | undefined {
  if (fanout) return values.atomic === true;
  return values.atomic ? true : values['no-atomic'] ? false : undefined;
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

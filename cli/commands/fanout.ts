/**
 * `plan`/`sync --to eu,us,ap` or `--to @production`: the fan-out (engine/fanout.ts) from the
 * command line. With `--lock`, one lock per environment, taken in sorted order, so that two
 * fan-outs over overlapping environments can never hold one lock each and wait for the other.
 */
import {
  fanOut,
  isFailure,
  lockOrder,
  notRun,
  policyText,
  resolveWaves,
  resultText,
  type Config,
  type Engine,
  type FanoutRequest,
  type FanoutResult,
  type SyncResult,
  type ApplyProgress,
  SyncError,
} from '../../engine/index.js';
import { EXIT_INTERRUPTED, sessionOutcome, type Cancellation } from '../../github/promotion.js';
import type { Io } from '../io.js';
import type { LockOutcome, RecordOutcome } from '../lock.js';
import { withLock } from '../locking.js';
import { notifyFromCli } from '../notify.js';
import { failuresFirst } from '../output.js';
import { policyOptions, PolicyUsageError } from './policy-flags.js';

type Values = Record<string, string | boolean | string[] | undefined>;

export interface FanoutDeps {
  config: Config;
  engine: Engine;
  verifyTimeoutMs?: number;
  lockWaitSeconds: number;
  /** SIGINT/SIGTERM while writing (github/promotion.ts); absent for plans. */
  cancellation?: Cancellation;
  /** Each service's steps, for the progress line and for what a hard stop leaves. */
  onProgress?: (event: ApplyProgress) => void;
}

/** Runs `fn` holding the lock of every environment, taken one by one in the order given. */
async function withLocks<T>(
  values: Values,
  environments: string[],
  reason: string,
  io: Io,
  fn: () => Promise<T>,
  waitSeconds: number,
  /** How each environment's session records the result. */
  outcome: (environment: string, value: T) => ReturnType<RecordOutcome<T>>,
): Promise<LockOutcome<T>> {
  const [first, ...rest] = environments;
  if (first === undefined) return { ran: true, value: await fn() };
  const outer = await withLock(
    values,
    first,
    reason,
    io,
    () => withLocks(values, rest, reason, io, fn, waitSeconds, outcome),
    waitSeconds,
    (inner) =>
      inner.ran ? outcome(first, inner.value) : { state: 'error', description: `not run: ${inner.message}` },
  );
  return outer.ran ? outer.value : outer;
}

/** 1 when anything failed or a promotion was rolled back, 2 when anything was refused, else 0. */
export function fanoutExit(result: FanoutResult): number {
  const services = result.targets.flatMap((t) => t.services);
  if (services.some(isFailure)) return 1;
  if (services.some((s) => s.action === 'refused')) return 2;
  return 0;
}

export async function fanoutCommand(
  command: 'plan' | 'sync',
  values: Values,
  io: Io,
  deps: FanoutDeps,
  /** Ends the live progress line before the result is printed. */
  progressDone: () => void = () => {},
): Promise<number> {
  const { config, engine } = deps;
  const to = values.to as string;
  let waves: string[][];
  try {
    waves = resolveWaves(config, to);
  } catch (err) {
    if (err instanceof SyncError) throw new PolicyUsageError(err.message);
    throw err;
  }
  const dryRun = command === 'plan' || values['dry-run'] === true;
  const req: FanoutRequest = {
    from: values.from as string | undefined,
    to,
    services: values.service as string[] | undefined,
    expectVersion: values.version as string | undefined,
    newVersion: values['new-version'] as string | undefined,
    verify: !values['no-verify'],
    ...policyOptions(values),
  };
  const run = () =>
    fanOut(
      engine,
      config,
      req,
      {
        dryRun,
        verify: !values['no-verify'],
        rollbackOnFailure: !values['no-rollback'],
        // Across targets the default is not atomic, whatever the number of services.
        atomic: values.atomic === true,
        verifyTimeoutMs: deps.verifyTimeoutMs,
        signal: deps.cancellation?.signal,
        onProgress: deps.onProgress,
      },
      (line) => io.stderr(line),
    );
  const slug = values.lock as string | undefined;
  const started = Date.now();
  let result: FanoutResult;
  if (slug && !dryRun) {
    const locked = await withLocks(
      values,
      lockOrder(waves),
      `promote to ${waves.flat().join(', ')}`,
      io,
      run,
      deps.lockWaitSeconds,
      (environment, done) =>
        sessionOutcome(
          done.targets.find((t) => t.to.environment === environment),
          deps.cancellation?.interruptedBy,
        ),
    );
    result = locked.ran
      ? locked.value
      : {
          schemaVersion: 1,
          targets: waves.flat().map((t) => notRun(config, req, t, 'lock-held', locked.message)),
          ok: false,
          durationMs: Date.now() - started,
        };
  } else {
    result = await run();
  }
  progressDone();
  // Results on stdout, like a single promotion's: `plan --to eu,us > plan.txt` holds the plan.
  if (values.json) io.stdout(JSON.stringify(result, null, 2));
  else
    io.stdout(
      [
        ...failuresFirst(result.targets),
        ...result.targets.map((t: SyncResult) => [resultText(t), ...policyText(t)].join('\n')),
      ].join('\n'),
    );
  for (const target of result.targets) await notifyFromCli(config, target, io);
  return deps.cancellation?.interruptedBy ? EXIT_INTERRUPTED : fanoutExit(result);
}

/**
 * Moving services into the target: publish batches sent concurrently (the transport keeps within
 * the concurrency budget), and each service carried on as soon as its own write lands: its
 * runtime configuration set, then verified through the gateway, while other batches are in flight.
 */
import { setMaxListeners } from 'node:events';
import { targetRuntime, syncItem } from '../publish-items.js';
import { verifyFailure, verifyProbes } from '../verify.js';
import { converge } from './converge.js';
import { chunks, matchesRuntime, runtimeBody } from './decide.js';
import { isInterrupted, report, stopBefore } from './interrupt.js';
import { someOf } from './words.js';
import { observeGroup } from './observe.js';
import { startEarlyReadBack } from './read-back.js';
import type { Run, Work } from './work.js';
import { messageOf } from '../errors.js';

export async function promote(run: Run, works: Work[]): Promise<void> {
  const live = works.filter((w) => !w.failed && w.versionId);
  const toPublish = live.filter((w) => w.versionId !== w.entry.targetVersionId);
  // Already at the version: only a runtime repair or a re-enable, no publish.
  const inPlace = live.filter((w) => w.versionId === w.entry.targetVersionId);
  // Once every service's writes have settled, only verifications are left: read the group back
  // meanwhile (read-back.ts decides whether that read still tells the truth at the end).
  let unsettled = live.length;
  const settled: Settled = () => {
    if (--unsettled === 0) startEarlyReadBack(run);
  };
  await Promise.all([
    ...chunks(toPublish, run.batchSize).map((batch) => publishBatch(run, batch, settled)),
    ...inPlace.map((w) => finish(run, w, settled)),
  ]);
}

/** Called once per service when its writes are over, landed or not. */
type Settled = () => void;

async function publishBatch(run: Run, batch: Work[], settled: Settled): Promise<void> {
  const { client, generation, log } = run.ctx;
  if (isInterrupted(run)) {
    batch.forEach(settled);
    return stopBefore(batch, 'written');
  }
  log(
    `syncing ${someOf(batch.map((w) => `"${w.entry.name}" ${w.entry.version}`))} into "${run.plan.to.group!.name}"`,
  );
  for (const w of batch) w.touched = true;
  const { failed, error } = await converge<Work>({
    what: `sync into "${run.plan.to.group!.name}"`,
    items: batch,
    send: (items) =>
      client.publish(
        run.targetId,
        false,
        items.map((w) => syncItem(w.entry, generation, w.versionId!)),
      ),
    landed: async (items) => {
      const view = await observeGroup(client, run.targetId, log);
      return view && items.filter((w) => view.get(w.entry.templateId!)?.running === w.versionId);
    },
    // Applying the same snapshot again changes nothing more: safe to re-send.
    resendBlind: true,
    attempts: run.attempts,
    log,
  });
  for (const w of failed) {
    w.failed = {
      reason: 'publish-failed',
      message: `sync of "${w.entry.name}" failed: ${messageOf(error)}`,
    };
    report(run, { step: 'failed', service: w.entry.name, reason: w.failed.reason });
    settled();
  }
  await Promise.all(batch.filter((w) => !w.failed).map((w) => finish(run, w, settled)));
}

/** A service whose publish has landed: its runtime configuration and enable, then verification. */
async function finish(run: Run, w: Work, settled: Settled): Promise<void> {
  const configured = await configure(run, w);
  settled();
  if (!configured) return;
  report(run, { step: 'synced', service: w.entry.name });
  await verify(run, w);
}

/** The runtime configuration and enable of a service (none to send on the legacy generation). */
async function configure(run: Run, w: Work): Promise<boolean> {
  const { client, generation, log } = run.ctx;
  const body = runtimeBody(w.entry, w.versionId, generation);
  if (body && isInterrupted(run)) {
    stopBefore([w], 'configured');
    return false;
  }
  if (body) {
    w.touched = true;
    const { failed, error } = await converge<Work>({
      what: `runtime configuration of "${w.entry.name}"`,
      items: [w],
      send: () => client.setRuntimeConfiguration(run.targetId, w.entry.templateId!, body),
      landed: async (items) => {
        const view = await observeGroup(client, run.targetId, log);
        const o = view?.get(w.entry.templateId!);
        return view && (o && matchesRuntime(o.service, body) ? items : []);
      },
      resendBlind: true,
      attempts: run.attempts,
      log,
    });
    if (failed.length) {
      w.failed = {
        reason: 'runtime-failed',
        message: `setting the runtime configuration of "${w.entry.name}" failed: ${messageOf(error)}`,
      };
      report(run, { step: 'failed', service: w.entry.name, reason: w.failed.reason });
      return false;
    }
  }
  return true;
}

async function verify(run: Run, w: Work): Promise<void> {
  const gatewayUrl = run.plan.to.gatewayUrl;
  if (!run.probes || !gatewayUrl || w.entry.probes.length === 0) return;
  const runtime = targetRuntime(w.entry);
  const timeoutMs = run.options.verifyTimeoutMs ?? 10_000;
  if (!run.verified.started) {
    run.verified.started = true;
    run.ctx.log(
      `verifying each service through ${gatewayUrl} as its write lands (each probe's status twice in a row, at most ${timeoutMs / 1000} s per service)`,
    );
  }
  w.verify = await verifyProbes(w.entry.probes, {
    gatewayUrl,
    host: runtime.hosts?.[0],
    timeoutMs,
    confirmMs: run.options.confirmMs,
    signal: cancelled(run),
    dispatcher: run.probes,
  });
  // Cut short by the interrupt: not a failed verification, an unfinished one.
  if (isInterrupted(run) && w.verify.some((p) => !p.ok)) return stopBefore([w], 'verified');
  if (w.verify.some((p) => !p.ok)) {
    run.verified.failed++;
    w.failed = { reason: 'verify-failed', message: verifyFailure(w.verify, gatewayUrl, runtime.path_prefix) };
    report(run, { step: 'failed', service: w.entry.name, reason: w.failed.reason });
  } else {
    run.verified.passed++;
    report(run, { step: 'verified', service: w.entry.name });
  }
}

const probeSignals = new WeakMap<Run, AbortSignal>();

/**
 * Probing stops on either signal: the engine's own, or this apply's cancellation. One signal per
 * apply, which every service's verification listens to (hundreds at once: no listener limit).
 */
function cancelled(run: Run): AbortSignal | undefined {
  const signals = [run.ctx.signal, run.options.signal].filter((s): s is AbortSignal => s !== undefined);
  if (signals.length === 0) return undefined;
  let signal = probeSignals.get(run);
  if (!signal) {
    signal = AbortSignal.any(signals);
    setMaxListeners(0, signal);
    probeSignals.set(run, signal);
  }
  return signal;
}

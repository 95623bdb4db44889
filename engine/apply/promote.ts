/**
 * Moving services into the target: publish batches sent concurrently (the transport keeps within
 * the concurrency budget), and each service carried on as soon as its own write lands: its
 * runtime configuration set, then verified through the gateway, while other batches are in flight.
 */
import { targetRuntime, syncItem } from '../publish-items.js';
import { verifyFailure, verifyProbes } from '../verify.js';
import { converge, describeError } from './converge.js';
import { chunks, matchesRuntime, runtimeBody } from './decide.js';
import { observeGroup } from './observe.js';
import type { Run, Work } from './work.js';

export async function promote(run: Run, works: Work[]): Promise<void> {
  const live = works.filter((w) => !w.failed && w.versionId);
  const toPublish = live.filter((w) => w.versionId !== w.entry.targetVersionId);
  // Already at the version: only a runtime repair or a re-enable, no publish.
  const inPlace = live.filter((w) => w.versionId === w.entry.targetVersionId);
  await Promise.all([
    ...chunks(toPublish, run.batchSize).map((batch) => publishBatch(run, batch)),
    ...inPlace.map((w) => finish(run, w)),
  ]);
}

async function publishBatch(run: Run, batch: Work[]): Promise<void> {
  const { client, generation, log } = run.ctx;
  log(
    `syncing ${batch.map((w) => `"${w.entry.name}" ${w.entry.version}`).join(', ')} into "${run.plan.to.group!.name}"`,
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
  for (const w of failed)
    w.failed = {
      reason: 'publish-failed',
      message: `sync of "${w.entry.name}" failed: ${describeError(error)}`,
    };
  await Promise.all(batch.filter((w) => !w.failed).map((w) => finish(run, w)));
}

/** A service whose publish has landed: its runtime configuration and enable, then verification. */
async function finish(run: Run, w: Work): Promise<void> {
  const { client, generation, log } = run.ctx;
  const body = runtimeBody(w.entry, w.versionId, generation);
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
        message: `setting the runtime configuration of "${w.entry.name}" failed: ${describeError(error)}`,
      };
      return;
    }
  }
  await verify(run, w);
}

async function verify(run: Run, w: Work): Promise<void> {
  const gatewayUrl = run.plan.to.gatewayUrl;
  if (!run.probes || !gatewayUrl || w.entry.probes.length === 0) return;
  const runtime = targetRuntime(w.entry);
  w.verify = await verifyProbes(w.entry.probes, {
    gatewayUrl,
    host: runtime.hosts?.[0],
    timeoutMs: run.options.verifyTimeoutMs ?? 10_000,
    confirmMs: run.options.confirmMs,
    signal: run.ctx.signal,
    dispatcher: run.probes,
  });
  if (w.verify.some((p) => !p.ok))
    w.failed = { reason: 'verify-failed', message: verifyFailure(w.verify, gatewayUrl, runtime.path_prefix) };
}

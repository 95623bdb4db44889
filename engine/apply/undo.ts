/**
 * Undoing a promotion that failed: each service back on its previous version and runtime
 * configuration, and a first-time sync removed from the target (left disabled when the control
 * plane refuses the removal). What really happened is read back afterwards by `outcome`.
 */
import { Api7Error } from '../api7/client.js';
import { rollbackItem } from '../publish-items.js';
import { converge } from './converge.js';
import { chunks, matchesRuntime, restoreBody } from './decide.js';
import { observeGroup } from './observe.js';
import { someOf } from './words.js';
import type { Run, Work } from './work.js';

export async function rollBack(run: Run, victims: Work[]): Promise<void> {
  if (victims.length === 0) return;
  run.ctx.log(`rolling back ${someOf(victims.map((w) => `"${w.entry.name}"`))}`);
  const versioned = victims.filter((w) => w.entry.target && w.entry.targetVersionId);
  const firstTime = victims.filter((w) => !w.entry.target);
  await Promise.all([
    ...chunks(versioned, run.batchSize).map((batch) => restoreBatch(run, batch)),
    removeFirstSyncs(run, firstTime),
  ]);
  for (const w of victims) w.rolledBack = true;
}

/**
 * The previous version (one publish per batch), then the previous runtime configuration, only for
 * the services whose previous version is back: a runtime configuration belongs to its version, and
 * the new version on the old upstream is a combination nobody configured or verified.
 */
async function restoreBatch(run: Run, batch: Work[]): Promise<void> {
  const { client, generation, log } = run.ctx;
  const { failed } = await converge<Work>({
    what: 'rollback',
    items: batch,
    send: (items) =>
      client.publish(
        run.targetId,
        false,
        items.map((w) => rollbackItem(w.entry.target!, w.entry.targetVersionId!, generation)),
      ),
    landed: async (items) => {
      const view = await observeGroup(client, run.targetId, log);
      return view && items.filter((w) => view.get(w.entry.templateId!)?.running === w.entry.targetVersionId);
    },
    resendBlind: true,
    attempts: run.attempts,
    log,
  });
  if (failed.length > 0)
    log(
      `${failed.map((w) => `"${w.entry.name}"`).join(', ')}: the previous version could not be published again, so the runtime configuration is left as it is`,
    );
  await Promise.all(batch.filter((w) => !failed.includes(w)).map((w) => restoreRuntime(run, w)));
}

async function restoreRuntime(run: Run, w: Work): Promise<void> {
  const { client, log } = run.ctx;
  const body = restoreBody(w.entry.target!);
  await converge<Work>({
    what: `restoring the runtime configuration of "${w.entry.name}"`,
    items: [w],
    send: () => client.setRuntimeConfiguration(run.targetId, w.entry.templateId!, body),
    landed: async (items) => {
      const view = await observeGroup(client, run.targetId, log);
      const o = view?.get(w.entry.templateId!);
      return view && (!o || matchesRuntime(o.service, body) ? items : []);
    },
    resendBlind: true,
    attempts: run.attempts,
    log,
  });
}

/** A first sync that failed leaves nothing behind: remove it; if refused, at least disable it. */
async function removeFirstSyncs(run: Run, works: Work[]): Promise<void> {
  if (works.length === 0) return;
  const { client, log } = run.ctx;
  const view = await observeGroup(client, run.targetId, log);
  await Promise.all(
    works.map(async (w) => {
      const published = view?.get(w.entry.templateId!)?.service;
      if (view && !published) return;
      const removed = published
        ? await converge<Work>({
            what: `removing "${w.entry.name}" from the target`,
            items: [w],
            send: async () => {
              try {
                await client.deletePublishedService(run.targetId, published, run.ctx.generation);
              } catch (err) {
                // Already gone (an earlier attempt whose answer was lost): that is what we wanted.
                if (!(err instanceof Api7Error && err.status === 404)) throw err;
              }
            },
            landed: async (items) => {
              const now = await observeGroup(client, run.targetId, log);
              return now && (now.has(w.entry.templateId!) ? [] : items);
            },
            resendBlind: true,
            attempts: run.attempts,
            log,
          })
        : { failed: [w] };
      if (removed.failed.length === 0) return;
      log(`"${w.entry.name}" could not be removed from the target; disabling it instead`);
      await converge<Work>({
        what: `disabling "${w.entry.name}"`,
        items: [w],
        send: () => client.setRuntimeConfiguration(run.targetId, w.entry.templateId!, { status: 0 }),
        landed: async (items) => {
          const now = await observeGroup(client, run.targetId, log);
          const o = now?.get(w.entry.templateId!);
          return now && (!o || o.service.status === 0 ? items : []);
        },
        resendBlind: true,
        attempts: run.attempts,
        log,
      });
    }),
  );
}

/**
 * Labelling "No Version" sources: publish each one's live configuration as a new version in the
 * source group, then check the new versions' routes against the target before they go there.
 */
import type { PublishItem } from '../api7/client.js';
import { labelItem, syncItem } from '../publish-items.js';
import { conflictMessage, routeConflicts } from '../routes.js';
import { converge } from './converge.js';
import { chunks } from './decide.js';
import { observeGroup } from './observe.js';
import { someOf } from './words.js';
import type { Run, Work } from './work.js';
import { messageOf } from '../errors.js';

export async function labelSources(run: Run, works: Work[]): Promise<void> {
  const toLabel = works.filter((w) => !w.failed && w.entry.newVersionLabel);
  await Promise.all(chunks(toLabel, run.batchSize).map((batch) => labelBatch(run, batch)));
}

async function labelBatch(run: Run, batch: Work[]): Promise<void> {
  const { client, generation, log } = run.ctx;
  log(
    `labelling ${someOf(batch.map((w) => `"${w.entry.name}" as ${w.entry.newVersionLabel}`))} in the source group`,
  );
  const labelled = async (items: Work[]) => {
    const view = await observeGroup(client, run.sourceId, log);
    if (!view) return undefined;
    return items.filter((w) => {
      const o = view.get(w.entry.templateId!);
      const done = o?.service.version === w.entry.newVersionLabel;
      if (done) w.versionId = o!.running;
      return done;
    });
  };
  // Minting a version twice must never happen: a failed label is re-sent only when reading back
  // proves it did not land.
  const { failed, error } = await converge<Work>({
    what: 'labelling in the source group',
    items: batch,
    send: (items) =>
      client.publish(
        run.sourceId,
        true,
        items.map((w) => labelItem(w.entry, generation)),
      ),
    landed: labelled,
    resendBlind: false,
    attempts: run.attempts,
    log,
  });
  if (failed.length === 0) await labelled(batch);
  for (const w of failed)
    w.failed = {
      reason: 'publish-failed',
      message: `could not label "${w.entry.name}" as ${w.entry.newVersionLabel} in the source group: ${messageOf(error)}`,
    };
  for (const w of batch)
    if (!w.failed && !w.versionId)
      w.failed = {
        reason: 'publish-failed',
        message: `"${w.entry.name}" was labelled ${w.entry.newVersionLabel} in the source group, but its new version could not be read back`,
      };
}

/**
 * The routes of freshly labelled versions, checked against the target group before anything is
 * written there (the plan could only check them against the source's live configuration).
 * Returns the works whose routes collide, each marked refused.
 */
export async function refuseLabelledConflicts(run: Run, works: Work[]): Promise<Work[]> {
  const labelled = works.filter((w) => !w.failed && w.entry.newVersionLabel && w.versionId);
  if (labelled.length === 0) return [];
  const items: PublishItem[] = labelled.map((w) => syncItem(w.entry, run.ctx.generation, w.versionId!));
  const conflicts = await routeConflicts(run.ctx.client, run.targetId, items);
  const refused: Work[] = [];
  for (const w of labelled) {
    const conflict = conflicts.get(w.entry.templateId!);
    if (!conflict) continue;
    w.failed = {
      reason: 'route-conflict',
      message: `${conflictMessage(w.entry.name, conflict)}; it was labelled ${w.entry.newVersionLabel} in the source group, and nothing was written to the target`,
    };
    refused.push(w);
  }
  return refused;
}

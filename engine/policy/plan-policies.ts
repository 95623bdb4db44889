/**
 * The promotion policies a plan must pass (DESIGN §12), applied to a plan the planner made:
 * windows, the drift guard, soak, then the route diff of what will move. Everything here reads;
 * nothing writes. A refusal turns the entry into `refused` with its reason, like any other.
 */
import { hasVersion, type Api7Client } from '../api7/client.js';
import {
  groupRoutes,
  liveRoutes,
  versionRoutes,
  type Api7Route,
  type GroupRouteReads,
} from '../api7/routes.js';
import type { Config } from '../config/types.js';
import type { Plan, PlanEntry, Reason } from '../model.js';
import { formatDuration, parseDuration } from './duration.js';
import { describeRouteDiff, diffRoutes, isEmptyDiff } from './route-diff.js';
import { checkWindows } from './windows.js';
import { messageOf, SyncError } from '../errors.js';

/** What a caller may add to a plan request for the policies. */
export interface PolicyOptions {
  /** Overwrite a target edited by hand in its group ("No Version"). */
  force?: boolean;
  /** Promote outside the environment's windows; the reason is recorded in the result. */
  breakGlass?: string;
  /**
   * How the caller's door breaks glass, named when a window refuses: the CLI's
   * `--break-glass REASON` (the default), the Action's `break-glass` input, the chat-ops option.
   */
  breakGlassHow?: string;
  /** Compute the route diff of each entry that will sync (default true). */
  routeDiff?: boolean;
}

export interface PolicyContext {
  client: Api7Client;
  config: Config;
  now: () => number;
  log: (line: string) => void;
  /** The groups' routes, already being read by the planner. */
  routes?: GroupRouteReads;
}

const refuse = (entry: PlanEntry, reason: Reason, message: string) =>
  Object.assign(entry, { decision: 'refused', reason, message });

export async function applyPolicies(plan: Plan, options: PolicyOptions, ctx: PolicyContext): Promise<Plan> {
  const target = ctx.config.environments[plan.to.environment];
  if (!target || !plan.from.group || !plan.to.group) return plan;
  const live = () => plan.entries.filter((e) => e.decision !== 'refused');

  const windows = target.protection?.windows;
  const reason = options.breakGlass?.trim();
  // Recorded whenever given, window or not: the deployment says that someone chose to break glass.
  if (reason) plan.breakGlass = { reason, overrode: false };
  if (windows) {
    const verdict = checkWindows(windows, ctx.now());
    if (!verdict.open && reason) {
      plan.breakGlass = { reason, overrode: true };
      ctx.log(
        `breaking glass: outside the windows of "${plan.to.environment}" (${verdict.localTime}): ${reason}`,
      );
    } else if (!verdict.open) {
      // Windows gate writes only: a plan, a dry run and a service that would not change are told.
      const message = `"${plan.to.environment}" takes promotions only ${verdict.allowed.join(', ')} (${windows.timezone}); it is ${verdict.localTime}. Wait for a window, or override with ${options.breakGlassHow ?? '--break-glass REASON'}`;
      plan.closedWindow = message;
      for (const entry of live().filter((e) => e.decision === 'sync'))
        entry.warnings = [
          ...(entry.warnings ?? []),
          `outside the promotion windows, a sync would be refused: ${message}`,
        ];
    }
  }

  const moving = () => live().filter((e) => e.decision === 'sync');
  await Promise.all(moving().map((e) => guardEdited(e, plan, options, ctx)));
  // Own keys only: an environment may be named like an Object method (toString, constructor).
  const soak =
    target.soak && Object.hasOwn(target.soak, plan.from.environment)
      ? target.soak[plan.from.environment]
      : undefined;
  if (soak !== undefined) await Promise.all(moving().map((e) => checkSoak(e, plan, soak, ctx)));
  if (options.routeDiff !== false) await addRouteDiffs(moving(), plan, ctx);
  return plan;
}

/** The routes a target runs now: its snapshot's, or the live ones of a hand-edited copy. */
function targetRoutes(entry: PlanEntry, plan: Plan, client: Api7Client): Promise<Api7Route[]> {
  if (!entry.target) return Promise.resolve([]);
  return entry.targetVersionId
    ? versionRoutes(client, entry.targetVersionId)
    : liveRoutes(client, plan.to.group!.id, entry.target.id);
}

/** The routes the target will run: the source's snapshot, or its live routes about to be labelled. */
function incomingRoutes(entry: PlanEntry, plan: Plan, client: Api7Client): Promise<Api7Route[]> {
  return entry.sourceVersionId
    ? versionRoutes(client, entry.sourceVersionId)
    : liveRoutes(client, plan.from.group!.id, entry.source!.id);
}

/**
 * Drift guard: a target in the "No Version" state was edited by hand in its group, and a sync
 * would silently replace those edits. Refused unless forced; the message says what would be lost.
 */
async function guardEdited(entry: PlanEntry, plan: Plan, options: PolicyOptions, ctx: PolicyContext) {
  const t = entry.target;
  if (!t || hasVersion(t) || options.force) return;
  let lost: string;
  try {
    const [before, after] = await Promise.all([
      targetRoutes(entry, plan, ctx.client),
      incomingRoutes(entry, plan, ctx.client),
    ]);
    const diff = diffRoutes(before, after);
    // Kept on the refused entry too: the doors can show what --force would change.
    entry.routes = diff;
    const parts = [
      ...diff.removed.map((n) => `route "${n}" exists only in the group and would be removed`),
      ...diff.added.map((n) => `route "${n}" would be added`),
      ...diff.changed.map((c) => `route "${c.name}" differs in ${c.fields.join(', ')}`),
      ...(entry.drift.length
        ? [`runtime keys set by the config would replace ${entry.drift.join(', ')}`]
        : []),
    ];
    lost =
      isEmptyDiff(diff) && parts.length === 0 ? 'its routes match the incoming version' : parts.join('; ');
  } catch (err) {
    lost = `what differs could not be read (${messageOf(err)})`;
  }
  refuse(
    entry,
    'target-edited',
    `"${entry.name}" was edited by hand in "${plan.to.group!.name}" (API7 shows it as "No Version"); syncing ${entry.version ?? 'the incoming version'} would overwrite it: ${lost}. Keep the edits by publishing them as a version, or overwrite with --force`,
  );
}

/** Soak: the source version must have run in the source group for `soak` before it moves on. */
async function checkSoak(entry: PlanEntry, plan: Plan, soak: string, ctx: PolicyContext) {
  const soakMs = parseDuration(soak);
  // The schema checks soak; a config built in code (the bot's, a test's) may skip it.
  if (soakMs === undefined)
    throw new SyncError(
      'config',
      `environments.${plan.to.environment}.promoteFrom: soak "${soak}" is not a duration; write a duration such as 30s, 5m, 1h or 1h30m`,
    );
  const from = `"${plan.from.environment}"`;
  if (!entry.sourceVersionId) {
    refuse(
      entry,
      'soak-not-met',
      `"${entry.name}" runs no version in ${from} yet; a version must run there for ${formatDuration(soakMs)} before it moves to "${plan.to.environment}"`,
    );
    return;
  }
  const history = await ctx.client.versionHistory(plan.from.group!.id, entry.templateId!);
  const since = history
    .filter((h) => h.id === entry.sourceVersionId && h.publish_time)
    .map((h) => Date.parse(h.publish_time!))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => b - a)[0];
  if (since === undefined) {
    refuse(
      entry,
      'soak-not-met',
      `the version history of "${entry.name}" in ${from} does not say when ${entry.version} started running there, so its soak of ${formatDuration(soakMs)} cannot be checked`,
    );
    return;
  }
  const left = since + soakMs - ctx.now();
  if (left > 0) {
    refuse(
      entry,
      'soak-not-met',
      `${entry.version} of "${entry.name}" has run in ${from} for ${formatDuration(Math.floor((soakMs - left) / 1000) * 1000)} of the ${formatDuration(soakMs)} it must soak there; ${formatDuration(left)} left`,
    );
  }
}

/**
 * The route diffs of the entries that will sync. On the modern generation the routes of both
 * groups are read in a few paged lists (`groupRoutes`), whatever the number of services; on the
 * legacy one, one read per snapshot. A diff that cannot be read is logged, never fatal.
 */
async function addRouteDiffs(entries: PlanEntry[], plan: Plan, ctx: PolicyContext) {
  const moving = entries.filter((e) => {
    if (e.targetVersionId && e.targetVersionId === e.sourceVersionId) {
      e.routes = { added: [], removed: [], changed: [] };
      return false;
    }
    return true;
  });
  if (moving.length === 0) return;
  if (plan.generation !== 'modern' || moving.some((e) => !e.source)) {
    await Promise.all(moving.map((e) => addRouteDiff(e, plan, ctx)));
    return;
  }
  let source: Map<string, Api7Route[]>;
  let target: Map<string, Api7Route[]>;
  try {
    const anyTarget = moving.some((e) => e.target);
    const read = (groupId: string) => ctx.routes?.get(groupId) ?? groupRoutes(ctx.client, groupId);
    [source, target] = await Promise.all([
      read(plan.from.group!.id),
      anyTarget ? read(plan.to.group!.id) : Promise.resolve(new Map<string, Api7Route[]>()),
    ]);
  } catch (err) {
    ctx.log(`the route diff could not be read: ${messageOf(err)}`);
    return;
  }
  for (const e of moving) {
    const before = e.target ? (target.get(e.target.id) ?? []) : [];
    e.routes = diffRoutes(before, source.get(e.source!.id) ?? []);
    ctx.log(`routes of "${e.name}": ${describeRouteDiff(e.routes)}`);
  }
}

/** The route diff of one entry, from its snapshots' routes. */
async function addRouteDiff(entry: PlanEntry, plan: Plan, ctx: PolicyContext) {
  try {
    const [before, after] = await Promise.all([
      targetRoutes(entry, plan, ctx.client),
      incomingRoutes(entry, plan, ctx.client),
    ]);
    entry.routes = diffRoutes(before, after);
    ctx.log(`routes of "${entry.name}": ${describeRouteDiff(entry.routes)}`);
  } catch (err) {
    ctx.log(`the route diff of "${entry.name}" could not be read: ${messageOf(err)}`);
  }
}

/**
 * A plan made outside the target's windows, about to be written: every service that would change
 * is refused `outside-window` (a copy; the plan itself still reads as planned).
 */
export function gateWrites(plan: Plan): Plan {
  const message = plan.closedWindow;
  if (message === undefined) return plan;
  return {
    ...plan,
    entries: plan.entries.map((e) =>
      e.decision === 'sync' ? { ...e, decision: 'refused', reason: 'outside-window', message } : e,
    ),
  };
}

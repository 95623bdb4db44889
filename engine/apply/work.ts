/** The options of `apply`, and what happens to each service while it runs. */
import type { Api7Client, Generation } from '../api7/client.js';
import type { Dispatcher } from 'undici';
import type { Plan, PlanEntry, ProbeResult, Reason } from '../model.js';
import type { GroupView } from './observe.js';

export interface ApplyOptions {
  dryRun?: boolean;
  verify?: boolean;
  rollbackOnFailure?: boolean;
  /**
   * All or none (default: true when more than one service is planned): a service refused at plan
   * time means nothing is written, and a failure of any one rolls back all.
   */
  atomic?: boolean;
  /** How long one service's verification may take (default 10 s). */
  verifyTimeoutMs?: number;
  /** The pause before the confirming probe after an expected answer (default 200 ms). */
  confirmMs?: number;
  /** Items per publish request (default 50). */
  batchSize?: number;
  /** How many times a write that did not land is sent (default 4). */
  writeAttempts?: number;
  /**
   * Cancellation (DESIGN §15), from any source: a signal a person sent, a cancelled CI job, a
   * lock lease that was lost. Once aborted, no new write to API7 starts; what this apply wrote is
   * undone where the all-or-none and rollback rules say so (the undo itself is not cancelled by
   * it), and every service that had not finished is `interrupted`, saying what the target runs.
   */
  signal?: AbortSignal;
  /** Told as each service moves on: for progress lines, and for what is left after a hard stop. */
  onProgress?: (event: ApplyProgress) => void;
}

/** One step of one service in apply; `start` comes first, with how many services will move. */
export type ApplyStep =
  | { step: 'start'; total: number }
  | { step: 'synced' | 'verified' | 'undone'; service: string }
  | { step: 'failed'; service: string; reason: Reason };

/** A step, with the environment it happened in (a fan-out has several). */
export type ApplyProgress = ApplyStep & { targetEnvironment: string };

export interface ApplyContext {
  client: Api7Client;
  generation: Generation;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface Failure {
  reason: Reason;
  message: string;
}

/** One service on its way through apply. */
export interface Work {
  entry: PlanEntry;
  /** The snapshot the target should run. */
  versionId?: string;
  /** True once anything in the target group may have changed for this service. */
  touched: boolean;
  failed?: Failure;
  verify: ProbeResult[];
  /** The undo was attempted (its outcome is read back at the end). */
  rolledBack?: boolean;
}

/** Everything the steps of one apply share. */
export interface Run {
  ctx: ApplyContext;
  options: ApplyOptions;
  plan: Plan;
  sourceId: string;
  targetId: string;
  batchSize: number;
  attempts: number;
  /** One keep-alive pool for every probe, when verifying. */
  probes?: Dispatcher;
  /** Services verified so far, passed and failed: for progress lines. */
  verified: { passed: number; failed: number; started: boolean };
  /** The read-back started while the last verifications ran (read-back.ts). */
  earlyReadBack?: { sentBefore: number; view: Promise<GroupView | undefined> };
}

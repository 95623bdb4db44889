/**
 * What every chat-ops handler works with: the pull request, the command's comment, and the door's
 * settings. The bot and the Action's workflow mode each build one per event; nothing else is
 * shared between events (state lives on GitHub, so restarts and replicas agree).
 */
import type { Config, Engine, Logger } from '../engine/index.js';
import type { NotifyTarget } from '../github/notify.js';
import type { Cancellation } from '../github/promotion.js';
import type { PullRequest } from './pull-request.js';
import type { TrackedRequest } from './requests.js';

/** What a request touches, for the operator policy. */
export interface EngineScope {
  environments: string[];
  services: string[];
}

/**
 * The only way chat-ops obtains an engine. The bot's checks the operator policy (which control
 * planes, gateway groups, services and gateway origins a repository may use); workflow mode's
 * trusts the repository's own config and token. Both refuse with `not-permitted-for-repository`.
 */
export interface EngineSource {
  /** Why this request is outside the policy, or undefined when it is inside. */
  check(repository: string, config: Config, scope: EngineScope): string | undefined;
  /** An engine for this request; throws a Refusal when `check` would refuse. */
  open(repository: string, config: Config, scope: EngineScope): Engine;
}

export interface ChatopsSettings {
  /** Signs request state; required. */
  stateSecret: string;
  /** The account whose comments carry request state (the App's bot login, or github-actions[bot]). */
  appLogin: string;
  engines: EngineSource;
  log: Logger;
  configPath: string;
  /** Interval of lock renewals, deployment heartbeats and recovery sweeps. */
  heartbeatMs: number;
  /** Approval lifetime when the environment sets no `approvalHours`. */
  approvalTtlMs: number;
  verifyTimeoutMs?: number;
  /**
   * Variables for `${VAR}` in the repository config, or false: the App interpolates nothing (it
   * holds secrets a config must not pull into a comment); workflow mode uses the step's own.
   */
  configEnv: Record<string, string | undefined> | false;
  /**
   * Where results are announced: the App only to the operator policy's webhooks for the
   * repository, workflow mode to the config's `notify`.
   */
  notifyTargets(repository: string, config: Config): NotifyTarget[];
  /**
   * Aborted when the process shuts down (the App's SIGTERM): a run in flight stops before its next
   * API7 write and undoes what its rules say, as a cancelled job does, and records why.
   */
  stopping?: AbortSignal;
  /**
   * The door's SIGINT/SIGTERM cancellation (the Action's, when GitHub cancels the job): the
   * promotion run takes it as its stop signal and the request ends `interrupted`, as in the
   * Action's plain mode.
   */
  cancellation?: Cancellation;
  /** Whether to keep a Check Run per request (needs `checks: write`). */
  checkRuns: boolean;
  now: () => number;
  /**
   * Told what a run holds as soon as it holds it, so that a door whose process can be cancelled
   * (the Action's post step) can still free the lock and close the deployment.
   */
  holding?: (held: { environment: string; lockRequest: string; deploymentId?: number }) => void;
  /**
   * Workflow mode's gate, asked once a request is due and before any lock or write: false leaves
   * it for a later job (the one that runs in a GitHub Environment). The App has none.
   */
  mayRun?: (ctx: CommandContext, request: TrackedRequest) => Promise<boolean>;
  /**
   * Workflow mode's plan job: its workflow run, recorded in the state of the request it hands to
   * the promotion job (`handedTo`), so that the run's environment review can end it.
   */
  handoffRun?: number;
  /** The repository config as this door reads it (workflow mode: GitHub's reviewers approve). */
  adaptConfig?: (config: Config) => Config;
  /** Who approved outside chat-ops (a GitHub Environment's reviewers), shown with the request. */
  approvalNote?: string;
}

export interface CommandContext {
  settings: ChatopsSettings;
  pr: PullRequest;
  defaultBranch: string;
  /** The command comment: its ID is the request's identity. */
  commandId: number;
  commenter: string;
  commentUrl: string;
  /** When GitHub says the command comment was made (an approval expires from then). */
  commentCreatedAt?: string;
}

export const DEFAULT_CONFIG_PATH = '.github/api7-sync.yml';

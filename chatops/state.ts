/**
 * A request's state: what it asks, who asked, its status, the approvals recorded as they arrived,
 * the command comments it has acted on, and a sequence number for compare-and-set. It lives in the
 * app's own Check Run for the request (see requests.ts), where people cannot write; the signature
 * (a key only the app holds) is defence in depth, and binds the state to its repository, pull
 * request and request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `pending → approved → running → done | failed | interrupted`, or from pending/approved to
 * `denied | cancelled`. The one move back: lapsed approvals turn `approved` into `pending`.
 */
export type RequestStatus =
  'pending' | 'approved' | 'running' | 'done' | 'failed' | 'interrupted' | 'denied' | 'cancelled';

export type RequestKind = 'sync' | 'rollback';

/** One approval, recorded when its `/approve` comment arrived; never rebuilt from comment text. */
export interface Approval {
  login: string;
  commentId: number;
  /** When GitHub says the comment was made: approvals expire from then. */
  at: string;
}

export interface RequestState {
  v: 3;
  /** Compare-and-set: every write carries the next number; of two writers the one not read back loses. */
  seq: number;
  /** A random tag of the write, to tell two writes with the same number apart when read back. */
  writer?: string;
  kind: RequestKind;
  /** Several targets, promoted in order (a fan-out); absent for one: `environment` alone. */
  targets?: string[];
  /** The command comment's ID: the request's identity. */
  request: number;
  repository: string;
  pr: number;
  environment: string;
  from: string;
  services: string[];
  version?: string;
  /** For a rollback: the version asked for, if any. */
  toVersion?: string;
  requester: string;
  headSha: string;
  /** Source snapshots the approvals are bound to: service → service_version_id. */
  sourceVersions: Record<string, string>;
  approvalsNeeded: number;
  /** Approvals count only from comments with a greater ID (moves on when approvals lapse). */
  approvalsAfter: number;
  /**
   * The greatest comment ID on the pull request when the request stopped waiting for
   * approvals: a bare `/approve` posted after it was not meant for this request.
   */
  settledAfter?: number;
  createdAt: string;
  status: RequestStatus;
  /** Why a promotion window was overridden, when it was. */
  breakGlass?: string;
  approvals: Approval[];
  /** Command comments this request has acted on (its own, approvals, a denial): each acts once. */
  handled: number[];
  /** The status comment that renders this state (never read back); re-posted when deleted. */
  statusComment?: number;
  /** The check run that holds this state (filled in when read; GitHub gives the ID). */
  checkRun?: number;
  /** Set on a check run whose request moved to a new head: the check run that holds it now. */
  carriedTo?: number;
  /**
   * Workflow mode: the workflow run whose promotion job (held by a GitHub Environment's
   * reviewers) was handed this request; only that run may say how its review ended.
   */
  handedTo?: number;
}

const TERMINAL = new Set<RequestStatus>(['done', 'failed', 'interrupted', 'denied', 'cancelled']);

export const isTerminal = (s: RequestStatus): boolean => TERMINAL.has(s);

/** Whether a request may move from one status to another: forward only, with one exception. */
export function canMove(from: RequestStatus, to: RequestStatus): boolean {
  if (isTerminal(from)) return false;
  switch (to) {
    case 'pending':
      return from === 'pending' || from === 'approved';
    case 'approved':
      return from === 'pending' || from === 'approved';
    case 'running':
      return from === 'approved';
    case 'denied':
    case 'cancelled':
      return from === 'pending' || from === 'approved';
    case 'done':
    case 'failed':
    case 'interrupted':
      return true;
  }
}

/** Waiting for approvals or a run: a bare `/approve` may still be meant for it. */
export const isWaiting = (s: RequestStatus): boolean => s === 'pending' || s === 'approved';

// The block is the check run text's last line, so that no quoted text can stand in for it.
const MARK = /\n<!-- api7-sync:state ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+) -->\s*$/;

function mac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

export function stateKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('api7-sync request state v3').digest();
}

export function encodeState(key: Buffer, state: RequestState): string {
  const data = Buffer.from(JSON.stringify(state)).toString('base64url');
  return `\n<!-- api7-sync:state ${data}.${mac(key, data)} -->`;
}

/** The state at the end of a comment body, or undefined when absent or not signed with our key. */
export function decodeState(key: Buffer, body: string): RequestState | undefined {
  const m = MARK.exec(body);
  if (!m) return undefined;
  const expected = Buffer.from(mac(key, m[1]!));
  const given = Buffer.from(m[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const state = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as RequestState;
    return state.v === 3 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The environments a request writes to, in the order asked. */
export const targetsOf = (state: Pick<RequestState, 'environment' | 'targets'>): string[] =>
  state.targets?.length ? state.targets : [state.environment];

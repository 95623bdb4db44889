/**
 * A request's state lives in its one status comment on the pull request, so a restart or a second
 * replica loses nothing. It is signed with a key only the app holds and names its repository, pull
 * request and request, and it is honoured only in a comment written by the app's own account (the
 * caller checks the author): a signature proves the app once wrote a state, not that this comment
 * is the app's, so a pasted copy of an old status comment counts for nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `pending → approved → running → done | failed | interrupted`, or from pending/approved to
 * `denied | cancelled`. The one move back: lapsed approvals turn `approved` into `pending`.
 */
export type RequestStatus =
  'pending' | 'approved' | 'running' | 'done' | 'failed' | 'interrupted' | 'denied' | 'cancelled';

export type RequestKind = 'sync' | 'rollback';

export interface RequestState {
  v: 2;
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
  /** The request's Check Run on the head SHA, when the door keeps one. */
  checkRun?: number;
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

// The block is the status comment's last line, so that no quoted text can stand in for it.
const MARK = /\n<!-- api7-sync:state ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+) -->\s*$/;

function mac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

export function stateKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('api7-sync request state v2').digest();
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
    return state.v === 2 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The environments a request writes to, in the order asked. */
export const targetsOf = (state: Pick<RequestState, 'environment' | 'targets'>): string[] =>
  state.targets?.length ? state.targets : [state.environment];

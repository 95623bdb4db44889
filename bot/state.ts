/**
 * A request's state lives in its status comment on the pull request (so a restart loses nothing),
 * as hidden metadata signed with a key only the bot holds: anyone who can edit the comment could
 * change the text, but not forge a signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type RequestStatus = 'pending' | 'running' | 'done' | 'failed' | 'refused' | 'denied' | 'lapsed';

export interface RequestState {
  v: 1;
  /** The command comment's ID: the request's identity, and the redelivery key. */
  request: number;
  pr: number;
  environment: string;
  from: string;
  services: string[];
  version?: string;
  requester: string;
  headSha: string;
  /** Source snapshots the approvals are bound to: service → service_version_id. */
  sourceVersions: Record<string, string>;
  approvalsNeeded: number;
  createdAt: string;
  status: RequestStatus;
}

const MARK = /<!-- api7-sync:state ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+) -->/;

function mac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

export function stateKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('api7-sync request state v1').digest();
}

export function encodeState(key: Buffer, state: RequestState): string {
  const data = Buffer.from(JSON.stringify(state)).toString('base64url');
  return `<!-- api7-sync:state ${data}.${mac(key, data)} -->`;
}

/** The state in a comment body, or undefined when absent or not signed by us. */
export function decodeState(key: Buffer, body: string): RequestState | undefined {
  const m = MARK.exec(body);
  if (!m) return undefined;
  const expected = Buffer.from(mac(key, m[1]!));
  const given = Buffer.from(m[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const state = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as RequestState;
    return state.v === 1 ? state : undefined;
  } catch {
    return undefined;
  }
}

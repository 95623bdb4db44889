/**
 * Tells a team's chat that something was promoted, rolled back or failed: one message per
 * promotion and webhook, when any service's action is in that webhook's `on` list.
 *
 * A notification is a courtesy, not part of the promotion: it never throws, is bounded by one
 * timeout for all its attempts (so a hanging receiver delays the caller by at most that much),
 * is retried once on 429 and 5xx, and its failures are logged. A webhook URL is a credential
 * (whoever has it can post to the channel): it is never logged, and error texts are scrubbed of it.
 */
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import type { SyncResult } from '../engine/index.js';
import { errorMessage, type Logger } from './log.js';
import { chatMessage, type NotifyLinks } from './notify-message.js';

export type { NotifyLinks } from './notify-message.js';

/** Service actions a webhook can be told about (`planned` never is: nothing moved). */
export const NOTIFY_ACTIONS = ['synced', 'unchanged', 'refused', 'rolled-back', 'failed'] as const;
export type NotifyAction = (typeof NOTIFY_ACTIONS)[number];

/** What a webhook hears about when its `on` is not given. */
export const DEFAULT_NOTIFY_ON: readonly NotifyAction[] = ['synced', 'rolled-back', 'failed'];

/** One bound for every attempt at one webhook. */
export const NOTIFY_TIMEOUT_MS = 5_000;

/** The config's `notify` entries. */
export interface NotifyTarget {
  url: string;
  on?: readonly NotifyAction[];
}

export interface NotifyOptions {
  logger: Logger;
  links?: NotifyLinks;
  /** Defaults to `NOTIFY_TIMEOUT_MS`; tests pass less. */
  timeoutMs?: number;
  /** The pause before the one retry, unless the receiver's Retry-After asks for longer (capped). */
  retryDelayMs?: number;
}

export interface NotifyOutcome {
  /** The entry's position in the config's `notify` list: the only way logs name a webhook. */
  index: number;
  status: 'sent' | 'skipped' | 'failed';
  /** Why it failed, scrubbed of the URL. */
  message?: string;
}

/** Whether a webhook wants to hear about this result. */
export function wantsNotification(target: NotifyTarget, result: SyncResult): boolean {
  const on = target.on ?? DEFAULT_NOTIFY_ON;
  return !result.dryRun && result.services.some((s) => (on as readonly string[]).includes(s.action));
}

/** How logs name a webhook: its place in the config, never its URL. */
function label(index: number): string {
  return `notify[${index}]`;
}

/** Removes the URL, its path and its host from a text, in case a library quoted any of them. */
export function scrub(text: string, url: string): string {
  const pieces = [url, url.replace(/\/+$/, '')];
  try {
    const parsed = new URL(url);
    if (parsed.pathname.length > 1) pieces.push(parsed.pathname + parsed.search, parsed.pathname);
    pieces.push(parsed.host, parsed.hostname);
  } catch {
    // Not a URL at all: the whole string is all there is to remove.
  }
  let out = text;
  for (const piece of pieces.filter((p) => p.length > 0).sort((a, b) => b.length - a.length))
    out = out.split(piece).join('***');
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a URL will not be used, or undefined when it will. Never quotes the URL. */
function refuseUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'its url is not a URL; write https://… (for example "${SLACK_WEBHOOK_URL}")';
  }
  if (parsed.protocol === 'https:') return undefined;
  // The URL is a credential: plain HTTP would send it in the clear, except to this machine.
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return undefined;
  return 'its url must start with https:// (plain http only to a loopback address)';
}

/** Status codes worth one more try: the receiver is overloaded or failing, not refusing us. */
const RETRY_STATUS = [429, ...Array.from({ length: 100 }, (_, i) => 500 + i)];

async function post(
  target: NotifyTarget,
  body: string,
  dispatcher: Dispatcher,
  signal: AbortSignal,
): Promise<number> {
  const res = await request(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body,
    dispatcher,
    signal,
  });
  // The answer's body means nothing to us, but it must be read for the connection to be reused.
  await res.body.dump();
  return res.statusCode;
}

function failureText(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; statusCode?: number };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (e.code === 'UND_ERR_REQ_RETRY' && typeof e.statusCode === 'number')
    return `the webhook answered ${e.statusCode}, also when tried again`;
  return errorMessage(err);
}

/**
 * Sends the promotion's message to every webhook that wants it, all at once. Resolves within
 * the timeout (plus a connection's teardown) with one outcome per webhook; never rejects.
 */
export async function notify(
  targets: readonly NotifyTarget[] | undefined,
  result: SyncResult,
  options: NotifyOptions,
): Promise<NotifyOutcome[]> {
  const timeoutMs = options.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const wanted = (targets ?? [])
    .map((t, index) => ({ t, index }))
    .filter(({ t }) => wantsNotification(t, result));
  const skipped = (targets ?? [])
    .map((_, index): NotifyOutcome => ({ index, status: 'skipped' }))
    .filter((o) => !wanted.some((w) => w.index === o.index));
  if (!wanted.length) return skipped;

  const body = JSON.stringify(chatMessage(result, options.links));
  const retryDelayMs = options.retryDelayMs ?? 250;
  // TLS verification stays on; redirects are not followed (a 3xx is a failure); one retry.
  const agent = new Agent({ connect: { rejectUnauthorized: true, timeout: timeoutMs } });
  const dispatcher = agent.compose(
    interceptors.retry({
      maxRetries: 1,
      methods: ['POST'],
      statusCodes: RETRY_STATUS,
      errorCodes: [],
      minTimeout: retryDelayMs,
      maxTimeout: Math.max(retryDelayMs, Math.floor(timeoutMs / 2)),
    }),
  );
  try {
    const sent = await Promise.all(
      wanted.map(async ({ t, index }): Promise<NotifyOutcome> => {
        const refused = refuseUrl(t.url);
        const fail = (message: string): NotifyOutcome => {
          options.logger.warn(
            `could not send the notification ${label(index)}: ${message}; the promotion is not affected`,
          );
          return { index, status: 'failed', message };
        };
        if (refused) return fail(refused);
        try {
          const status = await post(t, body, dispatcher, AbortSignal.timeout(timeoutMs));
          if (status >= 200 && status < 300) {
            options.logger.info(`sent the notification ${label(index)}`);
            return { index, status: 'sent' };
          }
          return fail(
            `the webhook answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`,
          );
        } catch (err) {
          return fail(scrub(failureText(err, timeoutMs), t.url));
        }
      }),
    );
    return [...sent, ...skipped].sort((a, b) => a.index - b.index);
  } finally {
    // A receiver that never answered must not keep the process alive: drop its connection.
    await agent
      .destroy()
      .catch((err: unknown) =>
        options.logger.warn(`closing the notification connections: ${errorMessage(err)}`),
      );
  }
}

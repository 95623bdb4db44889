/**
 * Tells a team's chat that something was promoted, rolled back or failed: one message per
 * promotion and webhook, when any service's action is in that webhook's `on` list.
 *
 * A notification is a courtesy, not part of the promotion: it never throws, is bounded by one
 * timeout for all its attempts (so a hanging receiver delays the caller by at most that much),
 * is retried once on 429 and 5xx, and its failures are logged. A webhook URL is a credential
 * (whoever has it can post to the channel): it is never logged, and error texts are scrubbed of it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { messageOf, retryAfterMs, type Logger, type SyncResult } from '../engine/index.js';
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
  logger: Pick<Logger, 'info' | 'warn'>;
  links?: NotifyLinks;
  /** Defaults to `NOTIFY_TIMEOUT_MS`; tests pass less. */
  timeoutMs?: number;
  /** The pause before the one retry when the receiver sends no Retry-After (all within `timeoutMs`). */
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
  // Not a URL at all: the whole string is all there is to remove.
  if (URL.canParse(url)) {
    const parsed = new URL(url);
    if (parsed.pathname.length > 1) pieces.push(parsed.pathname + parsed.search, parsed.pathname);
    pieces.push(parsed.host, parsed.hostname);
  }
  let out = text;
  for (const piece of pieces.filter((p) => p.length > 0).sort((a, b) => b.length - a.length))
    out = out.split(piece).join('***');
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a URL will not be used, or undefined when it will. Never quotes the URL. */
function refuseUrl(url: string): string | undefined {
  if (!URL.canParse(url)) return 'its url is not a URL; write https://… (for example "${SLACK_WEBHOOK_URL}")';
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') return undefined;
  // The URL is a credential: plain HTTP would send it in the clear, except to this machine.
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return undefined;
  return 'its url must start with https:// (plain http only to a loopback address)';
}

/** Worth one more try: the receiver is overloaded or failing, not refusing us. */
function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** The pause before the retry: the receiver's Retry-After when it gives one, else ours. */
function pauseFor(retryAfter: string | string[] | undefined, fallbackMs: number): number {
  const ms = retryAfterMs(retryAfter);
  return ms !== undefined && ms > 0 ? ms : fallbackMs;
}

interface Answer {
  status: number;
  retryAfter?: string | string[];
}

async function post(url: string, body: string, dispatcher: Dispatcher, signal: AbortSignal): Promise<Answer> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body,
    dispatcher,
    signal,
  });
  // The answer's body means nothing to us, but it must be read for the connection to be reused.
  await res.body.dump();
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] };
}

/**
 * Posts, and posts once more after a 429 or 5xx, all within one deadline. Written here rather
 * than with undici's retry interceptor: its backoff pause does not listen to the request's
 * abort signal, so a Retry-After could hold the promotion past the deadline.
 */
async function postWithRetry(
  url: string,
  body: string,
  dispatcher: Dispatcher,
  signal: AbortSignal,
  retryDelayMs: number,
): Promise<{ status: number; retried: boolean; cutShort?: boolean }> {
  const first = await post(url, body, dispatcher, signal);
  if (!retryable(first.status)) return { status: first.status, retried: false };
  try {
    await sleep(pauseFor(first.retryAfter, retryDelayMs), undefined, { signal });
  } catch {
    // The deadline came during the pause: the answer we have is the one to report.
    return { status: first.status, retried: false, cutShort: true };
  }
  return { status: (await post(url, body, dispatcher, signal)).status, retried: true };
}

function failureText(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return messageOf(err);
}

function answerText(status: number, retried: boolean, cutShort: boolean, timeoutMs: number): string {
  if (status >= 300 && status < 400) return `the webhook answered ${status} (redirects are not followed)`;
  if (cutShort) return `the webhook answered ${status}, and no retry fitted in ${timeoutMs} ms`;
  return `the webhook answered ${status}${retried ? ', also when tried again' : ''}`;
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
  const all = targets ?? [];
  try {
    return await send(all, result, options);
  } catch (err) {
    // Nothing above should throw; if it does, it is still only a notification.
    const message = all.reduce((text, t) => scrub(text, t.url), messageOf(err));
    options.logger.warn(`could not send the notifications: ${message}; the promotion is not affected`);
    return all.map((_, index) => ({ index, status: 'failed', message }));
  }
}

async function send(
  targets: readonly NotifyTarget[],
  result: SyncResult,
  options: NotifyOptions,
): Promise<NotifyOutcome[]> {
  const timeoutMs = options.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const outcomes: NotifyOutcome[] = targets.map((_, index) => ({ index, status: 'skipped' }));
  const wanted = targets.map((t, index) => ({ t, index })).filter(({ t }) => wantsNotification(t, result));
  if (!wanted.length) return outcomes;

  const body = JSON.stringify(chatMessage(result, options.links));
  // TLS verification stays on; redirects are not followed (a 3xx is a failure).
  const agent = new Agent({ connect: { rejectUnauthorized: true, timeout: timeoutMs } });
  const fail = (index: number, message: string): NotifyOutcome => {
    options.logger.warn(
      `could not send the notification ${label(index)}: ${message}; the promotion is not affected`,
    );
    return { index, status: 'failed', message };
  };
  try {
    await Promise.all(
      wanted.map(async ({ t, index }) => {
        const refused = refuseUrl(t.url);
        if (refused) return (outcomes[index] = fail(index, refused));
        try {
          const answer = await postWithRetry(
            t.url,
            body,
            agent,
            AbortSignal.timeout(timeoutMs),
            retryDelayMs,
          );
          if (answer.status >= 200 && answer.status < 300) {
            options.logger.info(`sent the notification ${label(index)}`);
            return (outcomes[index] = { index, status: 'sent' });
          }
          return (outcomes[index] = fail(
            index,
            answerText(answer.status, answer.retried, Boolean(answer.cutShort), timeoutMs),
          ));
        } catch (err) {
          return (outcomes[index] = fail(index, scrub(failureText(err, timeoutMs), t.url)));
        }
      }),
    );
    return outcomes;
  } finally {
    // A receiver that never answered must not keep the process alive: drop its connection.
    await agent
      .destroy()
      .catch((err: unknown) =>
        options.logger.warn(`closing the notification connections: ${messageOf(err)}`),
      );
  }
}

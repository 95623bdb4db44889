/**
 * Reading the control plane's answer: a 2xx JSON body is the value; anything else becomes an
 * `Api7Error` that says what the answer was (API7's `error_msg`, a web page, a gateway's 404)
 * without ever echoing the page.
 */
import type { Dispatcher } from 'undici';
import { messageOf } from '../errors.js';
import { retryAfterMs } from '../retry-after.js';
import { Api7Error } from './api7-error.js';
import { gatewayNotControlPlane, looksLikeGateway, notJson, oneLine } from './explain.js';

/** Where an answer came from, for the error it may become. */
export interface Exchange {
  method: string;
  path: string;
  /** The control plane's origin, named in messages about answers that are not API7's. */
  origin: string;
}

/** The body of a 2xx answer (undefined when empty), or the `Api7Error` any other answer means. */
export async function readAnswer<T>(res: Dispatcher.ResponseData<unknown>, at: Exchange): Promise<T> {
  const { method, path, origin } = at;
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'UND_ERR_BODY';
    throw new Api7Error(
      method,
      path,
      res.statusCode,
      `the answer broke off: ${messageOf(err)}`,
      method !== 'GET',
      code,
    );
  }
  const { parsed, isJson } = parseJson(text);
  const contentType = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (res.statusCode >= 200 && res.statusCode < 300) {
    // An empty answer is what some DELETEs give; anything else must be JSON, or we are not
    // talking to API7's Admin API at all (a login page, a proxy, the dashboard's web app).
    if (text.length === 0 || isJson) return parsed as T;
    throw new Api7Error(
      method,
      path,
      res.statusCode,
      notJson(text, contentType, origin),
      false,
      undefined,
      'bad-answer',
    );
  }
  const errorMsg =
    (parsed as { error_msg?: unknown } | undefined)?.error_msg !== undefined
      ? String((parsed as { error_msg: unknown }).error_msg)
      : res.statusCode === 401
        ? 'the control plane rejected the token'
        : text.length === 0
          ? 'no error message'
          : isJson
            ? oneLine(text)
            : notJson(text, contentType, origin);
  const gateway = res.statusCode === 404 && looksLikeGateway(errorMsg);
  const error = gateway
    ? new Api7Error(method, path, 404, gatewayNotControlPlane(origin), false, undefined, 'bad-answer')
    : new Api7Error(method, path, res.statusCode, errorMsg, false);
  const wait = retryAfterMs(res.headers['retry-after']);
  if (wait !== undefined) error.retryAfterMs = wait;
  throw error;
}

/** A body that is not JSON is kept as text by the caller; here it only reads as "not JSON". */
function parseJson(text: string): { parsed: unknown; isJson: boolean } {
  if (text.length === 0) return { parsed: undefined, isJson: false };
  try {
    return { parsed: JSON.parse(text), isJson: true };
  } catch {
    return { parsed: undefined, isJson: false };
  }
}

/**
 * The plugins the sandbox's gateway applies, enough to verify a promotion whose routes depend on
 * them: `key-auth` (consumers and credentials of the group) and `proxy-rewrite` (uri, regex_uri,
 * host, method, headers). Route plugins win over the service's, plugin by plugin, as in APISIX.
 * Every other plugin is stored and shown, but does nothing here.
 */
import type http from 'node:http';
import type { GroupResources } from './store.js';
import { variable, type RequestFacts } from './gateway-vars.js';

type Conf = Record<string, unknown>;

/** What the gateway sends upstream, changed by the plugins. */
export interface Outgoing {
  method: string;
  path: string;
  search: string;
  headers: http.OutgoingHttpHeaders;
  /** Set by `proxy-rewrite.host`: wins over the upstream's pass_host. */
  host?: string;
}

export type Refusal = { status: number; body: Record<string, unknown> };

/** `$uri`, `$arg_x`, `$http_x`, `$host`… in a rewritten value. */
function interpolate(text: string, f: RequestFacts): string {
  return text.replace(/\$([a-zA-Z_][a-zA-Z0-9_]*)/g, (m, name: string) => variable(name, f) ?? '');
}

/** The consumer that holds `key` through key-auth (on the consumer or one of its credentials). */
function consumerByKey(resources: GroupResources, key: string): string | undefined {
  for (const [username, c] of resources.consumers) {
    const own = (c.body.plugins as Conf | undefined)?.['key-auth'] as Conf | undefined;
    if (own?.key === key) return username;
    for (const cred of c.credentials.values()) {
      const conf = (cred.plugins as Conf | undefined)?.['key-auth'] as Conf | undefined;
      if (conf?.key === key) return username;
    }
  }
  return undefined;
}

function keyAuth(conf: Conf, f: RequestFacts, out: Outgoing, resources: GroupResources): Refusal | undefined {
  const header = typeof conf.header === 'string' ? conf.header : 'apikey';
  const query = typeof conf.query === 'string' ? conf.query : 'apikey';
  const fromHeader = f.req.headers[header.toLowerCase()];
  const key = (Array.isArray(fromHeader) ? fromHeader[0] : fromHeader) ?? f.url.searchParams.get(query);
  if (!key) return { status: 401, body: { message: 'Missing API key in request' } };
  const username = consumerByKey(resources, key);
  if (!username) return { status: 401, body: { message: 'Invalid API key in request' } };
  out.headers['x-consumer-username'] = username;
  if (conf.hide_credentials === true) {
    delete out.headers[header.toLowerCase()];
    const params = new URLSearchParams(out.search);
    params.delete(query);
    const rest = params.toString();
    out.search = rest ? `?${rest}` : '';
  }
  return undefined;
}

function proxyRewrite(conf: Conf, f: RequestFacts, out: Outgoing): void {
  if (typeof conf.uri === 'string') {
    const [path, search] = interpolate(conf.uri, f).split('?');
    out.path = path ?? '/';
    if (search !== undefined) out.search = `?${search}`;
  } else if (Array.isArray(conf.regex_uri) && conf.regex_uri.length === 2) {
    const re = new RegExp(String(conf.regex_uri[0]));
    if (re.test(out.path)) out.path = out.path.replace(re, String(conf.regex_uri[1]));
  }
  if (typeof conf.method === 'string') out.method = conf.method;
  if (typeof conf.host === 'string') out.host = conf.host;
  const headers = conf.headers as Conf | undefined;
  if (headers && typeof headers === 'object') {
    const structured = ['set', 'add', 'remove'].some((k) => k in headers);
    // The older flat form `{name: value}` means "set".
    const set = (structured ? headers.set : headers) as Conf | undefined;
    for (const [k, v] of Object.entries((structured ? headers.add : undefined) ?? {})) {
      const name = k.toLowerCase();
      const prev = out.headers[name];
      const value = interpolate(String(v), f);
      out.headers[name] = prev === undefined ? value : [...[prev].flat().map(String), value];
    }
    for (const [k, v] of Object.entries(set ?? {})) out.headers[k.toLowerCase()] = interpolate(String(v), f);
    for (const k of (structured && Array.isArray(headers.remove) ? headers.remove : []) as string[])
      delete out.headers[k.toLowerCase()];
  }
}

/**
 * Runs the plugins of a matched route (over its service's) in APISIX's phase order:
 * authentication first, then rewriting. Returns a refusal, or undefined to proxy `out`.
 */
export function applyPlugins(
  servicePlugins: Conf | undefined,
  routePlugins: Conf | undefined,
  f: RequestFacts,
  out: Outgoing,
  resources: GroupResources,
): Refusal | undefined {
  const plugins: Conf = { ...servicePlugins, ...routePlugins };
  const auth = plugins['key-auth'] as Conf | undefined;
  if (auth) {
    const refused = keyAuth(auth, f, out, resources);
    if (refused) return refused;
  }
  const rewrite = plugins['proxy-rewrite'] as Conf | undefined;
  if (rewrite) proxyRewrite(rewrite, f, out);
  return undefined;
}

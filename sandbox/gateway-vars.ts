/**
 * Route `vars` as APISIX evaluates them (lua-resty-expr): a list of `[var, op, value]` that must
 * all hold, optionally led by "AND"/"OR" (or "!AND"/"!OR") and nested; `[var, "!", op, value]`
 * negates one condition. Variables: `arg_*`, `http_*`, `cookie_*`, `uri`, `request_uri`, `host`,
 * `request_method`, `remote_addr`, `scheme`, `server_port`.
 */
import type http from 'node:http';

export interface RequestFacts {
  req: http.IncomingMessage;
  url: URL;
  host: string;
  serverPort: number;
}

/** The value of an nginx-style variable for this request, or undefined. */
export function variable(name: string, f: RequestFacts): string | undefined {
  if (name.startsWith('arg_')) return f.url.searchParams.get(name.slice(4)) ?? undefined;
  if (name.startsWith('http_')) {
    const v = f.req.headers[name.slice(5).replace(/_/g, '-').toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }
  if (name.startsWith('cookie_')) {
    const wanted = name.slice(7);
    for (const part of String(f.req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === wanted) return v.join('=');
    }
    return undefined;
  }
  switch (name) {
    case 'uri':
      return f.url.pathname;
    case 'request_uri':
      return f.url.pathname + f.url.search;
    case 'host':
      return f.host;
    case 'request_method':
      return f.req.method ?? 'GET';
    case 'remote_addr':
      return f.req.socket.remoteAddress ?? '';
    case 'scheme':
      return 'http';
    case 'server_port':
      return String(f.serverPort);
    default:
      return undefined;
  }
}

function compare(op: string, left: string | undefined, right: unknown): boolean {
  const numeric = typeof right === 'number';
  const l = numeric && left !== undefined ? Number(left) : left;
  switch (op) {
    case '==':
      return l === right;
    case '~=':
      return l !== right;
    case '>':
    case '<':
    case '>=':
    case '<=': {
      if (left === undefined) return false;
      const a = Number(left);
      const b = Number(right);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return op === '>' ? a > b : op === '<' ? a < b : op === '>=' ? a >= b : a <= b;
    }
    case '~~':
      return left !== undefined && new RegExp(String(right)).test(left);
    case '~*':
      return left !== undefined && new RegExp(String(right), 'i').test(left);
    case 'in':
      return left !== undefined && Array.isArray(right) && right.map(String).includes(left);
    case 'has':
      return left !== undefined && left.split(/,\s*/).includes(String(right));
    default:
      return false;
  }
}

/** Evaluates one `vars` expression list; an absent list always holds. */
export function varsMatch(expr: unknown, f: RequestFacts): boolean {
  if (expr === undefined || expr === null) return true;
  if (!Array.isArray(expr)) return false;
  let items = expr;
  let logic = 'AND';
  let negate = false;
  if (typeof items[0] === 'string' && /^!?(AND|OR)$/.test(items[0])) {
    negate = items[0].startsWith('!');
    logic = items[0].replace('!', '');
    items = items.slice(1);
  }
  // A single condition written without the outer list: ["arg_x", "==", "1"].
  if (typeof items[0] === 'string') return condition(items, f);
  const results = items.map((c) => {
    if (!Array.isArray(c)) return false;
    const nested = Array.isArray(c[0]) || /^!?(AND|OR)$/.test(String(c[0]));
    return nested ? varsMatch(c, f) : condition(c, f);
  });
  const held = logic === 'OR' ? results.some(Boolean) : results.every(Boolean);
  return negate ? !held : held;
}

function condition(c: unknown[], f: RequestFacts): boolean {
  const [name, op, ...rest] = c;
  if (op === '!') return !compare(String(rest[0]), variable(String(name), f), rest[1]);
  return compare(String(op), variable(String(name), f), rest[0]);
}

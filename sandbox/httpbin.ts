/**
 * A small httpbin-like upstream, so that gateway probes and the demo have a backend without the
 * network: `/headers`, `/ip`, `/get`, `/anything/*`, `/status/{code}`.
 */
import http from 'node:http';

/** Header names as httpbin prints them: `x-forwarded-host` → `X-Forwarded-Host`. */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function headersOf(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[titleCase(k)] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

/** One answer, once the request body has arrived. */
function answer(req: http.IncomingMessage, res: http.ServerResponse, data: string): void {
  const url = new URL(req.url ?? '/', 'http://httpbin');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body, null, 2) + '\n');
  };
  const origin = String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress ?? '');
  const path = url.pathname;
  if (path === '/headers') return send(200, { headers: headersOf(req) });
  if (path === '/ip') return send(200, { origin });
  if (path === '/get' || path === '/anything' || path.startsWith('/anything/')) {
    let json: unknown = null;
    try {
      json = data ? JSON.parse(data) : null;
    } catch {
      json = null;
    }
    return send(200, {
      args: Object.fromEntries(url.searchParams),
      data,
      headers: headersOf(req),
      json,
      method: req.method,
      origin,
      url: `http://${req.headers.host ?? 'httpbin'}${req.url ?? '/'}`,
    });
  }
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status && (Number(status[1]) < 100 || Number(status[1]) > 599))
    return send(400, { error: `httpbin answers /status/{code} for codes 100 to 599, not ${status[1]}` });
  if (status) {
    res.writeHead(Number(status[1]));
    res.end();
    return;
  }
  send(404, { error: `httpbin has no ${path}` });
}

export function createHttpbin(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // A throw here (a request target no URL parser takes, say) is outside any handler's reach:
      // it would end the whole sandbox, so the one request is answered 400 instead.
      try {
        answer(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        if (res.headersSent) return void res.destroy();
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: `httpbin cannot answer this request: ${(err as Error).message}` }) + '\n',
        );
      }
    });
  });
}

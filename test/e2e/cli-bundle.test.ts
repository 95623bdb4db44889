/**
 * The CLI runs from lib/bundle/ (scripts/build-cli.mjs), where our imports of 'undici' get only
 * its Agent and request (scripts/bundle/undici-entry.cjs). Held here to undici's own `request`
 * over real HTTP, so that an upgrade of undici that changes what its parts do fails a test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lean = createRequire(import.meta.url)(path.resolve('scripts/bundle/undici-entry.cjs')) as Pick<
  typeof undici,
  'Agent' | 'request'
>;

interface Seen {
  method: string;
  url: string;
  body: string;
  host: string;
}

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const seen: Seen = { method: req.method!, url: req.url!, body, host: req.headers.host! };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seen));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** What the server saw, or the error thrown, for one call of a `request`. */
async function outcome(call: () => Promise<undici.Dispatcher.ResponseData<unknown>>): Promise<unknown> {
  try {
    const res = await call();
    return { status: res.statusCode, seen: await res.body.json() };
  } catch (err) {
    return {
      error: (err as Error).name,
      code: (err as { code?: string }).code,
      message: (err as Error).message,
    };
  }
}

describe("the bundle's undici request", () => {
  type Options = Parameters<typeof undici.request>[1];
  const cases: [string, string, Options][] = [
    ['a GET with a query', '/api/gateway_groups?page=2&page_size=100', { method: 'GET' }],
    ['the default method', '/api/version', undefined],
    ['a body without a method (undici sends PUT)', '/x', { body: '{"a":1}' }],
    [
      'a PATCH with headers and a body',
      '/svc/1/runtime',
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
        body: '{"enabled":true}',
      },
    ],
  ];
  for (const [what, p, options] of cases) {
    it(`sends what undici sends: ${what}`, async () => {
      const agent = new lean.Agent();
      const ours = await outcome(() => lean.request(`${base}${p}`, { ...options, dispatcher: agent }));
      const theirs = await outcome(() => undici.request(`${base}${p}`, options));
      await agent.close();
      expect(ours).toEqual(theirs);
      expect(ours).toMatchObject({ status: 200 });
    });
  }

  for (const url of ['ftp://127.0.0.1/x', 'not a url', 'http://']) {
    it(`refuses ${JSON.stringify(url)} with undici's own error`, async () => {
      const ours = await outcome(() => lean.request(url));
      expect(ours).toEqual(await outcome(() => undici.request(url)));
      expect(ours).toHaveProperty('error');
    });
  }
});

describe('lib/bundle', () => {
  it('is what bin/api7-sync.js runs, built by npm run build', () => {
    expect(readFileSync('bin/api7-sync.js', 'utf8')).toContain("from '../lib/bundle/main.js'");
    expect(existsSync('lib/bundle/main.js')).toBe(true);
  });

  it("loads undici's request and Agent for plan and sync, not its fetch, WebSocket, caches or mocks", () => {
    // The files `plan` and `sync` load: the promote command's chunk and what it imports statically.
    const promote = readdirSync('lib/bundle').find((f) => /^promote-.*\.js$/.test(f))!;
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const code = readFileSync(path.join('lib/bundle', file), 'utf8');
      for (const m of code.matchAll(/from\s*"\.\/([\w-]+\.js)"/g)) visit(m[1]!);
    };
    visit('main.js');
    visit(promote);
    const undiciFiles = new Set(
      [...loaded]
        .flatMap((f) => [
          ...readFileSync(path.join('lib/bundle', f), 'utf8').matchAll(
            /node_modules\/undici\/(lib\/[\w/.-]+\.js)/g,
          ),
        ])
        .map((m) => m[1]!),
    );
    expect(undiciFiles).toContain('lib/dispatcher/agent.js');
    expect(undiciFiles).toContain('lib/api/api-request.js');
    expect(
      [...undiciFiles].filter((f) =>
        /^lib\/(web\/websocket|web\/eventsource|mock|cache|interceptor)\//.test(f),
      ),
    ).toEqual([]);
  });
});

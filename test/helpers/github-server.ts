/**
 * A small local HTTP server that plays the GitHub REST endpoints api7-sync uses: git trees,
 * commits and refs (the environment lock) and deployments with statuses. It keeps just enough
 * state to behave like GitHub: 422 for an existing ref, and for an update that is not a fast
 * forward.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  body: any;
  authorization?: string;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  refs: Map<string, string>;
  commits: Map<string, { message: string; parents: string[]; tree: string }>;
  deployments: { id: number; body: any; statuses: any[] }[];
  /** Answers the next matching request with this status instead. */
  failNext(method: string, pathPattern: RegExp, status: number): void;
  close(): Promise<void>;
}

const sha = (text: string) => createHash('sha1').update(text).digest('hex');

export async function fakeGitHub(): Promise<FakeGitHub> {
  const requests: RecordedRequest[] = [];
  const refs = new Map<string, string>();
  const commits = new Map<string, { message: string; parents: string[]; tree: string }>();
  const deployments: { id: number; body: any; statuses: any[] }[] = [];
  const failures: { method: string; pattern: RegExp; status: number }[] = [];
  let counter = 0;

  const isAncestor = (ancestor: string, of: string): boolean => {
    const seen = new Set<string>();
    const stack = [of];
    while (stack.length) {
      const s = stack.pop()!;
      if (s === ancestor) return true;
      if (seen.has(s)) continue;
      seen.add(s);
      stack.push(...(commits.get(s)?.parents ?? []));
    }
    return false;
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://github');
      const path = decodeURIComponent(url.pathname);
      const method = req.method ?? 'GET';
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({ method, path, body, authorization: req.headers.authorization });
      const send = (status: number, data?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(data === undefined ? '' : JSON.stringify(data));
      };
      const failure = failures.findIndex((f) => f.method === method && f.pattern.test(path));
      if (failure >= 0) {
        const [f] = failures.splice(failure, 1);
        return send(f!.status, { message: 'injected failure' });
      }
      let m: RegExpExecArray | null;
      if (method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/git\/trees$/.test(path)) {
        return send(201, { sha: sha(`tree ${++counter} ${raw}`) });
      }
      if (method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/git\/commits$/.test(path)) {
        const s = sha(`commit ${++counter} ${raw}`);
        commits.set(s, { message: body.message, parents: body.parents ?? [], tree: body.tree });
        return send(201, {
          sha: s,
          message: body.message,
          parents: (body.parents ?? []).map((p: string) => ({ sha: p })),
        });
      }
      if (method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/git\/commits\/([0-9a-f]+)$/.exec(path))) {
        const c = commits.get(m[1]!);
        return c
          ? send(200, { sha: m[1], message: c.message, parents: c.parents.map((p) => ({ sha: p })) })
          : send(404, { message: 'Not Found' });
      }
      if (method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/git\/refs$/.test(path)) {
        if (refs.has(body.ref)) return send(422, { message: 'Reference already exists' });
        refs.set(body.ref, body.sha);
        return send(201, { ref: body.ref, object: { sha: body.sha } });
      }
      if ((m = /^\/repos\/[^/]+\/[^/]+\/git\/refs?\/(heads\/.+)$/.exec(path))) {
        const ref = `refs/${m[1]}`;
        const current = refs.get(ref);
        if (method === 'GET')
          return current
            ? send(200, { ref, object: { sha: current, type: 'commit' } })
            : send(404, { message: 'Not Found' });
        if (method === 'DELETE') {
          if (!current) return send(422, { message: 'Reference does not exist' });
          refs.delete(ref);
          return send(204);
        }
        if (method === 'PATCH') {
          if (!current) return send(422, { message: 'Reference does not exist' });
          if (!body.force && !isAncestor(current, body.sha))
            return send(422, { message: 'Update is not a fast forward' });
          refs.set(ref, body.sha);
          return send(200, { ref, object: { sha: body.sha } });
        }
      }
      if (method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/deployments$/.test(path)) {
        const d = { id: deployments.length + 1, body, statuses: [] as any[] };
        deployments.push(d);
        return send(201, { id: d.id, environment: body.environment, ref: body.ref });
      }
      if (method === 'POST' && (m = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(path))) {
        const d = deployments.find((x) => x.id === Number(m![1]));
        if (!d) return send(404, { message: 'Not Found' });
        d.statuses.push(body);
        return send(201, { id: d.statuses.length, state: body.state });
      }
      send(404, { message: `fake GitHub has no ${method} ${path}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    refs,
    commits,
    deployments,
    failNext(method, pattern, status) {
      failures.push({ method, pattern, status });
    },
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

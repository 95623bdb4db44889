/**
 * A stand-in for the GitHub REST API, with just enough state to behave like GitHub for what
 * api7-sync uses: git trees/commits/refs (422 for an existing ref and for an update that is not a
 * fast forward), deployments and statuses, and for the bot: installation tokens, repositories and
 * their files, collaborator permissions, pull requests, issue comments, reactions and team
 * membership, check runs, and answers to deployment protection rules. The same model is served
 * over HTTP (for whole programs) or through nock (for Probot's Octokit in process, which fetches
 * through the global fetch that nock intercepts).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import nock from 'nock';
import type { GitHubClient } from '../../github/api.js';
import { checkGitHubRequest, standIns } from './github-openapi.js';

export interface RecordedRequest {
  method: string;
  path: string;
  body: any;
  authorization?: string;
  /** The answer's status (304: a conditional request GitHub does not count against the limit). */
  status?: number;
}

export interface Comment {
  id: number;
  issue_number: number;
  body: string;
  user: { login: string; type: 'User' | 'Bot' };
  created_at: string;
  updated_at: string;
}

export interface PullRequest {
  number: number;
  head: { sha: string; ref: string; repo: { full_name: string; fork: boolean } };
  base: { ref: string; repo: { full_name: string } };
  user: { login: string };
  /** As GitHub says it; absent means open. */
  state?: 'open' | 'closed';
  merged?: boolean;
}

export class GitHubModel {
  readonly requests: RecordedRequest[] = [];
  /**
   * Requests GitHub's REST API description does not allow (github-openapi.ts), answered as GitHub
   * would (404 or 422): every test that uses the stand-in checks what the project sends.
   */
  readonly violations: string[] = [];
  readonly refs = new Map<string, string>();
  /** Ref creations and deletions, in order: locks must never overlap. */
  readonly refEvents: { ref: string; event: 'created' | 'deleted' | 'moved' }[] = [];
  readonly commits = new Map<string, { message: string; parents: string[]; tree: string }>();
  readonly trees = new Set<string>();
  readonly deployments: { id: number; body: any; statuses: any[]; created_at: string; creator?: string }[] =
    [];
  /** Files on the default branch (`main`) and on other refs: `${ref}:${path}` → text. */
  readonly files = new Map<string, string>();
  readonly permissions = new Map<string, 'admin' | 'write' | 'read' | 'none'>();
  readonly teams = new Map<string, string[]>();
  /** Reviews of a workflow run's environment deployments, by run ID, as GitHub lists them. */
  readonly runApprovals = new Map<
    number,
    { environments: { name: string }[]; state: string; user: { login: string }; comment: string }[]
  >();
  readonly pulls = new Map<number, PullRequest>();
  readonly comments: Comment[] = [];
  readonly reactions: { comment: number; content: string; user?: string }[] = [];
  /** Check runs as they are now, and every body sent for each (creation first), to follow their life. */
  readonly checkRuns: { id: number; run: any; history: any[] }[] = [];
  /** Answers to deployment protection rules, as posted to a run's `deployment_protection_rule`. */
  readonly gateReviews: { runId: number; body: any }[] = [];
  readonly repository: string;
  private failures: {
    method: string;
    pattern: RegExp;
    status: number;
    message: string;
    headers?: Record<string, string>;
  }[] = [];
  private awaited: { matches: (r: RecordedRequest) => boolean; seen: (r: RecordedRequest) => void }[] = [];
  private counter = 0;
  /** The account comments posted through the API are written by (the App's, or a workflow's). */
  commentAs = 'api7-sync[bot]';
  /** Who creates deployments through the API when not the app (a writer, by hand). */
  actingAs: string | undefined;
  /** The repositories of the installation; all but `repository` are empty. */
  installationRepositories: string[] = [];
  /** How long each answer takes over nock (a benchmark's stand-in for GitHub's round trip). */
  latencyMs = 0;
  /** The clock comments are stamped with. */
  now: () => Date = () => new Date();

  constructor(repository = 'acme/shop') {
    this.repository = repository;
    // Git's empty tree, which git resolves in every repository without it being written.
    this.trees.add('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    standIns.add(this);
  }

  /**
   * Resolves on the next request that `matches`. Its answer is decided in the same turn, before
   * the waiting test runs on: what the test changes then, the caller sees only from its next call.
   */
  nextRequest(matches: (r: RecordedRequest) => boolean): Promise<RecordedRequest> {
    return new Promise((seen) => this.awaited.push({ matches, seen }));
  }

  /**
   * The next matching request fails with `status`, GitHub's `message` and `headers` (such as a
   * rate limit's `retry-after`), once per call.
   */
  failNext(
    method: string,
    pattern: RegExp,
    status: number,
    message = 'injected failure',
    headers?: Record<string, string>,
  ): void {
    this.failures.push({ method, pattern, status, message, headers });
  }

  addComment(issue: number, login: string, body: string, type: 'User' | 'Bot' = 'User'): Comment {
    const at = this.now().toISOString();
    const comment = {
      id: 1000 + ++this.counter,
      issue_number: issue,
      body,
      user: { login, type },
      created_at: at,
      updated_at: at,
    };
    this.comments.push(comment);
    return comment;
  }

  commentsOn(issue: number): Comment[] {
    return this.comments.filter((c) => c.issue_number === issue);
  }

  private isAncestor(ancestor: string, of: string): boolean {
    const seen = new Set<string>();
    const stack = [of];
    while (stack.length) {
      const s = stack.pop()!;
      if (s === ancestor) return true;
      if (seen.has(s)) continue;
      seen.add(s);
      stack.push(...(this.commits.get(s)?.parents ?? []));
    }
    return false;
  }

  private sha(text: string): string {
    return createHash('sha1').update(`${++this.counter} ${text}`).digest('hex');
  }

  /**
   * One request, checked against GitHub's REST description and paged as GitHub pages (a `Link`
   * header). A GET answered 200 carries an ETag; asked again with it (`If-None-Match`) and
   * unchanged, the answer is 304 with no body, as GitHub does.
   */
  handle(
    method: string,
    rawPath: string,
    body: any,
    authorization?: string,
    ifNoneMatch?: string,
    origin?: string,
  ): Answer & { etag?: string } {
    const recorded: RecordedRequest = { method, path: rawPath, body, authorization };
    this.requests.push(recorded);
    const url = new URL(rawPath, origin ?? 'http://github');
    let answer = this.route(method, url, body, recorded);
    if (answer.status === 200 && answer.list)
      answer = paged(
        url,
        answer.list.items,
        answer.list.key,
        answer.body,
        origin ?? 'https://api.github.com',
      );
    recorded.status = answer.status;
    if (method !== 'GET' || answer.status !== 200) return answer;
    const etag = `"${createHash('sha1')
      .update(JSON.stringify(answer.body ?? null) + (answer.headers?.link ?? ''))
      .digest('hex')}"`;
    recorded.status = ifNoneMatch === etag ? 304 : 200;
    return ifNoneMatch === etag ? { status: 304, etag } : { ...answer, etag };
  }

  private route(method: string, url: URL, body: any, recorded: RecordedRequest): Answer {
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v3/, '');
    recorded.path = path + url.search;
    for (const waiter of this.awaited.filter((w) => w.matches(recorded))) {
      this.awaited.splice(this.awaited.indexOf(waiter), 1);
      waiter.seen(recorded);
    }
    const violation = checkGitHubRequest(
      method,
      url.pathname.replace(/^\/api\/v3/, ''),
      url.searchParams,
      body,
    );
    if (violation) {
      this.violations.push(violation.message);
      return { status: violation.status, body: { message: violation.message } };
    }
    const failure = this.failures.findIndex((f) => f.method === method && f.pattern.test(path));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return { status: f!.status, body: { message: f!.message }, headers: f!.headers };
    }
    const notFound = { status: 404, body: { message: 'Not Found' } };
    const repoPrefix = /^\/repos\/([^/]+)\/([^/]+)/.exec(path);
    if (repoPrefix && `${repoPrefix[1]}/${repoPrefix[2]}` !== this.repository) {
      // Another repository of the installation: nothing locked, nothing deployed.
      const other = this.installationRepositories.includes(`${repoPrefix[1]}/${repoPrefix[2]}`);
      const list = /\/(git\/matching-refs\/.*|deployments)$/.test(path);
      return other && method === 'GET' && list ? { status: 200, body: [] } : notFound;
    }
    const rest = repoPrefix ? path.slice(repoPrefix[0].length) : path;
    let m: RegExpExecArray | null;

    if (method === 'POST' && (m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path))) {
      return {
        status: 201,
        body: {
          token: `ghs_installation_${m[1]}`,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: {},
          repository_selection: 'all',
        },
      };
    }
    if (method === 'GET' && path === '/app')
      return { status: 200, body: { id: 1, slug: 'api7-sync', name: 'api7-sync' } };
    if (method === 'GET' && path === '/app/installations')
      return ok([{ id: 1, account: { login: this.repository.split('/')[0] } }]);
    if (method === 'GET' && path === '/installation/repositories') {
      const all = this.installationRepositories.length ? this.installationRepositories : [this.repository];
      const repositories = all.map((full) => {
        const [owner, name] = full.split('/');
        return { name, full_name: full, owner: { login: owner }, default_branch: 'main' };
      });
      return ok(repositories, 'repositories', { total_count: repositories.length });
    }
    if (method === 'GET' && (m = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(path))) {
      return (this.teams.get(`${m[1]}/${m[2]}`) ?? []).includes(m[3]!)
        ? { status: 200, body: { state: 'active', role: 'member' } }
        : notFound;
    }
    if (!repoPrefix) return { status: 404, body: { message: `fake GitHub has no ${method} ${path}` } };

    if (method === 'GET' && rest === '')
      return { status: 200, body: { full_name: this.repository, default_branch: 'main' } };
    if (method === 'GET' && (m = /^\/contents\/(.+)$/.exec(rest))) {
      const ref = url.searchParams.get('ref') ?? 'main';
      const text = this.files.get(`${ref}:${m[1]}`);
      return text === undefined
        ? notFound
        : {
            status: 200,
            body: {
              type: 'file',
              encoding: 'base64',
              content: Buffer.from(text).toString('base64'),
              path: m[1],
            },
          };
    }
    if (method === 'GET' && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
      const permission = this.permissions.get(m[1]!) ?? 'none';
      return { status: 200, body: { permission, role_name: permission, user: { login: m[1] } } };
    }
    if (method === 'GET' && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pr = this.pulls.get(Number(m[1]));
      return pr ? { status: 200, body: { state: 'open', merged: false, ...pr } } : notFound;
    }
    if (method === 'GET' && (m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      return ok(this.commentsOn(Number(m[1])));
    }
    // GitHub's size limits: a comment body of 65,536 characters, a check run output part of 65,535.
    if (/\/comments(\/\d+)?$/.test(rest) && String(body?.body ?? '').length > 65_536)
      return {
        status: 422,
        body: { message: 'Validation Failed: body is too long (maximum is 65536 characters)' },
      };
    if (
      /^\/check-runs/.test(rest) &&
      [body?.output?.summary, body?.output?.text].some((t) => String(t ?? '').length > 65_535)
    )
      return {
        status: 422,
        body: { message: 'Validation Failed: output is too long (maximum is 65535 characters)' },
      };
    if (method === 'GET' && (m = /^\/actions\/runs\/(\d+)\/approvals$/.exec(rest)))
      return { status: 200, body: this.runApprovals.get(Number(m[1])) ?? [] };
    if (method === 'POST' && (m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      return { status: 201, body: this.addComment(Number(m[1]), this.commentAs, body.body, 'Bot') };
    }
    if (method === 'PATCH' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const c = this.comments.find((x) => x.id === Number(m![1]));
      if (!c) return notFound;
      c.body = body.body;
      c.updated_at = this.now().toISOString();
      return { status: 200, body: c };
    }
    if (method === 'DELETE' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const at = this.comments.findIndex((x) => x.id === Number(m![1]));
      if (at < 0) return notFound;
      this.comments.splice(at, 1);
      return { status: 204 };
    }
    if (method === 'POST' && (m = /^\/issues\/comments\/(\d+)\/reactions$/.exec(rest))) {
      // GitHub answers 200 (not 201) when this account already made this reaction.
      const user = this.commentAs;
      const at = this.reactions.findIndex(
        (r) => r.comment === Number(m![1]) && r.content === body.content && r.user === user,
      );
      if (at >= 0) return { status: 200, body: { id: at + 1, content: body.content } };
      this.reactions.push({ comment: Number(m[1]), content: body.content, user });
      return { status: 201, body: { id: this.reactions.length, content: body.content } };
    }
    if (method === 'POST' && rest === '/git/trees') {
      const s = this.sha(JSON.stringify(body));
      this.trees.add(s);
      return { status: 201, body: { sha: s } };
    }
    if (method === 'POST' && rest === '/git/commits') {
      if (!this.trees.has(body.tree)) return { status: 422, body: { message: 'Tree SHA does not exist' } };
      const s = this.sha(JSON.stringify(body));
      this.commits.set(s, { message: body.message, parents: body.parents ?? [], tree: body.tree });
      return {
        status: 201,
        body: {
          sha: s,
          message: body.message,
          tree: { sha: body.tree },
          parents: (body.parents ?? []).map((p: string) => ({ sha: p })),
        },
      };
    }
    if (method === 'GET' && (m = /^\/git\/commits\/([0-9a-f]+)$/.exec(rest))) {
      const c = this.commits.get(m[1]!);
      return c
        ? {
            status: 200,
            body: {
              sha: m[1],
              message: c.message,
              tree: { sha: c.tree },
              parents: c.parents.map((p) => ({ sha: p })),
            },
          }
        : notFound;
    }
    if (method === 'POST' && rest === '/git/refs') {
      if (this.refs.has(body.ref)) return { status: 422, body: { message: 'Reference already exists' } };
      this.refs.set(body.ref, body.sha);
      this.refEvents.push({ ref: body.ref, event: 'created' });
      return { status: 201, body: { ref: body.ref, object: { sha: body.sha } } };
    }
    if (method === 'GET' && (m = /^\/git\/matching-refs\/(.+)$/.exec(rest))) {
      const prefix = `refs/${m[1]}`;
      return {
        status: 200,
        body: [...this.refs]
          .filter(([ref]) => ref.startsWith(prefix))
          .map(([ref, sha]) => ({ ref, object: { sha, type: 'commit' } })),
      };
    }
    if ((m = /^\/git\/refs?\/(heads\/.+)$/.exec(rest))) {
      const ref = `refs/${m[1]}`;
      const current = this.refs.get(ref);
      if (method === 'GET')
        return current ? { status: 200, body: { ref, object: { sha: current, type: 'commit' } } } : notFound;
      if (method === 'DELETE') {
        if (!current) return { status: 422, body: { message: 'Reference does not exist' } };
        this.refs.delete(ref);
        this.refEvents.push({ ref, event: 'deleted' });
        return { status: 204 };
      }
      if (method === 'PATCH') {
        if (!current) return { status: 422, body: { message: 'Reference does not exist' } };
        if (!body.force && !this.isAncestor(current, body.sha))
          return { status: 422, body: { message: 'Update is not a fast forward' } };
        this.refs.set(ref, body.sha);
        this.refEvents.push({ ref, event: 'moved' });
        return { status: 200, body: { ref, object: { sha: body.sha } } };
      }
    }
    if (method === 'POST' && rest === '/check-runs') {
      if (!body?.name || !/^[0-9a-f]{40}$/.test(body.head_sha ?? ''))
        return { status: 422, body: { message: 'name and a 40-hex head_sha are required' } };
      const run = {
        id: 5000 + this.checkRuns.length + 1,
        status: 'queued',
        conclusion: null,
        external_id: null,
        // GitHub sets the app from the token; no one can make a check run in another app's name.
        app: { slug: this.commentAs.replace(/\[bot\]$/, '') },
        ...body,
      };
      this.checkRuns.push({ id: run.id, run, history: [body] });
      return { status: 201, body: run };
    }
    if (method === 'PATCH' && (m = /^\/check-runs\/(\d+)$/.exec(rest))) {
      const c = this.checkRuns.find((x) => x.id === Number(m![1]));
      if (!c) return notFound;
      Object.assign(c.run, body);
      c.history.push(body);
      return { status: 200, body: c.run };
    }
    if (method === 'GET' && (m = /^\/check-runs\/(\d+)$/.exec(rest))) {
      const c = this.checkRuns.find((x) => x.id === Number(m![1]));
      return c ? { status: 200, body: c.run } : notFound;
    }
    if (method === 'GET' && (m = /^\/commits\/([^/]+)\/check-runs$/.exec(rest))) {
      const name = url.searchParams.get('check_name');
      const runs = this.checkRuns
        .map((c) => c.run)
        .filter((r) => r.head_sha === m![1] && (!name || r.name === name));
      return ok(runs, 'check_runs', { total_count: runs.length });
    }
    if (method === 'POST' && (m = /^\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(rest))) {
      // GitHub's "review custom deployment protection rules for a workflow run".
      const ok =
        typeof body?.environment_name === 'string' &&
        (body.state === 'approved' ||
          body.state === 'rejected' ||
          (body.state === undefined && body.comment)) &&
        (body.comment === undefined || typeof body.comment === 'string');
      if (!ok)
        return { status: 422, body: { message: 'environment_name and state (or comment) are required' } };
      this.gateReviews.push({ runId: Number(m[1]), body });
      return { status: 204 };
    }
    if (method === 'POST' && rest === '/deployments') {
      const d = {
        id: this.deployments.length + 1,
        body,
        statuses: [] as any[],
        created_at: this.now().toISOString(),
        creator: this.actingAs ?? this.commentAs,
      };
      this.deployments.push(d);
      return {
        status: 201,
        body: { id: d.id, environment: body.environment, ref: body.ref, payload: body.payload },
      };
    }
    if (method === 'GET' && rest === '/deployments') {
      const environment = url.searchParams.get('environment');
      return ok(
        [...this.deployments]
          .reverse()
          .filter((d) => environment === null || d.body.environment === environment)
          .map((d) => ({
            id: d.id,
            environment: d.body.environment,
            payload: d.body.payload,
            created_at: d.created_at,
            creator: {
              login: d.creator ?? 'api7-sync[bot]',
              type: (d.creator ?? '[bot]').endsWith('[bot]') ? 'Bot' : 'User',
            },
          })),
      );
    }
    if ((m = /^\/deployments\/(\d+)\/statuses$/.exec(rest))) {
      const d = this.deployments.find((x) => x.id === Number(m![1]));
      if (!d) return notFound;
      if (method === 'GET') return ok([...d.statuses].reverse());
      if (method === 'POST') {
        d.statuses.push({ ...body, created_at: this.now().toISOString() });
        return { status: 201, body: { id: d.statuses.length, state: body.state } };
      }
    }
    return { status: 404, body: { message: `fake GitHub has no ${method} ${path}` } };
  }
}

/** An answer of the model; a list answer is paged by `handle`. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The whole list, paged as GitHub does (in `body[key]` when the answer is an object). */
  list?: { items: unknown[]; key?: string };
}

function ok(items: unknown[], key?: string, body?: Record<string, unknown>): Answer {
  return { status: 200, body, list: { items, key } };
}

/** GitHub's maximum, and its default, page size. */
export const MAX_PER_PAGE = 100;
export const DEFAULT_PER_PAGE = 30;

/**
 * One page of a list as GitHub answers it: `per_page` (default 30, at most 100) and `page` (from
 * 1), with a `Link` header naming the next and last pages (and first and prev past the first).
 */
function paged(url: URL, items: unknown[], key: string | undefined, body: unknown, origin: string): Answer {
  const perPage = Math.min(
    MAX_PER_PAGE,
    Math.max(1, Number(url.searchParams.get('per_page')) || DEFAULT_PER_PAGE),
  );
  const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string) => {
    const target = new URL(url.pathname + url.search, origin);
    target.searchParams.set('per_page', String(perPage));
    target.searchParams.set('page', String(n));
    return `<${target.href}>; rel="${rel}"`;
  };
  const links = [
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
    ...(page > 1 ? [link(1, 'first'), link(Math.min(page - 1, last), 'prev')] : []),
  ];
  return {
    status: 200,
    body: key ? { ...(body as object), [key]: slice } : slice,
    ...(links.length ? { headers: { link: links.join(', ') } } : {}),
  };
}

export interface FakeGitHub extends GitHubModel {
  url: string;
  close(): Promise<void>;
}

/** The model over HTTP on 127.0.0.1. */
export async function fakeGitHub(model = new GitHubModel()): Promise<FakeGitHub> {
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const answer = model.handle(
        req.method ?? 'GET',
        req.url ?? '/',
        raw ? JSON.parse(raw) : undefined,
        req.headers.authorization,
        req.headers['if-none-match'],
        `http://${req.headers.host}`,
      );
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        ...answer.headers,
        ...(answer.etag ? { etag: answer.etag } : {}),
      });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(model, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  });
}

/** The model behind nock, for Octokits in this process (Probot's fetches through global fetch). */
export function interceptGitHub(model: GitHubModel, origin = 'https://api.github.com'): nock.Scope {
  const scope = nock(origin).persist();
  for (const method of ['get', 'post', 'patch', 'put', 'delete'] as const) {
    scope[method](/.*/).reply(function (uri, body, answered) {
      const parsed = typeof body === 'string' && body ? JSON.parse(body) : body || undefined;
      const answer = model.handle(
        method.toUpperCase(),
        uri,
        parsed,
        String(this.req.headers.authorization ?? ''),
        this.req.headers['if-none-match'] as string | undefined,
        origin,
      );
      const headers = { ...answer.headers, ...(answer.etag ? { etag: answer.etag } : {}) };
      const reply = () => answered(null, [answer.status, answer.body ?? '', headers]);
      if (model.latencyMs > 0) setTimeout(reply, model.latencyMs);
      else reply();
    });
  }
  return scope;
}

const ModelOctokit = Octokit.plugin(paginateRest);
const MODEL_ORIGIN = 'https://api.github.com';

/**
 * A real Octokit (`request` and `paginate`) answered by the model in this process, without HTTP,
 * for a test that must set up GitHub-side state the way another program would have left it.
 */
export function modelClient(model: GitHubModel): GitHubClient {
  return new ModelOctokit({
    baseUrl: MODEL_ORIGIN,
    request: {
      fetch: async (url: string, init: RequestInit) => {
        const answer = model.handle(
          init.method ?? 'GET',
          url,
          typeof init.body === 'string' && init.body ? JSON.parse(init.body) : undefined,
          new Headers(init.headers).get('authorization') ?? undefined,
          new Headers(init.headers).get('if-none-match') ?? undefined,
          MODEL_ORIGIN,
        );
        const empty = answer.status === 204 || answer.status === 304 || answer.body === undefined;
        return new Response(empty ? null : JSON.stringify(answer.body), {
          status: answer.status,
          headers: {
            'content-type': 'application/json',
            ...answer.headers,
            ...(answer.etag ? { etag: answer.etag } : {}),
          },
        });
      },
    },
  });
}

/**
 * How a deployment ended, when its statuses are what a promotion session leaves: heartbeats
 * (`in_progress`, one per beat that passed, none for a run shorter than a beat) then one result.
 * Anything else comes back as the whole list, so that an assertion on it fails showing it.
 */
export function deploymentOutcome(deployment: { statuses: { state: string }[] }): string {
  const states = deployment.statuses.map((s) => s.state);
  const heartbeatsOnly = states.slice(0, -1).every((s) => s === 'in_progress');
  return heartbeatsOnly && states.length ? states.at(-1)! : `[${states.join(', ')}]`;
}

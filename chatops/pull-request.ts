/**
 * The GitHub calls chat-ops makes about one pull request, over the `request` method every Octokit
 * has. One instance serves one command: a permission, the pull request and a file are each read
 * once however many guards ask (GitHub's budget, §14), and never outlive the command.
 */
import { fitText, MAX_COMMENT_CHARS } from '../github/limits.js';
import type { GitHubClient, Repo } from '../github/api.js';
import { statusOf } from '../github/api.js';
import { Refusal } from './refusal.js';

export interface IssueComment {
  id: number;
  body?: string;
  user: { login: string; type?: string } | null;
  created_at: string;
  updated_at: string;
}

export interface PullFacts {
  headSha: string;
  author: string;
  /** A fork, or a head repository GitHub no longer knows (deleted fork): fail closed. */
  fork: boolean;
  /** `open`, `closed` or `merged`: only an open pull request takes /sync and /approve. */
  state: 'open' | 'closed' | 'merged';
}

export type Reaction = 'eyes' | 'rocket' | 'confused' | '+1' | '-1';

export class PullRequest {
  constructor(
    readonly github: GitHubClient,
    readonly repo: Repo,
    readonly number: number,
  ) {}

  private readonly permissions = new Map<string, Promise<boolean>>();
  private readonly files = new Map<string, Promise<string | undefined>>();
  private pull: Promise<PullFacts> | undefined;

  get repository(): string {
    return `${this.repo.owner}/${this.repo.repo}`;
  }

  /** Write or more (admin, maintain, write); asked once per login and command. */
  canWrite(login: string): Promise<boolean> {
    const key = login.toLowerCase();
    let answer = this.permissions.get(key);
    if (!answer) {
      answer = this.readPermission(login);
      this.permissions.set(key, answer);
    }
    return answer;
  }

  private async readPermission(login: string): Promise<boolean> {
    const { data } = await this.github.request(
      'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
      { ...this.repo, username: login },
    );
    return (
      ['admin', 'write', 'maintain'].includes(String(data.role_name ?? data.permission)) ||
      ['admin', 'write'].includes(String(data.permission))
    );
  }

  /** Whether `login` is `principal`: the same user, or an active member of an `@org/team`. */
  async is(login: string, principal: string): Promise<boolean> {
    if (!principal.startsWith('@')) return principal.toLowerCase() === login.toLowerCase();
    const [org = '', team = ''] = principal.slice(1).split('/');
    try {
      const { data } = await this.github.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', {
        org,
        team_slug: team,
        username: login,
      });
      return data.state === 'active';
    } catch (err) {
      if (statusOf(err) === 404) return false;
      // A token that cannot read teams (a workflow's own token) must not make a team entry
      // silently count as "not a member" or, worse, be skipped.
      if (statusOf(err) === 403 || statusOf(err) === 401)
        throw new Refusal(
          `the GitHub token cannot read the membership of ${principal}; use a token that can read team membership (a GitHub App token) or list people by login`,
        );
      throw err;
    }
  }

  async isAny(login: string, principals: readonly string[]): Promise<boolean> {
    for (const p of principals) if (await this.is(login, p)) return true;
    return false;
  }

  /** A file's text at a ref, or undefined when it does not exist there; read once per command. */
  file(path: string, ref: string): Promise<string | undefined> {
    const key = `${ref}:${path}`;
    let text = this.files.get(key);
    if (!text) {
      text = this.readFile(path, ref);
      this.files.set(key, text);
    }
    return text;
  }

  private async readFile(path: string, ref: string): Promise<string | undefined> {
    try {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...this.repo,
        path,
        ref,
      });
      return Buffer.from('content' in data ? String(data.content ?? '') : '', 'base64').toString('utf8');
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** The pull request as GitHub has it now, read once per command. */
  facts(): Promise<PullFacts> {
    this.pull ??= this.readFacts();
    return this.pull;
  }

  private async readFacts(): Promise<PullFacts> {
    const { data } = await this.github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      ...this.repo,
      pull_number: this.number,
    });
    const base = String(data.base?.repo?.full_name ?? '').toLowerCase();
    const head = data.head?.repo;
    return {
      headSha: String(data.head.sha),
      author: String(data.user?.login ?? ''),
      fork: !head || !base || head.fork === true || String(head.full_name ?? '').toLowerCase() !== base,
      state: data.merged === true ? 'merged' : data.state === 'open' ? 'open' : 'closed',
    };
  }

  async comment(body: string): Promise<number> {
    const { data } = await this.github.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...this.repo,
      issue_number: this.number,
      body: fitComment(body),
    });
    return data.id as number;
  }

  async updateComment(id: number, body: string): Promise<void> {
    await this.github.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      ...this.repo,
      comment_id: id,
      body: fitComment(body),
    });
  }

  async deleteComment(id: number): Promise<void> {
    await this.github.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      ...this.repo,
      comment_id: id,
    });
  }

  /**
   * Takes a command comment for this app by reacting 👀, which only the app can remove. GitHub
   * answers 201 for a new reaction and 200 for one the app has already made, so of all deliveries
   * of one comment (a redelivery, a second replica, a re-run workflow) exactly one gets true.
   */
  async claim(commentId: number): Promise<boolean> {
    const { status } = await this.github.request(
      'POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
      { ...this.repo, comment_id: commentId, content: 'eyes' },
    );
    return status === 201;
  }

  async react(commentId: number, content: Reaction): Promise<void> {
    await this.github.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', {
      ...this.repo,
      comment_id: commentId,
      content,
    });
  }
}

/** A comment under GitHub's size limit; a trailing HTML comment (request state) is kept whole. */
function fitComment(body: string): string {
  const marker = body.lastIndexOf('\n<!--');
  const tail = marker >= 0 && body.trimEnd().endsWith('-->') ? body.slice(marker) : '';
  return fitText(
    body,
    MAX_COMMENT_CHARS,
    '`api7-sync plan` or `status` from the CLI lists every service',
    tail,
  );
}

/** The GitHub calls the bot makes, over the `request` method every Octokit has. */
import type { GitHubRequest, Repo } from '../github/api.js';
import { statusOf } from '../github/api.js';

export interface IssueComment {
  id: number;
  body?: string;
  user: { login: string; type?: string } | null;
  created_at: string;
  updated_at: string;
}

export class GitHubOps {
  constructor(
    readonly github: GitHubRequest,
    readonly repo: Repo,
    readonly issue: number,
  ) {}

  /** Write or more (admin, maintain, write). */
  async canWrite(login: string): Promise<boolean> {
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
    const [org, team] = principal.slice(1).split('/');
    try {
      const { data } = await this.github.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', {
        org,
        team_slug: team,
        username: login,
      });
      return data.state === 'active';
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async isAny(login: string, principals: string[]): Promise<boolean> {
    for (const p of principals) if (await this.is(login, p)) return true;
    return false;
  }

  /** A file's text at a ref, or undefined when it does not exist there. */
  async file(path: string, ref: string): Promise<string | undefined> {
    try {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...this.repo,
        path,
        ref,
      });
      return Buffer.from(String(data.content ?? ''), 'base64').toString('utf8');
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async pull(): Promise<{ headSha: string; author: string; fork: boolean }> {
    const { data } = await this.github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      ...this.repo,
      pull_number: this.issue,
    });
    const baseRepo = String(data.base?.repo?.full_name ?? '');
    return {
      headSha: String(data.head.sha),
      author: String(data.user?.login ?? ''),
      fork: Boolean(data.head?.repo?.fork) || String(data.head?.repo?.full_name ?? baseRepo) !== baseRepo,
    };
  }

  async comments(): Promise<IssueComment[]> {
    const all: IssueComment[] = [];
    for (let page = 1; ; page++) {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...this.repo,
        issue_number: this.issue,
        per_page: 100,
        page,
      });
      all.push(...(data as IssueComment[]));
      if ((data as unknown[]).length < 100) return all;
    }
  }

  async comment(body: string): Promise<number> {
    const { data } = await this.github.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...this.repo,
      issue_number: this.issue,
      body,
    });
    return data.id as number;
  }

  async updateComment(id: number, body: string): Promise<void> {
    await this.github.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      ...this.repo,
      comment_id: id,
      body,
    });
  }

  async react(commentId: number, content: 'eyes' | 'rocket' | 'confused' | '+1' | '-1'): Promise<void> {
    await this.github.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', {
      ...this.repo,
      comment_id: commentId,
      content,
    });
  }
}

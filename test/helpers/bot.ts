/** Drives the bot through Probot in process: GitHub through nock, API7 through the sandbox. */
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import nock from 'nock';
import { Probot, ProbotOctokit } from 'probot';
import { createBot, type Bot, type BotOptions } from '../../bot/app.js';
import { origin } from '../../bot/policy.js';
import type { Sandbox } from '../../sandbox/server.js';
import type { TestClock } from './clock.js';
import { GitHubModel, interceptGitHub } from './github-server.js';
import { PROD, TEST } from './sandbox.js';

export const { privateKey: PRIVATE_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

export const WEBHOOK_SECRET = 'test-webhook-secret';
export const HEAD = 'a'.repeat(40);
/** The bot's state secret in tests (at least 32 bytes, not the webhook secret). */
export const STATE_SECRET = 'test-state-secret-of-at-least-32-bytes';

/** The bot's config for the sandbox: production needs `approvals` approvals from @acme/platform. */
export function botConfig(sb: Sandbox, approvals = 0, controlPlane = sb.controlPlane): string {
  return `controlPlane:
  url: ${controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
  staging:
    gatewayGroup: 预发网关组
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: ${sb.gateways[PROD]}
    promoteFrom: test
    protection:
      deployers: [alice, bob, carol, "@acme/sre"]
      approvals: ${approvals}
      approvers: ["@acme/platform", dave]
services:
  httpbin API:
    runtime:
      production:
        upstream: {nodes: [{host: httpbin, port: 80}]}
    verify: [{path: /headers}]
`;
}

export interface Harness {
  github: GitHubModel;
  probot: Probot;
  bot: Bot;
  /** Posts a comment and delivers its webhook; resolves when every job behind it is done. */
  say(login: string, body: string, type?: 'User' | 'Bot'): Promise<number>;
  deliver(name: 'issue_comment' | 'pull_request' | 'deployment_protection_rule', payload: any): Promise<void>;
  comments(): string[];
  close(): void;
}

// GitHub's own example payloads, as collected by the octokit project.
const examples: { name: string; examples: any[] }[] = createRequire(import.meta.url)(
  '@octokit/webhooks-examples',
);
const commentExample = examples
  .find((e) => e.name === 'issue_comment')!
  .examples.find((x: any) => x.action === 'created' && x.installation) as any;
const pushExample = examples
  .find((e) => e.name === 'pull_request')!
  .examples.find((x: any) => x.action === 'synchronize') as any;

// The examples package has no deployment_protection_rule example: its `deployment` example gives
// the deployment, repository and sender, and the webhook schema the rest.
const deploymentExample = examples.find((e) => e.name === 'deployment')!.examples[0] as any;

/**
 * A GitHub-shaped deployment_protection_rule.requested payload for a run of acme/shop that waits
 * on `environment`, with the callback on `githubUrl` (a GitHub Enterprise style `/api/v3` base).
 */
export function gatePayload(environment: string, runId: number, githubUrl = 'https://api.github.com'): any {
  const payload = structuredClone(deploymentExample);
  ourRepository(payload);
  const base = githubUrl === 'https://api.github.com' ? githubUrl : `${githubUrl}/api/v3`;
  return {
    action: 'requested',
    environment,
    event: 'push',
    deployment_callback_url: `${base}/repos/acme/shop/actions/runs/${runId}/deployment_protection_rule`,
    deployment: { ...payload.deployment, environment, original_environment: environment, ref: 'main' },
    pull_requests: [],
    repository: payload.repository,
    sender: payload.sender,
    installation: payload.installation,
  };
}

/** Points an example payload at our installation and repository, acme/shop. */
function ourRepository(payload: any): void {
  payload.installation = { id: 1, node_id: 'x' };
  payload.repository = {
    ...payload.repository,
    name: 'shop',
    full_name: 'acme/shop',
    default_branch: 'main',
    owner: { ...payload.repository.owner, login: 'acme' },
  };
}

/** A GitHub-shaped issue_comment.created payload (from @octokit/webhooks-examples) for our PR. */
export function commentPayload(
  comment: {
    id: number;
    body: string;
    user: { login: string; type: string };
    created_at: string;
    updated_at: string;
  },
  action = 'created',
): any {
  const payload = structuredClone(commentExample);
  payload.action = action;
  ourRepository(payload);
  payload.issue = {
    ...payload.issue,
    number: 7,
    pull_request: { url: 'https://api.github.com/repos/acme/shop/pulls/7' },
  };
  payload.comment = {
    ...payload.comment,
    ...comment,
    html_url: `https://github.example/acme/shop/pull/7#issuecomment-${comment.id}`,
    user: { ...payload.comment.user, ...comment.user },
  };
  payload.sender = { ...payload.sender, login: comment.user.login, type: comment.user.type };
  return payload;
}

/** A push to PR #7 from `before` (the head the requests were made on) to `headSha`. */
export function pushPayload(headSha: string, before = HEAD): any {
  const payload = structuredClone(pushExample);
  ourRepository(payload);
  payload.number = 7;
  payload.before = before;
  payload.after = headSha;
  payload.pull_request = {
    ...payload.pull_request,
    number: 7,
    head: { ...payload.pull_request.head, sha: headSha },
  };
  return payload;
}

export function harness(
  sb: Sandbox,
  options: Partial<BotOptions> & { configText?: string; github?: GitHubModel; clock?: TestClock } = {},
): Harness {
  // A second harness on the same model is a second replica (or a restarted process) of the bot.
  const shared = options.github;
  const github = shared ?? new GitHubModel('acme/shop');
  if (!shared) seedRepository(github, sb, options.configText);
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  if (!shared) interceptGitHub(github);
  const { github: _model, configText: _text, clock, ...botOptions } = options;
  // A test that moves time moves it for GitHub's timestamps and the bot (and its engines) alike.
  if (clock) {
    github.now = clock.date;
    botOptions.now = clock.now;
  }
  const bot = createBot({
    policy: {
      'acme/shop': {
        controlPlane: origin(sb.controlPlane),
        gatewayGroups: '*',
        services: '*',
        gatewayOrigins: [sb.gateways[PROD]!],
      },
    },
    api7Token: sb.token,
    stateSecret: STATE_SECRET,
    verifyTimeoutMs: 1500,
    ...botOptions,
  });
  return probotFor(github, bot);
}

function seedRepository(github: GitHubModel, sb: Sandbox, configText: string | undefined): void {
  github.files.set('main:.github/api7-sync.yml', configText ?? botConfig(sb));
  for (const [login, p] of Object.entries({
    alice: 'write',
    bob: 'write',
    carol: 'write',
    dave: 'write',
    mallory: 'read',
  } as const))
    github.permissions.set(login, p);
  github.teams.set('acme/platform', ['bob']);
  github.teams.set('acme/sre', ['erin']);
  openPullRequest(github);
}

/** Pull request #7 of acme/shop, from a branch of the same repository, at HEAD. */
export function openPullRequest(github: GitHubModel, author = 'alice'): void {
  github.pulls.set(7, {
    number: 7,
    head: { sha: HEAD, ref: 'feature', repo: { full_name: 'acme/shop', fork: false } },
    base: { ref: 'main', repo: { full_name: 'acme/shop' } },
    user: { login: author },
  });
}

function probotFor(github: GitHubModel, bot: Bot): Harness {
  const probot = new Probot({
    appId: 1,
    privateKey: PRIVATE_KEY,
    secret: WEBHOOK_SECRET,
    logLevel: 'fatal',
    // Real GitHub needs the throttle (one write a second); the stand-in does not.
    Octokit: ProbotOctokit.defaults((options: any) => ({
      ...options,
      retry: { enabled: false },
      throttle: { ...options.throttle, enabled: false },
    })),
  });
  void probot.load(bot.app);
  let delivery = 0;
  const deliver = async (
    name: 'issue_comment' | 'pull_request' | 'deployment_protection_rule',
    payload: any,
  ) => {
    await probot.receive({ id: `delivery-${++delivery}`, name, payload } as never);
    await bot.queue.idle();
  };
  return {
    github,
    probot,
    bot,
    deliver,
    async say(login, body, type = 'User') {
      const comment = github.addComment(7, login, body, type);
      await deliver('issue_comment', commentPayload(comment));
      return comment.id;
    },
    comments: () =>
      github
        .commentsOn(7)
        .filter((c) => c.user.login === 'api7-sync[bot]')
        .map((c) => c.body),
    close() {
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

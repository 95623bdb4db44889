/**
 * The Probot app: `/sync production` on a pull request, with guards, chat-ops approvals, an
 * environment lock, one status comment per request, reactions and a deployment record.
 *
 * Order of checks (DESIGN.md §7): sender is not a bot → command parses → commenter may write →
 * environment exists and follows its promoteFrom → deployers → fork PRs → operator policy → lock
 * free → approvals → run. Handlers only enqueue; jobs do the work.
 */
import type { Probot } from 'probot';
import {
  ConfigError,
  createEngine,
  parseConfig,
  resultMarkdown,
  type Config,
  type SyncResult,
} from '../engine/index.js';
import type { GitHubRequest, Repo } from '../github/api.js';
import { createDeployment, setDeploymentStatus } from '../github/deployment.js';
import { describeHolder, EnvironmentLock } from '../github/lock.js';
import { parseCommand, USAGE, type Command } from './commands.js';
import { GitHubOps, type IssueComment } from './github-ops.js';
import { checkPolicy, ruleFor, withOperatorTls, type Policy } from './policy.js';
import { JobQueue } from './queue.js';
import { decodeState, encodeState, stateKey, type RequestState, type RequestStatus } from './state.js';

export interface BotOptions {
  policy: Policy;
  api7Token: string;
  /** Signs request state in comments; derived from the webhook secret by default. */
  stateSecret: string;
  configPath?: string;
  approvalTtlMs?: number;
  heartbeatMs?: number;
  verifyTimeoutMs?: number;
  now?: () => number;
}

export interface Bot {
  app: (app: Probot) => void;
  queue: JobQueue;
}

type Sync = Extract<Command, { kind: 'sync' }>;

/** Everything a job needs about where it runs. */
interface Where {
  ops: GitHubOps;
  repository: string;
  repo: Repo;
  commandId: number;
  /** When GitHub says the command was made: approvals must come after it. */
  commandAt: string;
  commenter: string;
  commentUrl: string;
}

class Refusal extends Error {}

const DAY = 24 * 60 * 60_000;

export function createBot(options: BotOptions): Bot {
  const key = stateKey(options.stateSecret);
  const now = options.now ?? Date.now;
  const configPath = options.configPath ?? '.github/api7-sync.yml';
  const heartbeatMs = options.heartbeatMs ?? 60_000;
  let log: Probot['log'] | undefined;
  const queue = new JobQueue((err) => log?.error({ err }, 'api7-sync job failed'));

  /** How long approvals stay valid: the environment's `approvalHours`, else the bot's default. */
  const approvalTtl = (protection: { approvalHours?: number }) =>
    protection.approvalHours !== undefined
      ? protection.approvalHours * 3_600_000
      : (options.approvalTtlMs ?? DAY);

  /** The repository config, from the default branch only: a pull request cannot change who may deploy. */
  async function loadConfig(w: Where, defaultBranch: string): Promise<Config> {
    const text = await w.ops.file(configPath, defaultBranch);
    if (text === undefined)
      throw new Refusal(
        `there is no \`${configPath}\` on \`${defaultBranch}\`; add one (see the README) and merge it first`,
      );
    try {
      return parseConfig(text, configPath, { env: false });
    } catch (err) {
      if (err instanceof ConfigError)
        throw new Refusal(
          `\`${configPath}\` on \`${defaultBranch}\` has problems:\n\n\`\`\`\n${err.message}\n\`\`\``,
        );
      throw err;
    }
  }

  function engineFor(config: Config, repository: string) {
    const rule = ruleFor(options.policy, repository)!;
    return createEngine({ config: withOperatorTls(config, rule), token: options.api7Token });
  }

  /** Guards shared by /sync and /rollback, in the design's order, after the parse. */
  async function guard(
    w: Where,
    defaultBranch: string,
    environment: string,
    from: string | undefined,
    services: string[],
  ) {
    if (!(await w.ops.canWrite(w.commenter)))
      throw new Refusal('you need write permission on this repository to do that');
    const config = await loadConfig(w, defaultBranch);
    const env = config.environments[environment];
    if (!env)
      throw new Refusal(
        `there is no environment \`${environment}\` in \`${configPath}\`; there are: ${Object.keys(
          config.environments,
        )
          .map((e) => `\`${e}\``)
          .join(', ')}`,
      );
    const sources = env.promoteFrom === undefined ? undefined : [env.promoteFrom].flat();
    let source = from;
    if (from !== undefined || sources) {
      source ??= sources!.length === 1 ? sources![0] : undefined;
      if (!source)
        throw new Refusal(
          `\`${environment}\` accepts promotions from ${sources!.join(', ')}: say which with \`--from\``,
        );
      if (sources && !sources.includes(source))
        throw new Refusal(
          `\`${environment}\` accepts promotions only from ${sources.map((s) => `\`${s}\``).join(', ')}, not from \`${source}\``,
        );
    }
    const protection = env.protection ?? {};
    if (protection.deployers?.length && !(await w.ops.isAny(w.commenter, protection.deployers))) {
      throw new Refusal(
        `you are not among the deployers of \`${environment}\` (${protection.deployers.join(', ')})`,
      );
    }
    const pull = await w.ops.pull();
    if (pull.fork && !protection.allowForks)
      throw new Refusal(
        `this pull request comes from a fork; \`${environment}\` does not accept syncs from forks (protection.allowForks)`,
      );
    const named = services.length ? services : Object.keys(config.services);
    const denied = checkPolicy(
      options.policy,
      w.repository,
      config,
      [environment, ...(source ? [source] : [])],
      named,
    );
    if (denied)
      throw new Refusal(`not permitted for this repository (\`not-permitted-for-repository\`): ${denied}`);
    const lock = await new EnvironmentLock(w.ops.github, w.repo, now).read(environment);
    if (lock && Date.parse(lock.info.until) > now())
      throw new Refusal(`the lock on \`${environment}\` is ${describeHolder(lock.info)}`);
    return { config, env, source, pull, protection };
  }

  function statusBody(state: RequestState, body: string): string {
    const title = `**api7-sync** · \`/sync ${state.environment}\` from \`${state.from}\` · request ${state.request} by @${state.requester} · **${state.status}**`;
    return `${title}\n\n${body}\n\n${encodeState(key, state)}`;
  }

  /** Requests on this pull request, from the bot's own signed status comments. */
  async function requests(w: Where): Promise<{ comment: IssueComment; state: RequestState }[]> {
    const out: { comment: IssueComment; state: RequestState }[] = [];
    for (const c of await w.ops.comments()) {
      const state = c.body ? decodeState(key, c.body) : undefined;
      if (state) out.push({ comment: c, state });
    }
    return out;
  }

  async function sync(w: Where, command: Sync, defaultBranch: string): Promise<void> {
    const { config, source, pull, protection } = await guard(
      w,
      defaultBranch,
      command.environment,
      command.from,
      command.services,
    );
    if (!source)
      throw new Refusal(`\`${command.environment}\` has no promoteFrom: say where from with \`--from\``);
    const engine = engineFor(config, w.repository);
    let planned: SyncResult;
    try {
      const plan = await engine.plan({
        from: source,
        to: command.environment,
        services: command.services.length ? command.services : undefined,
        expectVersion: command.version,
      });
      planned = await engine.apply(plan, { dryRun: true });
      const state: RequestState = {
        v: 1,
        request: w.commandId,
        pr: w.ops.issue,
        environment: command.environment,
        from: source,
        services: plan.entries.map((e) => e.name),
        ...(command.version ? { version: command.version } : {}),
        requester: w.commenter,
        headSha: pull.headSha,
        sourceVersions: Object.fromEntries(
          plan.entries.filter((e) => e.sourceVersionId).map((e) => [e.name, e.sourceVersionId!]),
        ),
        approvalsNeeded: command.dryRun ? 0 : (protection.approvals ?? 0),
        createdAt: w.commandAt,
        status: 'pending',
      };
      const refused = planned.services.some((s) => s.action === 'refused');
      const nothing = planned.services.every((s) => s.action === 'unchanged');
      if (command.dryRun || refused || nothing) {
        state.status = refused ? 'refused' : 'done';
        await w.ops.comment(
          statusBody(
            state,
            `${resultMarkdown(planned)}\n${command.dryRun ? 'Dry run: nothing was changed.' : refused ? 'Nothing was changed.' : 'Already in place: nothing to do.'}`,
          ),
        );
        await w.ops.react(w.commandId, refused ? 'confused' : 'rocket');
        return;
      }
      if (state.approvalsNeeded > 0) {
        const approvers = (protection.approvers ?? []).join(', ') || '(nobody: set protection.approvers)';
        await w.ops.comment(
          statusBody(
            state,
            `${resultMarkdown(planned)}\n**Approvals:** 0 of ${state.approvalsNeeded} · approvers: ${approvers} · reply \`/approve ${w.commandId}\` (or \`/deny ${w.commandId}\`). Approvals lapse on a new push, a new source version, or after ${Math.round(approvalTtl(protection) / 3_600_000)} h.`,
          ),
        );
        return;
      }
      const statusId = await w.ops.comment(statusBody(state, `${resultMarkdown(planned)}\nStarting…`));
      await run(w, config, state, statusId);
    } finally {
      await engine.close();
    }
  }

  /** Runs an approved (or approval-free) request under the environment lock. */
  async function run(w: Where, config: Config, state: RequestState, statusId: number): Promise<void> {
    const update = (status: RequestStatus, body: string) =>
      w.ops.updateComment(statusId, statusBody({ ...state, status }, body));
    const lock = new EnvironmentLock(w.ops.github, w.repo, now);
    const claim = await lock.claim(state.environment, {
      holder: `${w.repository} PR #${state.pr} request ${state.request} (by @${state.requester})`,
      url: w.commentUrl,
      reason: `/sync ${state.environment}`,
    });
    if (!claim.claimed) {
      await update(
        'failed',
        `Not started: the lock on \`${state.environment}\` is ${describeHolder(claim.heldBy)}. Ask again with \`/sync ${state.environment}\` when it is free.`,
      );
      await w.ops.react(state.request, 'confused');
      return;
    }
    const engine = engineFor(config, w.repository);
    let heartbeat: NodeJS.Timeout | undefined;
    let deployment: { id: number } | undefined;
    try {
      const plan = await engine.plan({
        from: state.from,
        to: state.environment,
        services: state.services,
        expectVersion: state.version,
      });
      const moved = plan.entries.filter(
        (e) =>
          e.sourceVersionId &&
          state.sourceVersions[e.name] &&
          e.sourceVersionId !== state.sourceVersions[e.name],
      );
      if (moved.length) {
        await update(
          'lapsed',
          `A new version runs in \`${state.from}\` since this was planned (${moved.map((e) => `${e.name}: now ${e.version}`).join(', ')}); approvals are bound to the planned versions and have lapsed. Ask again with \`/sync ${state.environment}\`.`,
        );
        await w.ops.react(state.request, 'confused');
        return;
      }
      await update(
        'running',
        `Promoting ${state.services.map((s) => `\`${s}\``).join(', ')} from \`${state.from}\` to \`${state.environment}\`…`,
      );
      const planned = await engine.apply(plan, { dryRun: true });
      deployment = await createDeployment(w.ops.github, w.repo, {
        ref: state.headSha,
        environment: state.environment,
        description: `api7-sync ${state.from} → ${state.environment} (PR #${state.pr})`,
        payload: { api7Sync: { request: state.request, pr: state.pr }, plan: planned },
        production: /^prod(uction)?$/i.test(state.environment),
      });
      const envUrl = config.environments[state.environment]?.gatewayUrl;
      await setDeploymentStatus(w.ops.github, w.repo, deployment, 'in_progress', {
        description: 'promoting',
        environmentUrl: envUrl,
        logUrl: w.commentUrl,
      });
      // A heartbeat in the statuses: a deployment whose heartbeat stops is stale after a restart.
      heartbeat = setInterval(() => {
        void setDeploymentStatus(w.ops.github, w.repo, deployment!, 'in_progress', {
          description: `heartbeat ${new Date(now()).toISOString()}`,
          environmentUrl: envUrl,
        }).catch(() => {});
        void lock.renew(claim.lock).catch(() => {});
      }, heartbeatMs);
      heartbeat.unref();
      const result = await engine.apply(plan, { verifyTimeoutMs: options.verifyTimeoutMs });
      clearInterval(heartbeat);
      heartbeat = undefined;
      await setDeploymentStatus(w.ops.github, w.repo, deployment, result.ok ? 'success' : 'failure', {
        description: summary(result),
        environmentUrl: envUrl,
        logUrl: w.commentUrl,
      });
      await update(result.ok ? 'done' : 'failed', resultMarkdown(result));
      await w.ops.react(state.request, result.ok ? 'rocket' : 'confused');
    } catch (err) {
      if (deployment)
        await setDeploymentStatus(w.ops.github, w.repo, deployment, 'error', {
          description: (err as Error).message,
        }).catch(() => {});
      await update('failed', `The promotion failed: ${(err as Error).message}`);
      await w.ops.react(state.request, 'confused');
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      await engine.close();
      await lock.release(state.environment, claim.lock.sha).catch(() => {});
    }
  }

  /** Rebuilds approvals from the unedited `/approve` comments themselves, at decision time. */
  async function decide(
    w: Where,
    request: string | undefined,
    deny: boolean,
    defaultBranch: string,
  ): Promise<void> {
    const all = await requests(w);
    const pending = all.filter(
      (r) => r.state.status === 'pending' && (!request || String(r.state.request) === request),
    );
    const target = pending.at(-1);
    if (!target)
      throw new Refusal(
        request
          ? `there is no pending request ${request} on this pull request`
          : 'there is no pending request on this pull request',
      );
    const { state } = target;
    const config = await loadConfig(w, defaultBranch);
    const protection = config.environments[state.environment]?.protection ?? {};
    const approvers = protection.approvers ?? [];
    const update = (status: RequestStatus, body: string) =>
      w.ops.updateComment(target.comment.id, statusBody({ ...state, status }, body));
    if (deny) {
      if (w.commenter !== state.requester && !(await w.ops.isAny(w.commenter, approvers)))
        throw new Refusal(`you are neither the requester nor an approver of \`${state.environment}\``);
      await update('denied', `Denied by @${w.commenter}. Nothing was changed.`);
      return;
    }
    if (w.commenter === state.requester)
      throw new Refusal('you asked for this sync: someone else among the approvers must approve it');
    if (!(await w.ops.isAny(w.commenter, approvers)))
      throw new Refusal(
        `you are not among the approvers of \`${state.environment}\` (${approvers.join(', ') || 'none set'}); your approval is not counted`,
      );
    const pull = await w.ops.pull();
    if (pull.headSha !== state.headSha) {
      await update(
        'lapsed',
        `New commits were pushed (${state.headSha.slice(0, 7)} → ${pull.headSha.slice(0, 7)}): approvals are bound to the commit they saw and have lapsed. Ask again with \`/sync ${state.environment}\`.`,
      );
      return;
    }
    const ttl = approvalTtl(protection);
    if (now() - Date.parse(state.createdAt) > ttl) {
      await update(
        'lapsed',
        `This request is older than ${Math.round(ttl / 3_600_000)} h and has expired. Ask again with \`/sync ${state.environment}\`.`,
      );
      return;
    }
    const approvedBy = new Set<string>();
    for (const c of await w.ops.comments()) {
      const login = c.user?.login;
      if (!login || c.user?.type === 'Bot' || approvedBy.has(login)) continue;
      const parsed = parseCommand(c.body ?? '');
      if (!parsed?.ok || parsed.command.kind !== 'approve') continue;
      if (parsed.command.request && parsed.command.request !== String(state.request)) continue;
      // Only unedited comments made after the request, by someone other than the requester or the PR's author.
      if (
        c.id === state.request ||
        c.updated_at !== c.created_at ||
        Date.parse(c.created_at) < Date.parse(state.createdAt)
      )
        continue;
      if (now() - Date.parse(c.created_at) > ttl) continue;
      if (login === state.requester || login === pull.author) continue;
      if (await w.ops.isAny(login, approvers)) approvedBy.add(login);
    }
    const list = [...approvedBy].map((l) => `@${l}`).join(', ');
    if (approvedBy.size < state.approvalsNeeded) {
      await update(
        'pending',
        `**Approvals:** ${approvedBy.size} of ${state.approvalsNeeded} (${list || 'none yet'}) · reply \`/approve ${state.request}\``,
      );
      return;
    }
    await update('running', `Approved by ${list}. Starting…`);
    queue.enqueue(`${w.repository}#${state.environment}`, `run-${state.request}`, () =>
      run(w, config, state, target.comment.id),
    );
  }

  async function lapseOnPush(w: Where, headSha: string): Promise<void> {
    for (const { comment, state } of await requests(w)) {
      if (state.status !== 'pending' || state.headSha === headSha) continue;
      await w.ops.updateComment(
        comment.id,
        statusBody(
          { ...state, status: 'lapsed' },
          `New commits were pushed (${state.headSha.slice(0, 7)} → ${headSha.slice(0, 7)}): approvals have lapsed. Ask again with \`/sync ${state.environment}\`.`,
        ),
      );
    }
  }

  async function handle(w: Where, command: Command, defaultBranch: string): Promise<void> {
    switch (command.kind) {
      case 'help':
        await w.ops.comment(
          `**api7-sync** commands (only at the start of a comment):\n\n${USAGE.split('\n')
            .map((l) => `- ${l}`)
            .join('\n')}`,
        );
        return;
      case 'sync':
        return sync(w, command, defaultBranch);
      case 'approve':
      case 'deny':
        return decide(w, command.request, command.kind === 'deny', defaultBranch);
      case 'status': {
        if (!(await w.ops.canWrite(w.commenter)))
          throw new Refusal('you need write permission on this repository to do that');
        const config = await loadConfig(w, defaultBranch);
        const denied = checkPolicy(
          options.policy,
          w.repository,
          config,
          Object.keys(config.environments),
          Object.keys(config.services),
        );
        if (denied)
          throw new Refusal(
            `not permitted for this repository (\`not-permitted-for-repository\`): ${denied}`,
          );
        const engine = engineFor(config, w.repository);
        try {
          const matrix = await engine.status();
          const header = `| service | ${matrix.environments.map((e) => `${e.name}${e.found ? '' : ' (group missing)'}`).join(' | ')} |`;
          const rule = `| --- | ${matrix.environments.map(() => '---').join(' | ')} |`;
          const rows = matrix.services.map(
            (s) =>
              `| ${s.name.replace(/[|<>`]/g, '')} | ${matrix.environments.map((e) => s.versions[e.name] ?? '—').join(' | ')} |`,
          );
          await w.ops.comment(
            ['**api7-sync** · versions by environment', '', header, rule, ...rows].join('\n'),
          );
        } finally {
          await engine.close();
        }
        return;
      }
      case 'lock':
      case 'unlock': {
        if (!(await w.ops.canWrite(w.commenter)))
          throw new Refusal('you need write permission on this repository to do that');
        const lock = new EnvironmentLock(w.ops.github, w.repo, now);
        if (command.kind === 'lock') {
          const claim = await lock.claim(
            command.environment,
            {
              holder: `@${w.commenter} (PR #${w.ops.issue})`,
              url: w.commentUrl,
              reason: command.reason || 'locked by hand',
            },
            DAY,
          );
          await w.ops.comment(
            claim.claimed
              ? `🔒 \`${command.environment}\` is locked by @${w.commenter} until ${claim.lock.info.until}. \`/unlock ${command.environment}\` releases it.`
              : `Not locked: \`${command.environment}\` is ${describeHolder(claim.heldBy)}`,
          );
        } else {
          const held = await lock.read(command.environment);
          const released = held ? await lock.release(command.environment, held.sha) : false;
          await w.ops.comment(
            released
              ? `🔓 \`${command.environment}\` is unlocked (it was ${describeHolder(held!.info)}).`
              : `\`${command.environment}\` was not locked.`,
          );
        }
        return;
      }
      case 'rollback': {
        const { config } = await guard(w, defaultBranch, command.environment, undefined, [command.service]);
        const lock = new EnvironmentLock(w.ops.github, w.repo, now);
        const claim = await lock.claim(command.environment, {
          holder: `${w.repository} PR #${w.ops.issue} (by @${w.commenter})`,
          url: w.commentUrl,
          reason: `/rollback ${command.environment}`,
        });
        if (!claim.claimed)
          throw new Refusal(`the lock on \`${command.environment}\` is ${describeHolder(claim.heldBy)}`);
        const engine = engineFor(config, w.repository);
        try {
          const result = await engine.rollback(
            { environment: command.environment, service: command.service },
            { verifyTimeoutMs: options.verifyTimeoutMs },
          );
          await w.ops.comment(
            `**api7-sync** · \`/rollback ${command.environment}\` by @${w.commenter}\n\n${resultMarkdown(result)}`,
          );
          await w.ops.react(w.commandId, result.ok ? 'rocket' : 'confused');
        } finally {
          await engine.close();
          await lock.release(command.environment, claim.lock.sha).catch(() => {});
        }
        return;
      }
    }
  }

  const app = (probot: Probot) => {
    log = probot.log;
    probot.on('issue_comment.created', async (context) => {
      const { comment, issue, repository, sender } = context.payload;
      if (!issue.pull_request) return;
      if (comment.user?.type === 'Bot' || sender.type === 'Bot') return;
      const parsed = parseCommand(comment.body ?? '');
      if (!parsed) return;
      const repo = { owner: repository.owner.login, repo: repository.name };
      const w: Where = {
        ops: new GitHubOps(context.octokit as unknown as GitHubRequest, repo, issue.number),
        repository: repository.full_name,
        repo,
        commandId: comment.id,
        commandAt: comment.created_at,
        commenter: comment.user?.login ?? sender.login,
        commentUrl: comment.html_url,
      };
      const lane =
        parsed.ok &&
        (parsed.command.kind === 'sync' ||
          parsed.command.kind === 'rollback' ||
          parsed.command.kind === 'lock' ||
          parsed.command.kind === 'unlock')
          ? `${repository.full_name}#${parsed.command.environment}`
          : `${repository.full_name}#pr${issue.number}`;
      // Redeliveries of the same comment are dropped: the comment ID is the request's identity.
      queue.enqueue(lane, `comment-${comment.id}`, async () => {
        try {
          if (!parsed.ok) {
            await w.ops.comment(
              `@${w.commenter} ${parsed.error}.\n\nUsage:\n\n${USAGE.split('\n')
                .map((l) => `- ${l}`)
                .join('\n')}`,
            );
            return;
          }
          await w.ops.react(comment.id, 'eyes');
          await handle(w, parsed.command, repository.default_branch);
        } catch (err) {
          if (err instanceof Refusal) {
            await w.ops.comment(`@${w.commenter} ${err.message}`);
            await w.ops.react(comment.id, 'confused');
            return;
          }
          await w.ops
            .comment(`@${w.commenter} api7-sync could not do that: ${(err as Error).message}`)
            .catch(() => {});
          throw err;
        }
      });
    });
    probot.on('pull_request.synchronize', async (context) => {
      const { pull_request: pr, repository } = context.payload;
      const repo = { owner: repository.owner.login, repo: repository.name };
      const w: Where = {
        ops: new GitHubOps(context.octokit as unknown as GitHubRequest, repo, pr.number),
        repository: repository.full_name,
        repo,
        commandId: 0,
        commandAt: '',
        commenter: '',
        commentUrl: '',
      };
      queue.enqueue(`${repository.full_name}#pr${pr.number}`, `push-${pr.number}-${pr.head.sha}`, () =>
        lapseOnPush(w, pr.head.sha),
      );
    });
  };
  return { app, queue };
}

function summary(result: SyncResult): string {
  return result.services.map((s) => `${s.name} ${s.version ?? ''} ${s.action}`).join(', ');
}

/**
 * `api7-sync bot`: the Probot app behind an HTTP server on Probot's default webhook path
 * (`/api/github/webhooks`), with Probot's standard environment (APP_ID, PRIVATE_KEY or
 * PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST/GHE_PROTOCOL) plus API7_TOKEN and
 * API7_CONTROL_PLANES. Start-up work runs after the server listens; its failures are logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMiddleware, createProbot, ProbotOctokit } from 'probot';
import type { GitHubRequest } from '../github/api.js';
import { createBot } from './app.js';
import { loadPolicy } from './policy.js';

export class BotConfigError extends Error {}

export interface RunningBot {
  url: string;
  close(): Promise<void>;
}

export async function startBot(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<RunningBot> {
  const api7Token = env.API7_TOKEN;
  if (!api7Token) throw new BotConfigError("API7_TOKEN is not set: the bot needs the operator's API7 token");
  const secret = env.WEBHOOK_SECRET;
  if (!secret && env.NODE_ENV !== 'development')
    throw new BotConfigError(
      'WEBHOOK_SECRET is not set: webhook signatures must be verified (NODE_ENV=development skips this check)',
    );
  if (!env.APP_ID)
    throw new BotConfigError(
      'APP_ID is not set: register the GitHub App (app.yml) and set APP_ID and PRIVATE_KEY',
    );
  let policy;
  try {
    policy = loadPolicy(env.API7_CONTROL_PLANES);
  } catch (err) {
    throw new BotConfigError((err as Error).message);
  }
  // GitHub asks integrations to pace their writes (Octokit's throttle does, a second or more apart).
  // A local stand-in for GitHub does not need it: API7_SYNC_GITHUB_THROTTLE=off, never against GitHub.
  const unthrottled = env.API7_SYNC_GITHUB_THROTTLE === 'off';
  if (unthrottled)
    log(
      'api7-sync bot: GitHub write pacing is OFF (API7_SYNC_GITHUB_THROTTLE=off): use this only with a local stand-in for GitHub',
    );
  const probot = createProbot({
    env: { ...env, WEBHOOK_SECRET: secret ?? 'development' } as never,
    ...(unthrottled
      ? {
          overrides: {
            Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({
              ...o,
              throttle: { ...(o.throttle as object), enabled: false },
            })),
          },
        }
      : {}),
  });
  const heartbeatMs = Number(env.API7_SYNC_HEARTBEAT_MS ?? 60_000);
  const bot = createBot({
    policy,
    api7Token,
    stateSecret: env.API7_SYNC_STATE_SECRET ?? secret ?? 'development',
    heartbeatMs,
  });
  const middleware = await createNodeMiddleware(bot.app, { probot });
  const server = http.createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found: webhooks go to /api/github/webhooks' }));
    });
  });
  const host = env.HOST ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(env.PORT ?? 3000), host, resolve);
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  log(`api7-sync bot: listening on ${url}/api/github/webhooks`);
  // Every replica sweeps every heartbeat, not only at start-up: a replica that died mid-run is
  // noticed by whichever is alive.
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    sweeping ??= recover()
      .catch((err: unknown) =>
        log(`api7-sync bot: recovery sweep failed (will try again): ${(err as Error).message}`),
      )
      .finally(() => (sweeping = undefined));
  };
  sweep();
  const sweeper = setInterval(sweep, heartbeatMs);
  sweeper.unref();

  async function recover() {
    const app = (await probot.auth()) as unknown as GitHubRequest;
    const { data: installations } = await app.request('GET /app/installations', { per_page: 100 });
    for (const installation of installations as { id: number }[]) {
      const octokit = (await probot.auth(installation.id)) as unknown as GitHubRequest;
      const { data } = await octokit.request('GET /installation/repositories', { per_page: 100 });
      for (const r of data.repositories as { name: string; owner: { login: string } }[]) {
        const recovered = await bot.recover(octokit, { owner: r.owner.login, repo: r.name });
        if (recovered.length)
          log(
            `api7-sync bot: marked stale deployments ${recovered.join(', ')} of ${r.owner.login}/${r.name} failed`,
          );
      }
    }
  }

  return {
    url,
    async close() {
      clearInterval(sweeper);
      await sweeping;
      await bot.queue.idle();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * `api7-sync bot`: the Probot app behind an HTTP server, on Probot's default webhook path
 * (`/api/github/webhooks`), with `GET /healthz`. Settings come validated from settings.ts. Bodies
 * are bounded before they are verified (body-limit.ts): over 25 MB each, more bytes in flight
 * across all connections than the budget, or slower than the body timeout, they are refused. Start-up work runs
 * after the server listens; its failures are logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMiddleware, createProbot, ProbotOctokit, type Probot } from 'probot';
import { createBot } from './app.js';
import { DEFAULT_BODY_LIMITS, InFlightBudget, readBoundedBody, type BodyLimits } from './body-limit.js';
import { sweepInstallations } from './sweep.js';
import type { BotSettings } from './settings.js';
import { messageOf } from '../engine/index.js';

export { readBotSettings, type BotSettings } from './settings.js';

const WEBHOOK_PATH = '/api/github/webhooks';

type Middleware = Awaited<ReturnType<typeof createNodeMiddleware>>;

/** The bot cannot listen where HOST and PORT say: the port is taken, or not ours to take. */
export class BotListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    reason: string,
  ) {
    super(`cannot listen on ${host}:${port}: ${reason}`);
    this.name = 'BotListenError';
  }
}

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is already in use by another process',
  EACCES: 'this user may not listen on that port',
  EADDRNOTAVAIL: 'that address is not one of this machine’s',
};

function listenOn(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code ? LISTEN_FAILURES[err.code] : undefined;
      reject(reason ? new BotListenError(host, port, reason) : err);
    });
    server.listen(port, host, resolve);
  });
}

export interface RunningBot {
  url: string;
  close(): Promise<void>;
}

export async function startBot(
  settings: BotSettings,
  log: (line: string) => void,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): Promise<RunningBot> {
  for (const w of settings.warnings) log(`api7-sync bot: ${w}`);
  if (!settings.githubThrottle)
    log(
      'api7-sync bot: GitHub write pacing is OFF (API7_SYNC_GITHUB_THROTTLE=off): use this only with a local stand-in for GitHub',
    );
  const probot = probotFor(settings);
  const bot = createBot(settings);
  const middleware = await createNodeMiddleware(bot.app, { probot });
  const server = webhookServer(middleware, limits, log);
  await listenOn(server, settings.host, settings.port);
  const url = `http://${settings.host}:${(server.address() as AddressInfo).port}`;
  log(`api7-sync bot: listening on ${url}${WEBHOOK_PATH}`);
  const sweeps = sweepEveryHeartbeat(
    (signal) =>
      sweepInstallations({
        auth: (id) => probot.auth(id),
        recover: (github, repo) => bot.recover(github, repo),
        intervalMs: settings.heartbeatMs,
        log,
        signal,
      }),
    settings.heartbeatMs,
    log,
  );

  return {
    url,
    async close() {
      await sweeps.stop();
      // Runs in flight stop before their next write and undo, rather than die at the SIGKILL.
      await bot.stop();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The Probot instance, with GitHub's write pacing unless the settings turn it off. */
function probotFor(settings: BotSettings): Probot {
  return createProbot({
    // Only what settings.ts checked reaches Probot: it must not look for keys or secrets itself.
    env: {
      LOG_LEVEL: settings.logLevel,
      ...(settings.enterprise
        ? { GHE_HOST: settings.enterprise.host, GHE_PROTOCOL: settings.enterprise.protocol }
        : {}),
    },
    overrides: {
      appId: settings.appId,
      privateKey: settings.privateKey,
      secret: settings.webhookSecret,
      // GitHub asks integrations to pace their writes; a local stand-in does not need it.
      ...(settings.githubThrottle
        ? {}
        : {
            Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({
              ...o,
              throttle: { ...(o.throttle as object), enabled: false },
            })),
          }),
    },
  });
}

/** Webhooks go through the bounded body reader to Probot; `GET /healthz` answers on its own. */
function webhookServer(middleware: Middleware, limits: BodyLimits, log: (line: string) => void): http.Server {
  // One budget for the whole server: bodies on every connection share it.
  const budget = new InFlightBudget(limits.maxInFlightBytes);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'GET' ? JSON.stringify({ status: 'ok' }) : undefined);
      return;
    }
    void handleWebhook(req, res).catch((err: unknown) => {
      log(`api7-sync bot: a request failed: ${messageOf(err)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function handleWebhook(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const notFound = () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `not found: webhooks go to ${WEBHOOK_PATH}` }));
    };
    if (req.method !== 'POST') return void (await middleware(req, res, notFound));
    const read = await readBoundedBody(req, res, budget, limits);
    if (!read) return; // already answered 413, 503, 408 or 400
    try {
      // The webhooks middleware takes a string body as the raw payload it verifies.
      (req as http.IncomingMessage & { body?: string }).body = read.body.toString('utf8');
      await middleware(req, res, notFound);
    } finally {
      read.release();
    }
  }

  // Headers too must arrive in time: a sender that trickles them holds a socket like a slow body.
  server.headersTimeout = Math.min(server.headersTimeout, limits.bodyTimeoutMs);
  return server;
}

/**
 * Every replica sweeps every heartbeat, not only at start-up: a replica that died mid-run is
 * noticed by whichever is alive. One sweep at a time; a failed one is logged and tried again.
 */
function sweepEveryHeartbeat(
  recover: (signal: AbortSignal) => Promise<void>,
  heartbeatMs: number,
  log: (line: string) => void,
): { stop(): Promise<void> } {
  // A sweep is spread over the interval (sweep.ts): stopping ends it between repositories.
  const stopping = new AbortController();
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    sweeping ??= recover(stopping.signal)
      .catch((err: unknown) =>
        log(`api7-sync bot: recovery sweep failed (will try again): ${messageOf(err)}`),
      )
      .finally(() => (sweeping = undefined));
  };
  sweep();
  const sweeper = setInterval(sweep, heartbeatMs);
  sweeper.unref();
  return {
    async stop() {
      clearInterval(sweeper);
      stopping.abort();
      await sweeping;
    },
  };
}

/**
 * Every environment variable `api7-sync bot` reads, validated once at start: a bad value is an
 * error naming the variable (the command exits 64) rather than a surprise later, such as a
 * heartbeat that is not a number turning into a timer that fires every millisecond.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { SyncError, messageOf } from '../engine/index.js';
import { stateSecretProblem } from '../chatops/state-secret.js';
import { parseHeartbeatMs } from '../github/heartbeat.js';
import { loadPolicy, type Policy } from './policy.js';

/** A setting the bot cannot start with; `api7-sync bot` exits 64. */
/** The environment as read: any variable may be missing. */
export type Env = Record<string, string | undefined>;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A bot heartbeat below a second would hammer GitHub for no gain. */
export const MIN_BOT_HEARTBEAT_MS = 1_000;

/** The bot's validated settings; `createBot` takes the engine-facing ones by these names. */
export interface BotSettings {
  appId: string;
  /** PEM text, from PRIVATE_KEY or the file PRIVATE_KEY_PATH names. */
  privateKey: string;
  webhookSecret: string;
  api7Token: string;
  policy: Policy;
  stateSecret: string;
  heartbeatMs: number;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** GitHub Enterprise Server (`GHE_HOST`, `GHE_PROTOCOL`); undefined for github.com. */
  enterprise?: { host: string; protocol: 'http' | 'https' };
  /** Octokit's write pacing; off only with `API7_SYNC_GITHUB_THROTTLE=off` (local stand-ins). */
  githubThrottle: boolean;
  /** Things worth saying at start (a trimmed token), already free of secrets. */
  warnings: string[];
}

const required = (env: Env, name: string, why: string): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new SyncError('config', `${name} is not set: ${why}`);
  return value;
};

/** Reads and checks every variable; throws a config SyncError naming the first bad one. */
export function readBotSettings(env: Env): BotSettings {
  const warnings: string[] = [];
  const appId = required(
    env,
    'APP_ID',
    'register the GitHub App (app.yml) and set APP_ID and PRIVATE_KEY',
  ).trim();
  if (!/^[1-9]\d*$/.test(appId))
    throw new SyncError('config', `APP_ID is the GitHub App's numeric id, not "${appId}"`);
  const privateKey = readPrivateKey(env);
  const webhookSecret = required(
    env,
    'WEBHOOK_SECRET',
    'webhook signatures must be verified; use the secret set on the GitHub App',
  );
  const rawToken = required(env, 'API7_TOKEN', "the bot needs the operator's API7 token");
  const api7Token = rawToken.trim();
  if (api7Token !== rawToken) warnings.push('API7_TOKEN had surrounding whitespace; it was trimmed');
  // Its problems are config errors already, each naming API7_CONTROL_PLANES.
  const policy: Policy = loadPolicy(env.API7_CONTROL_PLANES);
  const stateSecret = required(
    env,
    'API7_SYNC_STATE_SECRET',
    'it signs the request state in status comments; set a long random string (for example 32 random bytes in hex)',
  );
  const weakness = stateSecretProblem('API7_SYNC_STATE_SECRET', stateSecret, [
    { name: 'WEBHOOK_SECRET', value: webhookSecret },
    { name: 'API7_TOKEN', value: api7Token },
  ]);
  if (weakness) throw new SyncError('config', weakness);
  let heartbeatMs: number;
  try {
    heartbeatMs = parseHeartbeatMs(
      env.API7_SYNC_HEARTBEAT_MS,
      'API7_SYNC_HEARTBEAT_MS',
      MIN_BOT_HEARTBEAT_MS,
    );
  } catch (err) {
    throw new SyncError('config', messageOf(err));
  }
  return {
    appId,
    privateKey,
    webhookSecret,
    api7Token,
    policy,
    stateSecret,
    heartbeatMs,
    host: readHost(env.HOST),
    port: readPort(env.PORT),
    logLevel: readLogLevel(env.LOG_LEVEL),
    ...readEnterprise(env),
    githubThrottle: readThrottle(env.API7_SYNC_GITHUB_THROTTLE),
    warnings,
  };
}

/**
 * The App's key as PEM. Done here rather than by Probot, which would otherwise fall back to any
 * `.pem` file in the working directory and report a bad key only at the first webhook.
 */
function readPrivateKey(env: Env): string {
  const inline = env.PRIVATE_KEY?.trim() ? env.PRIVATE_KEY : undefined;
  const path = env.PRIVATE_KEY_PATH?.trim() ? env.PRIVATE_KEY_PATH : undefined;
  if (inline && path)
    throw new SyncError('config', 'PRIVATE_KEY and PRIVATE_KEY_PATH are both set: keep one');
  if (!inline && !path)
    throw new SyncError(
      'config',
      "PRIVATE_KEY (or PRIVATE_KEY_PATH) is not set: the GitHub App's private key is needed",
    );
  const name = inline ? 'PRIVATE_KEY' : 'PRIVATE_KEY_PATH';
  let text: string;
  if (inline) text = inline;
  else {
    try {
      text = readFileSync(path!, 'utf8');
    } catch (err) {
      throw new SyncError(
        'config',
        `PRIVATE_KEY_PATH: cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? messageOf(err)}`,
      );
    }
  }
  // Container platforms often carry the key base64-encoded or with its newlines escaped.
  if (!text.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(text))
    text = Buffer.from(text, 'base64').toString('utf8');
  text = text.replace(/\\n/g, '\n');
  try {
    createPrivateKey(text);
  } catch {
    throw new SyncError(
      'config',
      `${name} is not a PEM private key (download it from the GitHub App's settings)`,
    );
  }
  return text;
}

function readHost(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return '127.0.0.1';
  const host = raw.trim();
  const hostname =
    /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (!isIP(host) && !hostname.test(host))
    throw new SyncError(
      'config',
      `HOST is an address or host name to listen on (0.0.0.0 in a container), not "${raw}"`,
    );
  return host;
}

function readPort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 3000;
  const port = Number(raw.trim());
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SyncError('config', `PORT is a TCP port from 0 to 65535 (default 3000), not "${raw}"`);
  return port;
}

function readLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined || raw.trim() === '') return 'info';
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new SyncError(
      'config',
      `LOG_LEVEL is one of ${LOG_LEVELS.join(', ')} (default info), not "${raw}"`,
    );
  return level as LogLevel;
}

function readEnterprise(env: Env): Pick<BotSettings, 'enterprise'> {
  const host = env.GHE_HOST?.trim();
  const rawProtocol = env.GHE_PROTOCOL?.trim();
  if (!host) {
    if (rawProtocol)
      throw new SyncError(
        'config',
        'GHE_PROTOCOL is set without GHE_HOST: set both, or neither for github.com',
      );
    return {};
  }
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host))
    throw new SyncError(
      'config',
      `GHE_HOST is the server's host name (and port), without a scheme or path, not "${env.GHE_HOST}"`,
    );
  const protocol = (rawProtocol || 'https').toLowerCase();
  if (protocol !== 'http' && protocol !== 'https')
    throw new SyncError('config', `GHE_PROTOCOL is http or https (default https), not "${env.GHE_PROTOCOL}"`);
  return { enterprise: { host, protocol } };
}

function readThrottle(raw: string | undefined): boolean {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'on') return true;
  if (raw.trim() === 'off') return false;
  throw new SyncError(
    'config',
    `API7_SYNC_GITHUB_THROTTLE is "off" (only with a local stand-in for GitHub) or unset, not "${raw}"`,
  );
}

/**
 * `api7-sync bot` as its own process, the way an operator runs it: GitHub played by the stand-in
 * over HTTP (GitHub Enterprise Server style, GHE_HOST), API7 by the sandbox, signed webhooks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { request } from 'undici';
import type { Sandbox } from '../../sandbox/server.js';
import { PRIVATE_KEY, WEBHOOK_SECRET } from './bot.js';
import type { FakeGitHub } from './github-server.js';
import { PROD } from './sandbox.js';
import { clockEnv } from './clock.js';

const BIN = path.resolve('bin/api7-sync.js');

export interface BotProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: what a crash or an OOM kill does. */
  kill(): Promise<void>;
}

export async function startBotProcess(
  s: Sandbox,
  g: FakeGitHub,
  env: Record<string, string> = {},
): Promise<BotProcess> {
  const policy = {
    'acme/shop': {
      controlPlane: s.controlPlane,
      gatewayGroups: '*',
      services: '*',
      gatewayOrigins: [s.gateways[PROD]],
    },
  };
  const child = spawn(process.execPath, [BIN, 'bot'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...clockEnv(),
      APP_ID: '1',
      PRIVATE_KEY,
      WEBHOOK_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      GHE_HOST: new URL(g.url).host,
      GHE_PROTOCOL: 'http',
      LOG_LEVEL: 'warn',
      API7_TOKEN: s.token,
      API7_CONTROL_PLANES: JSON.stringify(policy),
      API7_SYNC_STATE_SECRET: 'bot-process-state-secret-32-bytes-long',
      API7_SYNC_GITHUB_THROTTLE: 'off',
      ...env,
    },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)\/api\/github\/webhooks/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`the bot exited:\n${output}`)));
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { url, child, output: () => output, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/** One signed webhook delivery, as GitHub sends it. */
export async function deliverTo(
  url: string,
  event: 'issue_comment' | 'pull_request' | 'deployment_protection_rule',
  payload: unknown,
  delivery = `d-${Math.random()}`,
  secret = WEBHOOK_SECRET,
): Promise<number> {
  const body = JSON.stringify(payload);
  const answer = await request(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  });
  await answer.body.dump();
  return answer.statusCode;
}

export { until } from './until.js';

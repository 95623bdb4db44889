/**
 * A chat's incoming webhook on 127.0.0.1: records what is posted, and answers as told (one status
 * per request in turn, the last one repeated), or never answers at all.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  contentType: string | undefined;
  body: any;
}

export interface WebhookReceiver {
  /** The webhook URL, with a secret-looking path like Slack's. */
  url: string;
  received: Received[];
  /** Resolves when the receiver has got `count` requests in all. */
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

/** A status, a status with a Retry-After header, or no answer at all. */
export type Answer = number | { status: number; retryAfter: string } | 'hang';

export async function webhookReceiver(answers: Answer[] = [200]): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: raw ? JSON.parse(raw) : undefined,
      });
      server.emit('received');
      const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
      if (answer === 'hang') return; // keep the socket open and say nothing
      const status = typeof answer === 'number' ? answer : answer.status;
      res.writeHead(status, {
        'content-type': 'text/plain',
        ...(typeof answer === 'object' ? { 'retry-after': answer.retryAfter } : {}),
      });
      res.end(status < 300 ? 'ok' : 'no');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/services/T000SECRET/B000SECRET/XXXXSECRETXXXX`,
    received,
    async waitFor(count) {
      while (received.length < count) await once(server, 'received');
    },
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * The webhook body bounds on their own, over real HTTP: bodies on many connections share one
 * budget, and every byte taken is given back, whatever way a body ends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMITS, InFlightBudget, readBoundedBody } from '../../bot/body-limit.js';

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(budget: InFlightBudget): Promise<string> {
  const limits = { ...DEFAULT_BODY_LIMITS, maxBodyBytes: 2 * 1024 * 1024 };
  server = http.createServer((req, res) => {
    void readBoundedBody(req, res, budget, limits).then((read) => {
      if (!read) return;
      // Handled only once every other body has had its chance to arrive meanwhile.
      setImmediate(() => {
        read.release();
        res.end(`${read.body.length}`);
      });
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the bytes in flight across connections', () => {
  it('never pass the budget: bodies that would are refused with 503, and every byte comes back', async () => {
    const budget = new InFlightBudget(1024 * 1024);
    const url = await serve(budget);
    const body = Buffer.alloc(600 * 1024, 'x');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        request(url, { method: 'POST', body }).then(
          async (r) => ({ status: r.statusCode, text: await r.body.text() }),
          () => ({ status: 0, text: 'connection dropped' }),
        ),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(budget.peak, statuses.join(',')).toBeLessThanOrEqual(1024 * 1024);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    for (const a of answers.filter((x) => x.status === 200)) expect(a.text).toBe(String(600 * 1024));
    expect(statuses.every((s) => s === 200 || s === 503 || s === 0)).toBe(true);
    expect(budget.inFlight).toBe(0);
  });
});

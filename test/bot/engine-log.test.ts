/**
 * The bot's engines log through the bot's logger (Probot's): an operator who turned TLS
 * verification off for a control plane sees the engine's warning in the App's log.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { origin } from '../../bot/policy.js';
import type { Sandbox } from '../../sandbox/server.js';
import { harness, type Harness } from '../helpers/bot.js';
import { PROD, sandbox, walkthroughSeed } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let h: Harness | undefined;
afterEach(async () => {
  h?.close();
  await sb?.close();
  h = undefined;
  sb = undefined;
  vi.restoreAllMocks();
});

describe("the bot's engines", () => {
  it("warn in the App's log that TLS verification is off, when the operator policy says insecure", async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb, {
      policy: {
        'acme/shop': {
          controlPlane: origin(sb.controlPlane),
          gatewayGroups: '*',
          services: '*',
          gatewayOrigins: [sb.gateways[PROD]!],
          insecure: true,
        },
      },
    });
    await h.say('alice', '/help'); // Probot sets its logger up on the first delivery
    const warn = vi.spyOn(h.probot.log, 'warn');
    await h.say('alice', '/status');
    expect(h.comments().at(-1)).toMatch(/httpbin API/);
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    expect(warnings).toContainEqual(expect.stringMatching(/TLS verification is OFF for the control plane/));
  });

  it('say nothing of TLS when verification is on', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    await h.say('alice', '/help'); // Probot sets its logger up on the first delivery
    const warn = vi.spyOn(h.probot.log, 'warn');
    await h.say('alice', '/status');
    expect(h.comments().at(-1)).toMatch(/httpbin API/);
    expect(warn.mock.calls.map((c) => String(c[0]))).not.toContainEqual(
      expect.stringMatching(/TLS verification/),
    );
  });
});

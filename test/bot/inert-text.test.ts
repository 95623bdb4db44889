/**
 * Text nobody vetted, shown by the bot: a lock ref made by hand (any writer can push one) and
 * service names from API7. Mentions, links, images, backticks and bidi characters stay inert.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EnvironmentLock } from '../../github/lock.js';
import type { Sandbox } from '../../sandbox/server.js';
import { harness, type Harness } from '../helpers/bot.js';
import { modelClient } from '../helpers/github-server.js';
import { sandbox, walkthroughSeed } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let h: Harness | undefined;
afterEach(async () => {
  h?.close();
  await sb?.close();
  sb = h = undefined;
});

const HOSTILE = {
  holder: '@acme/sre ping `x` [click](https://evil.example) \u202eevil',
  reason: 'see #12 ![x](https://evil.example/x.png) @mallory',
  url: 'https://evil.example/@carol',
};

/** What must never appear, live, in anything the bot writes. */
function expectInert(body: string): void {
  expect(body).not.toMatch(/@acme\/sre|@mallory|@carol/);
  expect(body).not.toMatch(/(^|[^\\])#12/);
  expect(body).not.toMatch(/(?<!\\)\[click\]|!\[x\]\(|https:\/\/evil/);
  expect(body).not.toContain('\u202e');
  expect(body).not.toMatch(/(?<!\\)`x(?<!\\)`/);
}

describe('a hand-made lock ref', () => {
  it('shows its holder, reason and link inertly when it refuses /sync, and when /unlock is refused', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    const lock = new EnvironmentLock(modelClient(h.github), { owner: 'acme', repo: 'shop' });
    await lock.claim('production', { ...HOSTILE, request: 'by-hand' });
    await h.say('alice', '/sync production');
    const refusal = h.comments().at(-1)!;
    expect(refusal).toMatch(/^@alice the lock on `production` is held by /);
    expect(refusal).toContain('\\u202eevil');
    expectInert(refusal);
    await h.say('alice', '/unlock production');
    for (const body of h.comments()) expectInert(body);
  });
});

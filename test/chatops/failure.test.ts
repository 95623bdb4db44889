/**
 * Chat-ops' one reply funnel: a pull-request comment carries our own sentences only. Raw text from
 * a library or a server (HTML, credentials in URLs, stacks) stays out of it, whoever made it fail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describeFailure, logLine, withoutUrlSecrets } from '../../chatops/failure.js';
import { Refusal } from '../../chatops/refusal.js';
import { SyncError } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { harness, type Harness } from '../helpers/bot.js';
import { sandbox, walkthroughSeed, writes } from '../helpers/sandbox.js';

const RAW =
  'Server Error <html><body>boom</body></html> from https://deploy:hunter2@hooks.example/x?token=s3cret';

describe('the reply text of a failure', () => {
  it("keeps a SyncError's first line and code, with URLs cut to origin and path", () => {
    const err = new SyncError(
      'unreachable',
      `cannot reach https://ops:pa55@cp.example:7443/api?key=k1 (ECONNREFUSED)\nat line two`,
    );
    // Made inert for Markdown (no link, no mention), and without the credentials.
    const reply = describeFailure(err);
    expect(reply).toMatch(
      /^unreachable: cannot reach https:\u200b\/\/cp\.example:7443\/api \\\(ECONNREFUSED\\\)$/,
    );
    expect(reply).not.toMatch(/pa55|key=|line two/);
    expect(logLine(err)).toBe(
      'unreachable: cannot reach https://cp.example:7443/api (ECONNREFUSED)\nat line two',
    );
  });

  it('passes a refusal as written, mentions and code spans included', () => {
    expect(describeFailure(new Refusal('@carol is no longer among the deployers of `production`'))).toBe(
      '@carol is no longer among the deployers of `production`',
    );
  });

  it('says nothing of the text of anything that is not ours', () => {
    const fromGitHub = Object.assign(new Error(RAW), { status: 502 });
    expect(describeFailure(fromGitHub)).toBe('GitHub answered 502 (the log has the details)');
    expect(describeFailure(new TypeError(RAW))).toBe('an unexpected error (the log has the details)');
    expect(describeFailure({ message: RAW })).toBe('an unexpected error (the log has the details)');
    expect(describeFailure(undefined)).toBe('an unexpected error (the log has the details)');
    // The log has the text, still without credentials.
    expect(logLine(new TypeError(RAW))).toBe(
      'Server Error <html><body>boom</body></html> from https://hooks.example/x',
    );
  });

  it('removes user info and queries from every URL in a text', () => {
    expect(withoutUrlSecrets('a http://u@h/p?q=1 b HTTPS://u:p@h:1/#frag c')).toBe(
      'a http://h/p b HTTPS://h:1/ c',
    );
  });
});

describe('a command that fails on something not ours, on a pull request', () => {
  let sb: Sandbox | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    h?.close();
    await sb?.close();
    h = undefined;
    sb = undefined;
  });

  it('is answered without the raw text, the HTML or the credentials GitHub sent back', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    h.github.failNext('GET', /\/contents\//, 500, RAW);
    await h.say('alice', '/sync production').catch(() => undefined);
    const reply = h.comments().at(-1) ?? '';
    expect(reply).toMatch(
      /^@alice api7-sync could not do that: GitHub answered 500 \(the log has the details\)/,
    );
    for (const secret of ['boom', '<html>', 'hunter2', 's3cret', 'Server Error', '    at '])
      expect(reply).not.toContain(secret);
    expect(await writes(sb)).toEqual([]);
  });
});

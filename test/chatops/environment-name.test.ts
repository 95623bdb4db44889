/**
 * One environment-name rule: whatever the config accepts, `/sync` and the lock accept, and the
 * other way round. A name that passes the config and then fails `/sync` in front of a reviewer
 * (or can never be locked) is the bug this guards against.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../chatops/grammar.js';
import { ConfigError, ENVIRONMENT_NAME_MAX_LENGTH, parseConfig } from '../../engine/index.js';
import { isLockableEnvironment } from '../../github/lock.js';
import type { Sandbox } from '../../sandbox/server.js';
import { harness, type Harness } from '../helpers/bot.js';
import { sandbox, walkthroughSeed } from '../helpers/sandbox.js';

const F = '.github/api7-sync.yml';

/** A config whose second environment is `name` (a double-quoted YAML key, so any text fits). */
const configNaming = (name: string) => `controlPlane:
  url: https://api7.example.com:7443
environments:
  test:
    gatewayGroup: test-group
  ${JSON.stringify(name)}:
    gatewayGroup: other-group
    promoteFrom: test
services:
  httpbin API: {}
`;

/** The config's problems with the name, or [] when it loads. */
function configProblems(name: string): string[] {
  try {
    parseConfig(configNaming(name), F, { env: {} });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
}

const syncAccepts = (name: string) => parseCommand(`/sync ${name}`)?.ok === true;

describe('the environment-name rule', () => {
  const seventy = 'p'.repeat(70);
  const longest = 'p'.repeat(ENVIRONMENT_NAME_MAX_LENGTH);

  it('refuses a 70-character name in the config at file:line:col, as /sync and the lock do', () => {
    expect(configProblems(seventy)).toEqual([
      `${F}:6:3: environment name "${seventy}" cannot be used: it becomes part of a git branch name (api7-sync-lock/<environment>) and of /sync commands, so use letters, digits, ".", "_" or "-", start with a letter or digit, no "..", do not end in ".lock", at most ${ENVIRONMENT_NAME_MAX_LENGTH} characters (for example: production)`,
    ]);
    expect(parseCommand(`/sync ${seventy}`)).toEqual({
      ok: false,
      error: `${seventy} is not an environment name`,
    });
    expect(isLockableEnvironment(seventy)).toBe(false);
  });

  it(`accepts a name of exactly ${ENVIRONMENT_NAME_MAX_LENGTH} characters everywhere`, () => {
    expect(configProblems(longest)).toEqual([]);
    expect(parseCommand(`/sync ${longest}`)).toMatchObject({ ok: true, command: { environment: longest } });
    expect(isLockableEnvironment(longest)).toBe(true);
  });

  it('gives the same answer in the config, in /sync and for the lock, for any name', () => {
    const nameChars = fc.constantFrom(...'aZ09._-/ ~:é生'.split(''), '..', '.lock');
    const names = fc.oneof(
      fc.string({ unit: nameChars, minLength: 1, maxLength: 80 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '1'), minLength: 60, maxLength: 70 }),
    );
    fc.assert(
      fc.property(names, (name) => {
        // Names with a space split into two words in a command; the rule is about one word.
        fc.pre(!/\s/.test(name) && name !== 'test');
        const inConfig = configProblems(name).length === 0;
        expect(syncAccepts(name), name).toBe(inConfig);
        expect(isLockableEnvironment(name), name).toBe(inConfig);
      }),
      { numRuns: 300 },
    );
  });
});

describe('/sync with a 70-character environment name, on a pull request', () => {
  let sb: Sandbox | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    h?.close();
    await sb?.close();
    h = undefined;
    sb = undefined;
  });

  it('is refused in the reply, and nothing is written to GitHub', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    await h.say('alice', `/sync ${'p'.repeat(70)}`);
    expect(h.comments().at(-1)).toMatch(/is not an environment name/);
    expect(h.github.requests.filter((r) => r.path.includes('/git/') && r.method !== 'GET')).toEqual([]);
  });
});

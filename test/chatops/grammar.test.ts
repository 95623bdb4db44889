import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../chatops/grammar.js';

describe('the command grammar', () => {
  it('parses each command at the start of a comment, case-insensitively', () => {
    expect(parseCommand('/sync production "httpbin API" orders --version 1.0.0 --dry-run\nthanks!')).toEqual({
      ok: true,
      command: {
        kind: 'sync',
        environment: 'production',
        targets: ['production'],
        services: ['httpbin API', 'orders'],
        version: '1.0.0',
        from: undefined,
        dryRun: true,
      },
    });
    expect(parseCommand('/SYNC production --from uat')).toMatchObject({
      ok: true,
      command: { kind: 'sync', from: 'uat', services: [] },
    });
    expect(parseCommand('/sync eu,us,ap --break-glass "INC-42 hotfix"')).toMatchObject({
      ok: true,
      command: { kind: 'sync', environment: 'eu', targets: ['eu', 'us', 'ap'], breakGlass: 'INC-42 hotfix' },
    });
    expect(parseCommand('/rollback production "httpbin API" --to-version 0.9.0')).toEqual({
      ok: true,
      command: { kind: 'rollback', environment: 'production', service: 'httpbin API', toVersion: '0.9.0' },
    });
    expect(parseCommand('/approve #12')).toEqual({ ok: true, command: { kind: 'approve', request: '12' } });
    expect(parseCommand('/Deny')).toEqual({ ok: true, command: { kind: 'deny', request: undefined } });
    expect(parseCommand('/rollback production httpbin API')).toEqual({
      ok: true,
      command: { kind: 'rollback', environment: 'production', service: 'httpbin API' },
    });
    expect(parseCommand('/lock production release freeze until Monday')).toEqual({
      ok: true,
      command: { kind: 'lock', environment: 'production', reason: 'release freeze until Monday' },
    });
    expect(parseCommand('/unlock production')).toEqual({
      ok: true,
      command: { kind: 'unlock', environment: 'production' },
    });
    expect(parseCommand('/status')).toEqual({ ok: true, command: { kind: 'status' } });
    expect(parseCommand('/help')).toEqual({ ok: true, command: { kind: 'help' } });
  });

  it('refuses lists and options that cannot be right', () => {
    expect(parseCommand('/sync eu,eu')).toEqual({ ok: false, error: 'an environment is named twice' });
    expect(parseCommand('/sync eu,..')).toEqual({ ok: false, error: '.. is not an environment name' });
    // A tag is the CLI's and the Action's; a request names its environments.
    expect(parseCommand('/sync @production')).toEqual({
      ok: false,
      error:
        "@\u200bproduction is a tag: name the environments instead, in order (`/sync eu,us,ap`); tags are for the CLI's and the Action's `to`",
    });
    expect(parseCommand('/sync production --break-glass')).toMatchObject({
      ok: false,
      error: /needs a reason/,
    });
    expect(parseCommand('/rollback production x --to-version')).toMatchObject({
      ok: false,
      error: /needs a version/,
    });
  });

  it('ignores what is not a command for us', () => {
    expect(parseCommand('please /sync production')).toBeNull();
    expect(parseCommand(' /sync production')).toBeNull();
    expect(parseCommand('/deploy production')).toBeNull();
    expect(parseCommand('')).toBeNull();
  });

  it('explains malformed commands', () => {
    expect(parseCommand('/sync')).toEqual({ ok: false, error: 'say which environment: /sync production' });
    expect(parseCommand('/sync production --version')).toEqual({
      ok: false,
      error: '--version needs a value',
    });
    expect(parseCommand('/sync production --force')).toEqual({
      ok: false,
      error: 'unknown option --force',
    });
    expect(parseCommand('/sync production "httpbin API')).toEqual({
      ok: false,
      error: 'a quote is not closed',
    });
    expect(parseCommand('/sync <img src=x> ')).toEqual({
      ok: false,
      error: '\\<img is not an environment name',
    });
    expect(parseCommand('/approve yes')).toEqual({ ok: false, error: 'yes is not a request number' });
  });

  it('never throws and never hangs on random and hostile input', () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .array(
          fc.constantFrom(
            '/sync',
            '/approve',
            '/lock',
            ' ',
            '"',
            "'",
            '--version',
            '--from',
            '--dry-run',
            'production',
            '\n',
            '\u0000',
            '生产',
            '`',
            '<b>',
          ),
          { maxLength: 40 },
        )
        .map((parts) => parts.join('')),
      fc.nat({ max: 5000 }).map((n) => `/sync ${'"a '.repeat(n)}`),
    );
    fc.assert(
      fc.property(hostile, (body) => {
        const parsed = parseCommand(body);
        if (parsed === null) return true;
        if (!parsed.ok) return typeof parsed.error === 'string' && parsed.error.length < 300;
        return typeof parsed.command.kind === 'string';
      }),
      { numRuns: 2000 },
    );
  });
});

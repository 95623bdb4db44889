/**
 * Flags before the command: only --version and --help belong there. Anything else, and
 * `--version` followed by more words, is a usage error (64) naming the flag, never a silent
 * exit 0 that CI would read as a successful promotion.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { Io } from '../../cli/io.js';
import { runCli } from '../helpers/cli.js';

function capture(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, env: {}, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

describe('flags before the command', () => {
  it('--version 1.0.0 sync ... exits 64 as its own process, naming --version and where it belongs', async () => {
    const res = await runCli(['--version', '1.0.0', 'sync', '--from', 'test', '--to', 'production']);
    expect(res.code).toBe(64);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('--version');
    expect(res.stderr).toContain('1.0.0 sync --from test --to production');
    expect(res.stderr).toMatch(/put --version after the command/);
  });

  it('-V with anything after it is refused too; --version alone prints the version', async () => {
    const io = capture();
    expect(await main(['-V', 'sync'], io)).toBe(64);
    expect(io.out).toEqual([]);
    const alone = await runCli(['--version']);
    expect(alone.code).toBe(0);
    expect(alone.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a command flag given before the command is named with the command it belongs to', async () => {
    const io = capture();
    expect(await main(['--config', 'c.yml', 'sync', '--from', 'test', '--to', 'production'], io)).toBe(64);
    expect(io.out).toEqual([]);
    expect(io.err.join('\n')).toMatch(
      /"--config" cannot come before the command; --config is a flag of "sync"/,
    );
  });

  it('an unknown flag before the command is named (also in --flag=value form)', async () => {
    for (const argv of [
      ['--bogus', 'sync'],
      ['--token=abc', 'plan'],
    ]) {
      const io = capture();
      expect(await main(argv, io)).toBe(64);
      const flag = argv[0]!.split('=')[0]!;
      expect(io.err.join('\n')).toContain(`unknown flag "${flag}" before the command`);
      // The value of a flag given as --flag=value may be a secret: never echoed.
      expect(io.err.join('\n')).not.toContain('abc');
    }
  });

  it('help with more than one topic is an error, not a silent success', async () => {
    const io = capture();
    expect(await main(['help', 'sync', 'extra'], io)).toBe(64);
    expect(io.err.join('\n')).toContain('"extra"');
  });
});

/**
 * Progress at 300 services, one of them failing, as a person sees it: in an 80-column
 * pseudo-terminal (util-linux `script`), one live line redrawn in place and never wider than the
 * terminal, with counts; in CI (no terminal), plain lines without control characters. At the end,
 * the failure first, with its reason, then the table.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fitColumns } from '../../cli/progress.js';
import type { Sandbox } from '../../sandbox/server.js';
import { BIN, runCli, writeRepo } from '../helpers/cli.js';
import { manyServicesConfig, manyServicesSeed, serviceName } from '../helpers/many-services.js';
import { PROD, sandbox } from '../helpers/sandbox.js';

const N = 300;
const FAILING = 150;
// The failing service takes the whole verify timeout; the others pass long before it, even on a busy machine.
const ARGS = ['sync', '--from', 'test', '--to', 'production', '--no-route-diff', '--verify-timeout', '8000'];

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function setUp() {
  sb = await sandbox(manyServicesSeed(N));
  const dir = writeRepo(manyServicesConfig(N, FAILING));
  return { dir, env: { API7_TOKEN: sb.token, CP: sb.controlPlane, PROD_GW: sb.gateways[PROD]! } };
}

/** `api7-sync ARGS` in a pseudo-terminal `columns` wide; everything the terminal received. */
function inTerminal(columns: number, args: string[], env: Record<string, string>, cwd: string) {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise<{ code: number | null; screen: string }>((resolve) => {
    const child = spawn('script', ['-qefc', `stty cols ${columns} rows 40; exec ${quoted}`, '/dev/null'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env },
    });
    let screen = '';
    child.stdout.on('data', (d) => (screen += d));
    child.on('close', (code) => resolve({ code, screen }));
  });
}

/** Terminal columns of a piece of text (wide characters count 2). */
const columnsOf = (text: string) => {
  const cut = fitColumns(text, 10_000);
  return [...cut].reduce((n, ch) => n + (fitColumns(ch + 'x', 2) === ch + 'x' ? 1 : 2), 0);
};

describe('progress at 300 services', () => {
  it('an 80-column terminal shows one live line, never wider than the terminal, with counts', async () => {
    const { dir, env } = await setUp();
    const { code, screen } = await inTerminal(80, ARGS, env, dir);
    expect(code, screen).toBe(1);
    // Every redraw of the live line: after "\r\x1b[K" and erased by the next "\r" (a log line
    // after "\r\x1b[K" ends in a newline instead, which the terminal shows as "\r\n", and stays).
    const draws = screen
      .split('\r\x1b[K')
      .slice(1)
      .filter((segment) => segment !== '' && !segment.includes('\n'));
    expect(draws.length).toBeGreaterThan(0);
    for (const d of draws) {
      expect(d.startsWith('… '), JSON.stringify(d)).toBe(true);
      expect(columnsOf(d), d).toBeLessThan(80);
    }
    expect(draws.some((d) => /synced \d+\/300 · verified \d+\/300/.test(d))).toBe(true);
    // The failing service is named as it fails, and first at the end, before the table.
    const failing = serviceName(FAILING);
    expect(screen).toContain(`failed: "${failing}" in production (verify-failed)`);
    const end = screen.slice(screen.indexOf('did not go through'));
    expect(end).toMatch(
      new RegExp(`^did not go through:\\r?\\n  ${failing}: rolled-back \\[verify-failed\\]`),
    );
    expect(end).toMatch(/299 more rolled-back \(atomic-rollback\): see the table/);
    expect(end.indexOf(failing)).toBeLessThan(end.indexOf('sync test'));
    // No line of the log runs to hundreds of characters (a batch of 50 names once did).
    const lines = screen.split(/\r?\n/).map((l) => l.slice(l.lastIndexOf('\r') + 1));
    const logLines = lines.filter((l) => !l.startsWith('  ') && !l.includes('did not go through'));
    for (const l of logLines) expect(l.length, l).toBeLessThan(200);
  });

  it('in CI (no terminal): plain lines, no control characters, the counts at the end', async () => {
    const { dir, env } = await setUp();
    const res = await runCli(ARGS, env, dir);
    expect(res.code).toBe(1);
    expect(res.stderr).not.toContain('\x1b');
    expect(res.stderr).not.toContain('\r');
    expect(res.stderr).toContain(`failed: "${serviceName(FAILING)}" in production (verify-failed)`);
    expect(res.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^synced 300\/300 · verified 299\/300 · failed 1 · undone 300$/,
    );
    expect(res.stdout).toMatch(
      /^300 of 300 services did not go through:\n {2}service-150: rolled-back \[verify-failed\]/,
    );
  });
});

/**
 * Runs the committed bundle (`node dist/index.js`) as GitHub runs a step: INPUT_* and GITHUB_*
 * variables, file commands for outputs, summary and state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clockEnv } from './clock.js';

const BUNDLE = path.resolve('dist/index.js');
export const API7_TOKEN = 'a7ee-action-secret-token';
export const GITHUB_TOKEN = 'ghs_action-secret-github-token';

export interface StepRun {
  code: number | null;
  log: string;
  outputs: Record<string, string>;
  summary: string;
  state: Record<string, string>;
}

/** GitHub's file command format: `name<<DELIMITER\nvalue\nDELIMITER`. */
function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

export function runActionStep(
  githubUrl: string | undefined,
  workdir: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<StepRun> {
  return startActionStep(githubUrl, workdir, inputs, extraEnv).done;
}

/** The step as a running process, for a test that signals it as GitHub does when cancelling. */
export function startActionStep(
  githubUrl: string | undefined,
  workdir: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): { child: ChildProcess; done: Promise<StepRun> } {
  const files = mkdtempSync(path.join(tmpdir(), 'gh-files-'));
  const paths = {
    output: path.join(files, 'output'),
    summary: path.join(files, 'summary'),
    state: path.join(files, 'state'),
  };
  for (const p of Object.values(paths)) writeFileSync(p, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...clockEnv(),
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: githubUrl ?? 'http://127.0.0.1:9',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_ACTOR: 'alice',
    GITHUB_WORKFLOW: 'promote',
    GITHUB_OUTPUT: paths.output,
    GITHUB_STEP_SUMMARY: paths.summary,
    GITHUB_STATE: paths.state,
    ...extraEnv,
  };
  const defaults = { 'github-token': GITHUB_TOKEN, token: API7_TOKEN, 'verify-timeout': '1500' };
  for (const [k, v] of Object.entries({ ...defaults, ...inputs })) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, [BUNDLE], { cwd: workdir, env });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const done = new Promise<StepRun>((resolve) =>
    child.on('close', (code) =>
      resolve({
        code,
        log,
        outputs: parseFileCommands(readFileSync(paths.output, 'utf8')),
        summary: readFileSync(paths.summary, 'utf8'),
        state: parseFileCommands(readFileSync(paths.state, 'utf8')),
      }),
    ),
  );
  return { child, done };
}

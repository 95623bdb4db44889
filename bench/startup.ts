/**
 * Start-up as users wait for it, whole process from spawn to exit: `api7-sync --version`,
 * `api7-sync plan` for one service against a running sandbox, and the Action's dry run
 * (`node dist/index.js`), each run right after a `node -e 0`, round after round, so that drift on
 * a busy machine hits a command and its baseline alike. The figure that counts is each command's
 * time minus the `node -e 0` run just before it.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root, seedFor, writeConfig } from './support/fixtures.js';
import { runProcess, type Exited } from './support/processes.js';
import { startSandboxProcess } from './support/sandbox.js';

export const STARTUP_COMMANDS = ['--version', 'plan', 'action'] as const;
export type StartupCommand = (typeof STARTUP_COMMANDS)[number];

export interface StartupSamples {
  node: number[];
  /** Wall time of each run of each command. */
  wall: Record<StartupCommand, number[]>;
  /** Each run minus the `node -e 0` run just before it. */
  overNode: Record<StartupCommand, number[]>;
  bundleBytes: number;
}

export async function startup(runs: number, dir: string): Promise<StartupSamples> {
  const token = 'a7ee-bench-startup';
  const sandbox = await startSandboxProcess(seedFor(1, token), dir);
  try {
    const config = writeConfig(dir, 1, sandbox);
    const ws = mkdtempSync(path.join(dir, 'action-'));
    for (const f of ['out', 'summary', 'state']) writeFileSync(path.join(ws, f), '');
    const cli = path.join(root, 'bin/api7-sync.js');
    const bundle = path.join(root, 'dist/index.js');
    const commands: Record<StartupCommand, () => Promise<Exited>> = {
      '--version': () => runProcess(process.execPath, [cli, '--version']),
      plan: () =>
        runProcess(
          process.execPath,
          [cli, 'plan', '--from', 'test', '--to', 'production', '--config', config],
          {
            API7_TOKEN: token,
          },
        ),
      action: () =>
        runProcess(process.execPath, [bundle], {
          INPUT_FROM: 'test',
          INPUT_TO: 'production',
          INPUT_TOKEN: token,
          INPUT_CONFIG: config,
          'INPUT_DRY-RUN': 'true',
          INPUT_LOCK: 'false',
          'INPUT_RECORD-DEPLOYMENT': 'false',
          GITHUB_OUTPUT: path.join(ws, 'out'),
          GITHUB_STEP_SUMMARY: path.join(ws, 'summary'),
          GITHUB_STATE: path.join(ws, 'state'),
        }),
    };
    const samples: StartupSamples = {
      node: [],
      wall: { '--version': [], plan: [], action: [] },
      overNode: { '--version': [], plan: [], action: [] },
      bundleBytes: statSync(bundle).size,
    };
    // One unrecorded round first: the file cache, not start-up, would be measured otherwise.
    for (let round = -1; round < runs; round++) {
      for (const name of STARTUP_COMMANDS) {
        const node = await runProcess(process.execPath, ['-e', '0']);
        const run = await commands[name]();
        if (run.code !== 0)
          throw new Error(`start-up: ${name} exited ${run.code}: ${run.stderr.slice(-2000)}`);
        if (name === 'action' && /::error::/.test(run.stdout))
          throw new Error(`start-up: the Action reported an error: ${run.stdout.slice(-2000)}`);
        if (round < 0) continue;
        samples.node.push(node.wallMs);
        samples.wall[name].push(run.wallMs);
        samples.overNode[name].push(run.wallMs - node.wallMs);
      }
    }
    return samples;
  } finally {
    await sandbox.close();
  }
}

/**
 * The `api7-sync` command. Exit codes: 0 every service synced, unchanged or planned; 1 a sync
 * failed or the control plane could not be reached or rejected the token; 2 a service was
 * refused; 64 usage or config error. With `--json`, stdout holds exactly one JSON document on
 * exits 0, 1 and 2, and nothing on 64.
 *
 * Each command's module is imported only when that command runs: `--version`, `help` and
 * argument errors load no engine, no Probot and no sandbox.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { codeOf, messageOf, SyncError } from '../engine/errors.js';
import type { Values } from './context.js';
import { EXIT, exitForError } from './exit.js';
import { commandHelp, overview } from './help.js';
import { processIo, type Io } from './io.js';
import { errorDocument } from './output.js';
import { findCommand, parseArgsOptions, type CommandSpec } from './spec.js';

export { EXIT } from './exit.js';

function programVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The module that runs a command, loaded on demand. */
async function runCommand(name: string, values: Values, positionals: string[], io: Io): Promise<number> {
  switch (name) {
    case 'plan':
    case 'sync':
      return (await import('./commands/promote.js')).promoteCommand(name, values, io);
    case 'status':
      return (await import('./commands/status.js')).statusCommand(values, io);
    case 'rollback':
      return (await import('./commands/rollback.js')).rollbackCommand(values, io);
    case 'adc':
      return (await import('./commands/adc.js')).adcCommand(values, positionals, io);
    case 'sandbox':
      return (await import('./commands/sandbox.js')).sandboxCommand(
        values as { seed?: string; 'api7-version'?: string; tls?: boolean },
        io,
      );
    case 'demo':
      return (await import('./commands/demo.js')).demoCommand(
        values as { 'api7-version'?: string; keep?: boolean },
        io,
      );
    case 'bot':
      return (await import('./commands/bot.js')).botCommand(io);
    default:
      throw new SyncError('usage', `unknown command "${name}"`);
  }
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    // `--version` before a command takes no value and nothing may follow it: `api7-sync
    // --version 1.0.0 sync ...` would otherwise print the program's version and exit 0 having
    // synced nothing, which CI reads as a successful promotion.
    if (rest.length > 0) {
      io.stderr(
        `api7-sync: ${command} prints the program's version and takes nothing after it, but "${rest.join(' ')}" follows; ` +
          `to expect a version in the source group, put --version after the command: api7-sync sync --from ENV --to ENV --version V`,
      );
      return EXIT.usage;
    }
    io.stdout(programVersion());
    return EXIT.ok;
  }
  if (command === undefined) {
    io.stderr(overview());
    return EXIT.usage;
  }
  if (command.startsWith('-') && command !== '--help' && command !== '-h') {
    io.stderr(globalFlagError(command, rest));
    return EXIT.usage;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    const [topic, ...extra] = rest;
    if (extra.length > 0) {
      io.stderr(
        `api7-sync help: takes at most one command name, but "${extra.join(' ')}" follows "${topic}"; run api7-sync help ${topic}`,
      );
      return EXIT.usage;
    }
    if (topic === undefined) {
      io.stdout(overview());
      return EXIT.ok;
    }
    const spec = findCommand(topic);
    if (!spec) {
      io.stderr(`api7-sync help: there is no command "${topic}"\n\n${overview()}`);
      return EXIT.usage;
    }
    io.stdout(commandHelp(spec));
    return EXIT.ok;
  }
  const spec = findCommand(command);
  if (!spec) {
    io.stderr(`api7-sync: unknown command "${command}"\n\n${overview()}`);
    return EXIT.usage;
  }
  let values: Values;
  let positionals: string[];
  try {
    // The parser's own version flag is never used: after a command, --version V is the version
    // expected in the source group, declared like any other flag.
    const parsed = parseArgs({
      args: rest,
      options: parseArgsOptions(spec),
      strict: true,
      allowPositionals: spec.positionals === true,
    });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (err) {
    io.stderr(
      `api7-sync ${command}: ${messageOf(err)}\nusage: ${spec.usage}\n(api7-sync help ${command} explains every flag)`,
    );
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout(commandHelp(spec));
    return EXIT.ok;
  }
  try {
    return await runCommand(command, values, positionals, io);
  } catch (err) {
    return reportError(err, spec, Boolean(values.json), io);
  }
}

/**
 * A flag before the command: only --version and --help belong there. A command's flag given too
 * early (`api7-sync --config F sync ...`) is named, with where it goes.
 */
function globalFlagError(flag: string, rest: string[]): string {
  const name = flag.replace(/^-+/, '').split('=')[0]!;
  const command = rest.find((a) => findCommand(a));
  const owner = command ? findCommand(command) : undefined;
  const belongs = owner?.flags.some((f) => f.name === name || f.short === name);
  const where = belongs
    ? `; ${flag.split('=')[0]} is a flag of "${owner!.name}": put it after the command (api7-sync ${owner!.name} ... ${flag.split('=')[0]} ...)`
    : '; only --version and --help may come before the command';
  const what = belongs
    ? `"${flag.split('=')[0]}" cannot come before the command`
    : `unknown flag "${flag.split('=')[0]}" before the command`;
  return `api7-sync: ${what}${where}\n\n${overview()}`;
}

/**
 * The one place a thrown error becomes an exit code and words. With `--json`, exits 1 and 2
 * still print one document; 64 prints nothing on stdout.
 */
function reportError(err: unknown, spec: CommandSpec, json: boolean, io: Io): number {
  const code = codeOf(err);
  const exit = exitForError(code);
  const message = messageOf(err);
  if (code === 'config') io.stderr(message);
  else if (code === 'usage') io.stderr(`api7-sync ${spec.name}: ${message}\nusage: ${spec.usage}`);
  else if (code === 'unauthorized')
    io.stderr(
      `api7-sync ${spec.name}: the control plane refused the token: ${message}; check API7_TOKEN (or --token-file)`,
    );
  else if (code === 'internal') io.stderr(`api7-sync ${spec.name}: unexpected failure: ${message}`);
  else io.stderr(`api7-sync ${spec.name}: ${message}`);
  if (json && exit !== EXIT.usage) io.stdout(errorDocument(code, message));
  return exit;
}

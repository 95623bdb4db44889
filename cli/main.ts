/**
 * The `api7-sync` command. Exit codes: 0 every service synced, unchanged or planned; 1 a sync
 * failed or the control plane could not be reached or rejected the token; 2 a service was
 * refused; 64 usage or config error. With `--json`, stdout holds exactly one JSON document.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  Api7Error,
  ConfigError,
  createEngine,
  isFanout,
  loadConfigFile,
  policyText,
  refusedResult,
  resultText,
  type Config,
  type SyncResult,
} from '../engine/index.js';
import { adcRenderCommand } from './commands/adc.js';
import { botCommand } from './commands/bot.js';
import { demoCommand } from './commands/demo.js';
import { sandboxCommand } from './commands/sandbox.js';
import { fanoutCommand } from './commands/fanout.js';
import { policyOptions, PolicyUsageError } from './commands/policy-flags.js';
import { processIo, type Io } from './io.js';
import { LockUsageError, withEnvironmentLock } from './lock.js';
import { notifyFromCli } from './notify.js';

export const EXIT = { ok: 0, failed: 1, refused: 2, usage: 64 } as const;

class UsageError extends Error {}

const SYNC_FLAGS = {
  from: { type: 'string' },
  to: { type: 'string' },
  service: { type: 'string', multiple: true },
  version: { type: 'string' },
  'new-version': { type: 'string' },
  config: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  force: { type: 'boolean' },
  'break-glass': { type: 'string' },
  'no-route-diff': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const COMMANDS: Record<string, { usage: string; options: ParseArgsConfig['options'] }> = {
  plan: {
    usage:
      'api7-sync plan --from ENV --to ENV[,ENV...|@TAG] [--service NAME]... [--version V] [--new-version V] [--config F] [--json]\n' +
      '               [--force] [--break-glass REASON] [--no-route-diff]',
    options: SYNC_FLAGS,
  },
  sync: {
    usage:
      'api7-sync sync --from ENV --to ENV[,ENV...|@TAG] [--service NAME]... [--version V] [--new-version V] [--config F] [--json]\n' +
      '               [--dry-run] [--no-verify] [--no-rollback] [--atomic|--no-atomic] [--lock OWNER/REPO [--lock-wait SECONDS]]\n' +
      '               [--force] [--break-glass REASON] [--no-route-diff]',
    options: {
      ...SYNC_FLAGS,
      'dry-run': { type: 'boolean' },
      'no-verify': { type: 'boolean' },
      'no-rollback': { type: 'boolean' },
      atomic: { type: 'boolean' },
      'no-atomic': { type: 'boolean' },
      'verify-timeout': { type: 'string' },
      lock: { type: 'string' },
      'lock-wait': { type: 'string' },
    },
  },
  status: {
    usage: 'api7-sync status [--config F] [--json]',
    options: {
      config: { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  rollback: {
    usage:
      'api7-sync rollback --env ENV --service NAME [--to-version V] [--config F] [--json] [--no-verify] [--lock OWNER/REPO [--lock-wait SECONDS]]',
    options: {
      env: { type: 'string' },
      service: { type: 'string' },
      'to-version': { type: 'string' },
      config: { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
      'no-verify': { type: 'boolean' },
      lock: { type: 'string' },
      'lock-wait': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  sandbox: {
    usage: 'api7-sync sandbox [--seed FILE] [--api7-version V]',
    options: {
      seed: { type: 'string' },
      'api7-version': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  adc: {
    usage: 'api7-sync adc render --env ENV -f adc.yaml [-o out.yaml] [--config F] [--token-file F]',
    options: {
      env: { type: 'string' },
      file: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      config: { type: 'string' },
      'token-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  bot: {
    usage:
      'api7-sync bot   (configured by APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, API7_TOKEN, API7_CONTROL_PLANES, PORT, HOST)',
    options: { help: { type: 'boolean', short: 'h' } },
  },
  demo: {
    usage: 'api7-sync demo [--api7-version V] [--keep]',
    options: {
      'api7-version': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  },
};

const HELP = `api7-sync: promote the running version of API7 EE services between gateway groups

Usage:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage.replace(/\n/g, '\n  ')}`)
  .join('\n')}
  api7-sync --version        print the program's version

The token comes from API7_TOKEN or --token-file, never from the command line.
Exit codes: 0 ok, 1 a sync failed or the control plane failed, 2 refused, 64 usage or config error.`;

function programVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

type Values = Record<string, string | boolean | string[] | undefined>;

function readToken(values: Values, io: Io): string {
  const file = values['token-file'] as string | undefined;
  if (file) {
    try {
      const token = readFileSync(file, 'utf8').trim();
      if (token) return token;
    } catch (err) {
      throw new UsageError(
        `cannot read --token-file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    throw new UsageError(`--token-file ${file} is empty`);
  }
  const token = io.env.API7_TOKEN;
  if (!token) throw new UsageError('no API7 token: set API7_TOKEN or pass --token-file FILE');
  return token;
}

function loadConfig(values: Values, io: Io): Config {
  const file = (values.config as string | undefined) ?? path.join('.github', 'api7-sync.yml');
  return loadConfigFile(file, { env: io.env });
}

function lockWait(values: Values): number {
  const raw = values['lock-wait'];
  if (raw === undefined) return 0;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0)
    throw new UsageError(`--lock-wait takes seconds, such as 300, not "${String(raw)}"`);
  if (!values.lock) throw new UsageError('--lock-wait needs --lock OWNER/REPO');
  return seconds;
}

function exitFor(result: SyncResult): number {
  if (result.services.some((s) => s.action === 'failed' || s.action === 'rolled-back')) return EXIT.failed;
  if (result.services.some((s) => s.action === 'refused')) return EXIT.refused;
  return EXIT.ok;
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    io.stdout(programVersion());
    return EXIT.ok;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    io.stderr(`api7-sync: unknown command "${command}"\n\n${HELP}`);
    return EXIT.usage;
  }
  let values: Values;
  try {
    const parsed = parseArgs({
      args: rest,
      options: spec.options,
      strict: true,
      allowPositionals: command === 'adc',
    });
    values = parsed.values;
    if (
      command === 'adc' &&
      !values.help &&
      (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'render')
    ) {
      throw new Error(
        `the adc command has one subcommand, render${parsed.positionals.length ? `, not "${parsed.positionals.join(' ')}"` : ''}`,
      );
    }
  } catch (err) {
    io.stderr(`api7-sync ${command}: ${(err as Error).message}\nusage: ${spec.usage}`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout(`usage: ${spec.usage}`);
    return EXIT.ok;
  }
  try {
    switch (command) {
      case 'sandbox':
        return await sandboxCommand(values as { seed?: string; 'api7-version'?: string }, io);
      case 'demo':
        return await demoCommand(values as { 'api7-version'?: string; keep?: boolean }, io);
      case 'bot':
        return await botCommand(io);
      case 'adc': {
        if (!values.env || !values.file) throw new UsageError('--env and -f (the ADC file) are required');
        return await adcRenderCommand(
          values as { env: string; file: string; output?: string },
          loadConfig(values, io),
          () => readToken(values, io),
          io,
        );
      }
      case 'status':
        return await statusCommand(values, io);
      case 'rollback':
        return await rollbackCommand(values, io);
      default:
        return await syncCommand(command as 'plan' | 'sync', values, io, spec.usage);
    }
  } catch (err) {
    return reportError(err, command, io, spec.usage);
  }
}

function reportError(err: unknown, command: string, io: Io, usage: string): number {
  if (err instanceof ConfigError) {
    io.stderr(err.message);
    return EXIT.usage;
  }
  if (err instanceof UsageError || err instanceof LockUsageError || err instanceof PolicyUsageError) {
    io.stderr(`api7-sync ${command}: ${err.message}\nusage: ${usage}`);
    return EXIT.usage;
  }
  if (err instanceof Api7Error) {
    const hint = err.isAuth ? ' (check API7_TOKEN: the control plane rejected it)' : '';
    io.stderr(`api7-sync ${command}: the control plane failed: ${err.message}${hint}`);
    return EXIT.failed;
  }
  io.stderr(`api7-sync ${command}: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.failed;
}

async function syncCommand(command: 'plan' | 'sync', values: Values, io: Io, usage: string): Promise<number> {
  if (typeof values.to === 'string' && isFanout(values.to)) return fanoutFromMain(command, values, io);
  if (!values.from || !values.to) throw new UsageError('--from and --to are required');
  if (values.atomic && values['no-atomic'])
    throw new UsageError('--atomic and --no-atomic contradict each other');
  const verifyTimeout = values['verify-timeout'] === undefined ? undefined : Number(values['verify-timeout']);
  if (verifyTimeout !== undefined && !(verifyTimeout > 0))
    throw new UsageError('--verify-timeout takes milliseconds, such as 10000');
  const config = loadConfig(values, io);
  const token = readToken(values, io);
  const engine = createEngine({ config, token, logger: (line) => io.stderr(line) });
  try {
    const services = values.service as string[] | undefined;
    const waitSeconds = lockWait(values);
    const makePlan = () =>
      engine.plan({
        from: values.from as string,
        to: values.to as string,
        services,
        expectVersion: values.version as string | undefined,
        newVersion: values['new-version'] as string | undefined,
        verify: !values['no-verify'],
        ...policyOptions(values),
      });
    const plan = await makePlan();
    const dryRun = command === 'plan' || Boolean(values['dry-run']);
    const started = Date.now();
    // Under a lock the plan is made again: the target may have changed while we waited.
    const apply = async () =>
      engine.apply(values.lock && !dryRun ? await makePlan() : plan, {
        dryRun,
        verify: !values['no-verify'],
        rollbackOnFailure: !values['no-rollback'],
        atomic: values.atomic ? true : values['no-atomic'] ? false : undefined,
        verifyTimeoutMs: verifyTimeout,
      });
    // Plans and dry runs change nothing, so they need no lock.
    const locked = dryRun
      ? { ran: true as const, value: await apply() }
      : await withEnvironmentLock(
          values.lock as string | undefined,
          plan.to.environment,
          `promote ${plan.from.environment} → ${plan.to.environment}`,
          io,
          apply,
          waitSeconds,
        );
    const result = locked.ran ? locked.value : refusedResult(plan, 'lock-held', locked.message, started);
    if (values.json) io.stdout(JSON.stringify(result, null, 2));
    else io.stderr([resultText(result), ...policyText(result)].join('\n'));
    await notifyFromCli(config, result, io);
    return exitFor(result);
  } catch (err) {
    return reportError(err, command, io, usage);
  } finally {
    await engine.close();
  }
}

/** Several targets (`--to eu,us` or `--to @tag`): cli/commands/fanout.ts. */
async function fanoutFromMain(command: 'plan' | 'sync', values: Values, io: Io): Promise<number> {
  if (values.atomic && values['no-atomic'])
    throw new UsageError('--atomic and --no-atomic contradict each other');
  const verifyTimeout = values['verify-timeout'] === undefined ? undefined : Number(values['verify-timeout']);
  if (verifyTimeout !== undefined && !(verifyTimeout > 0))
    throw new UsageError('--verify-timeout takes milliseconds, such as 10000');
  const config = loadConfig(values, io);
  const engine = createEngine({ config, token: readToken(values, io), logger: (line) => io.stderr(line) });
  try {
    const deps = { config, engine, verifyTimeoutMs: verifyTimeout, lockWaitSeconds: lockWait(values) };
    return await fanoutCommand(command, values, io, deps);
  } finally {
    await engine.close();
  }
}

async function statusCommand(values: Values, io: Io): Promise<number> {
  const config = loadConfig(values, io);
  const engine = createEngine({ config, token: readToken(values, io), logger: (line) => io.stderr(line) });
  try {
    const matrix = await engine.status();
    if (values.json) {
      io.stdout(JSON.stringify(matrix, null, 2));
      return EXIT.ok;
    }
    const header = [
      'service',
      ...matrix.environments.map((e) => `${e.name}${e.found ? '' : ' (group missing)'}`),
    ];
    const rows = matrix.services.map((s) => [
      s.name,
      ...matrix.environments.map((e) => s.versions[e.name] ?? '—'),
    ]);
    const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      io.stdout(
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}

async function rollbackCommand(values: Values, io: Io): Promise<number> {
  if (!values.env || !values.service) throw new UsageError('--env and --service are required');
  const config = loadConfig(values, io);
  const engine = createEngine({ config, token: readToken(values, io), logger: (line) => io.stderr(line) });
  try {
    const started = Date.now();
    const environment = values.env as string;
    const service = values.service as string;
    const locked = await withEnvironmentLock(
      values.lock as string | undefined,
      environment,
      `roll back "${service}"`,
      io,
      () =>
        engine.rollback(
          { environment, service, toVersion: values['to-version'] as string | undefined },
          { verify: !values['no-verify'] },
        ),
      lockWait(values),
    );
    const result = locked.ran
      ? locked.value
      : refusedResult(
          {
            from: { environment },
            to: { environment },
            entries: [
              {
                name: service,
                decision: 'refused',
                reason: null,
                message: null,
                version: null,
                requestedVersion: null,
                drift: [],
                runtimeLabel: null,
                probes: [],
              },
            ],
            createdAt: started,
          },
          'lock-held',
          locked.message,
          started,
        );
    if (values.json) io.stdout(JSON.stringify(result, null, 2));
    else io.stderr(resultText(result));
    await notifyFromCli(config, result, io);
    return exitFor(result);
  } finally {
    await engine.close();
  }
}

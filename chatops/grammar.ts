/**
 * The pull-request command grammar. A command counts only at the very start of a
 * comment, case-insensitively; anything else is not for us. Service names with spaces are quoted:
 * `/sync production "httpbin API" --version 1.0.0`. Error messages quote the comment's text only
 * through `inert`.
 */
import { isEnvironmentName } from '../engine/index.js';
import { inert } from './inert.js';

export type Command =
  | {
      kind: 'sync';
      /** The first target; `targets` holds all of them, in the order given. */
      environment: string;
      targets: string[];
      services: string[];
      version?: string;
      from?: string;
      dryRun: boolean;
      /** Why a promotion window is overridden (deployers only, recorded with the run). */
      breakGlass?: string;
    }
  | { kind: 'approve'; request?: string }
  | { kind: 'deny'; request?: string }
  | { kind: 'rollback'; environment: string; service: string; toVersion?: string }
  | { kind: 'lock'; environment: string; reason: string }
  | { kind: 'unlock'; environment: string }
  | { kind: 'status' }
  | { kind: 'help' };

export type Parsed = { ok: true; command: Command } | { ok: false; error: string } | null;

/** How a chat-ops command breaks glass, named when a promotion window refuses. */
export const BREAK_GLASS_HOW = '`--break-glass REASON` on the `/sync` command (deployers only)';

export const USAGE = [
  '`/sync <environment>[,<environment>...] [service ...] [--version V] [--from ENV] [--dry-run] [--break-glass REASON]`: promote the running version into one environment, or several in order',
  '`/approve [request]`, `/deny [request]`: decide on a pending sync (the latest one by default)',
  '`/rollback <environment> <service> [--to-version V]`: go back to the version that ran before',
  '`/lock <environment> [reason]`, `/unlock <environment>`: hold or release an environment',
  '`/status`: the service × environment version matrix',
  '`/help`: this list',
].join('\n');

/** Comments longer than this on their first line are not commands (and are not parsed). */
const MAX_LINE = 2000;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} _.\-/]{0,127}$/u;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

/** The engine's rule: exactly the names the config accepts, each usable in a lock's branch name. */
export { isEnvironmentName };

/** Splits on whitespace, keeping "double" or 'single' quoted runs together. */
function tokenize(line: string): string[] | { error: string } {
  const tokens: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/gy;
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    re.lastIndex = i;
    const m = re.exec(line);
    if (!m) return { error: 'a quote is not closed' };
    const token = m[1] ?? m[2] ?? m[3]!;
    if (m[3] !== undefined && /["']/.test(m[3])) return { error: 'a quote is not closed' };
    tokens.push(token);
    i = re.lastIndex;
  }
  return tokens;
}

const fail = (error: string): Parsed => ({ ok: false, error });

export function parseCommand(body: string): Parsed {
  const firstLine = body.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  if (!firstLine.startsWith('/')) return null;
  if (firstLine.length > MAX_LINE) return { ok: false, error: 'the command line is too long' };
  const tokens = tokenize(firstLine.trim());
  if (!Array.isArray(tokens)) return { ok: false, error: tokens.error };
  const [head, ...args] = tokens;
  const word = head!.slice(1).toLowerCase();
  switch (word) {
    case 'sync':
      return parseSync(args);
    case 'approve':
    case 'deny': {
      if (args.length > 1) return fail(`/${word} takes at most one request number`);
      const request = args[0];
      if (request !== undefined && !/^#?\d{1,20}$/.test(request))
        return fail(`${inert(request)} is not a request number`);
      return { ok: true, command: { kind: word, request: request?.replace(/^#/, '') } };
    }
    case 'rollback':
      return parseRollback(args);
    case 'lock':
    case 'unlock': {
      const [environment, ...rest] = args;
      if (!environment) return fail(`say which environment: /${word} production`);
      if (!isEnvironmentName(environment)) return fail(`${inert(environment)} is not an environment name`);
      if (word === 'unlock')
        return rest.length
          ? fail('/unlock takes only an environment')
          : { ok: true, command: { kind: 'unlock', environment } };
      return { ok: true, command: { kind: 'lock', environment, reason: rest.join(' ').slice(0, 200) } };
    }
    case 'status':
    case 'help':
      return args.length ? fail(`/${word} takes no arguments`) : { ok: true, command: { kind: word } };
    default:
      // "/something" that is not ours: another bot's command, or prose. Not for us.
      return null;
  }
}

/** `/sync <environment>[,<environment>...] [service ...] [--version V] [--from ENV] [--dry-run] [--break-glass REASON]` */
function parseSync(args: string[]): Parsed {
  const services: string[] = [];
  let version: string | undefined;
  let from: string | undefined;
  let dryRun = false;
  let environment: string | undefined;
  let breakGlass: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--dry-run') dryRun = true;
    else if (a === '--break-glass') {
      const reason = args[++i]?.trim();
      if (!reason || reason.startsWith('--'))
        return fail('--break-glass needs a reason: --break-glass "hotfix for INC-123"');
      breakGlass = reason.slice(0, 200);
    } else if (a === '--version' || a === '--from') {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) return fail(`${a} needs a value`);
      if (a === '--from' ? !isEnvironmentName(value) : !VERSION.test(value))
        return fail(`${a} ${inert(value)} is not a valid ${a === '--from' ? 'environment' : 'version'}`);
      if (a === '--version') version = value;
      else from = value;
    } else if (a.startsWith('--')) return fail(`unknown option ${inert(a)}`);
    else if (environment === undefined) environment = a;
    else services.push(a);
  }
  if (!environment) return fail('say which environment: /sync production');
  const targets = environment.split(',');
  // A tag (the CLI's and the Action's `--to @production`) names no lock until the config is
  // read; a request names its environments, so that what is approved is what is locked.
  const tag = targets.find((t) => t.startsWith('@') && isEnvironmentName(t.slice(1)));
  if (tag)
    return fail(
      `${inert(tag)} is a tag: name the environments instead, in order (\`/sync eu,us,ap\`); tags are for the CLI's and the Action's \`to\``,
    );
  for (const t of targets) if (!isEnvironmentName(t)) return fail(`${inert(t)} is not an environment name`);
  if (new Set(targets).size !== targets.length) return fail('an environment is named twice');
  for (const s of services) if (!NAME.test(s)) return fail(`${inert(s)} is not a service name`);
  return {
    ok: true,
    command: {
      kind: 'sync',
      environment: targets[0]!,
      targets,
      services,
      version,
      from,
      dryRun,
      ...(breakGlass ? { breakGlass } : {}),
    },
  };
}

/** `/rollback <environment> <service> [--to-version V]`; the service's words may be unquoted. */
function parseRollback(args: string[]): Parsed {
  const words: string[] = [];
  let toVersion: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--to-version') {
      const value = args[++i];
      if (value === undefined || !VERSION.test(value))
        return fail(`--to-version needs a version${value === undefined ? '' : `, not ${inert(value)}`}`);
      toVersion = value;
    } else if (a.startsWith('--')) return fail(`unknown option ${inert(a)}`);
    else words.push(a);
  }
  const [environment, ...rest] = words;
  const service = rest.join(' ');
  if (!environment || !service)
    return fail('say which environment and service: /rollback production "httpbin API"');
  if (!isEnvironmentName(environment)) return fail(`${inert(environment)} is not an environment name`);
  if (!NAME.test(service)) return fail(`${inert(service)} is not a service name`);
  return {
    ok: true,
    command: { kind: 'rollback', environment, service, ...(toVersion ? { toVersion } : {}) },
  };
}

/**
 * Every command and flag of `api7-sync`, with the words `help` prints for it. Nothing here
 * loads the engine: `--version`, `help` and argument errors answer from this table alone.
 */
import type { ParseArgsConfig } from 'node:util';

export interface Flag {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** How the value is shown in help: `--from ENV`. */
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: Flag[];
  /** Text after the flags: what the command prints, exit codes, examples. */
  notes?: string;
  positionals?: boolean;
}

const config: Flag = {
  name: 'config',
  type: 'string',
  value: 'FILE',
  help: 'the config file (default: .github/api7-sync.yml)',
};
const tokenFile: Flag = {
  name: 'token-file',
  type: 'string',
  value: 'FILE',
  help: 'read the API7 token from FILE instead of API7_TOKEN (never pass a token on the command line)',
};
const json: Flag = {
  name: 'json',
  type: 'boolean',
  help: 'print the result as one JSON document on stdout (also on exits 1 and 2)',
};
const help: Flag = { name: 'help', type: 'boolean', short: 'h', help: 'show this help' };
const lock: Flag[] = [
  {
    name: 'lock',
    type: 'string',
    value: 'OWNER/REPO',
    help: 'hold the environment lock of that repository, as the Action and the bot do (needs GITHUB_TOKEN; GITHUB_API_URL for GitHub Enterprise Server)',
  },
  {
    name: 'lock-wait',
    type: 'string',
    value: 'SECONDS',
    help: 'with --lock: wait up to SECONDS for a held lock, then plan again (default 0: refuse at once)',
  },
];

const promoteFlags: Flag[] = [
  { name: 'from', type: 'string', value: 'ENV', help: 'the source environment (a name under environments:)' },
  {
    name: 'to',
    type: 'string',
    value: 'ENV',
    help: 'the target environment; several in order (eu,us,ap), or @TAG for every environment tagged so, wave by wave',
  },
  {
    name: 'service',
    type: 'string',
    multiple: true,
    value: 'NAME',
    help: 'a service to promote, as named in API7; repeat for several (default: every service under services:)',
  },
  {
    name: 'version',
    type: 'string',
    value: 'V',
    help: "the version you expect the SOURCE group to be running; if it runs another, the service is refused and nothing is written. (Before any command, `api7-sync --version` prints the program's version instead.)",
  },
  {
    name: 'new-version',
    type: 'string',
    value: 'V',
    help: 'label a source in the "No Version" state: it is published as V in the source group, then promoted',
  },
  {
    name: 'force',
    type: 'boolean',
    help: 'overwrite a target service edited by hand in its group ("No Version"); without it such a service is refused (target-edited)',
  },
  {
    name: 'break-glass',
    type: 'string',
    value: 'REASON',
    help: "promote outside the target's promotion windows (protection.windows); the reason is recorded in the result",
  },
  {
    name: 'no-route-diff',
    type: 'boolean',
    help: 'skip reading the routes each service adds, removes and changes (the route diff)',
  },
  config,
  tokenFile,
  json,
  help,
];

/** All or none changes what a plan reports (a refusal holds the others back), so plan takes it too. */
const atomicFlags: Flag[] = [
  {
    name: 'atomic',
    type: 'boolean',
    help: 'all or none: one refused or failed service means nothing is written or everything is rolled back (the default for more than one service)',
  },
  {
    name: 'no-atomic',
    type: 'boolean',
    help: 'promote the services that can go, even if another is refused or fails',
  },
];

const EXIT_CODES =
  'Exit codes: 0 every service synced, unchanged or planned; 1 a sync failed, or the control plane could not be reached or refused the token; 2 a service was refused; 64 usage or config error.';

const OUTPUT =
  'The result goes to stdout (a table, or one JSON document with --json); progress and diagnostics go to stderr, so `api7-sync plan ... > plan.txt` holds the plan alone.';

export const COMMANDS: CommandSpec[] = [
  {
    name: 'plan',
    summary: 'show what a promotion would do; writes nothing',
    usage:
      'api7-sync plan --from ENV --to ENV[,ENV...|@TAG] [--service NAME]... [--version V] [--new-version V] [--config FILE] [--json]\n' +
      '               [--atomic|--no-atomic] [--force] [--break-glass REASON] [--no-route-diff]',
    flags: [...promoteFlags.filter((f) => f.name !== 'help'), ...atomicFlags, help],
    notes: `${OUTPUT}\n${EXIT_CODES} A plan with pending changes exits 0.`,
  },
  {
    name: 'sync',
    summary: 'promote the running version from one gateway group to another, verify, roll back on failure',
    usage:
      'api7-sync sync --from ENV --to ENV[,ENV...|@TAG] [--service NAME]... [--version V] [--new-version V] [--config FILE] [--json]\n' +
      '               [--dry-run] [--no-verify] [--no-rollback] [--atomic|--no-atomic] [--verify-timeout MS] [--lock OWNER/REPO [--lock-wait SECONDS]]\n' +
      '               [--force] [--break-glass REASON] [--no-route-diff]',
    flags: [
      ...promoteFlags.filter((f) => f.name !== 'help'),
      { name: 'dry-run', type: 'boolean', help: 'plan only: no write, no lock (the same as `plan`)' },
      { name: 'no-verify', type: 'boolean', help: 'do not probe the target gateway after the sync' },
      {
        name: 'no-rollback',
        type: 'boolean',
        help: 'leave a failed service as it is instead of rolling it back',
      },
      ...atomicFlags,
      {
        name: 'verify-timeout',
        type: 'string',
        value: 'MS',
        help: 'how long verification of one service may take, in milliseconds (default 10000)',
      },
      ...lock,
      help,
    ],
    notes: `${OUTPUT} While verifying, a live line on stderr shows what is being waited for.\n${EXIT_CODES}`,
  },
  {
    name: 'status',
    summary: 'the service × environment version matrix',
    usage: 'api7-sync status [--config FILE] [--json]',
    flags: [config, tokenFile, json, help],
    notes: OUTPUT,
  },
  {
    name: 'rollback',
    summary: 'put a service back on a version that ran before in the same gateway group',
    usage:
      'api7-sync rollback --env ENV --service NAME [--to-version V] [--config FILE] [--json] [--no-verify] [--lock OWNER/REPO [--lock-wait SECONDS]]',
    flags: [
      {
        name: 'env',
        type: 'string',
        value: 'ENV',
        help: 'the environment whose gateway group is rolled back',
      },
      { name: 'service', type: 'string', value: 'NAME', help: 'the service, as named in API7' },
      {
        name: 'to-version',
        type: 'string',
        value: 'V',
        help: 'the version to go back to (default: the one that ran before the current version first came into the group)',
      },
      config,
      tokenFile,
      json,
      { name: 'no-verify', type: 'boolean', help: 'do not probe the gateway afterwards' },
      ...lock,
      help,
    ],
    notes: `The group's runtime configuration stays as it is, as in API7's own rollback.\n${OUTPUT}\n${EXIT_CODES}`,
  },
  {
    name: 'sandbox',
    summary: 'serve a local stand-in for API7 EE (control plane, gateways, httpbin)',
    usage: 'api7-sync sandbox [--seed FILE] [--api7-version V] [--tls]',
    flags: [
      {
        name: 'seed',
        type: 'string',
        value: 'FILE',
        help: 'the seed: gateway groups, registries, services (see examples/sandbox.yaml)',
      },
      {
        name: 'api7-version',
        type: 'string',
        value: 'V',
        help: 'the API7 version to imitate: below 3.6 the legacy API generation, from 3.6 the modern one (wins over the seed)',
      },
      {
        name: 'tls',
        type: 'boolean',
        help: 'serve the control plane over HTTPS with a certificate made at start; the ready line names its CA file (caFile)',
      },
      help,
    ],
    notes:
      'When ready it prints one JSON line on stdout (URLs, token, and caFile with --tls) and runs until Ctrl-C. Exit codes: 64 a seed it cannot use; 69 a port another process holds.',
  },
  {
    name: 'demo',
    summary: "API7's sync walkthrough, end to end, on an in-process sandbox",
    usage: 'api7-sync demo [--api7-version V] [--keep]',
    flags: [
      {
        name: 'api7-version',
        type: 'string',
        value: 'V',
        help: 'the API7 version to imitate (default 3.5.0)',
      },
      { name: 'keep', type: 'boolean', help: 'leave the sandbox running afterwards, to try it by hand' },
      help,
    ],
    notes: "Uses its own token (never API7_TOKEN). Prints the production gateway's answer on stdout.",
  },
  {
    name: 'adc',
    summary: 'render an ADC file (adc.yaml) for one environment',
    usage: 'api7-sync adc render --env ENV -f adc.yaml [-o out.yaml] [--config FILE] [--token-file FILE]',
    positionals: true,
    flags: [
      {
        name: 'env',
        type: 'string',
        value: 'ENV',
        help: 'the environment whose runtime configuration is written in',
      },
      { name: 'file', type: 'string', short: 'f', value: 'FILE', help: 'the ADC file to read' },
      { name: 'output', type: 'string', short: 'o', value: 'FILE', help: 'where to write (default: stdout)' },
      config,
      tokenFile,
      help,
    ],
    notes:
      'Offline, unless a service uses service discovery in that environment (then the token is needed to look up the registry).',
  },
  {
    name: 'bot',
    summary: 'run the pull-request bot (a Probot app)',
    usage: 'api7-sync bot',
    flags: [help],
    notes:
      'Configured by environment variables: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, API7_TOKEN, API7_CONTROL_PLANES, API7_SYNC_STATE_SECRET, HOST, PORT, LOG_LEVEL. Exit codes: 64 a missing or bad variable; 69 a HOST:PORT another process holds.',
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The table node's parseArgs wants. */
export function parseArgsOptions(spec: CommandSpec): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    spec.flags.map((f) => [
      f.name,
      { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) },
    ]),
  );
}

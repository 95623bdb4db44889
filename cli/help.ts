/** The words of `api7-sync help [COMMAND]` and `api7-sync COMMAND --help`. */
import { COMMANDS, type CommandSpec } from './spec.js';

export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'api7-sync: promote the running version of API7 EE services between gateway groups',
    '',
    'Usage: api7-sync COMMAND [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `  api7-sync help COMMAND    every flag of a command (also: api7-sync COMMAND --help)`,
    `  api7-sync --version       the program's version. After a command, --version V is something`,
    `                            else: the version you expect the source group to be running.`,
    '',
    'The token comes from API7_TOKEN or --token-file, never from the command line.',
    'Exit codes: 0 ok, 1 a sync failed or the control plane failed, 2 refused, 64 usage or config error.',
  ].join('\n');
}

function wrap(text: string, indent: number, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function commandHelp(spec: CommandSpec): string {
  const names = spec.flags.map(
    (f) => `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.value ? ` ${f.value}` : ''}`,
  );
  const width = Math.min(28, Math.max(...names.map((n) => n.length)));
  const flags = spec.flags.flatMap((f, i) => {
    const [first = '', ...rest] = wrap(f.help, width + 4);
    const name = names[i]!;
    const head =
      name.length > width
        ? [`  ${name}`, `  ${''.padEnd(width)}  ${first}`]
        : [`  ${name.padEnd(width)}  ${first}`];
    return [...head, ...rest.map((r) => `  ${''.padEnd(width)}  ${r}`)];
  });
  return [
    `usage: ${spec.usage}`,
    '',
    `${spec.summary}.`,
    '',
    'Flags:',
    ...flags,
    ...(spec.notes ? ['', ...spec.notes.split('\n').flatMap((n) => wrap(n, 0))] : []),
  ].join('\n');
}

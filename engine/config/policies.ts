/**
 * The promotion-policy keys of the config (soak, watch, windows): what the schema cannot check
 * (durations, time zones, window text), each problem at its own line and column. It also splits
 * `promoteFrom: {environment, soak}` into the source's name and `soak`, so that everything that
 * only needs the names keeps reading `promoteFrom` as a list of names.
 */
import { parseDuration } from './duration.js';
import type { PathProblem } from './problems.js';
import type { Config } from './types.js';
import { isTimeZone, windowProblem } from './windows.js';

const DURATION_HINT = 'write a duration such as 30s, 5m, 1h or 1h30m';

export function checkPolicies(config: Config): PathProblem[] {
  const problems: PathProblem[] = [];
  const at = (path: (string | number)[], message: string) => problems.push({ path, at: 'value', message });
  const pos = (segs: (string | number)[]) => segs;
  const duration = (text: string, segs: (string | number)[], what: string) => {
    const ms = parseDuration(text);
    if (ms === undefined) at(pos(segs), `${what} "${text}" is not a duration; ${DURATION_HINT}`);
    else if (ms === 0) at(pos(segs), `${what} is zero; remove it or ${DURATION_HINT}`);
  };

  for (const [name, env] of Object.entries(config.environments)) {
    const raw = env.promoteFrom as unknown;
    if (raw !== undefined) {
      const list = Array.isArray(raw) ? raw : [raw];
      const names: string[] = [];
      list.forEach((item: unknown, i) => {
        const base = Array.isArray(raw)
          ? ['environments', name, 'promoteFrom', i]
          : ['environments', name, 'promoteFrom'];
        if (typeof item === 'string') {
          names.push(item);
          return;
        }
        const source = item as { environment: string; soak?: string };
        names.push(source.environment);
        if (source.soak !== undefined) {
          duration(source.soak, [...base, 'soak'], 'soak');
          env.soak = { ...env.soak, [source.environment]: source.soak };
        }
      });
      env.promoteFrom = Array.isArray(raw) ? names : names[0];
    }
    if (env.verify?.watch !== undefined)
      duration(env.verify.watch, ['environments', name, 'verify', 'watch'], 'verify.watch');
    const windows = env.protection?.windows;
    if (windows) {
      const base = ['environments', name, 'protection', 'windows'];
      if (!isTimeZone(windows.timezone))
        at(
          pos([...base, 'timezone']),
          `unknown time zone "${windows.timezone}"; write an IANA name such as Europe/Berlin or Asia/Shanghai`,
        );
      windows.allow.forEach((text, i) => {
        const problem = windowProblem(text);
        if (problem) at(pos([...base, 'allow', i]), problem);
      });
    }
  }
  for (const [name, svc] of Object.entries(config.services)) {
    if (svc.watch === undefined) continue;
    duration(svc.watch, ['services', name, 'watch'], 'watch');
    // The watch repeats the verify probes: without them it would watch nothing and say nothing.
    if (!svc.verify?.length)
      at(
        pos(['services', name, 'watch']),
        'watch repeats the verify probes; add verify: [{path: /…}] or remove watch',
      );
  }
  return problems;
}

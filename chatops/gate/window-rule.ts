/**
 * Promotion window: checked by the gate itself, on the clock the engine uses, so that a closed
 * window does not hide the other rules (the engine's plan stops at a closed window).
 */
import { type EnvironmentConfig, checkWindows } from '../../engine/index.js';
import { failed, passed, type RuleOutcome } from './verdict.js';

export function windowRule(environment: string, env: EnvironmentConfig, now: number): RuleOutcome {
  const windows = env.protection?.windows;
  if (!windows) return passed('promotion window', `\`${environment}\` sets no promotion windows`);
  const verdict = checkWindows(windows, now);
  const allowed = verdict.allowed.map((w) => `\`${w}\``).join(', ');
  return verdict.open
    ? passed('promotion window', `open: it is ${verdict.localTime}; windows ${allowed}`)
    : failed(
        'promotion window',
        `closed: it is ${verdict.localTime}; \`${environment}\` takes promotions only ${allowed}`,
      );
}

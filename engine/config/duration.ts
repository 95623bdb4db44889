/**
 * Durations as people write them in the config: `30s`, `5m`, `1h`, `1h30m`, `2d`, and back to
 * text for messages. Part of the config's language, so the config's checks need nothing from the
 * policies that use them.
 */

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Milliseconds, or undefined when the text is not a duration (the caller says where). */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const [, d, h, min, s] = m;
  return (
    Number(d ?? 0) * UNIT_MS.d! +
    Number(h ?? 0) * UNIT_MS.h! +
    Number(min ?? 0) * UNIT_MS.m! +
    Number(s ?? 0) * UNIT_MS.s!
  );
}

/** "1h 5m", "42s": for messages. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.ceil(ms / 1000)) * 1000;
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's']) {
    const n = Math.floor(rest / UNIT_MS[unit]!);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * UNIT_MS[unit]!;
  }
  return parts.length ? parts.join(' ') : '0s';
}

/**
 * A slot for the config-load bench (`bench/config-load.ts`), run as its own program when it is
 * there: its figures (load time and peak RSS at 500 and 2000 services) feed the targets in
 * RESULTS.md. Its printed table is read by column name, so it can gain columns freely.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { root } from './support/fixtures.js';
import { runProcess } from './support/processes.js';

export interface Range {
  min: number;
  median: number;
  max: number;
}

export interface ConfigLoadFigures {
  /** Its own output, as printed. */
  output: string;
  loadMs: Map<number, Range>;
  peakRssMiB: Map<number, Range>;
}

export const CONFIG_LOAD_SIZES = [500, 2000];

/** Undefined when the config-load bench is not part of this tree. */
export async function configLoadFigures(runs: number): Promise<ConfigLoadFigures | undefined> {
  const program = path.join(root, 'lib/bench/config-load.js');
  if (!existsSync(program)) return undefined;
  const run = await runProcess(process.execPath, [program], {
    BENCH_RUNS: String(runs),
    BENCH_SIZES: CONFIG_LOAD_SIZES.join(','),
  });
  if (run.code !== 0) throw new Error(`the config-load bench failed: ${run.stderr.slice(-2000)}`);
  return { output: run.stdout.trim(), ...parseTable(run.stdout) };
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim());

/** `a / b / c unit` → {min, median, max}. */
function parseRange(cell: string | undefined): Range | undefined {
  const m = /^(-?[\d.]+)\s*\/\s*(-?[\d.]+)\s*\/\s*(-?[\d.]+)/.exec(cell ?? '');
  return m ? { min: Number(m[1]), median: Number(m[2]), max: Number(m[3]) } : undefined;
}

function parseTable(text: string): Pick<ConfigLoadFigures, 'loadMs' | 'peakRssMiB'> {
  const loadMs = new Map<number, Range>();
  const peakRssMiB = new Map<number, Range>();
  const lines = text.split('\n').filter((l) => l.trim().startsWith('|'));
  const header = lines.find((l) => /\|\s*services\s*\|/i.test(l));
  if (!header) return { loadMs, peakRssMiB };
  const names = cells(header);
  const loadCol = names.findIndex((c) => /^load \(wall\)/i.test(c) || /^load$/i.test(c));
  const rssCol = names.findIndex((c) => /peak RSS/i.test(c));
  for (const line of lines) {
    const row = cells(line);
    const n = Number(row[0]);
    if (!Number.isInteger(n) || n <= 0) continue;
    const load = loadCol >= 0 ? parseRange(row[loadCol]) : undefined;
    const rss = rssCol >= 0 ? parseRange(row[rssCol]) : undefined;
    if (load) loadMs.set(n, load);
    if (rss) peakRssMiB.set(n, rss);
  }
  return { loadMs, peakRssMiB };
}

/** `api7-sync status`: the service × environment version matrix. */
import { createEngine, type StatusMatrix } from '../../engine/index.js';
import { loadConfig, readToken, type Values } from '../context.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { printResult } from '../output.js';
import { progressLogger } from '../progress.js';

export async function statusCommand(values: Values, io: Io): Promise<number> {
  const config = loadConfig(values, io);
  const log = progressLogger(io);
  const engine = createEngine({ config, token: readToken(values, io), logger: log });
  try {
    const matrix = await engine.status();
    log.stop();
    printResult(io, Boolean(values.json), matrix, () => matrixText(matrix));
    return EXIT.ok;
  } finally {
    log.stop();
    await engine.close();
  }
}

function matrixText(matrix: StatusMatrix): string {
  const header = [
    'service',
    ...matrix.environments.map((e) => `${e.name}${e.found ? '' : ' (group missing)'}`),
  ];
  const rows = matrix.services.map((s) => [
    s.name,
    ...matrix.environments.map((e) => s.versions[e.name] ?? '—'),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

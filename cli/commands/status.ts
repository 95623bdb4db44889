/** `api7-sync status`: the service × environment version matrix, with drift. */
import { createEngine, statusText } from '../../engine/index.js';
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
    printResult(io, Boolean(values.json), matrix, () => statusText(matrix));
    return EXIT.ok;
  } finally {
    log.stop();
    await engine.close();
  }
}

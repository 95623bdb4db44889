import { loadSeed, type Seed } from '../../sandbox/seed.js';
import { startSandbox } from '../../sandbox/server.js';
import type { Io } from '../io.js';

/**
 * `api7-sync sandbox`: serves the API7 stand-in until SIGINT/SIGTERM. The one JSON ready line is
 * the only thing ever written to stdout, so scripts can read it with a single line read.
 */
export async function sandboxCommand(
  values: { seed?: string; 'api7-version'?: string; tls?: boolean },
  io: Io,
): Promise<number> {
  const seed: Seed = values.seed ? loadSeed(values.seed) : {};
  const sandbox = await startSandbox({
    seed,
    api7Version: values['api7-version'],
    ...(values.tls ? { tls: true } : {}),
    log: (line) => io.stderr(line),
  });
  io.stdout(sandbox.readyLine());
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sandbox.close();
  io.stderr('sandbox: stopped');
  return 0;
}

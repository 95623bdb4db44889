import { loadSeed, SeedError, type Seed } from '../../sandbox/seed.js';
import { PortInUseError, startSandbox, type Sandbox } from '../../sandbox/server.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';

/**
 * `api7-sync sandbox`: serves the API7 stand-in until SIGINT/SIGTERM. The one JSON ready line is
 * the only thing ever written to stdout, so scripts can read it with a single line read. A seed it
 * cannot use exits 64; a port it cannot take exits 69; each with one line saying what to do.
 */
export async function sandboxCommand(
  values: { seed?: string; 'api7-version'?: string; tls?: boolean },
  io: Io,
): Promise<number> {
  let sandbox: Sandbox;
  try {
    const seed: Seed = values.seed ? loadSeed(values.seed) : {};
    sandbox = await startSandbox({
      seed,
      api7Version: values['api7-version'],
      ...(values.tls ? { tls: true } : {}),
      log: (line) => io.stderr(line),
    });
  } catch (err) {
    if (err instanceof SeedError) {
      const where = values.seed && !err.message.includes(values.seed) ? `${values.seed}: ` : '';
      io.stderr(`api7-sync sandbox: ${where}${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof PortInUseError) {
      io.stderr(
        `api7-sync sandbox: ${err.message}; stop the process that holds port ${err.port} (another sandbox still running?)` +
          (values.seed ? `, or give another port in ${values.seed}` : ''),
      );
      return EXIT.unavailable;
    }
    throw err;
  }
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

/**
 * One promotion in its own process, so that its peak memory is its own: reads the config path
 * and options from argv, the token from API7_TOKEN, and prints one JSON line.
 */
import { createEngine, loadConfigFile } from '../engine/index.js';

const [configPath, servicesArg] = process.argv.slice(2);
const config = loadConfigFile(configPath!, { env: {} });
const services = servicesArg ? servicesArg.split(',') : undefined;
const oneAtATime = process.env.ONE_AT_A_TIME === '1';
const engine = createEngine({ config, token: process.env.API7_TOKEN! });
const started = performance.now();
const outcomes: Record<string, number> = {};
const batches = oneAtATime ? Object.keys(config.services).map((s) => [s]) : [services];
for (const batch of batches) {
  const plan = await engine.plan({ from: 'test', to: 'production', services: batch });
  const result = await engine.apply(plan, {});
  for (const s of result.services) outcomes[s.action] = (outcomes[s.action] ?? 0) + 1;
}
const durationMs = performance.now() - started;
await engine.close();
process.stdout.write(
  JSON.stringify({ durationMs, outcomes, maxRssKb: process.resourceUsage().maxRSS }) + '\n',
);

/**
 * One promotion, test → production, in its own process so that its peak memory and CPU time are
 * its own. Reads the config path from argv and the token from API7_TOKEN; prints one JSON line.
 * The clock runs from plan to the end of apply (verification included); loading the config is
 * measured by the config-load bench.
 */
import { createEngine, loadConfigFile, type ApplyOptions } from '../engine/index.js';
import { CONFIRM_MS } from './floor.js';
import { peakRssMiB } from './support/processes.js';

export interface PromotionSample {
  durationMs: number;
  /** CPU time (user + system) of this process over the promotion. */
  cpuMs: number;
  peakRssMiB: number;
  outcomes: Record<string, number>;
  /** The first service that did not sync, with why: a failed run is a figure too. */
  firstFailure?: string;
}

const config = loadConfigFile(process.argv[2]!, { env: {} });
const engine = createEngine({ config, token: process.env.API7_TOKEN! });
// The confirm pause the floor assumes. Engines that pace probes by `verifyIntervalMs` instead
// read that; an engine ignores keys it does not know, so both are passed.
const pacing: Record<string, number> = { confirmMs: CONFIRM_MS, verifyIntervalMs: CONFIRM_MS };
const options = { verifyTimeoutMs: 10_000, ...pacing } as ApplyOptions;

const cpu = process.cpuUsage();
const started = performance.now();
// The promotion's own requests, as issue targets count them: the route diff (one read of the
// incoming snapshot's routes per service, on by default) is measured apart, in the fan-out bench.
const plan = await engine.plan({ from: 'test', to: 'production', routeDiff: false });
const result = await engine.apply(plan, options);
const durationMs = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
await engine.close();

const outcomes: Record<string, number> = {};
for (const s of result.services) outcomes[s.action] = (outcomes[s.action] ?? 0) + 1;
const failed = result.services.find((s) => s.action !== 'synced');
const sample: PromotionSample = {
  durationMs,
  cpuMs: (user + system) / 1000,
  peakRssMiB: peakRssMiB(),
  outcomes,
  ...(failed && { firstFailure: `${failed.name}: ${failed.action}: ${failed.message ?? failed.reason}` }),
};
process.stdout.write(`${JSON.stringify(sample)}\n`);

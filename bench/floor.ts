/**
 * The floor a promotion is measured against: what no client could beat, however well written:
 * starting the process, then the slower of the chain of dependent round trips and the CPU time
 * the stand-in itself spends answering.
 */
import { ROUTES_PER_SERVICE } from './support/fixtures.js';

/** Control-plane requests in flight at once (the engine's default concurrency). */
export const CONCURRENCY = 10;
/** Injected by the sandbox on every control-plane request (never on gateway probes). */
export const LATENCY_MS = 10;
/** The pause before the confirming probe (the engine's default `confirmMs`). */
export const CONFIRM_MS = 200;
/** Items per page of a list (the engine's page size). */
const PAGE = 100;

/**
 * The dependent-round-trip bound. Some requests need the answer of an earlier one, so they form a
 * chain; at concurrency c each link costs at least the latency L, whatever the client does:
 *
 * 1. the version and the gateway groups (independent of each other: one round);
 * 2. both groups' service lists (P = ⌈N / 100⌉ pages each) and, for the route diff, both groups'
 *    route lists (R = ⌈routes / 100⌉ pages in the source, one page in the empty target), which
 *    need only the group IDs; the first page of a list tells how many there are:
 *    1 + ⌈(2(P − 1) + (R − 1)) / c⌉ rounds;
 * 3. just before the publish, the re-read of the source's running versions and the
 *    route-conflict check (one request for all services), side by side: ⌈(P + 1) / c⌉;
 * 4. the writes: B = ⌈N / 50⌉ publish batches, then each service's runtime/enable PATCH, which
 *    needs its service published first; B + N writes through c connections: ⌈(B + N) / c⌉;
 * 5. verification of the last service written: a probe as soon as its PATCH lands, then a
 *    confirming probe `confirmMs` later (the expected status is needed twice in a row). Probes go
 *    to the gateway, which has no injected latency, so only the confirm pause counts.
 *
 * What the engine reads after verification (the final state for the report) is left out: the
 * bound counts only what the API makes necessary.
 */
export function roundTripBoundMs(n: number): number {
  const pages = Math.ceil(n / PAGE);
  const routePages = Math.max(1, Math.ceil((n * ROUTES_PER_SERVICE) / PAGE));
  const batches = Math.ceil(n / 50);
  const rounds =
    1 +
    1 +
    Math.ceil((2 * (pages - 1) + (routePages - 1)) / CONCURRENCY) +
    Math.ceil((pages + 1) / CONCURRENCY) +
    Math.ceil((batches + n) / CONCURRENCY);
  return rounds * LATENCY_MS + CONFIRM_MS;
}

/**
 * The floor of one promotion as a user runs it (`api7-sync sync`, a whole process): the start-up
 * (spawn to exit of `api7-sync --version`, measured next to it), then the round-trip bound, or
 * what the sandbox's CPU makes necessary when that is larger: a stand-in busy for 2 s cannot be
 * finished with in less. The two overlap (the sandbox computes while requests are in flight), so
 * the larger one counts, not their sum.
 *
 * The sandbox's CPU term is the larger of two bounds: all the CPU it spent, and the CPU it spent up
 * to its answer to the last write followed by the confirm pause. The last service written is
 * confirmed `confirmMs` after its write lands, whatever the client, so that pause cannot overlap
 * the work that came before the write; what the sandbox spends after the last write (probes, the
 * final read-back) can overlap the pause, or outlast it. When the log gives no CPU figure for the
 * last write, only the first bound counts. Off Linux the sandbox CPU is unknown and only the
 * round-trip bound counts.
 */
export function floorMs(
  n: number,
  startupMs: number,
  sandboxCpuMs: number | undefined,
  cpuAfterLastWriteMs?: number,
): number {
  const cpuTerm =
    sandboxCpuMs === undefined
      ? 0
      : cpuAfterLastWriteMs === undefined
        ? sandboxCpuMs
        : Math.max(sandboxCpuMs, sandboxCpuMs - cpuAfterLastWriteMs + CONFIRM_MS);
  return startupMs + Math.max(roundTripBoundMs(n), cpuTerm);
}

/** The earlier, weaker floor: all of the sandbox's CPU, as if the confirm pause could overlap it. */
export function cpuOnlyFloorMs(n: number, startupMs: number, sandboxCpuMs: number | undefined): number {
  return startupMs + Math.max(roundTripBoundMs(n), sandboxCpuMs ?? 0);
}

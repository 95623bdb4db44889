/**
 * `npm run bench`: every figure measured side by side in one run, printed as a table and written
 * with the machine's description to bench/RESULTS.md. `--full-baseline` also runs the
 * one-at-a-time baseline at 500 services (about five minutes); otherwise it is extrapolated from
 * the 100-service run and marked so.
 */
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, platform, release, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import type { Seed } from '../sandbox/seed.js';
import { fakeGitHub } from '../test/helpers/github-server.js';
import { oneAtATime } from './baseline.js';
import { fanoutBench } from './fanout.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEST = 'test-group';
const PROD = 'production-group';
const LATENCY_MS = 10;
const CONCURRENCY = 10;
const VERIFY_INTERVAL_MS = 500;
const fullBaseline = process.argv.includes('--full-baseline');
const sizes = (process.env.BENCH_SIZES ?? '1,10,100,500').split(',').map(Number);

const log = (line: string) => process.stderr.write(`${line}\n`);
const name = (i: number) => `service-${String(i).padStart(3, '0')}`;

function seedFor(n: number, token: string): Seed {
  return {
    token,
    api7Version: '3.9.0',
    gatewayGroups: [{ name: TEST }, { name: PROD }],
    services: Array.from({ length: n }, (_, i) => ({
      gatewayGroup: TEST,
      name: name(i),
      version: '1.0.0',
      routes: [{ name: 'any', paths: [`/anything/${name(i)}`] }],
      upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
    })),
  };
}

function configFor(sb: Sandbox, n: number): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bench-')), 'api7-sync.yml');
  const services = Array.from(
    { length: n },
    (_, i) =>
      `  ${name(i)}:\n    runtime: {production: {upstream: {nodes: [{host: httpbin, port: 80}]}}}\n    verify: [{path: /anything/${name(i)}}]\n`,
  ).join('');
  writeFileSync(
    file,
    `controlPlane: {url: "${sb.controlPlane}"}\nenvironments:\n  test: {gatewayGroup: ${TEST}}\n  production: {gatewayGroup: ${PROD}, gatewayUrl: "${sb.gateways[PROD]}", promoteFrom: test}\nservices:\n${services}`,
  );
  return file;
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function hook(sb: Sandbox, method: string, p: string, body?: unknown) {
  const res = await request(`${sb.controlPlane}${p}`, {
    method: method as 'GET',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return res.body.json() as Promise<{ list: unknown[] }>;
}

/**
 * The fewest dependent round trips the API allows, at the configured concurrency c, each costing
 * the injected latency L: version; gateway groups; both groups' service pages; the publish
 * batches; the runtime PATCHes (3.6+); plus one probe interval, since verification needs two
 * good answers in a row.
 */
function lowerBoundMs(n: number): number {
  const pages = Math.ceil(n / 100);
  const batches = Math.ceil(n / 50);
  const rounds =
    1 +
    1 +
    Math.ceil((2 * pages) / CONCURRENCY) +
    Math.ceil(batches / CONCURRENCY) +
    Math.ceil(n / CONCURRENCY);
  return rounds * LATENCY_MS + VERIFY_INTERVAL_MS;
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

interface ScaleRow {
  n: number;
  wallMs: number;
  reads: number;
  writes: number;
  perService: number;
  rssMb: number;
  lowerBoundMs: number;
  baselineMs: number;
  baselineExtrapolated: boolean;
  outcomes: Record<string, number>;
}

async function scale(): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  let baselinePerService = 0;
  for (const n of sizes) {
    const token = `a7ee-bench-${n}`;
    let sb = await startSandbox({ seed: seedFor(n, token) });
    const configPath = configFor(sb, n);
    await hook(sb, 'PUT', '/sandbox/faults', { latencyMs: LATENCY_MS });
    await hook(sb, 'DELETE', '/sandbox/requests');
    log(`sync at scale: ${n} services…`);
    const child = await run(process.execPath, [path.join(root, 'lib/bench/promote.js'), configPath], {
      API7_TOKEN: token,
    });
    if (child.code !== 0) throw new Error(`promotion of ${n} failed: ${child.stderr}`);
    const measured = JSON.parse(child.stdout) as {
      durationMs: number;
      outcomes: Record<string, number>;
      maxRssKb: number;
    };
    const requests = (await hook(sb, 'GET', '/sandbox/requests')).list as {
      method: string;
      path: string;
      query: Record<string, string>;
    }[];
    // As DESIGN.md §5 counts them: conflict_check and dry-run=all change nothing.
    const isWrite = (r: (typeof requests)[number]) =>
      r.method !== 'GET' &&
      r.method !== 'HEAD' &&
      r.path !== '/api/services/conflict_check' &&
      r.query['dry-run'] !== 'all';
    const writes = requests.filter(isWrite).length;
    const reads = requests.length - writes;
    await sb.close();

    let baselineMs: number;
    let extrapolated = false;
    if (n <= 100 || fullBaseline) {
      log(`one-at-a-time baseline: ${n} services…`);
      sb = await startSandbox({ seed: seedFor(n, token) });
      await hook(sb, 'PUT', '/sandbox/faults', { latencyMs: LATENCY_MS });
      const group = (g: string) => [...sb.store.groups.values()].find((x) => x.name === g)!.id;
      const base = await oneAtATime({
        controlPlane: sb.controlPlane,
        token,
        sourceGroupId: group(TEST),
        targetGroupId: group(PROD),
        gatewayUrl: sb.gateways[PROD]!,
        services: Array.from({ length: n }, (_, i) => name(i)),
        upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
      });
      await sb.close();
      if (base.synced !== n) throw new Error(`baseline synced ${base.synced} of ${n}`);
      baselineMs = base.durationMs;
      baselinePerService = base.durationMs / n;
    } else {
      baselineMs = baselinePerService * n;
      extrapolated = true;
    }
    rows.push({
      n,
      wallMs: measured.durationMs,
      reads,
      writes,
      perService: requests.length / n,
      rssMb: measured.maxRssKb / 1024,
      lowerBoundMs: lowerBoundMs(n),
      baselineMs,
      baselineExtrapolated: extrapolated,
      outcomes: measured.outcomes,
    });
  }
  return rows;
}

async function actionStartup(): Promise<{ bundleBytes: number; nodeMs: number; actionMs: number }> {
  const bundle = path.join(root, 'dist/index.js');
  const token = 'a7ee-bench-action';
  const sb = await startSandbox({ seed: seedFor(1, token) });
  const ws = mkdtempSync(path.join(tmpdir(), 'bench-action-'));
  for (const f of ['out', 'summary', 'state']) writeFileSync(path.join(ws, f), '');
  const configPath = configFor(sb, 1);
  const nodeRuns: number[] = [];
  const actionRuns: number[] = [];
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    await run(process.execPath, ['-e', '0'], {});
    nodeRuns.push(performance.now() - t);
    await hook(sb, 'DELETE', '/sandbox/requests');
    const wallStart = Date.now();
    t = performance.now();
    await run(process.execPath, [bundle], {
      INPUT_FROM: 'test',
      INPUT_TO: 'production',
      INPUT_TOKEN: token,
      INPUT_CONFIG: configPath,
      'INPUT_DRY-RUN': 'true',
      INPUT_LOCK: 'false',
      'INPUT_RECORD-DEPLOYMENT': 'false',
      GITHUB_OUTPUT: path.join(ws, 'out'),
      GITHUB_STEP_SUMMARY: path.join(ws, 'summary'),
      GITHUB_STATE: path.join(ws, 'state'),
    });
    const first = ((await hook(sb, 'GET', '/sandbox/requests')).list as { at: string }[])[0];
    if (!first) throw new Error('the Action sent no control-plane request');
    actionRuns.push(Date.parse(first.at) - wallStart);
  }
  await sb.close();
  return {
    bundleBytes: statSync(bundle).size,
    nodeMs: percentile(nodeRuns, 50),
    actionMs: percentile(actionRuns, 50),
  };
}

/**
 * 200 signed deliveries at once. With `body` a command, every one starts a job; with prose, no job
 * runs, which isolates the cost of receiving a delivery (signature, parsing, Probot) from the jobs.
 */
async function botLoad(body: string): Promise<{
  deliveries: number;
  ackP50: number;
  ackP99: number;
  allDoneMs: number;
  lost: number;
  twice: number;
}> {
  const token = 'a7ee-bench-bot';
  const sb = await startSandbox({ seed: seedFor(1, token) });
  const gh = await fakeGitHub();
  const secret = 'bench-webhook-secret';
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  gh.files.set(
    'main:.github/api7-sync.yml',
    `controlPlane: {url: "${sb.controlPlane}"}\nenvironments:\n  test: {gatewayGroup: ${TEST}}\n  production: {gatewayGroup: ${PROD}, gatewayUrl: "${sb.gateways[PROD]}", promoteFrom: test}\nservices:\n  ${name(0)}:\n    runtime: {production: {upstream: {nodes: [{host: httpbin, port: 80}]}}}\n`,
  );
  gh.permissions.set('alice', 'write');
  gh.pulls.set(7, {
    number: 7,
    head: { sha: 'a'.repeat(40), ref: 'f', repo: { full_name: 'acme/shop', fork: false } },
    base: { ref: 'main', repo: { full_name: 'acme/shop' } },
    user: { login: 'alice' },
  });
  const child = spawn(process.execPath, [path.join(root, 'bin/api7-sync.js'), 'bot'], {
    env: {
      PATH: process.env.PATH ?? '',
      APP_ID: '1',
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: secret,
      HOST: '127.0.0.1',
      PORT: '0',
      GHE_HOST: new URL(gh.url).host,
      GHE_PROTOCOL: 'http',
      LOG_LEVEL: 'warn',
      API7_SYNC_GITHUB_THROTTLE: 'off',
      API7_TOKEN: token,
      API7_CONTROL_PLANES: JSON.stringify({
        'acme/shop': {
          controlPlane: sb.controlPlane,
          gatewayGroups: '*',
          services: '*',
          gatewayOrigins: [sb.gateways[PROD]],
        },
      }),
    },
  });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/\S+)\/api\/github\/webhooks/.exec(output);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 20);
    child.once('close', () => reject(new Error(output)));
  });
  const deliveries = 200;
  const comments = Array.from({ length: deliveries }, () => gh.addComment(7, 'alice', body));
  const agent = new Agent({ connections: deliveries });
  const started = performance.now();
  const acks = await Promise.all(
    comments.map(async (c, i) => {
      const payload = JSON.stringify({
        action: 'created',
        installation: { id: 1 },
        repository: {
          name: 'shop',
          full_name: 'acme/shop',
          default_branch: 'main',
          owner: { login: 'acme' },
        },
        issue: { number: 7, pull_request: { url: 'x' } },
        comment: { ...c, html_url: `https://github.example/acme/shop/pull/7#issuecomment-${c.id}` },
        sender: { login: 'alice', type: 'User' },
      });
      const t = performance.now();
      const res = await request(`${url}/api/github/webhooks`, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issue_comment',
          'x-github-delivery': `bench-${i}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`,
        },
        body: payload,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`delivery ${i}: HTTP ${res.statusCode}`);
      return performance.now() - t;
    }),
  );
  const answered = () =>
    new Set(
      gh.comments
        .filter((c) => c.user.login === 'api7-sync[bot]')
        .map((c) => /request (\d+)/.exec(c.body)?.[1]),
    );
  const jobs = body.startsWith('/');
  const deadline = Date.now() + 120_000;
  while (jobs && answered().size < deliveries && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const allDoneMs = performance.now() - started;
  const replies = gh.comments
    .filter((c) => c.user.login === 'api7-sync[bot]')
    .map((c) => /request (\d+)/.exec(c.body)?.[1]);
  const per = new Map<string, number>();
  for (const r of replies) if (r) per.set(r, (per.get(r) ?? 0) + 1);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
  await agent.close();
  await gh.close();
  await sb.close();
  return {
    deliveries,
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    allDoneMs,
    lost: jobs ? comments.filter((c) => !per.has(String(c.id))).length : 0,
    twice: [...per.values()].filter((v) => v > 1).length,
  };
}

const rows = await scale();
log('Action start-up…');
const action = await actionStartup();
log('bot under load…');
const bot = await botLoad('/sync production --dry-run');
log('bot: deliveries with no job behind them…');
const idle = await botLoad('thanks, looks good');
const fanout = await fanoutBench(Number(process.env.BENCH_FANOUT_SIZE ?? 100), LATENCY_MS, log);
const fanoutTable = [
  '| run | wall time | control-plane requests | synced |',
  '| --- | ---: | ---: | ---: |',
  ...fanout.map((r) => `| ${r.label} | ${fmt(r.wallMs)} | ${r.requests} | ${r.synced} |`),
].join('\n');

const machine = `${platform()} ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free), Node ${process.version}`;
const scaleTable = [
  '| services | wall time | lower bound | × bound | one-at-a-time | speed-up | reads (and checks) | writes | requests / service | peak RSS | outcome |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.n} | ${fmt(r.wallMs)} | ${fmt(r.lowerBoundMs)} | ${(r.wallMs / r.lowerBoundMs).toFixed(2)} | ${fmt(r.baselineMs)}${r.baselineExtrapolated ? ' (extrapolated)' : ''} | ${(r.baselineMs / r.wallMs).toFixed(1)}× | ${r.reads} | ${r.writes} | ${r.perService.toFixed(2)} | ${r.rssMb.toFixed(0)} MB | ${Object.entries(
        r.outcomes,
      )
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')} |`,
  ),
].join('\n');
const otherTable = [
  '| figure | measured | target |',
  '| --- | ---: | ---: |',
  `| Action bundle size | ${(action.bundleBytes / 2 ** 20).toFixed(2)} MiB | < 1.5 MB |`,
  `| \`node -e 0\` (median of 10) | ${fmt(action.nodeMs)} | |`,
  `| \`node dist/index.js\` to its first control-plane request (median of 10) | ${fmt(action.actionMs)} | within 150 ms of \`node -e 0\` |`,
  `| bot: acknowledgement p50 / p99, ${bot.deliveries} signed deliveries at once | ${fmt(bot.ackP50)} / ${fmt(bot.ackP99)} | p99 < 100 ms |`,
  `| bot: until every job had answered | ${fmt(bot.allDoneMs)} | |`,
  `| bot: acknowledgement p50 / p99 when no job runs (receiving alone) | ${fmt(idle.ackP50)} / ${fmt(idle.ackP99)} | |`,
  `| bot: deliveries lost / run twice | ${bot.lost} / ${bot.twice} | 0 / 0 |`,
  `| peak RSS of the ${rows.at(-1)?.n ?? 0}-service promotion | ${rows.at(-1)?.rssMb.toFixed(0)} MB | < 150 MB |`,
].join('\n');

const results = `# Benchmark results

Measured with \`npm run bench\`${fullBaseline ? ' -- --full-baseline' : ''} on ${new Date().toISOString().slice(0, 10)}, on ${machine}.

## Sync at scale

Promotion test → production of N services on the API7 3.9 (modern) generation: the sync, the
runtime configuration and enabling of each service, and verification through the production
gateway. The sandbox adds ${LATENCY_MS} ms to every control-plane request; the engine runs at
its default concurrency (${CONCURRENCY}). Each promotion runs in its own process (peak RSS is its own).

${scaleTable}

**Lower bound**: the dependent round trips the API requires at concurrency c = ${CONCURRENCY}, each
costing the injected latency L = ${LATENCY_MS} ms, plus one probe interval (${VERIFY_INTERVAL_MS} ms), since
verification needs the expected answer twice in a row:
\`L × (1 version + 1 gateway groups + ⌈2P / c⌉ service pages + ⌈B / c⌉ publish batches + ⌈N / c⌉ runtime PATCHes) + ${VERIFY_INTERVAL_MS} ms\`,
with P = ⌈N / 100⌉ pages per group and B = ⌈N / 50⌉ batches.

**One-at-a-time baseline**: what a person does in the dashboard, service after service: look it
up in both groups, sync it, set its runtime configuration and enable it, check it through the
gateway (same client, same budgets)${fullBaseline ? '' : '; at 500 services it is extrapolated from the per-service time at 100 (run with `--full-baseline` to measure it)'}.

## Fan-out

${fanout[0]?.synced ?? 0} service syncs into three regions (eu, us, ap) of ${process.env.BENCH_FANOUT_SIZE ?? 100} services each,
as one fan-out in three waves and as three single promotions one after the other, with and without
the route diff, at the same injected latency; each run starts from a fresh sandbox.

${fanoutTable}

## Start-up, load, memory

${otherTable}
`;
writeFileSync(path.join(root, 'bench/RESULTS.md'), results);
process.stdout.write(`${scaleTable}\n\n${fanoutTable}\n\n${otherTable}\n`);
log('wrote bench/RESULTS.md');

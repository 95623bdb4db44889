/**
 * `api7-sync adc render`: one ADC file (adc.yaml) for one environment. Each service that the
 * config maps for that environment gets the environment's upstream (nodes or discovery), hosts and
 * path prefix; everything else is left byte for byte as it was, comments included. The edits are
 * made on the source text at the positions the YAML parser reports, never by re-printing the file.
 */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  stringify,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { ServiceRegistry } from '../api7/client.js';
import { ConfigError, type ConfigProblem } from '../config/load.js';
import type { Config, RuntimeConfig } from '../config/types.js';
import { discoveryUpstream } from '../runtime.js';
import { SyncError } from '../errors.js';

export interface RenderResult {
  text: string;
  /** Services whose runtime configuration was set, and those left as they were (not in the config). */
  rendered: string[];
  untouched: string[];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

const flow = (value: unknown) => stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();

/** The ADC upstream keys a runtime configuration sets (ADC's own names, as on the wire). */
function upstreamKeys(
  runtime: RuntimeConfig,
  registries: ServiceRegistry[] | undefined,
  where: string,
): Record<string, unknown> {
  const up = runtime.upstream!;
  const keys: Record<string, unknown> = {};
  if (up.nodes)
    keys.nodes = up.nodes.map((n) => ({
      host: n.host,
      port: n.port,
      weight: n.weight ?? 100,
      ...(n.priority !== undefined ? { priority: n.priority } : {}),
    }));
  if (up.discovery) {
    const d = up.discovery;
    const registry = registries?.find((r) => r.name === d.registry);
    if (!registry)
      throw new SyncError(
        'registry-not-found',
        `${where}: service registry "${d.registry}" does not exist in the environment's gateway group`,
      );
    Object.assign(
      keys,
      discoveryUpstream(registry, d.namespace ?? 'public', d.group ?? 'DEFAULT_GROUP', d.service),
    );
  }
  if (up.scheme) keys.scheme = up.scheme;
  if (up.passHost) keys.pass_host = up.passHost;
  if (up.upstreamHost) keys.upstream_host = up.upstreamHost;
  return keys;
}

export function renderAdcFile(
  text: string,
  file: string,
  config: Config,
  environment: string,
  registries?: ServiceRegistry[],
): RenderResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true });
  const problem = (offset: number | undefined, message: string): ConfigProblem => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { file, line: Math.max(1, pos.line), col: Math.max(1, pos.col), message };
  };
  if (doc.errors.length)
    throw new ConfigError(doc.errors.map((e) => problem(e.pos[0], e.message.split('\n')[0]!)));
  if (!config.environments[environment]) {
    throw new ConfigError([
      {
        file: config.file,
        line: 1,
        col: 1,
        message: `there is no environment "${environment}"; declared: ${Object.keys(config.environments).join(', ')}`,
      },
    ]);
  }
  const services = doc.get('services', true) as Node | undefined;
  if (services === undefined) return { text, rendered: [], untouched: [] };
  if (!isSeq(services))
    throw new ConfigError([problem(services.range?.[0], 'services must be a list of ADC services')]);

  const edits: Edit[] = [];
  const rendered: string[] = [];
  const untouched: string[] = [];
  for (const item of services.items) {
    if (!isMap(item))
      throw new ConfigError([
        problem((item as Node | null)?.range?.[0], 'each service must be a mapping with a name'),
      ]);
    const nameNode = item.get('name', true);
    const name = isScalar(nameNode) ? String(nameNode.value) : undefined;
    if (!name) throw new ConfigError([problem(item.range?.[0], 'this service has no name')]);
    const runtime = config.services[name]?.runtime?.[environment];
    if (!runtime) {
      untouched.push(name);
      continue;
    }
    if (item.flow)
      throw new ConfigError([
        problem(
          item.range?.[0],
          `service "${name}" is written in flow style ({...}); write it as a block mapping so it can be edited in place`,
        ),
      ]);
    editService(text, item, runtime, `services."${name}".runtime.${environment}`, registries, edits);
    rendered.push(name);
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, rendered, untouched };
}

/** The edits that give one ADC service the environment's hosts, path prefix and upstream. */
function editService(
  text: string,
  item: YAMLMap,
  runtime: RuntimeConfig,
  where: string,
  registries: ServiceRegistry[] | undefined,
  edits: Edit[],
): void {
  // A SyncError with its own code (registry-not-found, ...): not a config problem at 1:1.
  const upstreamKeysToSet = runtime.upstream ? upstreamKeys(runtime, registries, where) : undefined;
  const set: Record<string, unknown> = {};
  if (runtime.hosts) set.hosts = runtime.hosts;
  if (runtime.pathPrefix) set.path_prefix = runtime.pathPrefix;
  if (runtime.stripPathPrefix !== undefined) set.strip_path_prefix = runtime.stripPathPrefix;
  editMap(text, item, set, edits);
  if (!upstreamKeysToSet) return;
  // The other kind of upstream goes: nodes replace discovery, and the other way round.
  const drop = upstreamKeysToSet.nodes ? ['discovery_type', 'service_name', 'discovery_args'] : ['nodes'];
  const upstream = item.get('upstream', true);
  if (isMap(upstream) && !upstream.flow) {
    editMap(text, upstream, upstreamKeysToSet, edits, drop);
    return;
  }
  // A flow-style or missing upstream is written anew as one flow mapping.
  const base = isMap(upstream) ? (upstream.toJSON() as Record<string, unknown>) : {};
  for (const k of drop) delete base[k];
  editMap(text, item, { upstream: { ...base, ...upstreamKeysToSet } }, edits);
}

/** Sets keys of a block mapping in the source text; removes `drop` keys. Unchanged values are left alone. */
function editMap(
  text: string,
  map: YAMLMap,
  set: Record<string, unknown>,
  edits: Edit[],
  drop: string[] = [],
): void {
  const pairs = map.items.filter(isPair) as Pair<Node, Node>[];
  const keyOf = (p: Pair<Node, Node>) => (isScalar(p.key) ? String(p.key.value) : '');
  const first = pairs[0];
  const indent = first?.key.range
    ? first.key.range[0] - text.lastIndexOf('\n', first.key.range[0] - 1) - 1
    : 2;
  const missing: string[] = [];
  for (const [key, value] of Object.entries(set)) {
    const pair = pairs.find((p) => keyOf(p) === key);
    if (!pair) {
      missing.push(`${' '.repeat(indent)}${key}: ${flow(value)}`);
      continue;
    }
    const current = pair.value ? (pair.value as Node & { toJSON(): unknown }).toJSON() : undefined;
    if (JSON.stringify(current) === JSON.stringify(value)) continue;
    const colon = text.indexOf(':', pair.key.range![1]);
    let end = pair.value?.range?.[1] ?? colon + 1;
    while (end > colon + 1 && /\s/.test(text[end - 1]!)) end--;
    edits.push({ start: colon + 1, end, text: ` ${flow(value)}` });
  }
  for (const key of drop) {
    const pair = pairs.find((p) => keyOf(p) === key);
    if (!pair?.key.range) continue;
    const lineStart = text.lastIndexOf('\n', pair.key.range[0] - 1) + 1;
    let end = pair.value?.range?.[1] ?? pair.key.range[1];
    if (text[end - 1] !== '\n') end = text.indexOf('\n', end) + 1 || text.length;
    edits.push({ start: lineStart, end, text: '' });
  }
  if (missing.length) {
    // New keys go after the mapping's last kept line (or before its first line if none is kept).
    const kept = pairs.filter((p) => !drop.includes(keyOf(p)));
    const last = kept.at(-1);
    if (!last) {
      const lineStart = text.lastIndexOf('\n', first!.key.range![0] - 1) + 1;
      edits.push({ start: lineStart, end: lineStart, text: missing.map((l) => `${l}\n`).join('') });
      return;
    }
    let at = last.value?.range?.[1] ?? last.key.range![1];
    while (at > 0 && text[at - 1] === '\n') at--;
    const lineEnd = text.indexOf('\n', at);
    const insertAt = lineEnd === -1 ? text.length : lineEnd;
    edits.push({ start: insertAt, end: insertAt, text: missing.map((l) => `\n${l}`).join('') });
  }
}

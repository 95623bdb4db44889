/**
 * The operator's policy (`API7_CONTROL_PLANES`): the API7 token belongs to whoever runs the bot,
 * so the operator says which repositories may promote what, on which control plane, probing which
 * gateway origins. Anything outside it is refused before any request to API7.
 *
 * ```json
 * {"acme/shop": {"controlPlane": "https://api7.internal:7443", "caFile": "/etc/api7/ca.pem",
 *                "gatewayGroups": ["测试网关组", "生产网关组"], "services": ["httpbin API"],
 *                "gatewayOrigins": ["https://api.example.com"]},
 *  "acme": {"controlPlane": "https://api7.internal:7443", "gatewayGroups": "*", "services": "*", "gatewayOrigins": "*"}}
 * ```
 * A key is a repository (`owner/name`) or an owner (all its repositories); the repository wins.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EngineScope, EngineSource } from '../chatops/context.js';
import { Refusal } from '../chatops/refusal.js';
import { createEngine, SyncError, type Config, type Logger } from '../engine/index.js';

export interface RepositoryPolicy {
  controlPlane: string;
  caFile?: string;
  insecure?: boolean;
  gatewayGroups: string[] | '*';
  services: string[] | '*';
  gatewayOrigins: string[] | '*';
  /** Incoming-webhook URLs results of this repository's promotions are announced to. */
  notify?: string[];
}

export type Policy = Record<string, RepositoryPolicy>;

const list = (v: unknown, where: string): string[] | '*' => {
  if (v === '*') return '*';
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw new SyncError('config', `API7_CONTROL_PLANES: ${where} must be "*" or a list of strings`);
};

const urls = (v: unknown, where: string): string[] => {
  if (v === undefined) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' && URL.canParse(x) && /^https?:/.test(x)))
    return v as string[];
  throw new SyncError('config', `API7_CONTROL_PLANES: ${where} must be a list of http(s) URLs`);
};

/** Reads the policy from JSON text, or from the file that the variable names. */
export function loadPolicy(raw: string | undefined): Policy {
  if (!raw)
    throw new SyncError(
      'config',
      'API7_CONTROL_PLANES is not set: say which control planes each repository may use',
    );
  const text = raw.trim().startsWith('{') ? raw : existsSync(raw) ? readFileSync(raw, 'utf8') : raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SyncError('config', 'API7_CONTROL_PLANES is neither JSON nor the path of a JSON file');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SyncError('config', 'API7_CONTROL_PLANES must be a JSON object keyed by owner or owner/repo');
  const policy: Policy = {};
  for (const [key, value] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    if (typeof value?.controlPlane !== 'string')
      throw new SyncError('config', `API7_CONTROL_PLANES: "${key}".controlPlane must be a URL`);
    policy[key.toLowerCase()] = {
      controlPlane: origin(value.controlPlane),
      ...(typeof value.caFile === 'string' ? { caFile: value.caFile } : {}),
      ...(value.insecure === true ? { insecure: true } : {}),
      gatewayGroups: list(value.gatewayGroups ?? '*', `"${key}".gatewayGroups`),
      services: list(value.services ?? '*', `"${key}".services`),
      gatewayOrigins: list(value.gatewayOrigins ?? [], `"${key}".gatewayOrigins`),
      notify: urls(value.notify, `"${key}".notify`),
    };
  }
  return policy;
}

/** Scheme, host and port, compared exactly (a default port is made explicit). */
export function origin(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.protocol}//${u.hostname.toLowerCase()}:${port}`;
}

const allows = (allowed: string[] | '*', value: string) => allowed === '*' || allowed.includes(value);

/**
 * The reason a promotion is outside the operator's policy, or undefined when it is inside.
 * `environments` are the ones the request touches (source and target).
 */
export function checkPolicy(
  policy: Policy,
  repository: string,
  config: Config,
  environments: string[],
  services: string[],
): string | undefined {
  const [owner] = repository.toLowerCase().split('/');
  const rule = policy[repository.toLowerCase()] ?? policy[owner!];
  if (!rule) return `the operator of this bot has not allowed ${repository} to use any control plane`;
  let configured: string;
  try {
    configured = origin(config.controlPlane.url);
  } catch {
    return `controlPlane.url "${config.controlPlane.url}" is not a URL`;
  }
  if (configured !== rule.controlPlane) {
    return `the config names control plane ${config.controlPlane.url}, which the operator has not allowed for ${repository}; the API7 token is never sent there`;
  }
  for (const name of environments) {
    const env = config.environments[name];
    if (!env) continue;
    if (!allows(rule.gatewayGroups, env.gatewayGroup))
      return `gateway group "${env.gatewayGroup}" is not allowed for ${repository}`;
    if (
      env.gatewayUrl &&
      !allows(rule.gatewayOrigins === '*' ? '*' : rule.gatewayOrigins.map(origin), origin(env.gatewayUrl))
    ) {
      return `gateway URL ${env.gatewayUrl} is not an origin the operator allows ${repository} to probe`;
    }
  }
  for (const s of services)
    if (!allows(rule.services, s)) return `service "${s}" is not allowed for ${repository}`;
  return undefined;
}

/**
 * The bot's only way to an engine: the policy is checked every time one is built, so no path (a
 * request, the approval that starts it, `/status`, `/rollback`, recovery) reaches API7 around it,
 * and a config changed on the default branch between a request and its approval is checked again.
 * `now` is the bot's clock: the engine measures soak and windows on the same clock as approvals.
 */
export function policyEngines(
  policy: Policy,
  api7Token: string,
  now?: () => number,
  logger?: Logger,
): EngineSource {
  const check = (repository: string, config: Config, scope: EngineScope) =>
    checkPolicy(policy, repository, config, scope.environments, scope.services);
  return {
    check,
    open(repository, config, scope) {
      const denied = check(repository, config, scope);
      const rule = ruleFor(policy, repository);
      if (denied || !rule)
        throw new Refusal(
          `not permitted for this repository: ${denied ?? 'no operator policy'}`,
          'not-permitted-for-repository',
        );
      return createEngine({
        config: withOperatorTls(config, rule),
        token: api7Token,
        ...(now ? { now } : {}),
        // The engine's warnings (TLS verification off, ...) reach the operator's log.
        ...(logger ? { logger } : {}),
      });
    },
  };
}

/** The config as the bot uses it: the operator's CA bundle, never the repository's caFile. */
export function withOperatorTls(config: Config, rule: RepositoryPolicy): Config {
  return {
    ...config,
    controlPlane: { url: config.controlPlane.url, caFile: rule.caFile, insecure: rule.insecure },
  };
}

export function ruleFor(policy: Policy, repository: string): RepositoryPolicy | undefined {
  return policy[repository.toLowerCase()] ?? policy[repository.toLowerCase().split('/')[0]!];
}

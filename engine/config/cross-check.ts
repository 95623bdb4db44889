/**
 * What one schema cannot say: references between sections, the shape of the promotion graph,
 * and files on disk. Works on the validated data and names problems by path; the loader turns
 * paths into line and column.
 */
import { checkCaFile } from './ca-file.js';
import { checkPolicies } from './policies.js';
import type { PathProblem } from './problems.js';
import { didYouMean } from '../suggest.js';
import type { Config } from './types.js';

export interface CrossCheckOptions {
  /** Check that files the config names (caFile) exist. Off for a config read from elsewhere. */
  checkFiles: boolean;
}

/** Runs every cross-check; resolves `caFile` against the repository root in place. */
export function crossCheck(config: Config, options: CrossCheckOptions): PathProblem[] {
  // First: it also reduces `promoteFrom: {environment, soak}` to names for the checks after it.
  const policies = checkPolicies(config);
  return [
    ...policies,
    ...checkPromoteFrom(config),
    ...checkGatewayGroups(config),
    ...checkGatewayUrls(config),
    ...checkGitHubEnvironments(config),
    ...checkServices(config),
    ...checkCaFile(config, options.checkFiles),
  ];
}

function sourcesOf(config: Config, env: string): string[] {
  const p = config.environments[env]?.promoteFrom;
  return p === undefined ? [] : [p].flat();
}

function checkPromoteFrom(config: Config): PathProblem[] {
  const envs = Object.keys(config.environments);
  const problems: PathProblem[] = [];
  for (const [name, env] of Object.entries(config.environments)) {
    sourcesOf(config, name).forEach((source, i) => {
      const at = Array.isArray(env.promoteFrom)
        ? ['environments', name, 'promoteFrom', i]
        : ['environments', name, 'promoteFrom'];
      if (!envs.includes(source)) {
        problems.push({
          path: at,
          at: 'value',
          message: `promoteFrom names "${source}", which is not an environment${didYouMean(source, envs)}; declared: ${envs.join(', ')}`,
        });
      } else if (source === name) {
        problems.push({
          path: at,
          at: 'value',
          message: `environment "${name}" cannot promote from itself; name the environment it takes versions from`,
        });
      }
    });
  }
  // A cycle longer than one: promotions must flow one way (test → staging → production).
  const reported = new Set<string>();
  for (const start of envs) {
    const cycle = findCycle(config, start);
    if (!cycle || cycle.length < 3) continue;
    const key = [...cycle.slice(1)].sort().join('\0');
    if (reported.has(key)) continue;
    reported.add(key);
    // The flow runs against promoteFrom: "b promoteFrom a" means versions go a → b.
    const flow = [...cycle].reverse().join(' → ');
    problems.push({
      path: ['environments', start, 'promoteFrom'],
      at: 'value',
      message: `promoteFrom goes round in a circle: ${flow}; promotions must flow one way, so remove promoteFrom from one of these environments`,
    });
  }
  return problems;
}

/** The path start → … → start following promoteFrom, if there is one. */
function findCycle(config: Config, start: string): string[] | undefined {
  const walk = (env: string, trail: string[]): string[] | undefined => {
    for (const source of sourcesOf(config, env)) {
      if (!config.environments[source] || source === env) continue;
      if (source === start) return [...trail, source];
      if (trail.includes(source)) continue;
      const found = walk(source, [...trail, source]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

function checkGatewayGroups(config: Config): PathProblem[] {
  const owner = new Map<string, string>();
  const problems: PathProblem[] = [];
  for (const [name, env] of Object.entries(config.environments)) {
    const first = owner.get(env.gatewayGroup);
    if (first === undefined) {
      owner.set(env.gatewayGroup, name);
      continue;
    }
    problems.push({
      path: ['environments', name, 'gatewayGroup'],
      at: 'value',
      message: `environments "${first}" and "${name}" both use gateway group "${env.gatewayGroup}"; a sync between them would write into the group it reads from: give each environment its own gateway group`,
    });
  }
  return problems;
}

/** The origin a gateway URL reaches (case and default ports aside), to tell two URLs apart. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Two environments with one gateway URL: verification of one would probe the other's gateway,
 * so a broken promotion could pass, or a good one fail, on requests the target never saw.
 */
function checkGatewayUrls(config: Config): PathProblem[] {
  const owner = new Map<string, string>();
  const problems: PathProblem[] = [];
  for (const [name, env] of Object.entries(config.environments)) {
    if (!env.gatewayUrl) continue;
    const key = origin(env.gatewayUrl);
    const first = owner.get(key);
    if (first === undefined) {
      owner.set(key, name);
      continue;
    }
    problems.push({
      path: ['environments', name, 'gatewayUrl'],
      at: 'value',
      message: `environments "${first}" and "${name}" both have gatewayUrl ${env.gatewayUrl}; verification of one would probe the other's gateway: set each environment's gatewayUrl to a gateway of its own gateway group`,
    });
  }
  return problems;
}

/**
 * The deployment gate maps a GitHub environment to exactly one of ours: two environments answering
 * for one GitHub environment (by name or by `githubEnvironment`) would make its verdict a guess.
 * GitHub compares environment names without regard to case, so this does too.
 */
function checkGitHubEnvironments(config: Config): PathProblem[] {
  const owner = new Map<string, string>();
  const problems: PathProblem[] = [];
  for (const [name, env] of Object.entries(config.environments)) {
    const github = env.githubEnvironment ?? name;
    const first = owner.get(github.toLowerCase());
    if (first === undefined) {
      owner.set(github.toLowerCase(), name);
      continue;
    }
    problems.push({
      path: ['environments', name, ...(env.githubEnvironment === undefined ? [] : ['githubEnvironment'])],
      at: env.githubEnvironment === undefined ? 'key' : 'value',
      message: `environments "${first}" and "${name}" both answer for GitHub environment "${github}"; give each its own githubEnvironment`,
    });
  }
  return problems;
}

function checkServices(config: Config): PathProblem[] {
  const envs = Object.keys(config.environments);
  const problems: PathProblem[] = [];
  for (const [service, svc] of Object.entries(config.services)) {
    for (const [env, rt] of Object.entries(svc.runtime ?? {})) {
      const at = ['services', service, 'runtime', env];
      if (!envs.includes(env)) {
        problems.push({
          path: at,
          at: 'key',
          message: `runtime for "${env}", which is not an environment${didYouMean(env, envs)}; declared: ${envs.join(', ')}`,
        });
      }
      const up = rt.upstream;
      if (up?.passHost === 'rewrite' && !up.upstreamHost) {
        problems.push({
          path: [...at, 'upstream', 'passHost'],
          at: 'value',
          message: 'passHost: rewrite needs upstreamHost; add upstreamHost: <host>',
        });
      }
      if (up?.upstreamHost && up.passHost !== 'rewrite') {
        problems.push({
          path: [...at, 'upstream', 'upstreamHost'],
          at: 'value',
          message: 'upstreamHost is used only with passHost: rewrite; add it or remove upstreamHost',
        });
      }
      if (up?.nodes?.length && up.nodes.every((n) => n.weight === 0)) {
        problems.push({
          path: [...at, 'upstream', 'nodes'],
          at: 'value',
          message: `every node has weight 0, so the gateway would send this upstream no traffic; give at least one node a weight above 0 (the default is 100)`,
        });
      }
    }
  }
  return problems;
}

/**
 * Which api7-sync environment answers for a GitHub environment: the one that names it in
 * `githubEnvironment`, else the one of the same name that names no other. GitHub compares
 * environment names without regard to case; so does this (the config loader refuses two
 * environments answering for one).
 */
import type { Config } from '../../engine/index.js';

export function environmentFor(config: Config, githubEnvironment: string): string | undefined {
  const wanted = githubEnvironment.toLowerCase();
  return Object.entries(config.environments).find(
    ([name, env]) => (env.githubEnvironment ?? name).toLowerCase() === wanted,
  )?.[0];
}

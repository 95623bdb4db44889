/**
 * The one rule for environment names. A name becomes part of a git ref (the lock branch
 * `api7-sync-lock/<environment>`) and of chat-ops commands (`/sync production`), so the config,
 * the `/sync` grammar and the lock all accept exactly the same names: a name the config allows
 * must never be one that `/sync` or the lock refuses later, in front of a reviewer.
 */

/** The longest environment name, in characters (all of them ASCII). */
export const ENVIRONMENT_NAME_MAX_LENGTH = 64;

/**
 * As a JSON Schema / ECMAScript pattern: letters, digits, `.`, `_`, `-`, starting with a letter or
 * digit, no `..` and not ending in `.lock` (git refuses both in ref names), at most
 * {@link ENVIRONMENT_NAME_MAX_LENGTH} characters.
 */
export const ENVIRONMENT_NAME_PATTERN = `^(?!.*\\.\\.)(?!.*\\.lock$)[A-Za-z0-9][A-Za-z0-9_.-]{0,${ENVIRONMENT_NAME_MAX_LENGTH - 1}}$`;

/** The rule in words, for messages that refuse a name. */
export const ENVIRONMENT_NAME_RULE = `use letters, digits, ".", "_" or "-", start with a letter or digit, no "..", do not end in ".lock", at most ${ENVIRONMENT_NAME_MAX_LENGTH} characters`;

const ENVIRONMENT_NAME = new RegExp(ENVIRONMENT_NAME_PATTERN);

export function isEnvironmentName(name: string): boolean {
  return ENVIRONMENT_NAME.test(name);
}

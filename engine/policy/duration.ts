/**
 * The policies read and print durations in the config's own syntax (config/duration.ts): one
 * definition, named here for the policy code.
 */
export { formatDuration, parseDuration } from '../config/duration.js';

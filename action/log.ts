/**
 * The Action's one logger, for the engine and the GitHub side alike: warnings and errors become
 * annotations a person sees on the run, debug lines show with step debugging on.
 */
import * as core from '@actions/core';
import type { Logger } from '../engine/index.js';

export const actionLog: Logger = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warn: (m) => core.warning(m),
  error: (m) => core.error(m),
};

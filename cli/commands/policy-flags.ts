/** The promotion-policy flags of `plan` and `sync`: --force, --break-glass REASON, --no-route-diff. */
import { SyncError, type PolicyOptions } from '../../engine/index.js';

type Values = Record<string, string | boolean | string[] | undefined>;

/** A usage error (exit 64), like every other bad flag. */
export class PolicyUsageError extends SyncError {
  constructor(message: string) {
    super('usage', message);
  }
}

export function policyOptions(values: Values): PolicyOptions {
  const reason = values['break-glass'];
  if (typeof reason === 'string' && reason.trim() === '')
    throw new PolicyUsageError('--break-glass needs a reason, such as --break-glass "INC-42 payment outage"');
  return {
    force: values.force === true,
    breakGlass: typeof reason === 'string' ? reason.trim() : undefined,
    routeDiff: values['no-route-diff'] !== true,
  };
}

/** The promotion-policy flags of `plan` and `sync`: --force, --break-glass REASON, --no-route-diff. */
import type { PolicyOptions } from '../../engine/index.js';
import { usage } from '../context.js';

type Values = Record<string, string | boolean | string[] | undefined>;

export function policyOptions(values: Values): PolicyOptions {
  const reason = values['break-glass'];
  if (typeof reason === 'string' && reason.trim() === '')
    throw usage('--break-glass needs a reason, such as --break-glass "INC-42 payment outage"');
  return {
    force: values.force === true,
    breakGlass: typeof reason === 'string' ? reason.trim() : undefined,
    routeDiff: values['no-route-diff'] !== true,
  };
}

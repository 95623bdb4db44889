/** What every admin resource family shares: the request and answer shapes, label filters. */
import { pageOf, type Context } from '../api/common.js';
import { isObject } from '../validate.js';

export type Body = Record<string, unknown>;

export interface AdminRequest {
  method: string;
  /** The path's segments after `/apisix/admin`, decoded: `['services', id, 'upstreams']`. */
  seg: (string | undefined)[];
  query: URLSearchParams;
  body: unknown;
  groupId: string;
  ctx: Context;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
}

export const ok = (value: unknown): AdminResponse => ({ status: 200, body: { value } });
export const deleted: AdminResponse = { status: 200, body: { value: {} } };

/**
 * A list as the admin API answers it: everything when no page is asked for, else the page asked
 * for (`page` from 1, `page_size`), with `total` counting every item either way.
 */
export const list = (items: unknown[], query?: URLSearchParams): AdminResponse => ({
  status: 200,
  body: { list: query ? pageOf(items, query) : items, total: items.length },
});

/**
 * `labels[k]=v` filters, as ADC's `--label-selector` sends them. API7 applies them to services,
 * consumers, SSLs and routes; global rules and plugin metadata carry no labels and are exempt.
 */
export function byLabels<T extends object>(items: T[], query: URLSearchParams): T[] {
  const wanted = [...query.entries()].flatMap(([k, v]) => {
    const m = /^labels\[(.+)\]$/.exec(k);
    return m ? [[m[1]!, v] as const] : [];
  });
  if (wanted.length === 0) return items;
  return items.filter((item) => {
    const labels = (item as { labels?: unknown }).labels;
    return wanted.every(([k, v]) => isObject(labels) && String(labels[k]) === v);
  });
}

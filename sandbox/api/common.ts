/** What every API family shares: the request and answer shapes, envelopes, paging and order. */
import type { Store } from '../store.js';
import { bad } from '../validate.js';
import type { Api7Version } from '../version.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The gateway group an admin key confines the caller to. */
  scope?: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
}

export type Handler = (req: ApiRequest, params: string[]) => ApiResponse;

/** Registers a handler for a method and a path pattern (a regular expression without anchors). */
export type On = (method: string, path: string, handler: Handler) => void;

/** What a family of endpoints works on. */
export interface Context {
  store: Store;
  version: Api7Version;
}

export const ok = (value: unknown): ApiResponse => ({ status: 200, body: { value } });

export const list = (items: unknown[]): ApiResponse => ({
  status: 200,
  body: { list: items, total: items.length },
});

function positiveInt(raw: string | null, field: string, fallback: number): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1) bad(field, 'number must be at least 1');
  return n;
}

/** `search` (fuzzy), `name` (exact), `page` and `page_size`, as API7 lists answer them. */
export function paged<T extends { name?: string }>(items: T[], query: URLSearchParams): ApiResponse {
  let found = items;
  const search = query.get('search');
  if (search) found = found.filter((i) => (i.name ?? '').toLowerCase().includes(search.toLowerCase()));
  const name = query.get('name');
  if (name !== null) found = found.filter((i) => i.name === name);
  // API7's default page size is not documented; a small default makes clients that forget to
  // page explicitly fail loudly in tests instead of in production.
  return { status: 200, body: { list: pageOf(found, query, 10), total: found.length } };
}

/**
 * The page a query asks for (`page` from 1, `page_size` at most 500). Without either, `fallback`
 * items per page, or every item when there is no fallback (the admin API's lists).
 */
export function pageOf<T>(items: T[], query: URLSearchParams, fallback?: number): T[] {
  if (fallback === undefined && !query.has('page') && !query.has('page_size')) return items;
  const page = positiveInt(query.get('page'), 'page', 1);
  const size = positiveInt(query.get('page_size'), 'page_size', fallback ?? 10);
  if (size > 500) bad('page_size', 'number must be at most 500');
  return items.slice((page - 1) * size, page * size);
}

/** `order_by` (`updated_at` by default) and `direction` (`desc` by default). */
export function orderBy<T extends { created_at: number; updated_at?: number }>(
  items: T[],
  query: URLSearchParams,
): T[] {
  const key = (query.get('order_by') ?? 'updated_at') as 'created_at' | 'updated_at';
  const asc = (query.get('direction') ?? 'desc').toLowerCase() === 'asc';
  return [...items].sort((a, b) => ((a[key] ?? 0) - (b[key] ?? 0)) * (asc ? 1 : -1));
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

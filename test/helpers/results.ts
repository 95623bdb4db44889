/** Promotion results built by hand, for renderers and reporters that only read a result. */
import type { ServiceResult, SyncResult } from '../../engine/index.js';

export function serviceResult(fields: Partial<ServiceResult> & Record<string, unknown> = {}): ServiceResult {
  return {
    name: 'httpbin API',
    action: 'synced',
    version: '1.0.0',
    requestedVersion: null,
    previousVersion: '0.9.0',
    serviceVersionId: 'sv-1',
    runtimeRepaired: false,
    runtime: { upstream: 'nodes httpbin:80' },
    verify: [{ path: '/headers', status: 200, ok: true, ms: 3 }],
    reason: null,
    message: null,
    drift: [],
    warnings: [],
    ...fields,
  } as ServiceResult;
}

export function syncResult(
  services: (Partial<ServiceResult> & Record<string, unknown>)[],
  fields: Partial<SyncResult> = {},
): SyncResult {
  const built = services.map(serviceResult);
  return {
    schemaVersion: 1,
    operation: 'promotion',
    from: { environment: 'test', gatewayGroup: '测试网关组' },
    to: { environment: 'production', gatewayGroup: '生产网关组' },
    dryRun: false,
    services: built,
    ok: built.every((s) => !['refused', 'failed', 'rolled-back'].includes(s.action)),
    durationMs: 42,
    ...fields,
  } as SyncResult;
}

/**
 * The starting point of API7's "sync a published service version to another gateway group"
 * walkthrough (the same as examples/sandbox.yaml): two gateway groups, a registry in production,
 * and `httpbin API` 1.0.0 published in the test group.
 */
import type { Seed } from './seed.js';

export const WALKTHROUGH = {
  test: '测试网关组',
  production: '生产网关组',
  registry: '生产用注册中心',
  service: 'httpbin API',
} as const;

export function walkthroughSeed(token: string): Seed {
  return {
    token,
    gatewayGroups: [{ name: WALKTHROUGH.test }, { name: WALKTHROUGH.production }],
    registries: [
      {
        gatewayGroup: WALKTHROUGH.production,
        name: WALKTHROUGH.registry,
        type: 'nacos',
        services: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            name: 'httpbin',
            instances: [{ host: 'httpbin', port: 80 }],
          },
        ],
      },
    ],
    services: [
      {
        gatewayGroup: WALKTHROUGH.test,
        name: WALKTHROUGH.service,
        version: '1.0.0',
        routes: [
          { name: 'headers', paths: ['/headers'], methods: ['GET'] },
          { name: 'anything', paths: ['/anything/*'] },
        ],
        upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
      },
    ],
  };
}

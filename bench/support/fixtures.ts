/**
 * Seeds and configs the benchmarks promote: N services in a test and a production group, each with
 * routes of its own names (as real services have; a seed where every route has one name makes
 * some clients slow down quadratically and flatters the comparison).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the compiled bench runs from lib/bench/support/). */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const TEST = 'test-group';
export const PROD = 'production-group';
export const serviceName = (i: number) => `service-${String(i).padStart(4, '0')}`;
export const UPSTREAM = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };

export interface SeedDocument {
  token: string;
  api7Version: string;
  gatewayGroups: { name: string }[];
  services: {
    gatewayGroup: string;
    name: string;
    version: string;
    routes: { name: string; paths: string[] }[];
    upstream: typeof UPSTREAM;
  }[];
}

/** Routes per service in the seed. */
export const ROUTES_PER_SERVICE = 3;

/** A service's routes: distinct names and paths, several per service. */
const routesOf = (svc: string) => [
  { name: `${svc}-read`, paths: [`/anything/${svc}`] },
  { name: `${svc}-write`, paths: [`/anything/${svc}/write`] },
  { name: `${svc}-status`, paths: [`/anything/${svc}/status`] },
];

/** N services published in the test group; the production group is empty (first-time syncs). */
export function seedFor(n: number, token: string): SeedDocument {
  return {
    token,
    api7Version: '3.9.0',
    gatewayGroups: [{ name: TEST }, { name: PROD }],
    services: Array.from({ length: n }, (_, i) => ({
      gatewayGroup: TEST,
      name: serviceName(i),
      version: '1.0.0',
      routes: routesOf(serviceName(i)),
      upstream: UPSTREAM,
    })),
  };
}

/** Writes `.github/api7-sync.yml` for N services into `dir`: each is verified through the gateway. */
export function writeConfig(
  dir: string,
  n: number,
  sandbox: { controlPlane: string; gateways: Record<string, string> },
): string {
  const file = path.join(dir, `api7-sync-${n}.yml`);
  const services = Array.from(
    { length: n },
    (_, i) =>
      `  ${serviceName(i)}:\n    runtime: {production: {upstream: {nodes: [{host: httpbin, port: 80}]}}}\n    verify: [{path: /anything/${serviceName(i)}}]\n`,
  ).join('');
  writeFileSync(
    file,
    `controlPlane: {url: "${sandbox.controlPlane}"}\nenvironments:\n  test: {gatewayGroup: ${TEST}}\n  production: {gatewayGroup: ${PROD}, gatewayUrl: "${sandbox.gateways[PROD]}", promoteFrom: test}\nservices:\n${services}`,
  );
  return file;
}

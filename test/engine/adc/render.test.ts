import { describe, expect, it } from 'vitest';
import { renderAdcFile } from '../../../engine/adc/render.js';
import { ConfigError, parseConfig } from '../../../engine/config/load.js';

const ADC = `# Our services, managed with ADC.
services:
  - name: httpbin
    description: demo service   # kept as it is
    hosts:
      - test.example.com
    upstream:
      type: roundrobin
      nodes:
        - host: httpbin-test.internal   # the test backend
          port: 80
          weight: 100
      pass_host: pass
    routes:
      - name: headers
        uris: [/headers]
  - name: orders
    upstream:
      nodes: [{host: orders-test.internal, port: 8080, weight: 1}]
    routes:
      - name: list
        uris: [/orders]
  - name: not-in-config
    upstream: {nodes: [{host: a, port: 1, weight: 1}]}
`;

const CONFIG = parseConfig(
  `controlPlane: {url: "https://cp.example.com:7443"}
environments:
  test: {gatewayGroup: 测试网关组}
  production: {gatewayGroup: 生产网关组, promoteFrom: test}
services:
  httpbin:
    runtime:
      production:
        hosts: [api.example.com, www.example.com]
        upstream: {nodes: [{host: httpbin.org, port: 80}], passHost: node}
  orders:
    runtime:
      production:
        pathPrefix: /v1
        upstream:
          discovery: {registry: 生产用注册中心, service: orders}
`,
  'api7-sync.yml',
  { env: {} },
);

const registries = [{ id: 'reg-1', name: '生产用注册中心', type: 'nacos' }];

describe('adc render', () => {
  it('sets exactly the environment runtime; every other byte stays, comments included', () => {
    const { text, rendered, untouched } = renderAdcFile(ADC, 'adc.yaml', CONFIG, 'production', registries);
    expect(rendered).toEqual(['httpbin', 'orders']);
    expect(untouched).toEqual(['not-in-config']);
    expect(text).toBe(`# Our services, managed with ADC.
services:
  - name: httpbin
    description: demo service   # kept as it is
    hosts: [ api.example.com, www.example.com ]
    upstream:
      type: roundrobin
      nodes: [ { host: httpbin.org, port: 80, weight: 100 } ]
      pass_host: node
    routes:
      - name: headers
        uris: [/headers]
  - name: orders
    upstream:
      discovery_type: nacos
      service_name: reg-1/public/DEFAULT_GROUP/orders
      discovery_args: { metadata: { namespace_id: public, group_name: DEFAULT_GROUP } }
    routes:
      - name: list
        uris: [/orders]
    path_prefix: /v1
  - name: not-in-config
    upstream: {nodes: [{host: a, port: 1, weight: 1}]}
`);
  });

  it('an environment without runtime changes nothing at all', () => {
    expect(renderAdcFile(ADC, 'adc.yaml', CONFIG, 'test').text).toBe(ADC);
  });

  it('rendering twice gives the same file', () => {
    const once = renderAdcFile(ADC, 'adc.yaml', CONFIG, 'production', registries).text;
    expect(renderAdcFile(once, 'adc.yaml', CONFIG, 'production', registries).text).toBe(once);
  });

  it('names the file, line and column of what it cannot edit', () => {
    const bad = (text: string) => {
      try {
        renderAdcFile(text, 'adc.yaml', CONFIG, 'production', registries);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      return 'no error';
    };
    expect(bad('services: {httpbin: {}}\n')).toBe('adc.yaml:1:11: services must be a list of ADC services');
    expect(bad('services:\n  - {name: httpbin}\n')).toMatch(
      /^adc\.yaml:2:5: service "httpbin" is written in flow style/,
    );
    expect(bad('services:\n  - name: [x\n')).toMatch(/^adc\.yaml:\d+:\d+: /);
    expect(() => renderAdcFile(ADC, 'adc.yaml', CONFIG, 'production', [])).toThrow(
      /service registry "生产用注册中心" does not exist/,
    );
  });
});

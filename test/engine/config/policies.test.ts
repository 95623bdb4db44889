import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../engine/config/load.js';

const F = '.github/api7-sync.yml';

const config = (production: string, service = '') => `controlPlane:
  url: https://api7.example.com:7443
environments:
  test:
    gatewayGroup: test-group
  production:
    gatewayGroup: prod-group
${production}services:
  httpbin API:
    runtime:
      production:
        upstream: {nodes: [{host: httpbin.org, port: 80}]}
${service}`;

function problems(text: string): string[] {
  try {
    parseConfig(text, F, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('promotion policies in the config', () => {
  it('reads soak, watch, windows, tags and waves; promoteFrom keeps only the names', () => {
    const parsed = parseConfig(
      config(
        `    promoteFrom: [{environment: test, soak: 1h30m}]
    tags: [production]
    wave: 2
    verify: {watch: 2m}
    protection:
      windows: {timezone: Asia/Shanghai, allow: ["Mon-Thu 10:00-16:00", "Sat 09:00-12:00"]}
`,
        '    verify: [{path: /headers}]\n    watch: 30s\n',
      ),
      F,
      { env: {} },
    );
    expect(parsed.environments.production).toMatchObject({
      promoteFrom: ['test'],
      soak: { test: '1h30m' },
      tags: ['production'],
      wave: 2,
      verify: { watch: '2m' },
      protection: { windows: { timezone: 'Asia/Shanghai' } },
    });
    expect(parsed.services['httpbin API']!.watch).toBe('30s');
    const single = parseConfig(config('    promoteFrom: {environment: test, soak: 5m}\n'), F, { env: {} });
    expect(single.environments.production).toMatchObject({ promoteFrom: 'test', soak: { test: '5m' } });
  });

  it('points at a bad duration, an unknown time zone and a bad window, each at its line and column', () => {
    expect(
      problems(
        config(
          `    promoteFrom: {environment: test, soak: 1 hour}
    verify: {watch: 2x}
    protection:
      windows:
        timezone: Mars/Olympus
        allow: ["Mon-Thu 10:00-16:00", "Mon-Thu 16:00-10:00", "Someday 10:00-11:00"]
`,
          '    verify: [{path: /headers}]\n    watch: soon\n',
        ),
      ),
    ).toEqual([
      `${F}:8:44: soak "1 hour" is not a duration; write a duration such as 30s, 5m, 1h or 1h30m`,
      `${F}:9:21: verify.watch "2x" is not a duration; write a duration such as 30s, 5m, 1h or 1h30m`,
      `${F}:12:19: unknown time zone "Mars/Olympus"; write an IANA name such as Europe/Berlin or Asia/Shanghai`,
      `${F}:13:40: "Mon-Thu 16:00-10:00" ends before it starts; a window cannot cross midnight, write two`,
      `${F}:13:63: "Someday 10:00-11:00" is not a window; write a day or a day range, then a time range: "Mon-Thu 10:00-16:00"`,
      `${F}:20:12: watch "soon" is not a duration; write a duration such as 30s, 5m, 1h or 1h30m`,
    ]);
  });

  it('refuses a service watch without verify probes', () => {
    expect(problems(config('', '    watch: 1m\n'))).toEqual([
      `${F}:13:12: watch repeats the verify probes; add verify: [{path: /…}] or remove watch`,
    ]);
  });

  it('refuses a source object without an environment and a soak that is a number', () => {
    const out = problems(config('    promoteFrom: {soak: 1h}\n'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^\.github\/api7-sync\.yml:8:18: environments\.production\.promoteFrom must be an environment name, \{environment: NAME, soak: 1h\}, or a list of them$/,
    );
    expect(problems(config('    promoteFrom: {environment: staging, soak: 1h}\n'))).toEqual([
      `${F}:8:18: promoteFrom names "staging", which is not an environment; declared: test, production`,
    ]);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import {
  Api7Client,
  type ServiceRegistry,
  renderAdcFile,
  type Config,
  ConfigError,
  messageOf,
  SyncError,
} from '../../engine/index.js';
import { loadConfig, readToken, usage, type Values } from '../context.js';
import type { Io } from '../io.js';

/** `api7-sync adc render ...`: checks the subcommand and flags, then renders. */
export async function adcCommand(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length !== 1 || positionals[0] !== 'render')
    throw usage(
      `the adc command has one subcommand, render${positionals.length ? `, not "${positionals.join(' ')}"` : ''}`,
    );
  if (!values.env || !values.file) throw usage('--env and -f (the ADC file) are required');
  return adcRenderCommand(
    values as { env: string; file: string; output?: string },
    loadConfig(values, io),
    () => readToken(values, io),
    io,
  );
}

/**
 * `api7-sync adc render --env ENV -f adc.yaml [-o out.yaml]`: the ADC file for one environment.
 * Offline, unless a service uses service discovery there: a registry is named in the config but
 * API7 wants its ID, which only the control plane knows (then the token is needed).
 */
export async function adcRenderCommand(
  values: { env: string; file: string; output?: string },
  config: Config,
  readToken: () => string,
  io: Io,
): Promise<number> {
  let text: string;
  try {
    text = readFileSync(values.file, 'utf8');
  } catch (err) {
    // Exit codes and words are decided in one place (cli/main.ts with cli/exit.ts): throw, never exit.
    const why = (err as NodeJS.ErrnoException).code ?? messageOf(err);
    throw new ConfigError([
      { file: values.file, line: 1, col: 1, message: `cannot read the ADC file: ${why}` },
    ]);
  }
  let registries: ServiceRegistry[] | undefined;
  const needsRegistries = Object.values(config.services).some(
    (s) => s.runtime?.[values.env]?.upstream?.discovery,
  );
  const env = config.environments[values.env];
  if (needsRegistries && env) {
    const client = new Api7Client({
      baseUrl: config.controlPlane.url,
      token: readToken(),
      caFile: config.controlPlane.caFile,
      insecure: config.controlPlane.insecure,
      warn: io.stderr,
    });
    try {
      const group = await client.gatewayGroupByName(env.gatewayGroup);
      if (!group)
        throw new SyncError(
          'unknown-environment',
          `gateway group "${env.gatewayGroup}" (environment "${values.env}") does not exist on the control plane`,
        );
      registries = await client.serviceRegistries(group.id);
    } finally {
      await client.close();
    }
  }
  const result = renderAdcFile(text, values.file, config, values.env, registries);
  if (values.output) writeFileSync(values.output, result.text);
  else io.stdout(result.text.replace(/\n$/, ''));
  io.stderr(
    `adc render ${values.env}: set runtime configuration of ${result.rendered.join(', ') || 'no service'}${result.untouched.length ? `; not in the config, left as they were: ${result.untouched.join(', ')}` : ''}`,
  );
  return 0;
}

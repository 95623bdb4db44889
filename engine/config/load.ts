/**
 * Loads `.github/api7-sync.yml`: YAML with positions, `${ENV}` interpolation in values, one
 * schema, then the cross-checks a schema cannot express. Every problem carries file:line:col and
 * says what to write instead.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import {
  isMap,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { checkPolicies } from './policies.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Variables for `${NAME}`; `false` forbids interpolation (the bot reads configs it does not trust). */
  env: Record<string, string | undefined> | false;
}

/** A config beyond this is a mistake (the wrong file), not a config: refuse it before parsing. */
const MAX_CONFIG_BYTES = 1024 * 1024;

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, verbose: true });
const validate = ajv.compile(configSchema);

const PATTERN_HINTS: Record<string, string> = {
  '^(@[A-Za-z0-9-]+/[A-Za-z0-9_.-]+|[A-Za-z0-9-]+)$':
    'write a GitHub login (alice) or a team as "@org/team", quoted',
  '^https?://[^/]+$': 'write an origin such as https://api.example.com (no path, no trailing slash)',
  '^/': 'start it with "/"',
  '^\\*?[0-9a-zA-Z-._]+$': 'write a host name such as api.example.com or *.example.com',
  '^[A-Za-z0-9][A-Za-z0-9_.-]*$': 'use letters, digits, "-", "_" or "." (for example: production)',
};

/** Reads and validates a config file. Throws `ConfigError`. */
export function loadConfigFile(file: string, options: LoadOptions): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file; create it or pass --config with its path' : (err as Error).message;
    throw new ConfigError([{ file, line: 1, col: 1, message: `cannot read the config: ${why}` }]);
  }
  return parseConfig(text, file, options);
}

export function parseConfig(text: string, file: string, options: LoadOptions): Config {
  const lineCounter = new LineCounter();
  const problems: ConfigProblem[] = [];
  const at = (offset: number | undefined, message: string) => {
    // Before parsing, the line counter knows no lines yet: count them from the text itself.
    const pos =
      lineCounter.lineStarts.length > 0 ? lineCounter.linePos(offset ?? 0) : positionIn(text, offset ?? 0);
    problems.push({ file, line: Math.max(1, pos.line), col: Math.max(1, pos.col), message });
  };
  if (text.length > MAX_CONFIG_BYTES) {
    at(
      0,
      `the config is ${text.length} bytes; more than ${MAX_CONFIG_BYTES} is not a config file (split it, or check the path)`,
    );
    throw new ConfigError(problems);
  }
  if (text.includes('\uFFFD')) {
    at(text.indexOf('\uFFFD'), 'the file is not valid UTF-8; save it as UTF-8');
    throw new ConfigError(problems);
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors) {
    let message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    if (e.code === 'BAD_SCALAR_START' && text[e.pos[0]] === '@') {
      message = 'a value starting with "@" must be quoted in YAML: write "@org/team"';
    } else if (e.code === 'DUPLICATE_KEY') {
      message = `${message}; keep only one`;
    }
    at(e.pos[0], message);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  interpolate(doc, options, at);
  if (problems.length > 0) throw new ConfigError(problems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    at(0, `${(err as Error).message}; expand the aliases by hand`);
    throw new ConfigError(problems);
  }
  if (data === null || data === undefined) {
    at(0, 'the config is empty; start from examples/api7-sync.yml');
    throw new ConfigError(problems);
  }
  if (!validate(data)) {
    for (const e of relevantErrors(validate.errors ?? [])) {
      const { node, message } = describe(doc, e);
      at(node?.range?.[0], message);
    }
    throw new ConfigError(sortProblems(problems));
  }
  const config = { ...(data as Omit<Config, 'file'>), file };
  checkPolicies(config, doc, at);
  crossCheck(config, doc, at);
  if (problems.length > 0) throw new ConfigError(sortProblems(problems));
  return config;
}

function positionIn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Replaces `${NAME}` in scalar values (never keys). */
function interpolate(
  doc: Document,
  options: LoadOptions,
  at: (offset: number | undefined, m: string) => void,
): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      if (options.env === false) {
        at(
          node.range?.[0],
          '"${...}" is not interpolated here (the bot reads the config as written); write the value itself',
        );
        return;
      }
      const env = options.env;
      node.value = node.value.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          at(
            node.range?.[0],
            `"${whole}" is not a variable reference; write \${NAME} with letters, digits and "_"`,
          );
          return whole;
        }
        const value = env[name];
        if (value === undefined) {
          at(node.range?.[0], `environment variable ${name} is not set; set it or write the value itself`);
          return whole;
        }
        return value;
      });
    },
  });
}

/** Drops the noise of `oneOf`/`anyOf` branches when the combinator itself is reported. */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  return errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return true;
    return !combinators.some(
      (c) =>
        e.instancePath.startsWith(c.instancePath) &&
        e.schemaPath.startsWith(c.schemaPath.replace(/\/(oneOf|anyOf)$/, '')) &&
        e.schemaPath.includes(`/${c.keyword}/`),
    );
  });
}

function segments(instancePath: string): string[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function where(segs: string[]): string {
  return segs.length === 0
    ? 'the top level'
    : segs.map((s) => (/^[\w.-]+$/.test(s) ? s : JSON.stringify(s))).join('.');
}

function keyNode(doc: Document, parent: string[], key: string): Node | undefined {
  const map = parent.length ? doc.getIn(parent, true) : doc.contents;
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  return (pair?.key as Node | undefined) ?? undefined;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function describe(doc: Document, e: ErrorObject): { node: Node | undefined; message: string } {
  const segs = segments(e.instancePath);
  const node = (segs.length ? doc.getIn(segs, true) : doc.contents) as Node | undefined;
  const value = segs.length
    ? isNode(node)
      ? node.toJS(doc, { maxAliasCount: 100 })
      : doc.getIn(segs)
    : doc.toJS({ maxAliasCount: 100 });
  const field = where(segs);
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return {
        node: keyNode(doc, segs, extra) ?? node,
        message: `unknown key "${extra}" in ${field}; allowed: ${allowed.join(', ')}`,
      };
    }
    case 'required':
      return { node, message: `${field} is missing "${String(e.params.missingProperty)}"; add it` };
    case 'type': {
      const want = String(e.params.type);
      const hint =
        want === 'string' && value !== null && typeof value !== 'object'
          ? `; quote it: "${String(isScalar(node) ? (node.source ?? value) : value)}"`
          : '';
      return {
        node,
        message: `${field} must be ${TYPE_NAMES[want] ?? want}, not ${typeName(isScalar(node) ? node.value : value)}${hint}`,
      };
    }
    case 'enum':
      return {
        node,
        message: `${field} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}, not ${JSON.stringify(value)}`,
      };
    case 'pattern': {
      const pattern = String(e.params.pattern);
      return {
        node,
        // A key's pattern (propertyNames) reports the whole mapping: name the key, never String() an object.
        message: `${field} "${typeof value === 'string' ? value : (e.propertyName ?? JSON.stringify(value))}" is not valid: ${PATTERN_HINTS[pattern] ?? `it must match ${pattern}`}`,
      };
    }
    case 'propertyNames':
      return { node, message: `${field} has an invalid name: ${PATTERN_HINTS[environmentPattern()] ?? ''}` };
    case 'oneOf':
      if (segs.at(-1) === 'upstream') {
        return { node, message: `${field} must set exactly one of nodes or discovery` };
      }
      return { node, message: `${field} matches none or several of the allowed forms` };
    case 'anyOf':
      return {
        node,
        message: `${field} must be an environment name, {environment: NAME, soak: 1h}, or a list of them`,
      };
    default:
      return { node, message: `${field} ${e.message ?? 'is not valid'}` };
  }
}

function environmentPattern(): string {
  return configSchema.properties.environments.propertyNames.pattern;
}

/** What one schema cannot say: references between sections, and files on disk. */
function crossCheck(
  config: Config,
  doc: Document,
  at: (offset: number | undefined, m: string) => void,
): void {
  const envs = Object.keys(config.environments);
  const pos = (segs: string[]) => (doc.getIn(segs, true) as Node | undefined)?.range?.[0];
  const keyPos = (segs: string[]) => keyNode(doc, segs.slice(0, -1), segs.at(-1)!)?.range?.[0];
  for (const [name, env] of Object.entries(config.environments)) {
    const sources = env.promoteFrom === undefined ? [] : [env.promoteFrom].flat();
    sources.forEach((s, i) => {
      if (!envs.includes(s)) {
        const p = Array.isArray(env.promoteFrom)
          ? ['environments', name, 'promoteFrom', i]
          : ['environments', name, 'promoteFrom'];
        at(
          pos(p.map(String)),
          `promoteFrom names "${s}", which is not an environment; declared: ${envs.join(', ')}`,
        );
      }
      if (s === name)
        at(pos(['environments', name, 'promoteFrom']), `environment "${name}" cannot promote from itself`);
    });
  }
  for (const [service, svc] of Object.entries(config.services)) {
    for (const [env, rt] of Object.entries(svc.runtime ?? {})) {
      if (!envs.includes(env)) {
        at(
          keyPos(['services', service, 'runtime', env]),
          `runtime for "${env}", which is not an environment; declared: ${envs.join(', ')}`,
        );
      }
      const up = rt.upstream;
      if (up?.passHost === 'rewrite' && !up.upstreamHost) {
        at(
          pos(['services', service, 'runtime', env, 'upstream', 'passHost']),
          'passHost: rewrite needs upstreamHost; add upstreamHost: <host>',
        );
      }
      if (up?.upstreamHost && up.passHost !== 'rewrite') {
        at(
          pos(['services', service, 'runtime', env, 'upstream', 'upstreamHost']),
          'upstreamHost is used only with passHost: rewrite; add it or remove upstreamHost',
        );
      }
    }
  }
  const caFile = config.controlPlane.caFile;
  if (caFile !== undefined) {
    // Relative paths resolve against the directory that holds `.github/`, never above it.
    const root = repositoryRoot(config.file);
    const resolved = path.resolve(root, caFile);
    if (path.isAbsolute(caFile) || !(resolved === root || resolved.startsWith(root + path.sep))) {
      at(
        pos(['controlPlane', 'caFile']),
        `caFile "${caFile}" leaves the repository; write a path inside it, such as .github/api7-ca.pem`,
      );
    } else {
      config.controlPlane.caFile = resolved;
    }
  }
}

/** The directory that holds `.github/` (or the config's own directory for a config elsewhere). */
export function repositoryRoot(configFile: string): string {
  const dir = path.dirname(path.resolve(configFile));
  return path.basename(dir) === '.github' ? path.dirname(dir) : dir;
}

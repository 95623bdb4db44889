/**
 * The careful reading of a config: YAML with positions (`yaml`'s Document and LineCounter), so
 * that every problem can say file:line:col. Slower than the plain reading (fast.ts), so the
 * loader uses it when something is wrong, and it is the authority on what is wrong.
 */
import { isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { crossCheck, type CrossCheckOptions } from './cross-check.js';
import { describe, keyNode, relevantErrors } from './messages.js';
import { ConfigError, type ConfigProblem, type PathProblem } from './problems.js';
import type { Config } from './types.js';
import { schemaErrors } from './validate.js';
import { messageOf } from '../errors.js';

export interface ReadOptions extends CrossCheckOptions {
  /** Variables for `${NAME}`; `false` forbids interpolation (the bot reads configs it does not trust). */
  env: Record<string, string | undefined> | false;
}

type At = (offset: number | undefined, message: string) => void;

/** Parses, interpolates, validates and cross-checks; throws `ConfigError` with positions. */
export function readWithPositions(text: string, file: string, options: ReadOptions): Config {
  const lineCounter = new LineCounter();
  const problems: ConfigProblem[] = [];
  const at: At = (offset, message) => {
    const pos = lineCounter.linePos(offset ?? 0);
    problems.push({ file, line: Math.max(1, pos.line), col: Math.max(1, pos.col), message });
  };
  const fail = () => new ConfigError(sortProblems(problems));
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
  if (problems.length > 0) throw fail();

  interpolate(doc, options.env, at);
  if (problems.length > 0) throw fail();

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    at(0, `${messageOf(err)}; expand the aliases by hand`);
    throw fail();
  }
  if (data === null || data === undefined) {
    at(0, 'the config is empty; start from examples/api7-sync.yml');
    throw fail();
  }
  const errors = schemaErrors(data);
  if (errors.length > 0) {
    for (const e of relevantErrors(errors)) {
      const { node, message } = describe(doc, e);
      at(node?.range?.[0], message);
    }
    throw fail();
  }
  const config = { ...(data as Omit<Config, 'file'>), file };
  for (const p of crossCheck(config, options)) at(offsetOf(doc, p), p.message);
  if (problems.length > 0) throw fail();
  return config;
}

function offsetOf(doc: Document, problem: PathProblem): number | undefined {
  const node =
    problem.at === 'key'
      ? keyNode(doc, problem.path.slice(0, -1), problem.path.at(-1)!)
      : (doc.getIn(problem.path, true) as Node | undefined);
  return node?.range?.[0];
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Replaces `${NAME}` in scalar values (never keys). */
function interpolate(doc: Document, env: ReadOptions['env'], at: At): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || !isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${'))
        return;
      const result = interpolateValue(node.value, env);
      if (result.ok) node.value = result.value;
      else at(node.range?.[0], result.message);
    },
  });
}

/** `${NAME}` in one value: the same rule for the positioned and the plain reading. */
export function interpolateValue(
  value: string,
  env: ReadOptions['env'],
): { ok: true; value: string } | { ok: false; message: string } {
  if (env === false)
    return {
      ok: false,
      message:
        '"${...}" is not interpolated here (the bot reads the config as written); write the value itself',
    };
  let problem: string | undefined;
  const replaced = value.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      problem ??= `"${whole}" is not a variable reference; write \${NAME} with letters, digits and "_"`;
      return whole;
    }
    const found = env[name];
    if (found === undefined) {
      problem ??= `environment variable ${name} is not set; set it or write the value itself`;
      return whole;
    }
    return found;
  });
  return problem === undefined ? { ok: true, value: replaced } : { ok: false, message: problem };
}

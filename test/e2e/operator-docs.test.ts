/**
 * What an operator follows to the letter: the App's permissions and events in
 * docs/bot-operations.md are app.yml's, and its manifest JSON is app.yml's with only the URLs
 * filled in; `.env.example` runs against a config and a sandbox that exist; every file the docs
 * link to or cite is in the repository; the image's build context leaves secrets out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../engine/config/load.js';

const OPERATIONS = readFileSync('docs/bot-operations.md', 'utf8');
const MANIFEST = parse(readFileSync('app.yml', 'utf8')) as {
  default_permissions: Record<string, string>;
  default_events: string[];
  hook_attributes: { url: string };
};

/** The rows of the first Markdown table whose header starts with `first`. */
function table(markdown: string, first: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`|`$/g, '')),
    );
  }
  return rows;
}

describe('docs/bot-operations.md', () => {
  it('lists exactly the permissions and events of app.yml', () => {
    expect(Object.fromEntries(table(OPERATIONS, 'Permission').map(([p, a]) => [p, a]))).toEqual(
      MANIFEST.default_permissions,
    );
    expect(table(OPERATIONS, 'Event').map(([e]) => e)).toEqual(MANIFEST.default_events);
  });

  it('shows the manifest JSON as app.yml with only the webhook and redirect URLs filled in', () => {
    const json = /```json\n\s*(\{"name".*\})\n/.exec(OPERATIONS)![1]!;
    const { redirect_url: redirect, ...manifest } = JSON.parse(json);
    expect(redirect).toMatch(/^https:\/\//);
    expect(manifest.hook_attributes.url).toMatch(/^https:\/\/.+\/api\/github\/webhooks$/);
    expect({ ...manifest, hook_attributes: MANIFEST.hook_attributes }).toEqual(MANIFEST);
  });
});

describe('.env.example', () => {
  it('names a config that exists and runs against the example sandbox, with its token', () => {
    const vars = Object.fromEntries(
      readFileSync('.env.example', 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z]/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const config = loadConfigFile(vars.INPUT_CONFIG!, { env: {} });
    const seed = parse(readFileSync('examples/sandbox.yaml', 'utf8'));
    expect(config.controlPlane.url).toBe(`http://${seed.listen}`);
    expect(vars.INPUT_TOKEN).toBe(seed.token);
    expect(Object.keys(config.environments)).toEqual(
      expect.arrayContaining([vars.INPUT_FROM, vars.INPUT_TO]),
    );
  });
});

describe('the documentation', () => {
  const docs = [
    'README.md',
    'README.zh-CN.md',
    'CHANGELOG.md',
    ...readdirSync('docs').map((f) => `docs/${f}`),
  ].filter((f) => f.endsWith('.md'));

  it('links only to files the repository has', () => {
    const broken: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        if (!existsSync(path.join(path.dirname(doc), target!))) broken.push(`${doc}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('cites, in the operator and sandbox pages, only repository paths that exist', () => {
    const missing: string[] = [];
    for (const doc of ['docs/sandbox.md', 'docs/bot-operations.md', 'docs/release.md']) {
      const text = readFileSync(doc, 'utf8');
      const cited = [
        ...text.matchAll(
          /`((?:sandbox|engine|cli|bot|github|chatops|test|examples|docs|scripts)\/[\w./-]*)`/g,
        ),
      ];
      for (const [, file] of cited) if (!existsSync(file!)) missing.push(`${doc}: ${file}`);
      expect(text, doc).not.toMatch(/CONTRACT\.md/);
    }
    expect(missing).toEqual([]);
  });
});

describe('the image build context', () => {
  it('leaves local secrets, installed modules, build output and tests out', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const pattern of ['.env', '*.pem', 'node_modules', 'lib', 'test', '.git'])
      expect(ignored).toContain(pattern);
  });
});

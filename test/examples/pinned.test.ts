/**
 * Nothing a user copies runs code that can change under them while it holds a secret: the Action
 * by a full release tag, the CLI from the release tarball of that tag, and no `npx` of a name
 * that is not on the npm registry (whoever registers it later would receive the token).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
const WORKFLOWS = readdirSync('examples/workflows')
  .filter((f) => f.endsWith('.yml'))
  .map((f) => `examples/workflows/${f}`);
const DOCS = [
  'README.md',
  'README.zh-CN.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const ALL = [
  ...WORKFLOWS,
  ...DOCS,
  'examples/api7-sync.sandbox.yml',
  'examples/sandbox.yaml',
  '.env.example',
];

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, unknown>;
  with?: Record<string, unknown>;
}

function steps(file: string): Step[] {
  const workflow = parse(readFileSync(file, 'utf8')) as { jobs: Record<string, { steps?: Step[] }> };
  return Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);
}

describe('what users copy is pinned', () => {
  it('uses the Action by a full release tag (vX.Y.Z of this version), never the moving major tag', () => {
    let seen = 0;
    for (const file of ALL) {
      for (const [, ref] of readFileSync(file, 'utf8').matchAll(
        /api7-sync\/api7-sync@(v\d[\w.-]*|[0-9a-f]{7,40})/g,
      )) {
        seen++;
        expect(ref, file).toBe(`v${VERSION}`);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(4);
  });

  it('never runs api7-sync through npx (the name is not on the npm registry)', () => {
    for (const file of ALL) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/npx (--yes |-y )?api7-sync|npm exec (--yes )?(-- )?api7-sync/);
    }
  });

  it('no workflow step that holds a secret runs a package or script fetched unpinned', () => {
    const unpinned = /\bnpx\b|\bnpm exec\b|\b(pnpm|yarn) dlx\b|\|\s*(ba)?sh\b|@latest\b/;
    let secretSteps = 0;
    for (const file of WORKFLOWS) {
      for (const step of steps(file)) {
        const secret = JSON.stringify([step.env ?? {}, step.with ?? {}]).includes('secrets.');
        if (!secret) continue;
        secretSteps++;
        expect(step.run ?? '', `${file}: ${JSON.stringify(step)}`).not.toMatch(unpinned);
        if (step.uses) expect(step.uses, file).toMatch(/@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
      }
    }
    expect(secretSteps).toBeGreaterThanOrEqual(4);
  });

  it('installs the CLI from the release tarball of this version, checked against its SHA-256', () => {
    const adc = readFileSync('examples/workflows/adc-render.yml', 'utf8');
    expect(adc).toContain(
      'https://github.com/api7-sync/api7-sync/releases/download/v$VERSION/api7-sync-$VERSION.tgz',
    );
    expect(adc).toContain(`VERSION: ${VERSION}`);
    expect(adc).toMatch(/sha256sum --check/);
  });
});

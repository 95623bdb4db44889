import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const metadata = parse(readFileSync('action.yml', 'utf8'));
// The push-triggered step reads its inputs in io.ts; chat-ops runs read theirs in workflow-mode.ts and
// workflow-gate.ts; the error funnel (present.ts) writes error-code.
const io = ['action/io.ts', 'action/workflow-mode.ts', 'action/workflow-gate.ts', 'action/present.ts']
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

describe('action.yml', () => {
  it('runs the committed bundle on node24, main and post', () => {
    expect(metadata.runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/index.js',
      'post-if': 'always()',
    });
  });

  it('declares exactly the inputs and outputs that action/io.ts and action/workflow-mode.ts read and write', () => {
    const read = [...io.matchAll(/(?:getInput|bool|optional|duration)\('([a-z-]+)'/g)].map((m) => m[1]);
    expect([...new Set(read)].sort()).toEqual(Object.keys(metadata.inputs).sort());
    const written = [...io.matchAll(/setOutput\('([a-z-]+)'/g)].map((m) => m[1]);
    expect(written.sort()).toEqual(Object.keys(metadata.outputs).sort());
    for (const [name, input] of Object.entries<{ description?: string }>(metadata.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });
});

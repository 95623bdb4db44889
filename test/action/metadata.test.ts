import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const metadata = parse(readFileSync('action.yml', 'utf8'));
const io = readFileSync('action/io.ts', 'utf8');

describe('action.yml', () => {
  it('runs the committed bundle on node24, main and post', () => {
    expect(metadata.runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/index.js',
      'post-if': 'always()',
    });
  });

  it('declares exactly the inputs and outputs that action/io.ts reads and writes', () => {
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

/**
 * `npm run bench` runs the benchmarks from their build in lib/, where the compiler does not copy
 * JSON files: the GitHub budget bench loads the OpenAPI check, which must still find its extract.
 * (The suite's pretest builds lib/ first.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the benchmarks from their build', () => {
  it('load the GitHub OpenAPI check from lib/ (npm run bench)', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('./lib/test/helpers/github-openapi.js'); console.log(Object.keys(m.GITHUB_OPENAPI.operations).length)",
      ],
      { cwd: root },
    );
    expect(Number(stdout.trim())).toBeGreaterThan(10);
  });
});

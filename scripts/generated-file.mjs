// Writes a generated file, or with `--check` fails when the committed one differs.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export function writeOrCheck(url, text, name, regenerate) {
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(url, 'utf8');
    } catch {
      current = '';
    }
    if (current !== text) {
      console.error(`${name} is stale: run \`${regenerate}\` and commit it`);
      process.exit(1);
    }
    console.error(`${name} is fresh (${text.length} bytes)`);
    return;
  }
  mkdirSync(dirname(fileURLToPath(url)), { recursive: true });
  writeFileSync(url, text);
  console.error(`wrote ${name} (${text.length} bytes)`);
}

// Bundles the Action into dist/index.js: one deterministic ESM file, committed.
// `--check` rebuilds in memory and fails when the committed bundle differs.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['action/index.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require(): give the ESM bundle one.
  banner: {
    js: "import { createRequire as __api7SyncCreateRequire } from 'node:module';\nconst require = __api7SyncCreateRequire(import.meta.url);",
  },
});
const text = result.outputFiles[0].text;
const target = new URL('../dist/index.js', import.meta.url);
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = '';
  }
  if (current !== text) {
    console.error('dist/index.js is stale: run `npm run build:action` and commit it');
    process.exit(1);
  }
  console.error(`dist/index.js is fresh (${text.length} bytes)`);
} else {
  mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
  writeFileSync(target, text);
  console.error(`wrote dist/index.js (${text.length} bytes)`);
}

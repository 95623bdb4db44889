// Bundles the Action into dist/index.js: one deterministic ESM file, committed.
// `--check` rebuilds in memory and fails when the committed bundle differs.
import { build } from 'esbuild';
import { writeOrCheck } from './generated-file.mjs';

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
writeOrCheck(
  new URL('../dist/index.js', import.meta.url),
  result.outputFiles[0].text,
  'dist/index.js',
  'npm run build:action',
);

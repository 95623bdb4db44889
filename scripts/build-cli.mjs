// Links the compiled CLI (lib/cli/, from tsc) into lib/bundle/: one ESM entry and chunks, one per
// command loaded on demand, with their dependencies inlined. Why: a command's start was mostly
// spent finding, reading and evaluating some 300 files (our modules, undici's and yaml's), about
// 100 ms before the first request on every run. Run by `npm run build`; never committed.
//
// The bot, the sandbox and the demo stay out of the bundle and load from lib/ as tsc wrote them:
// Probot and its logger find files of their own at run time, the sandbox is the stand-in whose
// cost the benchmarks measure, and none of the three is started once per promotion.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { undiciLean } from './bundle/undici-lean.mjs';

const unbundled = /^\.\/commands\/(bot|sandbox|demo)\.js$/;

rmSync(new URL('../lib/bundle', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['lib/cli/main.js'],
  outdir: 'lib/bundle',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace and syntax only: names stay as written, so error classes keep theirs.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require(): give each ESM file one.
  banner: {
    js: "import { createRequire as __api7SyncCreateRequire } from 'node:module';\nconst require = __api7SyncCreateRequire(import.meta.url);",
  },
  plugins: [
    undiciLean,
    {
      name: 'unbundled-commands',
      setup(b) {
        b.onResolve({ filter: unbundled }, (args) => ({
          path: args.path.replace('./commands/', '../cli/commands/'),
          external: true,
        }));
      },
    },
  ],
});

// An esbuild plugin: our sources' `import ... from 'undici'` resolve to undici-entry.cjs (why:
// see that file). Imports from inside node_modules keep undici's own entry point.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'undici-entry.cjs');

export const undiciLean = {
  name: 'undici-lean',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}`) ? undefined : { path: entry },
    );
  },
};

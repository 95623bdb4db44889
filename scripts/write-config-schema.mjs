// Writes the config's JSON Schema (for editors) from the one schema the loader uses.
// `--check` fails when the committed file is stale. Needs the build (lib/).
import { readFileSync, writeFileSync } from 'node:fs';
import { configSchema } from '../lib/engine/config/schema.js';

const target = new URL('../schema/api7-sync.schema.json', import.meta.url);
const text = JSON.stringify(configSchema, null, 2) + '\n';
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = '';
  }
  if (current !== text) {
    console.error('schema/api7-sync.schema.json is stale: run `npm run schema` and commit it');
    process.exit(1);
  }
  console.error('schema/api7-sync.schema.json is fresh');
} else {
  writeFileSync(target, text);
  console.error('wrote schema/api7-sync.schema.json');
}

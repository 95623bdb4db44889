// Writes the config's JSON Schema (for editors) from the one schema the loader uses.
// `--check` fails when the committed file is stale. Needs the build (lib/).
import { configSchema } from '../lib/engine/config/schema.js';
import { writeOrCheck } from './generated-file.mjs';

writeOrCheck(
  new URL('../schema/api7-sync.schema.json', import.meta.url),
  JSON.stringify(configSchema, null, 2) + '\n',
  'schema/api7-sync.schema.json',
  'npm run schema',
);

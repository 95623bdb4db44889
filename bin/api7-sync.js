#!/usr/bin/env node
// The published entry point: the CLI as bundled into lib/bundle/ by `npm run build` (which
// `npm ci` runs through the `prepare` script); see scripts/build-cli.mjs.
import { main } from '../lib/bundle/main.js';

const code = await main(process.argv.slice(2));
// Exit as soon as what was written has been flushed: a short-lived run must not linger on
// keep-alive sockets or on V8 finishing background compilation. Long-running commands
// (sandbox, bot, demo --keep) return only once they have stopped.
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

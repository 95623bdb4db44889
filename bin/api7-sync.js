#!/usr/bin/env node
// The published entry point: the compiled CLI lives in lib/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script).
import { main } from '../lib/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

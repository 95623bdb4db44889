#!/usr/bin/env node
/**
 * Packs the release tarball: what `npm pack` would pack, plus every production dependency at the
 * version package-lock.json holds (bundled, so installing it reads no registry and its SHA-256
 * covers all that runs), and a package.json without the development scripts (a tarball is never
 * built on the user's machine, and npm would otherwise list `prepare` as an install script).
 *
 *   node scripts/pack-release.mjs [--out DIR] [--no-build]     (npm run pack:release)
 *
 * Bundling is done in a staging folder rather than with `bundleDependencies` in the repository's
 * own package.json, because npm's tree builder loops forever on that combined with `overrides`.
 * Prints the tarball's path on stdout.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const out = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : root);
const npm = (argv, cwd) => execFileSync('npm', argv, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

if (!args.includes('--no-build')) npm(['run', '--silent', 'build'], root);

const stage = mkdtempSync(path.join(tmpdir(), 'api7-sync-pack-'));
try {
  // The files npm itself would pack (the `files` list, README, LICENSE, package.json).
  const [listing] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root));
  for (const { path: file } of listing.files) {
    mkdirSync(path.dirname(path.join(stage, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(stage, file));
  }
  // The production dependencies as installed from the lockfile, nested as npm laid them out.
  const installed = npm(['ls', '--omit=dev', '--parseable', '--all'], root).split('\n').filter(Boolean);
  for (const dir of installed.slice(1)) {
    const relative = path.relative(root, dir);
    if (!relative.startsWith('node_modules')) throw new Error(`unexpected dependency location ${dir}`);
    cpSync(dir, path.join(stage, relative), { recursive: true, dereference: true });
  }
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  delete manifest.scripts;
  delete manifest.devDependencies;
  delete manifest.overrides;
  manifest.bundleDependencies = Object.keys(manifest.dependencies);
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  mkdirSync(out, { recursive: true });
  const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], stage));
  process.stdout.write(`${path.join(out, packed.filename)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

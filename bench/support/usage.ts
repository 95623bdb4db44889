/**
 * Loaded with `node --import` into a process the bench times (the CLI as users run it): on exit it
 * writes that process's own CPU time and peak RSS to BENCH_USAGE_FILE, which a parent cannot read
 * once the child is gone. It changes nothing else in the process.
 */
import { writeFileSync } from 'node:fs';
import { peakRssMiB } from './processes.js';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ cpuMs: (user + system) / 1000, peakRssMiB: peakRssMiB() }));
  });
}

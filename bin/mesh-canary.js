#!/usr/bin/env node
// The mesh-canary bin (package.json "bin"). Installed from the packed package: the built CLI,
// lib/cli.mjs (scripts/build-cli.ts; `npm pack` builds it), on Node >= 20. In a checkout: the
// TypeScript source itself, so `npx mesh-canary` never runs a stale build; Node strips its types
// (Node >= 22.18; `npx` runs the Node 24 that `npm ci` installs).
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
if (!existsSync(source)) {
  await import('../lib/cli.mjs');
} else if (process.features.typescript) {
  await import(source.href);
} else {
  process.stderr.write(`mesh-canary: in a checkout the CLI runs from its TypeScript source, which needs Node >= 22.18 (this is ${process.version}): `
    + 'run `npx mesh-canary` (it uses the Node 24 that npm ci installs), or install the package `npm pack` makes\n');
  process.exitCode = 3;
}

// Where mesh-canary finds things on disk: this package's own folder, and the SAM project settings
// (samconfig.toml) of the project an operator deploys. The CLI and the local tooling (local/)
// both read them from here; nothing here imports an npm package, so the CLI stays runnable
// from the packed tarball with its runtime dependencies alone.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding mesh-canary's package.json: the checkout's root, or the installed package's
 * folder. This module is one folder below it both as source (cli/project.ts) and bundled into the
 * built CLI (lib/cli.mjs, scripts/build-cli.ts). __dirname when a Jest test loads it as CommonJS.
 */
export const packageRoot = typeof __dirname === 'string' ? resolve(__dirname, '..') : fileURLToPath(new URL('..', import.meta.url));

export interface SamConfig {
  stackName?: string;
  region?: string;
}

/**
 * The few samconfig.toml settings mesh-canary reads: the stack name and region that `sam deploy`
 * uses (environment "default": deploy parameters, else global ones). A tiny reader: samconfig
 * holds flat key = "value" tables. A missing file reads as no settings.
 */
export function readSamConfig(path: string, environment = 'default'): SamConfig {
  if (!existsSync(path)) return {};
  const tables = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    const table = line.match(/^\[([^\]]+)\]$/);
    if (table) {
      current = {};
      tables.set(table[1].trim(), current);
      continue;
    }
    const kv = line.match(/^([A-Za-z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"/);
    if (kv && current) current[kv[1]] = kv[2];
  }
  const get = (key: string) => tables.get(`${environment}.deploy.parameters`)?.[key] ?? tables.get(`${environment}.global.parameters`)?.[key];
  return { stackName: get('stack_name'), region: get('region') };
}

/**
 * The operator's settings: samconfig.toml in the current directory, where `sam deploy` reads it
 * (no parent folders, no file of mesh-canary's own: installed elsewhere there is none).
 */
export const samConfigHere = (cwd = process.cwd()): SamConfig => readSamConfig(join(cwd, 'samconfig.toml'));

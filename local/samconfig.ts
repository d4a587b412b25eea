// The few samconfig.toml settings mesh-canary reads: the stack name and region that
// `sam deploy` uses (environment "default"). A tiny reader: samconfig holds flat key = "value" tables.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './template.ts';

export interface SamConfig {
  stackName?: string;
  region?: string;
}

export function readSamConfig(path = join(projectRoot, 'samconfig.toml'), environment = 'default'): SamConfig {
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

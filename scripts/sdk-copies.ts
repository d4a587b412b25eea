// Finds packages of the AWS SDK's shared core (@aws-sdk/*, @smithy/*) present more than once:
// in node_modules (a nested node_modules/.../node_modules/@smithy/core is a second copy), in
// package-lock.json, or in a function bundle (esbuild's metafile lists every input file; two
// package roots for one name mean the bundle carries two copies). The clients cannot share one
// version number (client-app-mesh stops at 3.1048.0), but they can share one core.
//   node scripts/sdk-copies.ts   (prints every package found in more than one place; exit 1 if any)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const sharedScopes = ['@aws-sdk', '@smithy'] as const;

/** `…node_modules/@smithy/core/…` → the package root `…node_modules/@smithy/core` and its name. */
const packageRoot = /^(.*node_modules\/(@aws-sdk|@smithy)\/[^/]+)(?:\/|$)/;

/** Package name → every place it is found, for names found in more than one place. */
export type Copies = Record<string, string[]>;

function duplicates(rootsByName: Map<string, Set<string>>): Copies {
  const out: Copies = {};
  for (const [name, roots] of [...rootsByName].sort(([a], [b]) => a.localeCompare(b))) {
    if (roots.size > 1) out[name] = [...roots].sort();
  }
  return out;
}

function add(rootsByName: Map<string, Set<string>>, path: string): void {
  const m = packageRoot.exec(path.replaceAll('\\', '/'));
  if (!m) return;
  const root = m[1];
  const name = root.slice(root.lastIndexOf('node_modules/') + 'node_modules/'.length);
  if (!rootsByName.has(name)) rootsByName.set(name, new Set());
  rootsByName.get(name)!.add(root);
}

/** Copies listed in package-lock.json (lockfileVersion 2/3 "packages", keyed by install path). */
export function lockfileCopies(lock: { packages?: Record<string, unknown> }): Copies {
  const roots = new Map<string, Set<string>>();
  for (const key of Object.keys(lock.packages ?? {})) add(roots, key);
  return duplicates(roots);
}

/** Copies in an esbuild metafile's inputs. */
export function metafileCopies(metafile: { inputs: Record<string, unknown> }): Copies {
  const roots = new Map<string, Set<string>>();
  for (const input of Object.keys(metafile.inputs)) add(roots, input);
  return duplicates(roots);
}

/**
 * Every @aws-sdk/* and @smithy/* package installed under `nodeModules`, at any depth: each
 * package's own node_modules is searched too, as Node's resolution would find them.
 */
export function installedSharedPackages(nodeModules: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === '.bin' || entry.name === '.cache') continue;
      const packages = entry.name.startsWith('@')
        ? readdirSync(join(dir, entry.name), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(entry.name, e.name))
        : [entry.name];
      for (const pkg of packages) {
        const path = join(dir, pkg);
        if (sharedScopes.some((scope) => pkg.startsWith(`${scope}/`))) found.push(path);
        if (existsSync(join(path, 'node_modules'))) walk(join(path, 'node_modules'));
      }
    }
  };
  walk(nodeModules);
  return found.sort();
}

/** Copies among installed package paths. */
export function installedCopies(paths: string[]): Copies {
  const roots = new Map<string, Set<string>>();
  for (const p of paths) add(roots, p);
  return duplicates(roots);
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..');
  const installed = installedSharedPackages(join(root, 'node_modules'));
  const report = {
    node_modules: installedCopies(installed),
    'package-lock.json': lockfileCopies(JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))),
  };
  console.log(`${installed.length} @aws-sdk/@smithy packages installed`);
  let bad = 0;
  for (const [where, copies] of Object.entries(report)) {
    for (const [name, places] of Object.entries(copies)) {
      bad++;
      console.log(`${where}: ${name} is there ${places.length} times: ${places.join(', ')}`);
    }
  }
  if (!bad) console.log('each is there once');
  process.exitCode = bad ? 1 : 0;
}

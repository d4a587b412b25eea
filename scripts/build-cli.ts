// Builds the CLI the package ships: cli/main.ts and everything it imports (cli/, functions/commons/)
// bundled into one ES module, lib/cli.mjs, for the oldest Node that package.json "engines" allows.
// npm packages stay imports: an installed package gets them from its "dependencies". The build
// refuses a bundle that imports any other package (a devDependency, say): installed elsewhere,
// that CLI would not start. bin/mesh-canary.js runs lib/cli.mjs when installed from the package.
// Uses the project's esbuild binary, as scripts/build.ts does.
//   node scripts/build-cli.ts         (npm run build:cli; `npm pack` runs it as "prepack")
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../cli/project.ts';
import { BuildFailed, findEsbuild, runEsbuild, type Metafile } from './build.ts';

export const cliEntry = join(packageRoot, 'cli', 'main.ts');
export const cliOutDir = join(packageRoot, 'lib');
export const cliBundle = join(cliOutDir, 'cli.mjs');

interface Manifest {
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

const manifest = (): Manifest => JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));

/** esbuild's target for engines.node ">=20" (or ">=20.11.0"): node20. */
export function nodeTarget(engines = manifest().engines?.node): string {
  const major = /^\s*>=\s*v?(\d+)(?:\.\d+){0,2}\s*$/.exec(engines ?? '')?.[1];
  if (!major) throw new BuildFailed(`package.json engines.node must read ">=MAJOR" to choose the CLI's build target (got ${JSON.stringify(engines)})`);
  return `node${major}`;
}

/** The package a bare import names: `@aws-sdk/client-sfn/x` → `@aws-sdk/client-sfn`; undefined for a Node built-in. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every npm package the bundle imports, by the file that imports it. */
export function importedPackages(metafile: { inputs: Record<string, { imports?: { path: string; external?: boolean }[] }> }): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    for (const i of input.imports ?? []) {
      const name = i.external ? packageOf(i.path) : undefined;
      if (name) out.set(name, [...(out.get(name) ?? []), file]);
    }
  }
  return out;
}

/** Refuses packages that package.json "dependencies" does not list, naming each and who imports it. */
export function checkDependencies(packages: Map<string, string[]>, dependencies: string[]): void {
  const missing = [...packages].filter(([name]) => !dependencies.includes(name));
  if (missing.length === 0) return;
  throw new BuildFailed(`the CLI imports packages that package.json "dependencies" does not list, so an installed CLI would not start: ${
    missing.map(([name, files]) => `${name} (from ${[...new Set(files)].join(', ')})`).join('; ')}`);
}

export async function buildCli(): Promise<{ bundle: string; bytes: number; packages: string[] }> {
  const metafilePath = join(cliOutDir, '.metafile.json');
  rmSync(cliOutDir, { recursive: true, force: true });
  await runEsbuild(findEsbuild(), [
    cliEntry, '--bundle', '--platform=node', '--format=esm', `--target=${nodeTarget()}`, '--packages=external',
    '--charset=utf8', `--outfile=${cliBundle}`, `--metafile=${metafilePath}`, '--log-level=warning',
  ], packageRoot);
  const metafile = JSON.parse(readFileSync(metafilePath, 'utf8'));
  rmSync(metafilePath);
  const packages = importedPackages(metafile);
  try {
    checkDependencies(packages, Object.keys(manifest().dependencies ?? {}));
  } catch (error) {
    rmSync(cliOutDir, { recursive: true, force: true }); // nothing for npm pack to ship
    throw error;
  }
  const bytes = Object.values(metafile.outputs as Metafile['outputs'])[0].bytes;
  return { bundle: cliBundle, bytes, packages: [...packages.keys()].sort() };
}

// No top-level await: Jest loads this module as CommonJS.
if (import.meta.main) {
  buildCli().then(({ bundle, bytes, packages }) => {
    // stderr: `npm pack --json` prints its report on stdout.
    process.stderr.write(`built ${bundle} (${(bytes / 1024).toFixed(0)} KiB; imports ${packages.join(', ')})\n`);
  }, (error: Error) => {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exitCode = 1;
  });
}

// Builds one esbuild bundle per Lambda function from template.yaml, the way `sam build` does:
// the same esbuild binary lookup (the project's node_modules/.bin, then PATH), run in the
// function's CodeUri with the argument list SAM derives from Metadata.BuildProperties
// (local/sam-esbuild.ts), plus only --metafile and --log-level, which do not change the output.
//   node scripts/build.ts [--out DIR]
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { listExampleHooks, listFunctions, projectRoot, type FunctionDefinition } from '../local/template.ts';
import { samEsbuildArgs } from '../local/sam-esbuild.ts';

export const defaultOutDir = join(projectRoot, 'dist');

export class EsbuildNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EsbuildNotFound';
  }
}

export class BuildFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildFailed';
  }
}

export interface BuiltFunction {
  logicalId: string;
  /** Absolute path of the bundle that holds the handler. */
  bundlePath: string;
  handlerExport: string;
  bytes: number;
  /** esbuild's metafile of this function's build. */
  metafile: Metafile;
}

export interface Metafile {
  inputs: Record<string, { bytes: number }>;
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/** The names in package.json "dependencies" (SAM reads them for External ["./node_modules/*"]). */
export function manifestDependencies(root = projectRoot): string[] {
  return Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {});
}

/**
 * Where SAM's builder finds esbuild: `$(npm root)/.bin/esbuild` in its copy of the project,
 * then each PATH directory (aws-lambda-builders nodejs_npm_esbuild workflow + utils.which).
 */
export function findEsbuild(root = projectRoot, path = process.env.PATH ?? ''): string {
  const names = process.platform === 'win32' ? ['esbuild.cmd', 'esbuild.exe', 'esbuild'] : ['esbuild'];
  for (const dir of [join(root, 'node_modules', '.bin'), ...path.split(delimiter).filter(Boolean)]) {
    for (const name of names) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch { /* next */ }
    }
  }
  throw new EsbuildNotFound('Cannot find esbuild (sam build looks in node_modules/.bin, then PATH): run `npm ci`; esbuild is in package.json "dependencies" so that sam build\'s `npm install --omit=dev` installs it too');
}

/** The arguments `sam build` gives esbuild for this function, writing to `outdir`. */
export function esbuildArgs(fn: FunctionDefinition, outdir: string, dependencies = manifestDependencies()): string[] {
  return samEsbuildArgs(
    { logicalId: fn.logicalId, buildProperties: fn.build, handler: fn.handlerProperty, environment: fn.environment },
    { outdir, dependencies, exists: (p) => existsSync(resolve(fn.codeUri, p)) },
  );
}

/** What buildFunctions runs for one function: SAM's arguments, then the two that only report. */
export function buildCommand(fn: FunctionDefinition, outdir: string, metafilePath: string) {
  return {
    command: findEsbuild(),
    args: [...esbuildArgs(fn, outdir), `--metafile=${metafilePath}`, '--log-level=warning'],
    cwd: fn.codeUri,
  };
}

/** Runs the esbuild CLI; stdin is passed when given. Resolves with stderr (warnings). */
export function runEsbuild(command: string, args: string[], cwd: string, stdin?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout!.on('data', () => {});
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stderr);
      else reject(new BuildFailed(`esbuild ${args.join(' ')} (in ${cwd}) exited ${code}:\n${stderr.trim()}`));
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/**
 * Builds every function of template.yaml into outDir/<logical ID>/ and returns them; the example
 * hooks (examples/hooks/, local/template.ts listExampleHooks) are built beside them, under their
 * function names, for the local AWS to run, and are not in the list returned (they are not the stack's).
 */
export async function buildFunctions(outDir = defaultOutDir): Promise<BuiltFunction[]> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The project is "type": "module"; the bundles are CommonJS, as in the Lambda runtime.
  writeFileSync(join(outDir, 'package.json'), '{"type":"commonjs"}\n');
  const metaDir = join(outDir, '.metafiles');
  mkdirSync(metaDir);
  const [built] = await Promise.all([buildEach(listFunctions(), outDir, metaDir), buildEach(listExampleHooks(), outDir, metaDir)]);
  return built;
}

async function buildEach(fns: FunctionDefinition[], outDir: string, metaDir: string): Promise<BuiltFunction[]> {
  return Promise.all(fns.map(async (fn) => {
    const outdir = join(outDir, fn.logicalId);
    const metafilePath = join(metaDir, `${fn.logicalId}.json`);
    const { command, args, cwd } = buildCommand(fn, outdir, metafilePath);
    const warnings = await runEsbuild(command, args, cwd);
    if (warnings.trim()) process.stderr.write(`${fn.logicalId}: ${warnings}`);
    // As the Lambda Node.js runtime looks for the handler's module.
    const bundlePath = ['.js', '.mjs', '.cjs'].map((ext) => join(outdir, `${fn.handlerModule}${ext}`)).find((p) => existsSync(p));
    if (!bundlePath) {
      throw new BuildFailed(`${fn.logicalId}: Handler ${fn.handlerProperty} does not match the bundle esbuild wrote in ${outdir}`);
    }
    const metafile = JSON.parse(readFileSync(metafilePath, 'utf8')) as Metafile;
    const out = Object.entries(metafile.outputs).find(([f]) => resolve(cwd, f) === bundlePath);
    return { logicalId: fn.logicalId, bundlePath, handlerExport: fn.handlerExport, bytes: out?.[1].bytes ?? 0, metafile };
  }));
}

// No top-level await: Jest loads this module as CommonJS.
if (import.meta.main) {
  const i = process.argv.indexOf('--out');
  const outDir = i > 0 ? resolve(process.argv[i + 1]) : defaultOutDir;
  buildFunctions(outDir).then((built) => {
    for (const b of built) console.log(`${b.logicalId.padEnd(22)} ${(b.bytes / 1024).toFixed(0).padStart(5)} KiB  ${b.bundlePath}`);
  }, (error: Error) => {
    console.error(`${error.name}: ${error.message}`);
    process.exitCode = 1;
  });
}

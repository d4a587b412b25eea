// Builds one esbuild bundle per Lambda function from the settings in template.yaml
// (Metadata.BuildProperties), the same settings `sam build` uses: one source of truth.
//   node scripts/build.ts [--out DIR]
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { listFunctions, projectRoot, type FunctionDefinition } from '../local/template.ts';

export const defaultOutDir = join(projectRoot, 'dist');

export interface BuiltFunction {
  logicalId: string;
  /** Absolute path of the bundle that holds the handler. */
  bundlePath: string;
  handlerExport: string;
  bytes: number;
}

/** The esbuild options SAM derives from a function's BuildProperties. */
export function esbuildOptions(fn: FunctionDefinition, outdir: string) {
  const p = fn.build;
  return {
    entryPoints: p.EntryPoints.map((e) => resolve(fn.codeUri, e)),
    bundle: true,
    platform: 'node' as const,
    format: p.Format ?? 'cjs',
    target: p.Target ?? 'es2020',
    minify: p.Minify ?? true,
    sourcemap: p.Sourcemap ?? false,
    external: p.External ?? [],
    outdir,
    logLevel: 'warning' as const,
    metafile: true,
  };
}

export async function buildFunctions(outDir = defaultOutDir): Promise<BuiltFunction[]> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The project is "type": "module"; the bundles are CommonJS, as in the Lambda runtime.
  writeFileSync(join(outDir, 'package.json'), '{"type":"commonjs"}\n');
  const fns = listFunctions();
  return Promise.all(fns.map(async (fn) => {
    const outdir = join(outDir, fn.logicalId);
    const result = await build(esbuildOptions(fn, outdir));
    const bundlePath = join(outdir, `${fn.handlerModule}.js`);
    if (!existsSync(bundlePath)) {
      throw new Error(`${fn.logicalId}: Handler ${fn.handlerModule}.${fn.handlerExport} does not match the bundle esbuild wrote`);
    }
    const out = Object.entries(result.metafile!.outputs).find(([f]) => resolve(f) === bundlePath);
    return { logicalId: fn.logicalId, bundlePath, handlerExport: fn.handlerExport, bytes: out?.[1].bytes ?? 0 };
  }));
}

if (import.meta.main) {
  const i = process.argv.indexOf('--out');
  const outDir = i > 0 ? resolve(process.argv[i + 1]) : defaultOutDir;
  const built = await buildFunctions(outDir);
  for (const b of built) console.log(`${b.logicalId.padEnd(22)} ${(b.bytes / 1024).toFixed(0).padStart(5)} KiB  ${b.bundlePath}`);
}

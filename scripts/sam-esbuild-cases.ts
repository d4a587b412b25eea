// What `sam build` gives esbuild, case by case: the expectations test/unit/sam-build.test.ts
// checks local/sam-esbuild.ts against. The general cases are the builder's own unit tests
// (aws-lambda-builders tests/unit/workflows/nodejs_npm_esbuild/test_esbuild.py) run end to end,
// plus the SAM CLI steps around them (Sourcemap from NODE_OPTIONS, EntryPoints from the Handler).
// Every expectation here was produced by the builder's real code with scripts/sam-esbuild-oracle.py
// (aws-lambda-builders at cd41bcf1); to check them again:
//   git clone https://github.com/aws/aws-lambda-builders /tmp/lb && node scripts/sam-esbuild-cases.ts /tmp/lb
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { samEsbuildArgs, type SamEsbuildFunction } from '../local/sam-esbuild.ts';
import { listFunctions, projectRoot } from '../local/template.ts';
import { esbuildArgs } from './build.ts';

/** The --outdir every case writes to (SAM: the function's artifacts directory). */
export const OUT = '/artifacts';

export interface SamBuildCase {
  name: string;
  fn: SamEsbuildFunction;
  /** Files that exist in CodeUri (esbuild's working directory). */
  files: string[];
  /** package.json "dependencies" names. */
  dependencies?: string[];
  /** What the builder runs esbuild with, or the start of the error it stops with. */
  expected: string[] | { error: string };
}

const fn = (buildProperties: unknown, extra: Partial<SamEsbuildFunction> = {}): SamEsbuildFunction =>
  ({ logicalId: 'Fn', buildProperties, handler: 'index.handler', environment: {}, ...extra });

export const cases: SamBuildCase[] = [
  {
    name: 'no BuildProperties: entry point from the Handler, then the defaults (test_builds_default_values)',
    fn: fn(undefined), files: ['index.ts'],
    expected: ['index.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--minify'],
  },
  {
    name: 'EntryPoints given: listed in order, extensions kept (test_builds_entry_points)',
    fn: fn({ EntryPoints: ['x.js', 'y.ts'] }), files: ['x.js', 'y.ts'],
    expected: ['x.js', 'y.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--minify'],
  },
  {
    name: 'an entry point without an extension becomes .ts before .js (test_implicit_and_explicit_file_types)',
    fn: fn({ EntryPoints: ['src/app', 'lib/util'] }), files: ['src/app.ts', 'src/app.js', 'lib/util.js'],
    expected: ['src/app.ts', 'lib/util.js', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--minify'],
  },
  {
    name: 'EntryPoints empty: the Handler up to its first dot',
    fn: fn({ EntryPoints: [] }, { handler: 'src/app.v2.handler' }), files: ['src/app.ts'],
    expected: ['src/app.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--minify'],
  },
  {
    name: 'a missing entry point stops the build (test_throws_exception_entry_point_not_found)',
    fn: fn({ EntryPoints: ['missing.ts'] }), files: [],
    expected: { error: 'entry point' },
  },
  {
    name: 'strings as --k=v, lists repeated as --k:item, in template order; given values replace the defaults (test_builds_args_from_config)',
    fn: fn({
      EntryPoints: ['x.js'], Minify: true, Sourcemap: false, SourcesContent: 'false', Format: 'esm', Target: 'node20',
      Loader: ['.proto=text', '.json=js'], External: ['aws-sdk', 'axios'], OutExtension: ['.js=.mjs'], MainFields: 'module,main',
    }),
    files: ['x.js'],
    expected: ['x.js', '--bundle', '--platform=node', `--outdir=${OUT}`, '--minify', '--sources-content=false', '--format=esm',
      '--target=node20', '--loader:.proto=text', '--loader:.json=js', '--external:aws-sdk', '--external:axios',
      '--out-extension:.js=.mjs', '--main-fields=module,main'],
  },
  {
    name: 'Format alone: the Target and Minify defaults stay (test_combined_builder_with_dependencies)',
    fn: fn({ EntryPoints: ['x.js'], Loader: ['.proto=text', '.json=js'], Format: 'esm' }), files: ['x.js'],
    expected: ['x.js', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--minify', '--loader:.proto=text', '--loader:.json=js', '--format=esm'],
  },
  {
    name: 'External ["./node_modules/*"]: every dependency external, first; the External list itself dropped (test_combined_builder_exclude_all_dependencies)',
    fn: fn({ EntryPoints: ['x.js'], Loader: ['.proto=text', '.json=js'], External: ['./node_modules/*', 'left-out'] }),
    files: ['x.js'], dependencies: ['@faker-js/faker', 'uuidv4', 'axios'],
    expected: ['--external:@faker-js/faker', '--external:uuidv4', '--external:axios', 'x.js', '--bundle', '--platform=node', `--outdir=${OUT}`,
      '--target=es2020', '--format=cjs', '--minify', '--loader:.proto=text', '--loader:.json=js'],
  },
  {
    name: 'false gives no flag, and Minify: false also drops the --minify default; true is a bare flag',
    fn: fn({ EntryPoints: ['x.ts'], Minify: false, Sourcemap: false, KeepNames: true }), files: ['x.ts'],
    expected: ['x.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--keep-names'],
  },
  {
    name: 'Banner, Footer and Define as lists; UseNpmCi is not an esbuild flag',
    fn: fn({ EntryPoints: ['x.ts'], UseNpmCi: true, Banner: ['js=// mesh-canary'], Footer: ['js=// end'], Define: ['process.env.STAGE="prod"', 'DEBUG=false'] }),
    files: ['x.ts'],
    expected: ['x.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--minify',
      '--banner:js=// mesh-canary', '--footer:js=// end', '--define:process.env.STAGE="prod"', '--define:DEBUG=false'],
  },
  {
    name: 'Sourcemap: true is a bare flag where it stands (and SAM adds --enable-source-maps to NODE_OPTIONS)',
    fn: fn({ EntryPoints: ['x.ts'], Sourcemap: true, Minify: true, Format: 'cjs' }), files: ['x.ts'],
    expected: ['x.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--sourcemap', '--minify', '--format=cjs'],
  },
  {
    name: 'NODE_OPTIONS with --enable-source-maps and no Sourcemap: SAM adds Sourcemap: true, last',
    fn: fn({ EntryPoints: ['x.ts'], Target: 'node24' }, { environment: { NODE_OPTIONS: '--max-old-space-size=200 --enable-source-maps' } }),
    files: ['x.ts'],
    expected: ['x.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--format=cjs', '--minify', '--target=node24', '--sourcemap'],
  },
  {
    name: 'NODE_OPTIONS with --enable-source-maps but Sourcemap: false: no source map',
    fn: fn({ EntryPoints: ['x.ts'], Sourcemap: false }, { environment: { NODE_OPTIONS: '--enable-source-maps' } }),
    files: ['x.ts'],
    expected: ['x.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--minify'],
  },
  {
    name: 'NODE_OPTIONS that only mentions source maps in another flag does not count',
    fn: fn({ EntryPoints: ['x.ts'] }, { environment: { NODE_OPTIONS: '--enable-source-maps-please' } }),
    files: ['x.ts'],
    expected: ['x.ts', '--bundle', '--platform=node', `--outdir=${OUT}`, '--target=es2020', '--format=cjs', '--minify'],
  },
];

/**
 * template.yaml's functions: what `sam build` runs esbuild with for each (in CodeUri ./, the
 * project). Format, Target and Minify are given, so no defaults; Sourcemap: false adds nothing.
 */
const templateFunction = (entry: string) => [entry, '--bundle', '--platform=node', `--outdir=${OUT}`, '--format=cjs', '--target=node24', '--minify'];
export const templateExpected: Record<string, string[]> = {
  PrepareFunction: templateFunction('functions/prepare/index.ts'),
  SetWeightFunction: templateFunction('functions/set-weight/index.ts'),
  CheckHealthFunction: templateFunction('functions/check-health/index.ts'),
  PromoteFunction: templateFunction('functions/promote/index.ts'),
  RollbackFunction: templateFunction('functions/rollback/index.ts'),
  RequestApprovalFunction: templateFunction('functions/request-approval/index.ts'),
  GuardFunction: templateFunction('functions/guard/index.ts'),
  AlarmFunction: templateFunction('functions/alarm/index.ts'),
};

/** The arguments local/sam-esbuild.ts derives for a case (the files exist only in the case's list). */
export function derive(c: SamBuildCase): string[] {
  const files = new Set(c.files);
  return samEsbuildArgs(c.fn, { outdir: OUT, dependencies: c.dependencies ?? [], exists: (p) => files.has(p) });
}

// node scripts/sam-esbuild-cases.ts /path/to/aws-lambda-builders: runs every case through the
// builder's code and prints any case where it, this table, or local/sam-esbuild.ts disagree.
if (import.meta.main) {
  const builders = process.argv[2];
  if (!builders) {
    console.error('usage: node scripts/sam-esbuild-cases.ts /path/to/aws-lambda-builders (a clone of github.com/aws/aws-lambda-builders)');
    process.exit(2);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'sam-esbuild-cases-'));
  try {
    const input = cases.map((c, i) => {
      const codeUri = join(scratch, String(i));
      for (const f of c.files) {
        mkdirSync(dirname(join(codeUri, f)), { recursive: true });
        writeFileSync(join(codeUri, f), '');
      }
      mkdirSync(codeUri, { recursive: true });
      const manifest = join(codeUri, 'package.json');
      writeFileSync(manifest, JSON.stringify({ dependencies: Object.fromEntries((c.dependencies ?? []).map((d) => [d, '1.0.0'])) }));
      return { ...c.fn, logicalId: String(i), codeUri, manifest, outdir: OUT };
    });
    const functions = listFunctions();
    for (const f of functions) {
      input.push({ logicalId: f.logicalId, buildProperties: f.build, handler: f.handlerProperty, environment: f.environment,
        codeUri: f.codeUri, manifest: join(projectRoot, 'package.json'), outdir: OUT });
    }
    const r = spawnSync('python3', [join(import.meta.dirname, 'sam-esbuild-oracle.py'), builders], { input: JSON.stringify(input), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sam-esbuild-oracle.py failed: ${r.stderr}`);
    const oracle = JSON.parse(r.stdout) as Record<string, string[] | { error: string }>;
    let bad = 0;
    for (const [i, c] of cases.entries()) {
      const theirs = oracle[String(i)];
      let ours: string[] | { error: string };
      try { ours = derive(c); } catch (e) { ours = { error: (e as Error).message }; }
      const same = (a: unknown, b: unknown) => (Array.isArray(a) || Array.isArray(b)
        ? JSON.stringify(a) === JSON.stringify(b)
        : typeof (a as { error?: string }).error === 'string' && typeof (b as { error?: string }).error === 'string');
      const ok = same(theirs, c.expected) && same(ours, c.expected);
      if (!ok) bad++;
      console.log(`${ok ? 'same' : 'DIFFERENT'}  ${c.name}${ok ? '' : `\n  builder: ${JSON.stringify(theirs)}\n  table:   ${JSON.stringify(c.expected)}\n  ours:    ${JSON.stringify(ours)}`}`);
    }
    for (const f of functions) {
      const theirs = oracle[f.logicalId];
      const ours = esbuildArgs(f, OUT);
      const ok = JSON.stringify(theirs) === JSON.stringify(ours) && JSON.stringify(ours) === JSON.stringify(templateExpected[f.logicalId]);
      if (!ok) bad++;
      console.log(`${ok ? 'same' : 'DIFFERENT'}  template.yaml ${f.logicalId}${ok ? '' : `\n  builder: ${JSON.stringify(theirs)}\n  table:   ${JSON.stringify(templateExpected[f.logicalId])}\n  ours:    ${JSON.stringify(ours)}`}`);
    }
    process.exitCode = bad ? 1 : 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

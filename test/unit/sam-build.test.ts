// `sam build` and `npm run build` must build the same bundles: the esbuild arguments the local
// build uses are the ones SAM's builder derives from each function's Metadata.BuildProperties
// (cases: scripts/sam-esbuild-cases.ts, checked against aws-lambda-builders' own code), a
// property the local build does not derive is refused by name, and esbuild is where SAM looks.
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listFunctions, loadTemplate, projectRoot, type Template } from '../../local/template.ts';
import {
  InvalidBuildProperty, UnsupportedBuildProperty, buildPropertyKinds, kebabCase, samEsbuildArgs, snakeCase, validateBuildProperties,
} from '../../local/sam-esbuild.ts';
import { OUT, cases, derive, templateExpected } from '../../scripts/sam-esbuild-cases.ts';
import { EsbuildNotFound, buildCommand, esbuildArgs, findEsbuild } from '../../scripts/build.ts';

describe('the arguments SAM derives from BuildProperties', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    if (Array.isArray(c.expected)) {
      expect(derive(c)).toEqual(c.expected);
    } else {
      expect(() => derive(c)).toThrow(InvalidBuildProperty);
      expect(() => derive(c)).toThrow(c.expected.error);
    }
  });

  test.each([
    ['EntryPoints', 'entry_points', 'entry-points'],
    ['OutExtension', 'out_extension', 'out-extension'],
    ['MainFields', 'main_fields', 'main-fields'],
    ['KeepNames', 'keep_names', 'keep-names'],
    ['Sourcemap', 'sourcemap', 'sourcemap'],
    ['SourcesContent', 'sources_content', 'sources-content'],
    ['UseNpmCi', 'use_npm_ci', 'use-npm-ci'],
  ])('%s → %s → --%s (SAM CLI normalize_build_properties, then the builder)', (pascal, snake, kebab) => {
    expect(snakeCase(pascal)).toBe(snake);
    expect(kebabCase(snake)).toBe(kebab);
  });

  test('every function in template.yaml gets exactly the arguments sam build gives esbuild', () => {
    const functions = listFunctions();
    expect(functions.map((f) => f.logicalId).sort()).toEqual(Object.keys(templateExpected).sort());
    for (const f of functions) expect([f.logicalId, esbuildArgs(f, OUT)]).toEqual([f.logicalId, templateExpected[f.logicalId]]);
  });

  test('the local build runs esbuild with those arguments and only --metafile and --log-level besides', () => {
    for (const f of listFunctions()) {
      const { args, cwd } = buildCommand(f, '/out/x', '/meta/x.json');
      expect(cwd).toBe(f.codeUri);
      expect(args).toEqual([...esbuildArgs(f, '/out/x'), '--metafile=/meta/x.json', '--log-level=warning']);
    }
  });
});

describe('esbuild itself takes every argument form derived here', () => {
  const esbuild = findEsbuild();
  const run = (args: string[], cwd: string) => {
    try {
      execFileSync(esbuild, [...args, '--log-level=error'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      return '';
    } catch (error: any) {
      return String(error.stderr);
    }
  };

  test.each(cases.filter((c) => Array.isArray(c.expected)).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'sam-esbuild-'));
    try {
      for (const f of c.files) {
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        writeFileSync(join(dir, f), 'export const handler = async () => 1;\n');
      }
      const args = derive(c).map((a) => (a === `--outdir=${OUT}` ? `--outdir=${join(dir, 'out')}` : a));
      expect(run(args, dir)).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('and refuses the string forms SAM would make of Banner and Footer (why they must be lists)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sam-esbuild-'));
    try {
      writeFileSync(join(dir, 'x.ts'), 'export const x = 1;\n');
      expect(run(['x.ts', '--bundle', `--outdir=${join(dir, 'out')}`, '--banner=js=// x'], dir)).toContain('Invalid build flag: "--banner=js=// x"');
      expect(run(['x.ts', '--bundle', `--outdir=${join(dir, 'out')}`, '--footer=js=// x'], dir)).toContain('Invalid build flag');
      expect(run(['x.ts', '--bundle', `--outdir=${join(dir, 'out')}`, '--banner:js=// x'], dir)).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a BuildProperty the local build does not derive is refused, by function and property', () => {
  const withProperties = (props: Record<string, unknown>): Template => {
    const template = loadTemplate();
    const copy = structuredClone(template);
    copy.Resources.SetWeightFunction.Metadata!.BuildProperties = { ...template.Resources.SetWeightFunction.Metadata!.BuildProperties, ...props };
    return copy;
  };

  test.each([
    [{ Splitting: true }, 'SetWeightFunction: BuildProperties.Splitting is not one'],
    [{ TreeShaking: 'true' }, 'SetWeightFunction: BuildProperties.TreeShaking is not one'],
    [{ Platform: 'neutral' }, 'SetWeightFunction: BuildProperties.Platform is set by SAM itself'],
    [{ Outdir: 'x' }, 'SetWeightFunction: BuildProperties.Outdir is set by SAM itself'],
  ])('%j', (props, message) => {
    expect(() => listFunctions(withProperties(props))).toThrow(UnsupportedBuildProperty);
    expect(() => listFunctions(withProperties(props))).toThrow(message);
  });

  test.each([
    // SAM would pass `--banner=js=x`, which esbuild refuses: Banner must be a list.
    [{ Banner: 'js=// x' }, 'SetWeightFunction: BuildProperties.Banner must be a list of strings'],
    [{ External: '@aws-sdk/*' }, 'SetWeightFunction: BuildProperties.External must be a list of strings'],
    [{ Minify: 'yes' }, 'SetWeightFunction: BuildProperties.Minify must be true or false'],
    [{ Target: 24 }, 'SetWeightFunction: BuildProperties.Target must be a string'],
    [{ Define: { STAGE: 'prod' } }, 'SetWeightFunction: BuildProperties.Define must be a list of strings'],
  ])('%j is malformed', (props, message) => {
    expect(() => listFunctions(withProperties(props))).toThrow(InvalidBuildProperty);
    expect(() => listFunctions(withProperties(props))).toThrow(message);
  });

  test('every property the type declares is one the derivation knows, and the reverse', () => {
    // local/template.ts EsbuildProperties and local/sam-esbuild.ts buildPropertyKinds list the same names.
    const source = readFileSync(join(projectRoot, 'local', 'template.ts'), 'utf8');
    const block = source.slice(source.indexOf('export interface EsbuildProperties {'), source.indexOf('export interface FunctionDefinition'));
    const declared = [...block.matchAll(/^\s+([A-Z][A-Za-z]+)\?:/gm)].map((m) => m[1]).sort();
    expect(declared).toEqual(Object.keys(buildPropertyKinds).sort());
  });

  test('validation accepts every known property in the shape it expects', () => {
    const sample = { flag: true, string: 'x', list: ['x'] } as const;
    const all = Object.fromEntries(Object.entries(buildPropertyKinds).map(([k, kind]) => [k, sample[kind]]));
    expect(validateBuildProperties({ logicalId: 'Fn', buildProperties: all }).map(([k]) => k)).toEqual(Object.keys(buildPropertyKinds));
  });
});

describe('Sourcemap and NODE_OPTIONS, as sam build writes the built template', () => {
  const withSourcemap = (fnVariables?: Record<string, unknown>, globalNodeOptions?: string) => {
    const template = structuredClone(loadTemplate());
    const fn = template.Resources.PromoteFunction;
    fn.Metadata!.BuildProperties.Sourcemap = true;
    if (fnVariables) fn.Properties!.Environment = { Variables: fnVariables };
    if (globalNodeOptions) (template.Globals!.Function!.Environment as any).Variables.NODE_OPTIONS = globalNodeOptions;
    return listFunctions(template).find((f) => f.logicalId === 'PromoteFunction')!;
  };

  test('Sourcemap: true adds --sourcemap and --enable-source-maps to the function\'s NODE_OPTIONS', () => {
    const fn = withSourcemap();
    expect(fn.environment.NODE_OPTIONS).toBe(' --enable-source-maps');
    expect(esbuildArgs(fn, OUT)).toContain('--sourcemap');
  });

  test('the function\'s own NODE_OPTIONS is kept in front', () => {
    expect(withSourcemap({ NODE_OPTIONS: '--max-old-space-size=200' }).environment.NODE_OPTIONS).toBe('--max-old-space-size=200 --enable-source-maps');
  });

  test('already enabled (in Globals): left alone', () => {
    expect(withSourcemap(undefined, '--enable-source-maps').environment.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  test('SAM replaces a Globals NODE_OPTIONS without the flag by the function\'s own (its behaviour, mirrored)', () => {
    expect(withSourcemap(undefined, '--max-old-space-size=200').environment.NODE_OPTIONS).toBe(' --enable-source-maps');
  });

  test('no function in template.yaml has Sourcemap on, so none gets NODE_OPTIONS', () => {
    for (const f of listFunctions()) expect([f.logicalId, f.environment.NODE_OPTIONS]).toEqual([f.logicalId, undefined]);
  });
});

describe('esbuild is where sam build looks after `npm install --omit=dev`', () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));

  test('esbuild is a runtime dependency, not a devDependency (SAM installs without devDependencies)', () => {
    expect(pkg.dependencies.esbuild).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies?.esbuild).toBeUndefined();
  });

  test('node_modules/.bin/esbuild exists, runs, and is the version package.json pins; the build uses it', () => {
    const bin = join(projectRoot, 'node_modules', '.bin', 'esbuild');
    accessSync(bin, constants.X_OK);
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.dependencies.esbuild);
    expect(realpathSync(findEsbuild())).toBe(realpathSync(bin));
  });

  test('without node_modules and with nothing on PATH, the build stops with EsbuildNotFound', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-esbuild-'));
    expect(() => findEsbuild(empty, empty)).toThrow(EsbuildNotFound);
  });

  test('an entry point that does not exist stops the derivation, as in the builder', () => {
    const fn = { logicalId: 'Fn', buildProperties: { EntryPoints: ['functions/nope/index.ts'] }, handler: 'index.handler', environment: {} };
    expect(() => samEsbuildArgs(fn, { outdir: OUT, dependencies: [], exists: () => false })).toThrow('Fn: entry point functions/nope/index.ts does not exist');
  });
});

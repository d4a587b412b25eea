// What `sam build` passes to esbuild for a function built with `Metadata: BuildMethod: esbuild`,
// derived by the same rules as AWS SAM CLI and its builder (read from their code:
// aws/aws-sam-cli samcli/lib/build/{app_builder,bundler}.py, samcli/lib/samlib/resource_metadata_normalizer.py;
// aws/aws-lambda-builders aws_lambda_builders/workflows/nodejs_npm_esbuild/{esbuild,actions}.py):
//
//   1. Sourcemap from NODE_OPTIONS: a function whose NODE_OPTIONS holds --enable-source-maps and
//      whose BuildProperties have no Sourcemap gets `Sourcemap: true` (added last).
//   2. Keys go from PascalCase to snake_case (`OutExtension` → out_extension); no EntryPoints
//      (or an empty list) → [the Handler up to its first dot].
//   3. With `External: ["./node_modules/*"]`, every package.json dependency becomes
//      `--external:NAME` (first on the command line) and the External list itself is dropped.
//   4. Entry points, each checked to exist (one without an extension becomes .ts, else .js).
//   5. `--bundle --platform=node --outdir=ARTIFACTS`, then `--target=es2020`, `--format=cjs`,
//      `--minify` unless the property is given (Minify: false gives no flag and no default).
//   6. Each property in template order, snake_case → kebab-case: true → `--k`, false → nothing,
//      a string → `--k=v`, a list → `--k:item` per item. Bundle/Platform/Outdir are ignored by
//      SAM, EntryPoints and UseNpmCi are not esbuild's.
//
// SAM hands any other property to esbuild as well, and one esbuild does not know only fails there;
// here every property this project has not checked against esbuild's CLI is refused by name, so
// `sam build` and `npm run build` cannot drift apart silently.
import { extname } from 'node:path';

/** A BuildProperty this project does not derive (or one SAM would silently ignore). */
export class UnsupportedBuildProperty extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedBuildProperty';
  }
}

/** A known BuildProperty with a value esbuild (or SAM) would not take. */
export class InvalidBuildProperty extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidBuildProperty';
  }
}

type Kind = 'flag' | 'string' | 'list';

/**
 * The BuildProperties derived here, with the one value shape esbuild's CLI takes for each
 * (checked against esbuild 0.28: `--banner=js=x` is refused, `--banner:js=x` works, so Banner
 * and Footer are lists of `js=...`).
 */
export const buildPropertyKinds: Readonly<Record<string, Kind>> = {
  EntryPoints: 'list',
  UseNpmCi: 'flag', // `npm ci` instead of `npm install --omit=dev` in the scratch copy; not an esbuild flag
  Format: 'string', // cjs | esm | iife
  Target: 'string', // node24, es2020, ...
  Minify: 'flag',
  Sourcemap: 'flag',
  SourcesContent: 'string', // "false"
  KeepNames: 'flag',
  MainFields: 'string', // "module,main"
  External: 'list', // package names, or ["./node_modules/*"] for every dependency
  Loader: 'list', // ".txt=text"
  Banner: 'list', // "js=// banner"
  Footer: 'list', // "js=// footer"
  OutExtension: 'list', // ".js=.mjs"
  Define: 'list', // "process.env.STAGE=\"prod\""
};

/** Properties SAM CLI drops without a word because it sets them itself. */
const setBySam: Readonly<Record<string, string>> = { Bundle: '--bundle', Platform: '--platform=node', Outdir: '--outdir' };

/** SAM CLI's normalize_build_properties: a `_` before every capital but the first, then lower case. */
export function snakeCase(key: string): string {
  return key.replace(/(?<!^)(?=[A-Z])/g, '_').toLowerCase();
}

/** aws-lambda-builders' _convert_snake_to_kebab_case. */
export function kebabCase(snake: string): string {
  return snake.replaceAll('_', '-');
}

export interface SamEsbuildFunction {
  logicalId: string;
  /** Metadata.BuildProperties as written in the template (undefined when there are none). */
  buildProperties: unknown;
  /** The function's Handler, e.g. `index.handler`. */
  handler: string;
  /** Environment variables after Globals are merged (NODE_OPTIONS is read from here). */
  environment: Record<string, unknown>;
}

export interface SamEsbuildContext {
  /** The directory esbuild writes to (SAM: the function's artifacts directory). */
  outdir: string;
  /** Names in package.json "dependencies" (used only with External ["./node_modules/*"]). */
  dependencies: string[];
  /** Does this path, relative to CodeUri (esbuild's working directory), exist? */
  exists: (relativePath: string) => boolean;
}

/** Checks every property's name and value shape; returns them in template order. */
export function validateBuildProperties(fn: Pick<SamEsbuildFunction, 'logicalId' | 'buildProperties'>): [string, boolean | string | string[]][] {
  const raw = fn.buildProperties ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidBuildProperty(`${fn.logicalId}: Metadata.BuildProperties must be a map, not ${JSON.stringify(raw)}`);
  }
  const out: [string, boolean | string | string[]][] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key in setBySam) {
      throw new UnsupportedBuildProperty(`${fn.logicalId}: BuildProperties.${key} is set by SAM itself (${setBySam[key]}) and ignored by sam build; remove it`);
    }
    const kind = buildPropertyKinds[key];
    if (!kind) {
      throw new UnsupportedBuildProperty(`${fn.logicalId}: BuildProperties.${key} is not one scripts/build.ts derives the way sam build does `
        + `(known: ${Object.keys(buildPropertyKinds).join(', ')}); add it to local/sam-esbuild.ts with a test before using it`);
    }
    const ok = kind === 'flag' ? typeof value === 'boolean'
      : kind === 'string' ? typeof value === 'string'
        : Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (!ok) {
      const shape = kind === 'flag' ? 'true or false' : kind === 'string' ? 'a string' : 'a list of strings';
      throw new InvalidBuildProperty(`${fn.logicalId}: BuildProperties.${key} must be ${shape}, not ${JSON.stringify(value)}`);
    }
    out.push([key, value as boolean | string | string[]]);
  }
  return out;
}

/** samcli bundler.py _is_node_option_set: NODE_OPTIONS is a string holding --enable-source-maps. */
function nodeOptionsEnableSourceMaps(environment: Record<string, unknown>): boolean {
  const value = environment.NODE_OPTIONS;
  return typeof value === 'string' && value.split(/\s+/).includes('--enable-source-maps');
}

/**
 * The BuildProperties SAM builds with: the template's, plus `Sourcemap: true` at the end when
 * NODE_OPTIONS enables source maps and Sourcemap is not given (set_sourcemap_metadata_from_env).
 */
export function effectiveBuildProperties(fn: SamEsbuildFunction): [string, boolean | string | string[]][] {
  const props = validateBuildProperties(fn);
  if (!props.some(([key]) => key === 'Sourcemap') && nodeOptionsEnableSourceMaps(fn.environment)) props.push(['Sourcemap', true]);
  return props;
}

/**
 * The NODE_OPTIONS `sam build` writes into the built template for this function, or undefined
 * when it leaves it alone (bundler.py _set_sourcemap_env_from_metadata): with a truthy Sourcemap
 * in the template and --enable-source-maps not yet in the merged NODE_OPTIONS, it sets the
 * function's own NODE_OPTIONS (not the Globals one) to `<its own value or ""> --enable-source-maps`.
 */
export function builtNodeOptions(fn: SamEsbuildFunction, functionLevelNodeOptions: unknown): string | undefined {
  const sourcemap = validateBuildProperties(fn).find(([key]) => key === 'Sourcemap')?.[1];
  if (!sourcemap || nodeOptionsEnableSourceMaps(fn.environment)) return undefined;
  if (functionLevelNodeOptions !== undefined && typeof functionLevelNodeOptions !== 'string') return undefined; // SAM warns and leaves it
  return [functionLevelNodeOptions ?? '', '--enable-source-maps'].join(' ');
}

/** aws-lambda-builders _get_explicit_file_type: Python's Path.suffix, then .ts, then .js. */
function explicitEntryPoint(fn: SamEsbuildFunction, entry: string, exists: SamEsbuildContext['exists']): string {
  const ext = extname(entry);
  if (ext && ext !== '.') {
    if (exists(entry)) return entry;
    throw new InvalidBuildProperty(`${fn.logicalId}: entry point ${entry} does not exist`);
  }
  for (const candidate of [`${entry}.ts`, `${entry}.js`]) if (exists(candidate)) return candidate;
  throw new InvalidBuildProperty(`${fn.logicalId}: entry point ${entry} does not exist (nor ${entry}.ts, ${entry}.js)`);
}

/** The argument list `sam build` runs esbuild with (working directory: the copy of CodeUri). */
export function samEsbuildArgs(fn: SamEsbuildFunction, ctx: SamEsbuildContext): string[] {
  const config = new Map(effectiveBuildProperties(fn).map(([key, value]) => [snakeCase(key), value]));
  if (!config.get('entry_points') || (config.get('entry_points') as string[]).length === 0) {
    config.set('entry_points', [fn.handler.split('.')[0]]);
  }
  const args: string[] = [];

  // EsbuildBundleAction.execute: "./node_modules/*" marks every dependency external.
  const external = config.get('external') as string[] | undefined;
  if (external?.includes('./node_modules/*')) {
    args.push(...ctx.dependencies.map((dep) => `--external:${dep}`));
    config.delete('external');
  }

  // build_entry_points
  for (const entry of config.get('entry_points') as string[]) args.push(explicitEntryPoint(fn, entry, ctx.exists));

  // build_default_values
  args.push('--bundle', '--platform=node', `--outdir=${ctx.outdir}`);
  if (!config.has('target')) args.push('--target=es2020');
  if (!config.has('format')) args.push('--format=cjs');
  if (!config.has('minify')) args.push('--minify');

  // build_esbuild_args_from_config
  for (const [key, value] of config) {
    if (key === 'entry_points' || key === 'use_npm_ci') continue;
    const flag = `--${kebabCase(key)}`;
    if (typeof value === 'boolean') {
      if (value) args.push(flag);
    } else if (typeof value === 'string') {
      args.push(`${flag}=${value}`);
    } else {
      for (const item of value) args.push(`${flag}:${item}`);
    }
  }
  return args;
}

// Reads template.yaml the way SAM does, so local builds, the local Lambda front and the
// tests all use the wiring users deploy: logical IDs, handlers, esbuild settings, env.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { packageRoot } from '../cli/project.ts';
import { builtNodeOptions, validateBuildProperties } from './sam-esbuild.ts';

export const projectRoot = packageRoot;
export const templatePath = join(projectRoot, 'template.yaml');

const intrinsic = ['Ref', 'Condition'];
const fn = ['And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAtt', 'GetAZs', 'If',
  'ImportValue', 'Join', 'Not', 'Or', 'Select', 'Split', 'Sub', 'Transform', 'ToJsonString', 'Length',
  // Functions of a template's Rules section.
  'Contains', 'EachMemberEquals', 'EachMemberIn', 'RefAll', 'ValueOf', 'ValueOfAll'];

// CloudFormation short-form tags (!Ref, !Sub, ...) become their long form ({"Fn::Sub": ...}).
function cfnTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  for (const name of [...intrinsic, ...fn]) {
    const key = intrinsic.includes(name) ? name : `Fn::${name}`;
    const wrap = (value: unknown) => ({ [key]: name === 'GetAtt' && typeof value === 'string' ? value.split('.') : value });
    tags.push({ tag: `!${name}`, resolve: (v: string) => wrap(v) } as ScalarTag);
    tags.push({ tag: `!${name}`, collection: 'seq', resolve: (v: { toJSON(): unknown }) => wrap(v.toJSON()) } as unknown as CollectionTag);
    tags.push({ tag: `!${name}`, collection: 'map', resolve: (v: { toJSON(): unknown }) => wrap(v.toJSON()) } as unknown as CollectionTag);
  }
  return tags;
}

export interface Template {
  Parameters?: Record<string, { Default?: unknown }>;
  Rules?: Record<string, { RuleCondition?: unknown; Assertions: { Assert: unknown; AssertDescription?: string }[] }>;
  Globals?: { Function?: Record<string, unknown> };
  Resources: Record<string, { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, any> }>;
  Outputs?: Record<string, unknown>;
}

export function loadTemplate(path = templatePath): Template {
  return parse(readFileSync(path, 'utf8'), { customTags: cfnTags() }) as Template;
}

/**
 * Metadata.BuildProperties of a function built with esbuild: the properties local/sam-esbuild.ts
 * turns into esbuild's arguments exactly as `sam build` does (any other is refused there).
 */
export interface EsbuildProperties {
  /** Relative to CodeUri; SAM's default is the Handler up to its first dot. */
  EntryPoints?: string[];
  /** `npm ci` instead of `npm install --omit=dev` in SAM's scratch copy (not an esbuild flag). */
  UseNpmCi?: boolean;
  /** SAM's default: cjs. */
  Format?: 'cjs' | 'esm' | 'iife';
  /** SAM's default: es2020. */
  Target?: string;
  /** SAM's default: true. */
  Minify?: boolean;
  /** true also makes SAM add --enable-source-maps to the function's NODE_OPTIONS (and vice versa). */
  Sourcemap?: boolean;
  SourcesContent?: string;
  KeepNames?: boolean;
  /** e.g. "module,main". */
  MainFields?: string;
  /** Package names, or ["./node_modules/*"]: every package.json dependency external. */
  External?: string[];
  /** e.g. [".txt=text"]. */
  Loader?: string[];
  /** e.g. ["js=// banner"] (esbuild's CLI takes no string form). */
  Banner?: string[];
  Footer?: string[];
  /** e.g. [".js=.mjs"]. */
  OutExtension?: string[];
  /** e.g. ["process.env.STAGE=\"prod\""]. */
  Define?: string[];
}

export interface FunctionDefinition {
  logicalId: string;
  /** Absolute path of the function's CodeUri (the directory esbuild works from). */
  codeUri: string;
  /** The Handler as written, e.g. `index.handler`. */
  handlerProperty: string;
  /** `index.handler` → module `index`, export `handler`. */
  handlerModule: string;
  handlerExport: string;
  build: EsbuildProperties;
  /**
   * Environment variables from Globals and the function, as `sam build` leaves them (it adds
   * --enable-source-maps to NODE_OPTIONS when Sourcemap is on); intrinsic values are left as objects.
   */
  environment: Record<string, unknown>;
  timeoutSeconds: number;
}

/** Every AWS::Serverless::Function in the template that SAM builds with esbuild. */
export function listFunctions(template: Template = loadTemplate(), root = dirname(templatePath)): FunctionDefinition[] {
  const globals = template.Globals?.Function ?? {};
  const out: FunctionDefinition[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const props = { ...globals, ...resource.Properties } as Record<string, any>;
    if (resource.Metadata?.BuildMethod !== 'esbuild') {
      throw new Error(`${logicalId}: Metadata.BuildMethod must be esbuild`);
    }
    const handler = String(props.Handler ?? '');
    const dot = handler.lastIndexOf('.');
    if (dot <= 0) throw new Error(`${logicalId}: Handler "${handler}" is not module.export`);
    const build = (resource.Metadata.BuildProperties ?? {}) as EsbuildProperties;
    const environment: Record<string, unknown> = {
      ...(globals.Environment as any)?.Variables,
      ...(resource.Properties?.Environment as any)?.Variables,
    };
    const sam = { logicalId, buildProperties: build, handler, environment };
    validateBuildProperties(sam); // an unknown or malformed BuildProperty is refused here, by name
    const nodeOptions = builtNodeOptions(sam, (resource.Properties?.Environment as any)?.Variables?.NODE_OPTIONS);
    if (nodeOptions !== undefined) environment.NODE_OPTIONS = nodeOptions;
    out.push({
      logicalId,
      codeUri: resolve(root, String(props.CodeUri ?? '.')),
      handlerProperty: handler,
      handlerModule: handler.slice(0, dot),
      handlerExport: handler.slice(dot + 1),
      build,
      environment,
      timeoutSeconds: Number(props.Timeout ?? 3),
    });
  }
  return out;
}

/**
 * What a template value becomes on the local AWS, where each resource is named by its logical
 * ID: `Ref Param` → the parameter's Default; `Ref`/`GetAtt .Arn` of a function or topic → its
 * local name or ARN. Anything else a stack would compute → undefined.
 */
export function localValue(value: unknown, template: Template, at: { region: string; accountId: string }): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return String(value);
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  const arnOf = (id: string): string | undefined => {
    const type = template.Resources[id]?.Type;
    if (type === 'AWS::Serverless::Function') return `arn:aws:lambda:${at.region}:${at.accountId}:function:${id}`;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${at.region}:${at.accountId}:${id}`;
    if (type === 'AWS::Serverless::StateMachine') return `arn:aws:states:${at.region}:${at.accountId}:stateMachine:${id}`;
    if (type === 'AWS::DynamoDB::Table') return `arn:aws:dynamodb:${at.region}:${at.accountId}:table/${id}`;
    return undefined;
  };
  if (typeof v.Ref === 'string' && Object.keys(v).length === 1) {
    if (v.Ref === 'AWS::Partition') return 'aws';
    if (v.Ref === 'AWS::Region') return at.region;
    if (v.Ref === 'AWS::AccountId') return at.accountId;
    if (template.Parameters?.[v.Ref]) {
      const fallback = template.Parameters[v.Ref].Default;
      return fallback === undefined ? undefined : String(fallback);
    }
    const type = template.Resources[v.Ref]?.Type;
    return type === 'AWS::Serverless::Function' || type === 'AWS::DynamoDB::Table' ? v.Ref : arnOf(v.Ref);
  }
  const sub = (v as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  if (typeof sub === 'string' && Object.keys(v).length === 1) {
    // Only pseudo parameters and other values this function can resolve; anything else is left unresolved.
    let unresolved = false;
    const out = sub.replace(/\$\{([A-Za-z0-9:.]+)\}/g, (_m, name: string) => {
      const [id, att] = name.split('.');
      const r = localValue(att ? { 'Fn::GetAtt': [id, att] } : { Ref: id }, template, at);
      if (r === undefined) unresolved = true;
      return r ?? '';
    });
    return unresolved ? undefined : out;
  }
  const att = v['Fn::GetAtt'];
  if (Array.isArray(att) && att.length === 2 && Object.keys(v).length === 1) {
    const [id, name] = att as [string, string];
    if (name === 'Arn') return arnOf(id);
    if (name === 'TopicName' && template.Resources[id]?.Type === 'AWS::SNS::Topic') return id;
  }
  return undefined;
}

/**
 * The example hooks (examples/hooks/, issue 13): not part of the stack a user deploys, but functions
 * the local AWS runs under these names, so tests, the sandbox and the demo can name them in
 * healthChecks.hooks (local/front.ts serves them, scripts/build.ts builds them like the functions).
 * Their environment is what a user would set: the share the share-limit hook allows, and how long
 * the slow one sleeps (longer than any hook's timeoutSeconds may be).
 */
export function listExampleHooks(root = projectRoot): FunctionDefinition[] {
  const hook = (name: string, file: string, environment: Record<string, string> = {}): FunctionDefinition => ({
    logicalId: name,
    codeUri: root,
    handlerProperty: `${file.replace(/\.ts$/, '')}.handler`,
    handlerModule: file.replace(/\.ts$/, ''),
    handlerExport: 'handler',
    build: { EntryPoints: [`examples/hooks/${file}`], Format: 'cjs', Target: 'node24', Minify: true, Sourcemap: false },
    environment,
    timeoutSeconds: 30,
  });
  return [
    hook('mesh-canary-smoke-test', 'smoke-test.ts'),
    hook('mesh-canary-share-limit', 'share-limit.ts', { MAX_CANARY_PERCENT: '50' }),
    hook('mesh-canary-slow-check', 'slow-check.ts', { SLEEP_SECONDS: '5' }),
  ];
}

// CloudFormation's intrinsic functions, resolved the way a stack would resolve them, for the
// checks that evaluate template.yaml's policies (test/contract/, test/unit/template.test.ts).
// Input is the long form ({"Fn::Sub": ...}, as local/template.ts and cfn-lint parse it).
// Every resource is given a physical name (see localNaming); anything this module cannot
// resolve is an error naming where it was, never a silent guess.

export interface Pseudo {
  AccountId: string;
  Region: string;
  Partition: string;
  StackName: string;
  URLSuffix: string;
}

export interface ResolveContext {
  parameters: Record<string, string | string[]>;
  pseudo: Pseudo;
  conditions: Record<string, boolean>;
  /** Ref of a resource (its physical name, ARN or URL, by type). */
  ref(logicalId: string): string | undefined;
  /** Fn::GetAtt of a resource. */
  getAtt(logicalId: string, attribute: string): string | undefined;
}

export class UnresolvableIntrinsic extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnresolvableIntrinsic';
  }
}

export const defaultPseudo: Pseudo = {
  AccountId: '123456789012', Region: 'us-east-1', Partition: 'aws', StackName: 'mesh-canary', URLSuffix: 'amazonaws.com',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The one intrinsic a value is, if it is one ({"Ref": ...} or {"Fn::X": ...} alone). */
function intrinsicOf(v: Record<string, unknown>): string | undefined {
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition') ? keys[0] : undefined;
}

function str(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UnresolvableIntrinsic(`${at}: expected a string, got ${JSON.stringify(value)}`);
}

function list(value: unknown, at: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new UnresolvableIntrinsic(`${at}: expected a list, got ${JSON.stringify(value)}`);
}

/** Ref AWS::NoValue: the list element or property that holds it is removed, as CloudFormation does. */
const NO_VALUE = Symbol('AWS::NoValue');

function refOf(name: string, ctx: ResolveContext, at: string): string | string[] {
  if (name === 'AWS::NoValue') return NO_VALUE as unknown as string;
  if (name.startsWith('AWS::')) {
    const pseudo = (ctx.pseudo as unknown as Record<string, string>)[name.slice(5)];
    if (pseudo === undefined) throw new UnresolvableIntrinsic(`${at}: unknown pseudo parameter ${name}`);
    return pseudo;
  }
  if (name in ctx.parameters) return ctx.parameters[name];
  const r = ctx.ref(name);
  if (r === undefined) throw new UnresolvableIntrinsic(`${at}: cannot resolve Ref ${name} (no such parameter, or a resource type the resolver does not name)`);
  return r;
}

function getAttOf(raw: unknown, ctx: ResolveContext, at: string): string {
  const [id, ...rest] = typeof raw === 'string' ? raw.split('.') : list(raw, at).map((x) => str(x, at));
  const r = ctx.getAtt(id, rest.join('.'));
  if (r === undefined) throw new UnresolvableIntrinsic(`${at}: cannot resolve Fn::GetAtt ${id}.${rest.join('.')}`);
  return r;
}

function sub(raw: unknown, ctx: ResolveContext, at: string): string {
  const [text, vars] = typeof raw === 'string' ? [raw, {}] : list(raw, at) as [string, Record<string, unknown>];
  const locals = Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, resolveValue(v, ctx, `${at}.${k}`)]));
  return str(text, at).replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
    if (name in locals) return str(locals[name], `${at}: \${${name}}`);
    if (name.includes('.') && !name.startsWith('AWS::')) return getAttOf(name, ctx, at);
    const value = refOf(name, ctx, at);
    return Array.isArray(value) ? value.join(',') : value;
  });
}

function condition(name: string, ctx: ResolveContext, at: string): boolean {
  if (!(name in ctx.conditions)) throw new UnresolvableIntrinsic(`${at}: unknown condition ${name}`);
  return ctx.conditions[name];
}

/** Evaluates a template's Conditions section in order of need. */
export function evaluateConditions(conditions: Record<string, unknown> | undefined, base: Omit<ResolveContext, 'conditions'>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  const pending = new Set(Object.keys(conditions ?? {}));
  const ctx: ResolveContext = {
    ...base,
    conditions: new Proxy(out, {
      has: (_t, key: string) => key in out || pending.has(key),
      get: (_t, key: string) => (key in out ? out[key] : (out[key] = Boolean(resolveValue(conditions![key], ctx, `Conditions.${key}`)))),
    }),
  };
  for (const key of pending) out[key] ??= Boolean(resolveValue(conditions![key], ctx, `Conditions.${key}`));
  return out;
}

/** The value with every intrinsic function in it resolved. */
export function resolveValue(value: unknown, ctx: ResolveContext, at = '$'): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveValue(v, ctx, `${at}[${i}]`)).filter((v) => v !== NO_VALUE);
  if (!isObject(value)) return value;
  const fn = intrinsicOf(value);
  if (!fn) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, ctx, `${at}.${k}`)]).filter(([, v]) => v !== NO_VALUE));
  }
  const arg = value[fn];
  const here = `${at}.${fn}`;
  switch (fn) {
    case 'Ref': return refOf(str(arg, here), ctx, here);
    case 'Condition': return condition(str(arg, here), ctx, here);
    case 'Fn::GetAtt': return getAttOf(arg, ctx, here);
    case 'Fn::Sub': return sub(arg, ctx, here);
    case 'Fn::Join': {
      const [sep, items] = list(arg, here);
      const resolved = resolveValue(items, ctx, here);
      return list(resolved, here).map((x) => str(x, here)).join(str(sep, here));
    }
    case 'Fn::Split': {
      const [sep, source] = list(arg, here);
      return str(resolveValue(source, ctx, here), here).split(str(sep, here));
    }
    case 'Fn::Select': {
      const [index, items] = list(arg, here);
      const resolved = list(resolveValue(items, ctx, here), here);
      const i = Number(resolveValue(index, ctx, here));
      if (!(i >= 0 && i < resolved.length)) throw new UnresolvableIntrinsic(`${here}: index ${i} out of range`);
      return resolved[i];
    }
    case 'Fn::If': {
      const [name, yes, no] = list(arg, here);
      return resolveValue(condition(str(name, here), ctx, here) ? yes : no, ctx, here);
    }
    case 'Fn::Equals': {
      const [a, b] = list(arg, here).map((x) => resolveValue(x, ctx, here));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not': return !resolveValue(list(arg, here)[0], ctx, here);
    case 'Fn::And': return list(arg, here).every((x) => resolveValue(x, ctx, here));
    case 'Fn::Or': return list(arg, here).some((x) => resolveValue(x, ctx, here));
    default: throw new UnresolvableIntrinsic(`${here}: ${fn} is not supported by this resolver`);
  }
}

// ------------------------------------------------------------------------------- naming

interface Resource { Type: string; Properties?: Record<string, unknown> }

/** A KMS key ID (UUID-shaped) that is the same for the same logical ID on every run. */
export function keyIdFor(logicalId: string): string {
  let h = 0x811c9dc5;
  const hex: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${logicalId}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    hex.push(h.toString(16).padStart(8, '0'));
  }
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** Properties that give a resource type its explicit physical name. */
const nameProperty: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName', 'AWS::IAM::Role': 'RoleName', 'AWS::SNS::Topic': 'TopicName',
  'AWS::DynamoDB::Table': 'TableName', 'AWS::StepFunctions::StateMachine': 'StateMachineName', 'AWS::SQS::Queue': 'QueueName',
  'AWS::Events::Rule': 'Name', 'AWS::Logs::LogGroup': 'LogGroupName', 'AWS::CloudWatch::Alarm': 'AlarmName',
};

/**
 * Ref and GetAtt for the resources of a (SAM-transformed) template, each resource named by its
 * explicit name property if it has one, else by its logical ID: the naming of the local AWS
 * (local/stack.ts creates the lock table, the topic and the state machines under their logical
 * IDs, and local/front.ts runs each function under its logical ID). CloudFormation would name
 * them <stack>-<LogicalId>-<suffix>; no policy in the template names a resource other than
 * through Ref/GetAtt, so a policy allows a request under one naming exactly when it does
 * under the other.
 */
export function localNaming(resources: Record<string, Resource>, base: Omit<ResolveContext, 'ref' | 'getAtt'>): Pick<ResolveContext, 'ref' | 'getAtt'> {
  const { Partition: p, Region: r, AccountId: a } = base.pseudo;
  const names = new Map<string, string>();
  const self: Pick<ResolveContext, 'ref' | 'getAtt'> = { ref: () => undefined, getAtt: () => undefined };
  const ctx = (): ResolveContext => ({ ...base, ...self });
  const nameOf = (id: string): string => {
    if (!names.has(id)) {
      const res = resources[id];
      const prop = nameProperty[res.Type];
      const explicit = prop ? res.Properties?.[prop] : undefined;
      names.set(id, explicit === undefined ? id : str(resolveValue(explicit, ctx(), `${id}.${prop}`), id));
    }
    return names.get(id)!;
  };
  const attrs = (id: string): Record<string, string> | undefined => {
    const res = resources[id];
    if (!res) return undefined;
    const n = nameOf(id);
    switch (res.Type) {
      case 'AWS::Lambda::Function': return { Ref: n, Arn: `arn:${p}:lambda:${r}:${a}:function:${n}` };
      case 'AWS::IAM::Role': return { Ref: n, Arn: `arn:${p}:iam::${a}:role/${n}` };
      case 'AWS::SNS::Topic': return { Ref: `arn:${p}:sns:${r}:${a}:${n}`, TopicArn: `arn:${p}:sns:${r}:${a}:${n}`, TopicName: n };
      case 'AWS::DynamoDB::Table': return { Ref: n, Arn: `arn:${p}:dynamodb:${r}:${a}:table/${n}` };
      case 'AWS::StepFunctions::StateMachine': return { Ref: `arn:${p}:states:${r}:${a}:stateMachine:${n}`, Arn: `arn:${p}:states:${r}:${a}:stateMachine:${n}`, Name: n };
      case 'AWS::SQS::Queue': return { Ref: `https://sqs.${r}.amazonaws.com/${a}/${n}`, QueueUrl: `https://sqs.${r}.amazonaws.com/${a}/${n}`, Arn: `arn:${p}:sqs:${r}:${a}:${n}`, QueueName: n };
      case 'AWS::Events::Rule': return { Ref: n, Arn: `arn:${p}:events:${r}:${a}:rule/${n}` };
      case 'AWS::Logs::LogGroup': return { Ref: n, Arn: `arn:${p}:logs:${r}:${a}:log-group:${n}:*` };
      case 'AWS::CloudWatch::Alarm': return { Ref: n, Arn: `arn:${p}:cloudwatch:${r}:${a}:alarm:${n}` };
      case 'AWS::KMS::Key': {
        const keyId = keyIdFor(id);
        return { Ref: keyId, KeyId: keyId, Arn: `arn:${p}:kms:${r}:${a}:key/${keyId}` };
      }
      default: return undefined;
    }
  };
  self.ref = (id) => attrs(id)?.Ref;
  self.getAtt = (id, attribute) => attrs(id)?.[attribute];
  return self;
}

/** A ResolveContext for a template's resources under localNaming. */
export function contextFor(template: { Resources: Record<string, Resource>; Conditions?: Record<string, unknown>; Parameters?: Record<string, any> },
  parameters: Record<string, string | string[]>, pseudo: Pseudo = defaultPseudo): ResolveContext {
  // Given values, else the parameter's Default (a CommaDelimitedList's split), as CloudFormation does.
  const values: Record<string, string | string[]> = {};
  for (const [name, p] of Object.entries(template.Parameters ?? {})) {
    if (p.Default === undefined) continue;
    values[name] = p.Type === 'CommaDelimitedList' ? String(p.Default).split(',') : String(p.Default);
  }
  const base = { parameters: { ...values, ...parameters }, pseudo, conditions: {} as Record<string, boolean> };
  const naming = localNaming(template.Resources, base);
  const ctx: ResolveContext = { ...base, ...naming };
  ctx.conditions = evaluateConditions(template.Conditions, { ...base, ...naming });
  return ctx;
}

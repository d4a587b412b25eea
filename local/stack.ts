// Deploys the template's state machines (and the topics they notify), tables, queues and the
// functions' EventBridge rules onto the local AWS, with the substitutions the stack would make:
// the wiring users deploy is the wiring tested.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand, ListStateMachinesCommand, SFNClient, UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand, type Target } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadTemplate, localValue, projectRoot, type Template } from './template.ts';
import { readSamConfig } from './samconfig.ts';
import type { LocalAws } from './aws.ts';

export type MachineType = 'linear' | 'step-then-all' | 'manual-approval';

export interface LocalStack {
  /** The CloudFormation stack on the local AWS that carries the outputs (samconfig.toml's stack_name). */
  stackName: string;
  /** State machine ARN by strategy type. */
  machines: Record<MachineType, string>;
  /** The stack's outputs as CloudFormation would give them (LinearStateMachineArn, ...). */
  outputs: Record<string, string>;
  /** The EventBridge rules created for the functions' events, by name (`<FunctionLogicalId><EventId>`, as SAM names them). */
  rules: Record<string, { pattern: unknown; target: string }>;
  /** Queues created (the template's and those SAM adds: OnFailure destinations, rule dead-letter queues), name → URL. */
  queues: Record<string, string>;
}

const ROLE = 'arn:aws:iam::123456789012:role/mesh-canary-local';

/** `${Name}` placeholders replaced; any left over is an error, as a real deploy would fail. */
export function substitute(definition: string, values: Record<string, string>, file: string): string {
  const out = definition.replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, name: string) => values[name] ?? whole);
  const left = out.match(/\$\{[A-Za-z0-9]+\}/g);
  if (left) throw new Error(`${file}: no DefinitionSubstitutions value for ${[...new Set(left)].join(', ')}`);
  return out;
}

/**
 * Deploys the machines, then publishes the stack's outputs as a CloudFormation stack on the
 * local AWS (named as samconfig.toml names the real one), so tools find them as they would in AWS.
 */
export async function deployStack(aws: LocalAws, stackName = readSamConfig().stackName ?? 'mesh-canary', template: Template = loadTemplate()): Promise<LocalStack> {
  const at = { region: aws.region, accountId: aws.accountId };
  const clientConfig = {
    endpoint: aws.endpoint, region: aws.region,
    credentials: { accessKeyId: aws.env.AWS_ACCESS_KEY_ID, secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY, sessionToken: aws.env.AWS_SESSION_TOKEN },
  };
  const sns = new SNSClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const queues: Record<string, string> = {};
  const createQueue = async (name: string) => {
    queues[name] = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!; // idempotent
  };

  const dynamoDb = new DynamoDBClient(clientConfig);
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::SNS::Topic') await sns.send(new CreateTopicCommand({ Name: id }));
    if (r.Type === 'AWS::SQS::Queue') await createQueue(id);
    if (r.Type === 'AWS::Serverless::Function') {
      // SAM adds the queue (topic) of an OnFailure destination given only a Type.
      const onFailure = { ...template.Globals?.Function, ...r.Properties }.EventInvokeConfig?.DestinationConfig?.OnFailure;
      if (onFailure && onFailure.Destination === undefined) {
        if (onFailure.Type === 'SQS') await createQueue(`${id}EventInvokeConfigOnFailureQueue`);
        if (onFailure.Type === 'SNS') await sns.send(new CreateTopicCommand({ Name: `${id}EventInvokeConfigOnFailureTopic` }));
      }
    }
    if (r.Type === 'AWS::DynamoDB::Table') {
      const p = r.Properties!;
      const created = await dynamoDb.send(new CreateTableCommand({
        TableName: id, BillingMode: p.BillingMode, KeySchema: p.KeySchema, AttributeDefinitions: p.AttributeDefinitions,
      })).then(() => true, (err) => {
        if (err.name === 'ResourceInUseException') return false;
        throw err;
      });
      if (created && p.TimeToLiveSpecification) {
        await dynamoDb.send(new UpdateTimeToLiveCommand({ TableName: id, TimeToLiveSpecification: p.TimeToLiveSpecification }));
      }
    }
  }

  const existing = new Map<string, string>();
  const listed = await sfn.send(new ListStateMachinesCommand({}));
  for (const m of listed.stateMachines ?? []) existing.set(m.name!, m.stateMachineArn!);

  const machines = {} as Record<MachineType, string>;
  const machineArns: Record<string, string> = {};
  const outputs: Record<string, string> = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Serverless::StateMachine') continue;
    const file = String(r.Properties!.DefinitionUri);
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries<unknown>(r.Properties!.DefinitionSubstitutions ?? {})) {
      const resolved = localValue(value, template, at);
      if (resolved === undefined) throw new Error(`${id}: cannot resolve DefinitionSubstitutions.${key} locally`);
      values[key] = resolved;
    }
    const definition = substitute(readFileSync(join(projectRoot, file), 'utf8'), values, file);
    let arn = existing.get(id);
    if (arn) {
      await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition, roleArn: ROLE }));
    } else {
      arn = (await sfn.send(new CreateStateMachineCommand({ name: id, definition, roleArn: ROLE, type: 'STANDARD' }))).stateMachineArn!;
    }
    machines[basename(file, '.asl.json') as MachineType] = arn;
    machineArns[id] = arn;
  }
  const rules = await deployRules(new EventBridgeClient(clientConfig), template, at, machineArns, createQueue);
  for (const [key, output] of Object.entries<any>(template.Outputs ?? {})) {
    const resolved = localValue(output.Value, template, at);
    if (resolved !== undefined) outputs[key] = resolved.includes(':stateMachine:') ? machineArnFor(resolved, machines) : resolved;
  }
  await publishOutputs(new CloudFormationClient(clientConfig), stackName, outputs);
  return { stackName, machines, outputs, rules, queues };
}

const RULE_EVENT_TYPES = ['EventBridgeRule', 'CloudWatchEvent'];

/**
 * One rule on the default bus per function event of Type EventBridgeRule (or CloudWatchEvent, the
 * same thing), as the SAM transform makes it: named `<FunctionLogicalId><EventId>`, its Pattern with
 * every intrinsic resolved, one target (the function, Id `<RuleName>LambdaTarget`), a dead-letter
 * queue `<RuleName>Queue` when DeadLetterConfig has only a Type. PutRule and PutTargets replace, so
 * deploying again changes nothing. A value this cannot resolve, or a property it cannot honour
 * locally, is an error: a rule that silently matched nothing would hide the bug the tests look for.
 */
async function deployRules(events: EventBridgeClient, template: Template, at: { region: string; accountId: string },
  machineArns: Record<string, string>, createQueue: (name: string) => Promise<void>): Promise<LocalStack['rules']> {
  const rules: LocalStack['rules'] = {};
  for (const [fnId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Serverless::Function') continue;
    for (const [eventId, ev] of Object.entries<any>(r.Properties?.Events ?? {})) {
      if (!RULE_EVENT_TYPES.includes(ev.Type)) continue;
      const where = `${fnId}.Events.${eventId}`;
      const p = ev.Properties ?? {};
      for (const unsupported of ['InputPath', 'EventBusName', 'RuleName']) {
        if (p[unsupported] !== undefined) throw new Error(`${where}: ${unsupported} is not supported on the local AWS (local/stack.ts)`);
      }
      if (p.Pattern === undefined) throw new Error(`${where}: no Pattern`);
      const name = `${fnId}${eventId}`;
      const resolve = (value: unknown, path: string) => resolveIntrinsics(value, `${where}.Properties.${path}`, template, at, machineArns);
      const pattern = resolve(p.Pattern, 'Pattern');
      const state = p.State !== undefined ? String(resolve(p.State, 'State')) : p.Enabled === false ? 'DISABLED' : 'ENABLED';
      await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern), State: state as 'ENABLED' | 'DISABLED' }));
      const functionArn = `arn:aws:lambda:${at.region}:${at.accountId}:function:${fnId}`;
      const target: Target = { Id: p.Target?.Id ?? `${name}LambdaTarget`, Arn: functionArn };
      if (p.Input !== undefined) target.Input = String(resolve(p.Input, 'Input'));
      if (p.InputTransformer !== undefined) target.InputTransformer = resolve(p.InputTransformer, 'InputTransformer') as Target['InputTransformer'];
      if (p.RetryPolicy !== undefined) target.RetryPolicy = resolve(p.RetryPolicy, 'RetryPolicy') as Target['RetryPolicy'];
      if (p.DeadLetterConfig !== undefined) {
        const dlq = p.DeadLetterConfig;
        if (dlq.Arn !== undefined) {
          target.DeadLetterConfig = { Arn: String(resolve(dlq.Arn, 'DeadLetterConfig.Arn')) };
        } else if (dlq.Type === 'SQS') {
          const queue = dlq.QueueLogicalId ?? `${name}Queue`;
          await createQueue(queue);
          target.DeadLetterConfig = { Arn: `arn:aws:sqs:${at.region}:${at.accountId}:${queue}` };
        } else {
          throw new Error(`${where}: DeadLetterConfig ${JSON.stringify(dlq)} is neither an Arn nor Type: SQS`);
        }
      }
      await events.send(new PutTargetsCommand({ Rule: name, Targets: [target] }));
      rules[name] = { pattern, target: functionArn };
    }
  }
  return rules;
}

/**
 * A template value with its intrinsics (`{Ref: ...}`, `{"Fn::...": ...}`) resolved as the local
 * stack has them: a state machine by the ARN it was deployed with, anything else as localValue does.
 * Throws, naming where, on what it cannot resolve.
 */
export function resolveIntrinsics(value: unknown, where: string, template: Template, at: { region: string; accountId: string },
  machineArns: Record<string, string> = {}): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveIntrinsics(v, `${where}[${i}]`, template, at, machineArns));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
    const machine = typeof v.Ref === 'string' ? machineArns[v.Ref]
      : Array.isArray(v['Fn::GetAtt']) && v['Fn::GetAtt'][1] === 'Arn' ? machineArns[v['Fn::GetAtt'][0] as string] : undefined;
    const resolved = machine ?? localValue(value, template, at);
    if (resolved === undefined) throw new Error(`${where}: cannot resolve ${JSON.stringify(value)} on the local AWS`);
    return resolved;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(v, `${where}.${k}`, template, at, machineArns)]));
}

async function publishOutputs(cfn: CloudFormationClient, stackName: string, outputs: Record<string, string>): Promise<void> {
  const exists = await cfn.send(new DescribeStacksCommand({ StackName: stackName })).then(() => true, () => false);
  if (exists) await cfn.send(new DeleteStackCommand({ StackName: stackName }));
  await cfn.send(new CreateStackCommand({
    StackName: stackName,
    TemplateBody: JSON.stringify({
      Description: 'mesh-canary on the local AWS: the outputs of template.yaml (the resources live outside CloudFormation here)',
      Resources: { Outputs: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
    }),
  }));
}

/** Output values name machines by logical ID; moto's ARNs are what CreateStateMachine returned. */
function machineArnFor(arn: string, machines: Record<MachineType, string>): string {
  const id = arn.slice(arn.lastIndexOf(':') + 1);
  return Object.values(machines).find((m) => m.endsWith(`:${id}`)) ?? arn;
}

// Deploys the template's state machines (and the topics they notify) onto the local AWS, with
// the substitutions the stack would make: the wiring users deploy is the wiring tested.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand, ListStateMachinesCommand, SFNClient, UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { loadTemplate, localValue, projectRoot } from './template.ts';
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
export async function deployStack(aws: LocalAws, stackName = readSamConfig().stackName ?? 'mesh-canary'): Promise<LocalStack> {
  const template = loadTemplate();
  const at = { region: aws.region, accountId: aws.accountId };
  const clientConfig = {
    endpoint: aws.endpoint, region: aws.region,
    credentials: { accessKeyId: aws.env.AWS_ACCESS_KEY_ID, secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY, sessionToken: aws.env.AWS_SESSION_TOKEN },
  };
  const sns = new SNSClient(clientConfig);
  const sfn = new SFNClient(clientConfig);

  const dynamoDb = new DynamoDBClient(clientConfig);
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::SNS::Topic') await sns.send(new CreateTopicCommand({ Name: id }));
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
  }
  for (const [key, output] of Object.entries<any>(template.Outputs ?? {})) {
    const resolved = localValue(output.Value, template, at);
    if (resolved !== undefined) outputs[key] = resolved.includes(':stateMachine:') ? machineArnFor(resolved, machines) : resolved;
  }
  await publishOutputs(new CloudFormationClient(clientConfig), stackName, outputs);
  return { stackName, machines, outputs };
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

// template.yaml is what users deploy: it must lint clean, and its wiring and policies must
// match what the functions do.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { root } from '../support/fixtures.ts';
import { contextFor, resolveValue } from '../support/cfn-intrinsics.ts';
import { loadTemplate } from '../../local/template.ts';

// A tag-tolerant parse: each !Tag value becomes {"!Tag": value}, enough to inspect the structure.
const tags = ['Ref', 'Sub', 'GetAtt', 'Join', 'Split', 'If', 'Equals', 'Select', 'Not', 'And', 'Or', 'FindInMap', 'Condition'].flatMap((n) =>
  (['scalar', 'seq', 'map'] as const).map((kind) => ({
    tag: `!${n}`, ...(kind === 'scalar' ? {} : { collection: kind }),
    resolve: (v: any) => ({ [`!${n}`]: kind === 'scalar' ? v : v.toJSON() }),
  })));
const template = parse(readFileSync(join(root, 'template.yaml'), 'utf8'), { customTags: tags as any });
const functions = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');

test('cfn-lint reports nothing (errors, warnings or informational)', () => {
  let out = '';
  try {
    out = execFileSync('cfn-lint', ['--format', 'parseable', join(root, 'template.yaml')], { encoding: 'utf8' });
  } catch (err: any) {
    if (err.code === 'ENOENT') throw new Error('cfn-lint is not installed: python3 -m pip install "cfn-lint==1.51.*"');
    out = `${err.stdout}${err.stderr}`;
  }
  expect(out.trim()).toBe('');
});

test('the seven functions exist, each built with esbuild from its own entry point on nodejs24.x', () => {
  expect(functions.map(([id]) => id).sort()).toEqual(['CheckHealthFunction', 'GuardFunction', 'PrepareFunction', 'PromoteFunction', 'RequestApprovalFunction', 'RollbackFunction', 'SetWeightFunction']);
  expect(template.Globals.Function.Runtime).toBe('nodejs24.x');
  for (const [id, fn] of functions) {
    expect(fn.Metadata.BuildMethod).toBe('esbuild');
    const entry = fn.Metadata.BuildProperties.EntryPoints;
    expect(entry).toHaveLength(1);
    expect(readFileSync(join(root, entry[0]), 'utf8')).toContain('export const handler');
    expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ '!Ref': id.replace(/Function$/, 'LogGroup') });
  }
});

test('every log group has a retention', () => {
  const groups = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
  expect(groups).toHaveLength(functions.length + 1); // one per function, one for the state machines
  for (const g of groups) expect(g.Properties.RetentionInDays).toBeDefined();
});

describe('least privilege', () => {
  const statements = (fn: any) => fn.Properties.Policies.flatMap((p: any) => p.Statement ?? []);
  const expected: Record<string, string[]> = {
    PrepareFunction: ['appmesh:DescribeRoute', 'appmesh:DescribeVirtualNode', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
    SetWeightFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:GetItem'],
    PromoteFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
    RollbackFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
    GuardFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'states:GetExecutionHistory'],
    CheckHealthFunction: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'],
    RequestApprovalFunction: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  };

  test.each(functions)('%s: only the actions it uses', (id, fn) => {
    // Inline statements, or SAM policy templates scoped to one resource; never a managed policy.
    for (const p of fn.Properties.Policies) {
      expect(typeof p).toBe('object');
      if (!p.Statement) expect(p).toEqual({ SNSPublishMessagePolicy: { TopicName: { '!GetAtt': 'ApprovalTopic.TopicName' } } });
    }
    const s = statements(fn);
    expect(s.flatMap((x: any) => x.Action).sort()).toEqual(expected[id]);
    for (const st of s) {
      expect(st.Effect).toBe('Allow');
      if (st.Action.some((a: string) => a.startsWith('appmesh:'))) expect(JSON.stringify(st.Resource)).toContain('"!Ref":"MeshArns"');
      if (st.Action.some((a: string) => a.startsWith('dynamodb:'))) expect(st.Resource).toEqual({ '!GetAtt': 'LockTable.Arn' });
      if (st.Action.some((a: string) => a.startsWith('states:'))) {
        for (const r of st.Resource) expect(r['!Sub']).toMatch(/:execution:\$\{[A-Za-z]+StateMachine\.Name\}:\*$/);
      }
      if (st.Action.some((a: string) => a.startsWith('kms:'))) {
        expect(st.Resource).toEqual({ '!GetAtt': 'ApprovalTopicKey.Arn' });
        expect(st.Condition).toEqual({ StringEquals: { 'kms:ViaService': { '!Sub': 'sns.${AWS::Region}.amazonaws.com' } } });
      }
      // "*" only where AWS authorizes nothing narrower that works: GetMetricData names no
      // resource; DescribeAlarms returns composite alarms only to a permission on "*".
      if (st.Resource === '*') expect(st.Action).toEqual([expect.stringMatching(/^cloudwatch:(DescribeAlarms|GetMetricData)$/)]);
    }
  });

  // The App Mesh scopes, resolved as CloudFormation would for two meshes (one shared through RAM).
  const meshes = ['arn:aws:appmesh:us-east-1:123456789012:mesh/demomesh', 'arn:aws:appmesh:eu-west-1:111122223333:mesh/shared'];
  const longForm = loadTemplate();
  const ctx = contextFor(longForm as any, { MeshArns: meshes });
  const appMeshGrants = (id: string): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const p of longForm.Resources[id].Properties!.Policies) {
      for (const st of p.Statement ?? []) {
        for (const action of st.Action.filter((a: string) => a.startsWith('appmesh:'))) {
          out[action] = [...(out[action] ?? []), ...[resolveValue(st.Resource, ctx)].flat() as string[]].sort();
        }
      }
    }
    return out;
  };
  const routes = meshes.map((m) => `${m}/virtualRouter/*/route/*`);
  const nodes = meshes.map((m) => `${m}/virtualNode/*`);

  test.each(['SetWeightFunction', 'PromoteFunction', 'RollbackFunction', 'GuardFunction'])(
    '%s: UpdateRoute on the routes and the virtual nodes of MeshArns (App Mesh authorizes both), DescribeRoute on routes, nothing wider', (id) => {
      expect(appMeshGrants(id)).toEqual({
        'appmesh:DescribeRoute': [...routes].sort(),
        'appmesh:UpdateRoute': [...routes, ...nodes].sort(),
      });
    });

  test('PrepareFunction: reads routes and virtual nodes of MeshArns only, writes nothing in App Mesh', () => {
    expect(appMeshGrants('PrepareFunction')).toEqual({
      'appmesh:DescribeRoute': [...routes].sort(),
      'appmesh:DescribeVirtualNode': [...nodes].sort(),
    });
  });

  test('no FullAccess policy anywhere', () => {
    expect(readFileSync(join(root, 'template.yaml'), 'utf8')).not.toMatch(/FullAccess/);
  });
});

describe('the approval topic is encrypted with its own key, usable by CloudWatch alarms', () => {
  const longForm = loadTemplate();
  const ctx = contextFor(longForm as any, { MeshArns: ['arn:aws:appmesh:us-east-1:123456789012:mesh/demomesh'] });
  const res = (id: string) => resolveValue(longForm.Resources[id], ctx) as any;

  test('a customer managed key with rotation on, not alias/aws/sns', () => {
    expect(longForm.Resources.ApprovalTopic.Properties!.KmsMasterKeyId).toEqual({ Ref: 'ApprovalTopicKey' });
    expect(longForm.Resources.ApprovalTopicKey.Type).toBe('AWS::KMS::Key');
    expect(longForm.Resources.ApprovalTopicKey.Properties!.EnableKeyRotation).toBe(true);
  });

  test("its key policy: the account administers it; the stack's CloudWatch alarms (named after the stack) may use it to publish, nothing more", () => {
    const statements = res('ApprovalTopicKey').Properties.KeyPolicy.Statement;
    expect(statements).toEqual([
      { Sid: 'AccountAdministersKey', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'CloudWatchAlarmsPublish', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:mesh-canary-*' },
        },
      },
    ]);
  });

  test("its topic policy lets only the stack's CloudWatch alarms publish", () => {
    const policy = res('ApprovalTopicPolicy').Properties;
    expect(policy.Topics).toEqual(['arn:aws:sns:us-east-1:123456789012:ApprovalTopic']);
    expect(policy.PolicyDocument.Statement).toEqual([{
      Sid: 'CloudWatchAlarmsPublish', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish',
      Resource: 'arn:aws:sns:us-east-1:123456789012:ApprovalTopic',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:mesh-canary-*' } },
    }]);
  });
});

describe('state machines', () => {
  const machines = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::StateMachine');

  test('one Standard machine per strategy', () => {
    expect(machines.map(([, m]) => m.Properties.DefinitionUri).sort()).toEqual([
      'statemachines/linear.asl.json', 'statemachines/manual-approval.asl.json', 'statemachines/step-then-all.asl.json']);
    for (const [, m] of machines) expect(m.Properties.Type).toBe('STANDARD');
  });

  test.each(machines)('%s: every ARN comes through DefinitionSubstitutions, and it may invoke exactly those functions', (_id, m) => {
    const asl = readFileSync(join(root, m.Properties.DefinitionUri), 'utf8');
    const placeholders = [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((x) => x[1]))].sort();
    expect(Object.keys(m.Properties.DefinitionSubstitutions).sort()).toEqual(placeholders);
    expect(asl).not.toMatch(/arn:aws:(lambda|sns|appmesh):/); // no hard-coded account, region or name
    const invokable = m.Properties.Policies.filter((p: any) => p.LambdaInvokePolicy).map((p: any) => p.LambdaInvokePolicy.FunctionName['!Ref']).sort();
    const subs = Object.entries<any>(m.Properties.DefinitionSubstitutions);
    const substituted = subs.filter(([, v]) => v['!GetAtt']).map(([, v]) => v['!GetAtt'].replace(/\.Arn$/, '')).sort();
    expect(invokable).toEqual(substituted);
    // Service integrations carry the stack's partition (aws-cn, aws-us-gov, ...), never a literal "arn:aws".
    expect(asl).not.toMatch(/"arn:aws[a-z-]*:states:/);
    for (const [key, v] of subs.filter(([, v]) => !v['!GetAtt'])) {
      expect([key, v]).toEqual([key, { '!Sub': `arn:\${AWS::Partition}:states:::lambda:${key === 'LambdaInvoke' ? 'invoke' : 'invoke.waitForTaskToken'}` }]);
    }
  });

  test.each(machines)('%s: execution logging without execution data (a waiting task holds its token)', (_id, m) => {
    expect(m.Properties.Logging).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
  });

  test.each(machines)('%s: the definition passes asl-validator', (_id, m) => {
    const validator = require('asl-validator');
    const result = validator(JSON.parse(readFileSync(join(root, m.Properties.DefinitionUri), 'utf8')));
    expect(result.errorsText?.() ?? '').toBe('');
    expect(result.isValid).toBe(true);
  });

  test('each machine ARN is a stack output', () => {
    for (const [id] of machines) expect(template.Outputs[`${id}Arn`].Value).toEqual({ '!Ref': id });
  });
});

test('an event the guard never got, or failed on, alarms to the approval topic', () => {
  const guard = template.Resources.GuardFunction.Properties;
  expect(guard.Events.ExecutionEnded.Properties.DeadLetterConfig).toEqual({ Type: 'SQS' });
  expect(guard.EventInvokeConfig.DestinationConfig.OnFailure).toEqual({ Type: 'SQS' });
  // The queue names SAM gives those two queues.
  const watched = ['GuardEventUndeliveredAlarm', 'GuardFailedAlarm'].map((id) => template.Resources[id].Properties);
  expect(watched.map((a) => a.Dimensions[0].Value['!GetAtt'])).toEqual([
    'GuardFunctionExecutionEndedQueue.QueueName', 'GuardFunctionEventInvokeConfigOnFailureQueue.QueueName']);
  for (const a of watched) expect(a.AlarmActions).toEqual([{ '!Ref': 'ApprovalTopic' }]);
  // Named after the stack, inside the alarm:${AWS::StackName}-* the topic and key policies let in.
  expect(watched.map((a) => a.AlarmName)).toEqual([{ '!Sub': '${AWS::StackName}-guard-event-undelivered' }, { '!Sub': '${AWS::StackName}-guard-failed' }]);
});

// template.yaml is what users deploy: it must lint clean, and its wiring and policies must
// match what the functions do.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { root } from '../support/fixtures.ts';
import { contextFor, resolveValue } from '../support/cfn-intrinsics.ts';
import { loadTemplate } from '../../local/template.ts';
import { MAX_HOOK_TIMEOUT_SECONDS } from '../../functions/commons/input.ts';

// A tag-tolerant parse: each !Tag value becomes {"!Tag": value}, enough to inspect the structure.
const tags = ['Ref', 'Sub', 'GetAtt', 'Join', 'Split', 'If', 'Equals', 'Select', 'Not', 'And', 'Or', 'FindInMap', 'Condition', 'EachMemberEquals'].flatMap((n) =>
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

test('the eight functions exist, each built with esbuild from its own entry point on nodejs24.x', () => {
  expect(functions.map(([id]) => id).sort()).toEqual(['AlarmFunction', 'CheckHealthFunction', 'GuardFunction', 'PrepareFunction', 'PromoteFunction', 'RequestApprovalFunction', 'RollbackFunction', 'SetWeightFunction']);
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
  /** A function's statements, each with the condition its policy is under (an !If [Cond, policy, !Ref AWS::NoValue]). */
  const conditioned = (fn: any): { st: any; condition?: string }[] => fn.Properties.Policies.flatMap((p: any) => {
    if (!p['!If']) return (p.Statement ?? []).map((st: any) => ({ st }));
    const [condition, yes, no] = p['!If'];
    expect(no).toEqual({ '!Ref': 'AWS::NoValue' }); // the other branch grants nothing
    return yes.Statement.map((st: any) => ({ st, condition }));
  });
  const statements = (fn: any) => conditioned(fn).map((x) => x.st);
  const latticeRead = ['vpc-lattice:GetListener', 'vpc-lattice:GetRule'];
  const latticeWrite = [...latticeRead, 'vpc-lattice:UpdateListener', 'vpc-lattice:UpdateRule'];
  const expected: Record<string, string[]> = {
    PrepareFunction: ['appmesh:DescribeRoute', 'appmesh:DescribeVirtualNode', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', ...latticeRead, 'vpc-lattice:ListTagsForResource'],
    SetWeightFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:GetItem', ...latticeWrite],
    PromoteFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:DeleteItem', 'dynamodb:GetItem', ...latticeWrite],
    RollbackFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:DeleteItem', 'dynamodb:GetItem', ...latticeWrite],
    GuardFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'states:GetExecutionHistory', ...latticeWrite],
    AlarmFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Scan',
      'states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution', ...latticeWrite],
    CheckHealthFunction: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'lambda:InvokeFunction'],
    RequestApprovalFunction: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  };

  test.each(functions)('%s: only the actions it uses', (id, fn) => {
    // Inline statements (alone, or under one backend's condition), or SAM policy templates scoped to one resource; never a managed policy.
    for (const p of fn.Properties.Policies) {
      expect(typeof p).toBe('object');
      if (!p.Statement && !p['!If']) expect(p).toEqual({ SNSPublishMessagePolicy: { TopicName: { '!GetAtt': 'ApprovalTopic.TopicName' } } });
    }
    const s = statements(fn);
    expect(s.flatMap((x: any) => x.Action).sort()).toEqual(expected[id].sort());
    for (const { st, condition } of conditioned(fn)) {
      expect(st.Effect).toBe('Allow');
      // Each backend's grants exist only when its parameter names something; nothing else is conditional.
      const prefixes: Record<string, string> = { HasMeshes: 'appmesh:', HasLatticeServices: 'vpc-lattice:', HasHookFunctions: 'lambda:' };
      const backend = Object.keys(prefixes).find((c) => st.Action.some((a: string) => a.startsWith(prefixes[c])));
      expect(condition).toBe(backend);
      if (backend) expect(st.Action.every((a: string) => a.startsWith(prefixes[backend]))).toBe(true);
      if (st.Action.some((a: string) => a.startsWith('lambda:'))) expect(JSON.stringify(st.Resource)).toContain('"!Ref":"HookFunctionArns"');
      if (st.Action.some((a: string) => a.startsWith('appmesh:'))) expect(JSON.stringify(st.Resource)).toContain('"!Ref":"MeshArns"');
      if (st.Action.some((a: string) => a.startsWith('vpc-lattice:')) && st.Resource !== '*') expect(JSON.stringify(st.Resource)).toContain('"!Ref":"LatticeServiceArns"');
      if (st.Action.some((a: string) => a.startsWith('dynamodb:'))) expect(st.Resource).toEqual({ '!GetAtt': 'LockTable.Arn' });
      if (st.Action.some((a: string) => a.startsWith('states:'))) {
        for (const r of st.Resource) expect(r['!Sub']).toMatch(/:execution:\$\{[A-Za-z]+StateMachine\.Name\}:\*$/);
      }
      if (st.Action.some((a: string) => a.startsWith('kms:'))) {
        expect(st.Resource).toEqual({ '!GetAtt': 'ApprovalTopicKey.Arn' });
        expect(st.Condition).toEqual({ StringEquals: { 'kms:ViaService': { '!Sub': 'sns.${AWS::Region}.amazonaws.com' } } });
      }
      // "*" only where AWS authorizes nothing narrower that works: GetMetricData names no
      // resource; DescribeAlarms returns composite alarms only to a permission on "*"; VPC
      // Lattice's ListTagsForResource supports no resource-level permission.
      if (st.Resource === '*') expect(st.Action).toEqual([expect.stringMatching(/^(cloudwatch:(DescribeAlarms|GetMetricData)|vpc-lattice:ListTagsForResource)$/)]);
    }
  });

  // The scopes, resolved as CloudFormation would for two meshes and two Lattice services (one of each shared through RAM).
  const meshes = ['arn:aws:appmesh:us-east-1:123456789012:mesh/demomesh', 'arn:aws:appmesh:eu-west-1:111122223333:mesh/shared'];
  const services = ['arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0', 'arn:aws:vpc-lattice:eu-west-1:111122223333:service/svc-abcdefghij0123456'];
  const longForm = loadTemplate();
  /** A function's grants of one service's actions, action → resources, with the conditions of these parameters. */
  const grants = (id: string, prefix: string, parameters: Record<string, string[]> = { MeshArns: meshes, LatticeServiceArns: services }): Record<string, string[]> => {
    const ctx = contextFor(longForm as any, parameters);
    const out: Record<string, string[]> = {};
    for (const p of longForm.Resources[id].Properties!.Policies) {
      const policy = p['Fn::If'] ? (ctx.conditions[p['Fn::If'][0]] ? p['Fn::If'][1] : undefined) : p;
      for (const st of policy?.Statement ?? []) {
        for (const action of st.Action.filter((a: string) => a.startsWith(prefix))) {
          out[action] = [...(out[action] ?? []), ...[resolveValue(st.Resource, ctx)].flat() as string[]].sort();
        }
      }
    }
    return out;
  };
  const routes = meshes.map((m) => `${m}/virtualRouter/*/route/*`);
  const nodes = meshes.map((m) => `${m}/virtualNode/*`);
  const rules = services.map((s) => `${s}/listener/*/rule/*`).sort();
  const listeners = services.map((s) => `${s}/listener/*`).sort();
  const writers = ['SetWeightFunction', 'PromoteFunction', 'RollbackFunction', 'GuardFunction', 'AlarmFunction'];

  test.each(writers)(
    '%s: UpdateRoute on the routes and the virtual nodes of MeshArns (App Mesh authorizes both), DescribeRoute on routes, nothing wider', (id) => {
      expect(grants(id, 'appmesh:')).toEqual({
        'appmesh:DescribeRoute': [...routes].sort(),
        'appmesh:UpdateRoute': [...routes, ...nodes].sort(),
      });
    });

  test('PrepareFunction: reads routes and virtual nodes of MeshArns only, writes nothing in App Mesh', () => {
    expect(grants('PrepareFunction', 'appmesh:')).toEqual({
      'appmesh:DescribeRoute': [...routes].sort(),
      'appmesh:DescribeVirtualNode': [...nodes].sort(),
    });
  });

  test.each(writers)('%s: Get/UpdateRule on the rules and Get/UpdateListener on the listeners of LatticeServiceArns, nothing wider', (id) => {
    expect(grants(id, 'vpc-lattice:')).toEqual({
      'vpc-lattice:GetRule': rules, 'vpc-lattice:UpdateRule': rules,
      'vpc-lattice:GetListener': listeners, 'vpc-lattice:UpdateListener': listeners,
    });
  });

  test('PrepareFunction: reads rules and listeners of LatticeServiceArns and tags ("*": no resource-level permission), writes nothing in VPC Lattice', () => {
    expect(grants('PrepareFunction', 'vpc-lattice:')).toEqual({
      'vpc-lattice:GetRule': rules, 'vpc-lattice:GetListener': listeners, 'vpc-lattice:ListTagsForResource': ['*'],
    });
  });

  test.each([...writers, 'PrepareFunction'])('%s: an empty MeshArns grants nothing in App Mesh, an empty LatticeServiceArns nothing in VPC Lattice; the other stays', (id) => {
    expect(grants(id, 'appmesh:', { MeshArns: [''], LatticeServiceArns: services })).toEqual({});
    expect(Object.keys(grants(id, 'vpc-lattice:', { MeshArns: [''], LatticeServiceArns: services })).length).toBeGreaterThan(0);
    expect(grants(id, 'vpc-lattice:', { MeshArns: meshes, LatticeServiceArns: [''] })).toEqual({});
    expect(Object.keys(grants(id, 'appmesh:', { MeshArns: meshes, LatticeServiceArns: [''] })).length).toBeGreaterThan(0);
    // The parameters' defaults are the empty lists.
    expect(grants(id, 'appmesh:', {})).toEqual({});
    expect(grants(id, 'vpc-lattice:', {})).toEqual({});
  });

  test('MeshArns and LatticeServiceArns: CommaDelimitedLists, empty by default, each element one ARN of its kind (or nothing)', () => {
    const { MeshArns, LatticeServiceArns } = longForm.Parameters as any;
    for (const p of [MeshArns, LatticeServiceArns]) expect(p).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
    const mesh = new RegExp(MeshArns.AllowedPattern);
    const lattice = new RegExp(LatticeServiceArns.AllowedPattern);
    for (const m of meshes) expect(mesh.test(m)).toBe(true);
    for (const s of services) expect(lattice.test(s)).toBe(true);
    expect(mesh.test('')).toBe(true);
    expect(lattice.test('')).toBe(true);
    // An ID, a listener ARN, another service's ARN, an ID with a hyphen (moto's old shape): refused.
    for (const bad of ['svc-0123456789abcdef0', `${services[0]}/listener/listener-0123456789abcdef0`, meshes[0], 'arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-01234567-9abcdef0']) {
      expect(lattice.test(bad)).toBe(false);
    }
    expect(mesh.test(services[0])).toBe(false);
  });

  test('a stack with neither meshes nor Lattice services is refused at deploy (Rules), with either or both it deploys', () => {
    const [assertion] = longForm.Rules!.NamesMeshesOrLatticeServices.Assertions;
    expect(assertion.AssertDescription).toMatch(/MeshArns.*LatticeServiceArns/);
    // The rule functions it uses, evaluated as CloudFormation does for list parameters.
    const evaluate = (v: any, p: Record<string, string[]>): boolean => {
      if ('Fn::Not' in v) return !evaluate(v['Fn::Not'][0], p);
      if ('Fn::And' in v) return v['Fn::And'].every((x: any) => evaluate(x, p));
      if ('Fn::EachMemberEquals' in v) {
        const [list, value] = v['Fn::EachMemberEquals'];
        return p[list.Ref].every((m) => m === value);
      }
      throw new Error(`a rule function this test does not evaluate: ${JSON.stringify(v)}`);
    };
    const passes = (MeshArns: string[], LatticeServiceArns: string[]) => evaluate(assertion.Assert, { MeshArns, LatticeServiceArns });
    expect(passes([''], [''])).toBe(false);
    expect(passes(meshes, [''])).toBe(true);
    expect(passes([''], services)).toBe(true);
    expect(passes(meshes, services)).toBe(true);
  });

  // Hooks (issue 13): CheckHealthFunction invokes exactly the functions HookFunctionArns names, and their versions and aliases.
  const hookArns = ['arn:aws:lambda:us-east-1:123456789012:function:mesh-canary-smoke-test', 'arn:aws:lambda:eu-west-1:111122223333:function:db-gate'];
  test('CheckHealthFunction: InvokeFunction on exactly the HookFunctionArns functions and <arn>:*, nothing when the list is empty; no other function invokes', () => {
    expect(grants('CheckHealthFunction', 'lambda:', { MeshArns: meshes, LatticeServiceArns: services, HookFunctionArns: hookArns }))
      .toEqual({ 'lambda:InvokeFunction': [...hookArns, ...hookArns.map((a) => `${a}:*`)].sort() });
    expect(grants('CheckHealthFunction', 'lambda:', { MeshArns: meshes, LatticeServiceArns: services, HookFunctionArns: [''] })).toEqual({});
    expect(grants('CheckHealthFunction', 'lambda:', { MeshArns: meshes, LatticeServiceArns: services })).toEqual({});
    for (const [id] of functions.filter(([id]) => id !== 'CheckHealthFunction')) {
      expect(grants(id, 'lambda:', { MeshArns: meshes, LatticeServiceArns: services, HookFunctionArns: hookArns })).toEqual({});
    }
  });

  test('HookFunctionArns: a CommaDelimitedList, empty by default, each element one unqualified function ARN (or nothing)', () => {
    const p = (longForm.Parameters as any).HookFunctionArns;
    expect(p).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
    const arn = new RegExp(p.AllowedPattern);
    for (const a of [...hookArns, '']) expect(arn.test(a)).toBe(true);
    for (const bad of ['mesh-canary-smoke-test', `${hookArns[0]}:live`, meshes[0], 'arn:aws:lambda:us-east-1:123456789012:layer:x']) expect(arn.test(bad)).toBe(false);
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

test('the alarm path hears every alarm that goes to ALARM; an event it never got, or failed on, alarms to the approval topic', () => {
  const fn = template.Resources.AlarmFunction.Properties;
  expect(fn.Events.AlarmFired.Properties.Pattern).toEqual({
    source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } },
  });
  expect(fn.Events.AlarmFired.Properties.DeadLetterConfig).toEqual({ Type: 'SQS' });
  expect(fn.EventInvokeConfig.DestinationConfig.OnFailure).toEqual({ Type: 'SQS' });
  // It runs the guard's restore, which can wait out a writer step in flight: the guard's timeout and writer wait.
  expect(fn.Timeout).toBe(template.Resources.GuardFunction.Properties.Timeout);
  expect(fn.Environment.Variables.WRITER_TIMEOUT_SECONDS).toBe(template.Resources.GuardFunction.Properties.Environment.Variables.WRITER_TIMEOUT_SECONDS);
  const watched = ['AlarmPathEventUndeliveredAlarm', 'AlarmPathFailedAlarm'].map((id) => template.Resources[id].Properties);
  expect(watched.map((a) => a.Dimensions[0].Value['!GetAtt'])).toEqual([
    'AlarmFunctionAlarmFiredQueue.QueueName', 'AlarmFunctionEventInvokeConfigOnFailureQueue.QueueName']);
  for (const a of watched) expect(a.AlarmActions).toEqual([{ '!Ref': 'ApprovalTopic' }]);
  expect(watched.map((a) => a.AlarmName)).toEqual([{ '!Sub': '${AWS::StackName}-alarm-path-event-undelivered' }, { '!Sub': '${AWS::StackName}-alarm-path-failed' }]);
});

test("check-health's Timeout outlasts two rounds of hooks (every-verdict, then before-promotion) and stays under every machine's task timeout for it", () => {
  const timeout = template.Resources.CheckHealthFunction.Properties.Timeout as number;
  expect(timeout).toBeGreaterThan(2 * MAX_HOOK_TIMEOUT_SECONDS);
  for (const m of ['linear', 'step-then-all', 'manual-approval']) {
    const tasks: number[] = [];
    const walk = (states: Record<string, any>) => {
      for (const st of Object.values(states)) {
        if (JSON.stringify(st.Parameters ?? {}).includes('${CheckHealthFunctionArn}')) tasks.push(st.TimeoutSeconds);
        for (const b of st.Branches ?? []) walk(b.States);
      }
    };
    walk(JSON.parse(readFileSync(join(root, 'statemachines', `${m}.asl.json`), 'utf8')).States);
    expect(tasks.length).toBeGreaterThan(0);
    for (const t of tasks) expect([m, t > timeout]).toEqual([m, true]);
  }
});

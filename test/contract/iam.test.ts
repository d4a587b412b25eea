// The IAM contract: what the functions did during the integration run (.local-aws/requests.jsonl,
// recorded by the local front), and what AWS does on the stack's behalf, evaluated with a real
// IAM evaluator (iam-simulate + the Service Authorization Reference) against template.yaml as
// the SAM transform makes it. moto checks no policy; this is where a policy AWS would refuse fails.
// Runs after the integration project (npm test), or alone after one: npm run test:contract.
import {
  checkAlarmTopics, checkEventDelivery, checkFunctions, checkStateMachines, ContractGap, DEPLOYED_MESH, denied,
  describeVerdict, functionAuthorizations, functionIds, fromTransformed, MESH_ARNS, samTransform, type Deployed, type Verdict,
} from '../support/iam-contract.ts';
import { NoRequestLog, readRequestLog, type RecordedRequest } from '../support/request-log.ts';

let transformed: any; // template.yaml through the SAM transform, before intrinsics are resolved
let deployed: Deployed;
let records: RecordedRequest[];

beforeAll(() => {
  records = readRequestLog(); // a clear NoRequestLog when there was no integration run
  transformed = samTransform();
  deployed = fromTransformed(structuredClone(transformed), MESH_ARNS);
});

const failures = (vs: Verdict[]) => denied(vs).map(describeVerdict);

describe('every AWS request each function made in the integration run is allowed by its role', () => {
  const ids = ['CheckHealthFunction', 'GuardFunction', 'PrepareFunction', 'PromoteFunction', 'RequestApprovalFunction', 'RollbackFunction', 'SetWeightFunction'];

  test('the template has exactly these functions (a new one must be exercised and checked too)', () => {
    expect(functionIds(deployed)).toEqual(ids);
  });

  test.each(ids)('%s', async (fn) => {
    const verdicts = await checkFunctions(records, deployed, [fn]);
    expect(failures(verdicts)).toEqual([]);
    expect(verdicts.length).toBeGreaterThan(0);
  });

  test('the writers were checked on UpdateRoute of both the route and its virtual nodes', async () => {
    for (const fn of ['SetWeightFunction', 'PromoteFunction', 'RollbackFunction']) {
      const updates = (await functionAuthorizations(fn, records, deployed)).filter((a) => a.action === 'appmesh:UpdateRoute');
      expect(updates.some((a) => a.resource.includes(`:mesh/${DEPLOYED_MESH}/virtualRouter/`))).toBe(true);
      expect(updates.some((a) => a.resource.includes(`:mesh/${DEPLOYED_MESH}/virtualNode/`))).toBe(true);
    }
  });

  test('RequestApproval was checked on the topic and on its KMS key', async () => {
    const auths = await functionAuthorizations('RequestApprovalFunction', records, deployed);
    expect(auths.map((a) => a.action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'sns:Publish']);
  });
});

test('each state machine may invoke every function its definition invokes', async () => {
  const verdicts = await checkStateMachines(deployed);
  expect(failures(verdicts)).toEqual([]);
  expect(new Set(verdicts.map((v) => v.principal))).toEqual(new Set(['LinearStateMachine', 'StepThenAllStateMachine', 'ManualApprovalStateMachine']));
  expect(verdicts.filter((v) => v.principal === 'ManualApprovalStateMachine')).toHaveLength(6);
});

test('EventBridge may invoke the guard and reach its dead-letter queue; the guard may reach its on-failure queue', async () => {
  const verdicts = await checkEventDelivery(deployed);
  expect(failures(verdicts)).toEqual([]);
  expect(verdicts.map((v) => `${v.action} ${v.resource.split(':').pop()}`).sort()).toEqual([
    'lambda:InvokeFunction GuardFunction', 'sqs:SendMessage GuardFunctionEventInvokeConfigOnFailureQueue', 'sqs:SendMessage GuardFunctionExecutionEndedQueue']);
});

test('CloudWatch can publish every alarm action to its topic (topic policy and KMS key policy)', async () => {
  const verdicts = await checkAlarmTopics(deployed);
  expect(failures(verdicts)).toEqual([]);
  // Two alarms, each: sns:Publish, kms:GenerateDataKey, kms:Decrypt.
  expect(verdicts).toHaveLength(6);
});

// ------------------------------------------------------------------ the check can fail

describe('the check fails on what AWS would refuse', () => {
  /** The deployed template with one change to the SAM-transformed template. */
  const mutated = (change: (t: any) => void): Deployed => {
    const raw = structuredClone(transformed);
    change(raw);
    return fromTransformed(raw, MESH_ARNS);
  };

  test("the policy before this fix (UpdateRoute on mesh/NAME/virtualRouter/* only): denied on the virtual node, allowed on the route", async () => {
    const old = mutated((t) => {
      for (const p of t.Resources.SetWeightFunctionRole.Properties.Policies) {
        for (const s of p.PolicyDocument.Statement) {
          if ([s.Action].flat().includes('appmesh:UpdateRoute')) {
            s.Action = ['appmesh:DescribeRoute', 'appmesh:UpdateRoute'];
            s.Resource = { 'Fn::Split': [',', { 'Fn::Join': ['', [{ 'Fn::Join': ['/virtualRouter/*,', { Ref: 'MeshArns' }] }, '/virtualRouter/*']] }] };
          }
        }
      }
    });
    const verdicts = (await checkFunctions(records, old, ['SetWeightFunction'])).filter((v) => v.action === 'appmesh:UpdateRoute');
    const nodes = verdicts.filter((v) => v.resource.includes('/virtualNode/'));
    expect(nodes.length).toBeGreaterThan(0);
    for (const v of nodes) {
      expect(v).toMatchObject({ principal: 'SetWeightFunction', result: 'ImplicitlyDenied' });
      expect(describeVerdict(v)).toMatch(/^SetWeightFunction appmesh:UpdateRoute on arn:aws:appmesh:us-east-1:123456789012:mesh\/demomesh\/virtualNode\/[\w-]+: ImplicitlyDenied/);
    }
    expect(verdicts.filter((v) => v.resource.includes('/route/')).every((v) => v.result === 'Allowed')).toBe(true);
  });

  test('a function that made no recorded request fails the check (it cannot pass vacuously)', async () => {
    const withoutGuard = records.filter((r) => r.function !== 'GuardFunction');
    const verdicts = await checkFunctions(withoutGuard, deployed, ['GuardFunction']);
    expect(failures(verdicts)).toEqual([expect.stringContaining('GuardFunction made no recorded AWS request')]);
  });

  test('no request log: a clear error that says to run the integration tests', () => {
    expect(() => readRequestLog('/nonexistent/requests.jsonl')).toThrow(NoRequestLog);
    expect(() => readRequestLog('/nonexistent/requests.jsonl')).toThrow(/npm run test:integration/);
  });

  test('a request to a resource the template does not create is an error, not a pass', async () => {
    const foreign: RecordedRequest = { function: 'SetWeightFunction', service: 'dynamodb', method: 'POST', url: '/', target: 'DynamoDB_20120810.GetItem', body: '{"TableName":"SomeoneElsesTable"}', buildDir: 'dist' };
    await expect(checkFunctions([foreign], deployed, ['SetWeightFunction'])).rejects.toThrow(ContractGap);
  });

  test('a state machine role without the function it invokes', async () => {
    const d = mutated((t) => {
      t.Resources.LinearStateMachineRole.Properties.Policies = t.Resources.LinearStateMachineRole.Properties.Policies
        .filter((p: any) => !JSON.stringify(p).includes('"Ref":"RollbackFunction"'));
    });
    expect(failures(await checkStateMachines(d))).toEqual([
      expect.stringMatching(/^LinearStateMachine lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:RollbackFunction: ImplicitlyDenied/)]);
  });

  test("EventBridge without the guard's Lambda permission", async () => {
    const d = mutated((t) => { delete t.Resources.GuardFunctionExecutionEndedPermission; });
    expect(failures(await checkEventDelivery(d))).toEqual([expect.stringMatching(/lambda:InvokeFunction on .*:function:GuardFunction: ImplicitlyDenied/)]);
  });

  test('the topic encrypted with alias/aws/sns: CloudWatch cannot publish', async () => {
    const d = mutated((t) => { t.Resources.ApprovalTopic.Properties.KmsMasterKeyId = 'alias/aws/sns'; });
    const bad = failures(await checkAlarmTopics(d));
    expect(bad).toHaveLength(4); // per alarm: kms:GenerateDataKey and kms:Decrypt
    for (const line of bad) expect(line).toMatch(/^cloudwatch.amazonaws.com \(Guard\w+Alarm\) kms:(GenerateDataKey|Decrypt) on arn:aws:kms:.*: ImplicitlyDenied .*alias\/aws\/sns \(AWS managed\): an AWS managed key/);
  });

  test('a publisher in the account may still use alias/aws/sns through SNS (the check models the AWS managed key policy, not a blanket refusal)', async () => {
    const d = mutated((t) => { t.Resources.ApprovalTopic.Properties.KmsMasterKeyId = 'alias/aws/sns'; });
    expect(failures(await checkFunctions(records, d, ['RequestApprovalFunction']))).toEqual([]);
  });

  test('a key policy without the CloudWatch statement: CloudWatch cannot get a data key', async () => {
    const d = mutated((t) => {
      const policy = t.Resources.ApprovalTopicKey.Properties.KeyPolicy;
      policy.Statement = policy.Statement.filter((s: any) => JSON.stringify(s.Principal) !== '{"Service":"cloudwatch.amazonaws.com"}');
    });
    const bad = failures(await checkAlarmTopics(d));
    expect(bad.filter((l) => /kms:GenerateDataKey on arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]+: ImplicitlyDenied/.test(l))).toHaveLength(2);
    expect(bad.filter((l) => /kms:Decrypt on .*: ImplicitlyDenied/.test(l))).toHaveLength(2);
  });

  test("a key policy without the account's statement: RequestApproval's IAM grant alone does not open the key (KMS's rule)", async () => {
    const d = mutated((t) => {
      const policy = t.Resources.ApprovalTopicKey.Properties.KeyPolicy;
      policy.Statement = policy.Statement.filter((s: any) => !JSON.stringify(s.Principal).includes(':root'));
    });
    const bad = failures(await checkFunctions(records, d, ['RequestApprovalFunction']));
    expect(bad.some((l) => /^RequestApprovalFunction kms:GenerateDataKey on arn:aws:kms:.*: ImplicitlyDenied/.test(l))).toBe(true);
  });

  test("RequestApproval's role without the KMS statement: denied on the topic's key", async () => {
    const d = mutated((t) => {
      t.Resources.RequestApprovalFunctionRole.Properties.Policies = t.Resources.RequestApprovalFunctionRole.Properties.Policies
        .filter((p: any) => !JSON.stringify(p).includes('kms:'));
    });
    const bad = failures(await checkFunctions(records, d, ['RequestApprovalFunction']));
    expect(bad.some((l) => /^RequestApprovalFunction kms:GenerateDataKey on arn:aws:kms:.*: ImplicitlyDenied/.test(l))).toBe(true);
  });
});

// The parts of the IAM contract that need only template.yaml (no integration run): what AWS
// does on the stack's behalf. Each state machine invoking its functions, EventBridge delivering
// to the guard and its queues, CloudWatch alarms publishing to the encrypted approval topic,
// evaluated with a real IAM evaluator (iam-simulate) against the SAM-transformed template.
// A template edit is checked here by `npm run test:unit`; what the functions themselves do is
// checked against the integration run's requests in test/contract/.
import {
  checkAlarmTopics, checkEventDelivery, checkStateMachines, denied, describeVerdict, fromTransformed, MESH_ARNS, samTransform,
  type Deployed, type Verdict,
} from '../support/iam-contract.ts';

let transformed: any; // template.yaml through the SAM transform, before intrinsics are resolved
let deployed: Deployed;

beforeAll(() => {
  transformed = samTransform();
  deployed = fromTransformed(structuredClone(transformed), MESH_ARNS);
});

const failures = (vs: Verdict[]) => denied(vs).map(describeVerdict);

/** The deployed template with one change to the SAM-transformed template. */
const mutated = (change: (t: any) => void): Deployed => {
  const raw = structuredClone(transformed);
  change(raw);
  return fromTransformed(raw, MESH_ARNS);
};

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

test("CloudWatch can publish each of the stack's alarms to its topic (topic policy and KMS key policy)", async () => {
  const verdicts = await checkAlarmTopics(deployed);
  expect(failures(verdicts)).toEqual([]);
  // Two alarms, each: sns:Publish, kms:GenerateDataKey, kms:Decrypt, on behalf of the alarm's ARN.
  expect(verdicts).toHaveLength(6);
  expect([...new Set(verdicts.map((v) => v.context?.['aws:SourceArn']))].sort()).toEqual([
    'arn:aws:cloudwatch:us-east-1:123456789012:alarm:mesh-canary-guard-event-undelivered',
    'arn:aws:cloudwatch:us-east-1:123456789012:alarm:mesh-canary-guard-failed',
  ]);
});

describe('the check fails on what AWS would refuse', () => {
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

  test('a key policy without the CloudWatch statement: CloudWatch cannot get a data key', async () => {
    const d = mutated((t) => {
      const policy = t.Resources.ApprovalTopicKey.Properties.KeyPolicy;
      policy.Statement = policy.Statement.filter((s: any) => JSON.stringify(s.Principal) !== '{"Service":"cloudwatch.amazonaws.com"}');
    });
    const bad = failures(await checkAlarmTopics(d));
    expect(bad.filter((l) => /kms:GenerateDataKey on arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]+: ImplicitlyDenied/.test(l))).toHaveLength(2);
    expect(bad.filter((l) => /kms:Decrypt on .*: ImplicitlyDenied/.test(l))).toHaveLength(2);
  });

  test('an alarm not named after the stack (any other alarm of the account) may neither publish nor use the key', async () => {
    const d = mutated((t) => { t.Resources.GuardFailedAlarm.Properties.AlarmName = 'someone-elses-alarm'; });
    const bad = failures(await checkAlarmTopics(d));
    expect(bad).toHaveLength(3);
    for (const line of bad) expect(line).toMatch(/^cloudwatch.amazonaws.com \(GuardFailedAlarm\) (sns:Publish|kms:GenerateDataKey|kms:Decrypt) on .*: ImplicitlyDenied/);
  });

  test('the policies as they were (alarm:*) would let that alarm in: the scoping is what refuses it', async () => {
    const d = mutated((t) => {
      t.Resources.GuardFailedAlarm.Properties.AlarmName = 'someone-elses-alarm';
      const widen = (s: any) => {
        if (s.Condition?.ArnLike) s.Condition.ArnLike['aws:SourceArn'] = { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*' };
      };
      t.Resources.ApprovalTopicKey.Properties.KeyPolicy.Statement.forEach(widen);
      t.Resources.ApprovalTopicPolicy.Properties.PolicyDocument.Statement.forEach(widen);
    });
    expect(failures(await checkAlarmTopics(d))).toEqual([]);
  });
});

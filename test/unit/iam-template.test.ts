// The parts of the IAM contract that need only template.yaml (no integration run): what AWS
// does on the stack's behalf. Each state machine invoking its functions, EventBridge delivering
// to the guard and its queues, CloudWatch alarms publishing to the encrypted approval topic,
// evaluated with a real IAM evaluator (iam-simulate) against the SAM-transformed template.
// A template edit is checked here by `npm run test:unit`; what the functions themselves do is
// checked against the integration run's requests in test/contract/.
import {
  ACCOUNT, checkAlarmTopics, checkEventDelivery, checkFunctions, checkStateMachines, denied, describeVerdict, evaluate, fromTransformed, functionRole,
  HOOK_FUNCTION_ARNS, HOOK_FUNCTION_NAMES, LATTICE_SERVICE_ARNS, MESH_ARNS, samTransform, type Deployed, type Verdict,
} from '../support/iam-contract.ts';
import type { RecordedRequest } from '../support/request-log.ts';

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

test('EventBridge may invoke the guard and the alarm path and reach their dead-letter queues; each may reach its on-failure queue', async () => {
  const verdicts = await checkEventDelivery(deployed);
  expect(failures(verdicts)).toEqual([]);
  expect(verdicts.map((v) => `${v.action} ${v.resource.split(':').pop()}`).sort()).toEqual([
    'lambda:InvokeFunction AlarmFunction', 'lambda:InvokeFunction GuardFunction',
    'sqs:SendMessage AlarmFunctionAlarmFiredQueue', 'sqs:SendMessage AlarmFunctionEventInvokeConfigOnFailureQueue',
    'sqs:SendMessage GuardFunctionEventInvokeConfigOnFailureQueue', 'sqs:SendMessage GuardFunctionExecutionEndedQueue']);
});

test("CloudWatch can publish each of the stack's alarms to its topic (topic policy and KMS key policy)", async () => {
  const verdicts = await checkAlarmTopics(deployed);
  expect(failures(verdicts)).toEqual([]);
  // Four alarms, each: sns:Publish, kms:GenerateDataKey, kms:Decrypt, on behalf of the alarm's ARN.
  expect(verdicts).toHaveLength(12);
  expect([...new Set(verdicts.map((v) => v.context?.['aws:SourceArn']))].sort()).toEqual([
    'arn:aws:cloudwatch:us-east-1:123456789012:alarm:mesh-canary-alarm-path-event-undelivered',
    'arn:aws:cloudwatch:us-east-1:123456789012:alarm:mesh-canary-alarm-path-failed',
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

  test("EventBridge without the alarm path's Lambda permission", async () => {
    const d = mutated((t) => { delete t.Resources.AlarmFunctionAlarmFiredPermission; });
    expect(failures(await checkEventDelivery(d))).toEqual([expect.stringMatching(/lambda:InvokeFunction on .*:function:AlarmFunction: ImplicitlyDenied/)]);
  });

  test('the topic encrypted with alias/aws/sns: CloudWatch cannot publish', async () => {
    const d = mutated((t) => { t.Resources.ApprovalTopic.Properties.KmsMasterKeyId = 'alias/aws/sns'; });
    const bad = failures(await checkAlarmTopics(d));
    expect(bad).toHaveLength(8); // per alarm: kms:GenerateDataKey and kms:Decrypt
    for (const line of bad) expect(line).toMatch(/^cloudwatch.amazonaws.com \((Guard|AlarmPath)\w+Alarm\) kms:(GenerateDataKey|Decrypt) on arn:aws:kms:.*: ImplicitlyDenied .*alias\/aws\/sns \(AWS managed\): an AWS managed key/);
  });

  test('a key policy without the CloudWatch statement: CloudWatch cannot get a data key', async () => {
    const d = mutated((t) => {
      const policy = t.Resources.ApprovalTopicKey.Properties.KeyPolicy;
      policy.Statement = policy.Statement.filter((s: any) => JSON.stringify(s.Principal) !== '{"Service":"cloudwatch.amazonaws.com"}');
    });
    const bad = failures(await checkAlarmTopics(d));
    expect(bad.filter((l) => /kms:GenerateDataKey on arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]+: ImplicitlyDenied/.test(l))).toHaveLength(4); // one per alarm
    expect(bad.filter((l) => /kms:Decrypt on .*: ImplicitlyDenied/.test(l))).toHaveLength(4);
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

// ------------------------------------------------------------------ VPC Lattice scope
// Until the Lattice router's integration tests record real requests (test/contract/iam.test.ts),
// the Lattice grants are checked here on the authorizations AWS performs for them: the rule or
// the listener (the Service Authorization Reference's Rule and Listener types, as
// test/unit/iam-contract.test.ts shows the contract derives them from recorded requests).
describe('VPC Lattice: each function may do what its router needs on the LatticeServiceArns services, and nothing elsewhere', () => {
  const [service] = LATTICE_SERVICE_ARNS;
  const LISTENER = `listener-${'b'.repeat(17)}`;
  const RULE = `rule-${'c'.repeat(17)}`;
  const rule = (svc: string) => `${svc}/listener/${LISTENER}/rule/${RULE}`;
  const listener = (svc: string) => `${svc}/listener/${LISTENER}`;
  /**
   * The same rule and listener IDs under services the stack was not given. (Another account's
   * service is no probe: without that account's share, a resource policy, it is denied whatever
   * the role grants, so it could not show a grant too wide.)
   */
  const elsewhere = [
    `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:service/svc-${'z'.repeat(17)}`, // another service of the account
    service.replace('us-east-1', 'eu-west-1'), // the same service ID in another region
  ];
  const on = (action: string, svc: string) => ({ action, resource: action.endsWith('Rule') ? rule(svc) : listener(svc), why: `${action} on ${svc}` });
  const all = ['vpc-lattice:GetRule', 'vpc-lattice:UpdateRule', 'vpc-lattice:GetListener', 'vpc-lattice:UpdateListener'];
  const may: Record<string, string[]> = {
    PrepareFunction: ['vpc-lattice:GetRule', 'vpc-lattice:GetListener'],
    SetWeightFunction: all, PromoteFunction: all, RollbackFunction: all, GuardFunction: all, AlarmFunction: all,
    CheckHealthFunction: [], RequestApprovalFunction: [],
  };

  /** Lines for what a function may do and must not, or may not do and must: empty when the roles are right. */
  const scopeProblems = async (d: Deployed): Promise<string[]> => {
    const out: string[] = [];
    for (const [fn, actions] of Object.entries(may)) {
      const role = d.resources[fn].Properties.Role;
      const policies = functionRole(d, fn);
      for (const action of all) {
        const inside = await evaluate(role, policies, on(action, service));
        const want = actions.includes(action) ? 'Allowed' : 'ImplicitlyDenied';
        if (inside.result !== want) out.push(`${fn} ${action} on the named service: ${inside.result}, expected ${want}`);
        for (const svc of elsewhere) {
          const outside = await evaluate(role, policies, on(action, svc));
          if (outside.result === 'Allowed') out.push(`${fn} ${action} on ${svc} (not in LatticeServiceArns): Allowed`);
        }
      }
    }
    return out;
  };

  /** The deployed template with the Lattice statements of the writers' roles changed. */
  const withLatticeStatements = (change: (st: any) => void, scope?: any): Deployed => {
    const raw = structuredClone(transformed);
    for (const fn of ['SetWeightFunction', 'PromoteFunction', 'RollbackFunction', 'GuardFunction', 'AlarmFunction']) {
      for (const p of raw.Resources[`${fn}Role`].Properties.Policies) {
        const doc = p['Fn::If']?.[1]?.PolicyDocument ?? p.PolicyDocument;
        for (const st of doc.Statement) if ([st.Action].flat().some((a: string) => a.startsWith('vpc-lattice:'))) change(st);
      }
    }
    return fromTransformed(raw, scope);
  };

  test('as the template is', async () => {
    expect(await scopeProblems(deployed)).toEqual([]);
  });

  test('prepare reads tags ("*"), and only prepare', async () => {
    for (const fn of Object.keys(may)) {
      const v = await evaluate(deployed.resources[fn].Properties.Role, functionRole(deployed, fn), { action: 'vpc-lattice:ListTagsForResource', resource: '*', why: 'tags' });
      expect([fn, v.result]).toEqual([fn, fn === 'PrepareFunction' ? 'Allowed' : 'ImplicitlyDenied']);
    }
  });

  test('LatticeServiceArns empty (the default): no function may do anything in VPC Lattice; App Mesh grants stay', async () => {
    const d = fromTransformed(structuredClone(transformed), { LatticeServiceArns: [''] });
    const problems = await scopeProblems(d);
    expect(problems).toEqual(Object.entries(may).flatMap(([fn, actions]) => actions.map((a) => `${fn} ${a} on the named service: ImplicitlyDenied, expected Allowed`)));
    const route = `${MESH_ARNS[0]}/virtualRouter/r/route/x`;
    expect((await evaluate(d.resources.SetWeightFunction.Properties.Role, functionRole(d, 'SetWeightFunction'), { action: 'appmesh:UpdateRoute', resource: route, why: 'route' })).result).toBe('Allowed');
  });

  test('MeshArns empty: no App Mesh grant at all, and the Lattice grants stay', async () => {
    const d = fromTransformed(structuredClone(transformed), { MeshArns: [''] });
    expect(await scopeProblems(d)).toEqual([]);
    for (const fn of Object.keys(may)) {
      expect(functionRole(d, fn).flatMap((p) => p.policy.Statement).filter((st: any) => JSON.stringify(st.Action).includes('appmesh:'))).toEqual([]);
    }
  });

  describe('the check fails on what AWS would refuse, or on a grant wider than the named services', () => {
    test('without UpdateRule: the writers cannot shift a rule', async () => {
      const d = withLatticeStatements((st) => { st.Action = [st.Action].flat().filter((a: string) => a !== 'vpc-lattice:UpdateRule'); });
      expect(await scopeProblems(d)).toEqual(['SetWeightFunction', 'PromoteFunction', 'RollbackFunction', 'GuardFunction', 'AlarmFunction']
        .map((fn) => `${fn} vpc-lattice:UpdateRule on the named service: ImplicitlyDenied, expected Allowed`));
    });

    test('UpdateRule on the target groups (as if Lattice authorized it there): denied on the rule', async () => {
      const d = withLatticeStatements((st) => {
        if ([st.Action].flat().includes('vpc-lattice:UpdateRule')) st.Resource = { 'Fn::Sub': 'arn:${AWS::Partition}:vpc-lattice:${AWS::Region}:${AWS::AccountId}:targetgroup/*' };
      });
      const problems = await scopeProblems(d);
      expect(problems).toHaveLength(10); // GetRule and UpdateRule, five writers
      for (const line of problems) expect(line).toMatch(/^\w+ vpc-lattice:(Get|Update)Rule on the named service: ImplicitlyDenied, expected Allowed$/);
    });

    test('"*" resources: every other service of the account, in every region, is open', async () => {
      const d = withLatticeStatements((st) => { st.Resource = '*'; });
      const problems = await scopeProblems(d);
      expect(problems).toHaveLength(5 * 4 * elsewhere.length); // five writers, four actions
      for (const line of problems) expect(line).toMatch(/\(not in LatticeServiceArns\): Allowed$/);
    });

    test('the listener pattern for the rule actions (listener/* also matches rules): still scoped, the check passes', async () => {
      // IAM's * crosses "/", so service/svc-…/listener/* covers the rules too; scoped to the same services, it is not wider.
      const d = withLatticeStatements((st) => {
        if ([st.Action].flat().includes('vpc-lattice:UpdateRule')) st.Resource = { 'Fn::Split': [',', { 'Fn::Join': ['', [{ 'Fn::Join': ['/listener/*,', { Ref: 'LatticeServiceArns' }] }, '/listener/*']] }] };
      });
      expect(await scopeProblems(d)).toEqual([]);
    });

    test('a vpc-lattice:TargetGroupArns condition is evaluated against the target groups the request forwards to', async () => {
      const d = withLatticeStatements((st) => {
        st.Condition = { 'ForAllValues:ArnLike': { 'vpc-lattice:TargetGroupArns': `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:targetgroup/tg-a*` } };
      });
      const role = d.resources.SetWeightFunction.Properties.Role;
      const update = (tgs: string[]) => evaluate(role, functionRole(d, 'SetWeightFunction'), {
        ...on('vpc-lattice:UpdateRule', service), context: { 'vpc-lattice:TargetGroupArns': tgs.map((t) => `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:targetgroup/${t}`) },
      });
      expect((await update([`tg-a${'1'.repeat(16)}`, `tg-a${'2'.repeat(16)}`])).result).toBe('Allowed');
      expect((await update([`tg-a${'1'.repeat(16)}`, `tg-b${'2'.repeat(16)}`])).result).toBe('ImplicitlyDenied');
    });
  });
});

// ------------------------------------------------------------------ hooks (issue 13)
// check-health's Invoke of a hook, as the local front records it (the integration run records the
// real ones: test/contract/iam.test.ts), against its role for the HookFunctionArns it is deployed with.
describe('hooks: CheckHealthFunction may invoke the functions HookFunctionArns names, and only those', () => {
  const invoke = (functionName: string): RecordedRequest => ({
    function: 'CheckHealthFunction', service: 'lambda', method: 'POST', url: `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    body: '{}', buildDir: 'dist',
  });
  const [smoke] = HOOK_FUNCTION_NAMES;
  const named = [invoke(smoke), invoke(`${smoke}:live`), invoke(HOOK_FUNCTION_ARNS[1]), invoke(`${HOOK_FUNCTION_ARNS[2]}:3`), invoke(`${ACCOUNT}:function:${smoke}`)];

  test('by name, name:alias, ARN, qualified ARN or partial ARN: allowed, each on the function as Lambda authorizes it', async () => {
    const verdicts = await checkFunctions(named, deployed, ['CheckHealthFunction']);
    expect(failures(verdicts)).toEqual([]);
    expect(verdicts.map((v) => `${v.action} ${v.resource}`).sort()).toEqual([
      `lambda:InvokeFunction ${HOOK_FUNCTION_ARNS[0]}`, `lambda:InvokeFunction ${HOOK_FUNCTION_ARNS[0]}:live`,
      `lambda:InvokeFunction ${HOOK_FUNCTION_ARNS[1]}`, `lambda:InvokeFunction ${HOOK_FUNCTION_ARNS[2]}:3`,
    ].sort());
  });

  test('a hook HookFunctionArns does not name is refused (the check fails), as is every hook when the list is empty', async () => {
    const other = await checkFunctions([invoke('someone-elses-function'), invoke(`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${smoke}`)], deployed, ['CheckHealthFunction']);
    expect(failures(other)).toEqual([
      expect.stringMatching(/^CheckHealthFunction lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:someone-elses-function: ImplicitlyDenied/),
      expect.stringMatching(/^CheckHealthFunction lambda:InvokeFunction on arn:aws:lambda:eu-west-1:123456789012:function:mesh-canary-smoke-test: ImplicitlyDenied/),
    ]);
    const none = fromTransformed(structuredClone(transformed), { HookFunctionArns: [''] });
    expect(failures(await checkFunctions(named, none, ['CheckHealthFunction']))).toHaveLength(named.length - 1); // two requests name one function
    const onlySmoke = fromTransformed(structuredClone(transformed), { HookFunctionArns: [HOOK_FUNCTION_ARNS[0]] });
    expect(failures(await checkFunctions(named, onlySmoke, ['CheckHealthFunction'])).map((l) => l.split(' ')[3])).toEqual([`${HOOK_FUNCTION_ARNS[1]}:`, `${HOOK_FUNCTION_ARNS[2]}:3:`]);
  });

  test('no other function may invoke a hook', async () => {
    for (const fn of ['AlarmFunction', 'GuardFunction', 'PrepareFunction', 'PromoteFunction', 'RequestApprovalFunction', 'RollbackFunction', 'SetWeightFunction']) {
      const v = await evaluate(deployed.resources[fn].Properties.Role, functionRole(deployed, fn), { action: 'lambda:InvokeFunction', resource: HOOK_FUNCTION_ARNS[0], why: 'a hook' });
      expect([fn, v.result]).toEqual([fn, 'ImplicitlyDenied']);
    }
  });
});

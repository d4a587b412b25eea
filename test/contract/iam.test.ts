// The IAM contract: what the functions did during the integration run (.local-aws/requests.jsonl,
// recorded by the local front), and what AWS does on the stack's behalf, evaluated with a real
// IAM evaluator (iam-simulate + the Service Authorization Reference) against template.yaml as
// the SAM transform makes it. moto checks no policy; this is where a policy AWS would refuse fails.
// Its own Jest config (jest.contract.config.js): npm test runs it after unit and integration, or
// alone after a whole integration run: npm run test:contract. What AWS does on the stack's behalf
// (state machines, EventBridge, alarms) needs only the template: test/unit/iam-template.test.ts.
import {
  checkFunctions, ContractGap, DEPLOYED_MESH, denied, describeVerdict, functionAuthorizations, functionIds, fromTransformed,
  HOOK_FUNCTION_ARNS, MESH_ARNS, samTransform, unexercisedGrants, type Deployed, type Verdict,
} from '../support/iam-contract.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestPathPatterns } from '@jest/pattern';
import { NoRequestLog, readRequestLog, runFilters, UNATTRIBUTED, type RecordedRequest } from '../support/request-log.ts';

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
  const ids = ['AlarmFunction', 'CheckHealthFunction', 'GuardFunction', 'PrepareFunction', 'PromoteFunction', 'RequestApprovalFunction', 'RollbackFunction', 'SetWeightFunction'];

  test('the template has exactly these functions (a new one must be exercised and checked too)', () => {
    expect(functionIds(deployed)).toEqual(ids);
  });

  test.each(ids)('%s', async (fn) => {
    const verdicts = await checkFunctions(records, deployed, [fn]);
    expect(failures(verdicts)).toEqual([]);
    expect(verdicts.length).toBeGreaterThan(0);
  });

  test('the writers were checked on UpdateRoute of both the route and its virtual nodes', async () => {
    for (const fn of ['SetWeightFunction', 'PromoteFunction', 'RollbackFunction', 'GuardFunction', 'AlarmFunction']) {
      const updates = (await functionAuthorizations(fn, records, deployed)).filter((a) => a.action === 'appmesh:UpdateRoute');
      expect(updates.some((a) => a.resource.includes(`:mesh/${DEPLOYED_MESH}/virtualRouter/`))).toBe(true);
      expect(updates.some((a) => a.resource.includes(`:mesh/${DEPLOYED_MESH}/virtualNode/`))).toBe(true);
    }
  });

  test('RequestApproval was checked on the topic and on its KMS key', async () => {
    const auths = await functionAuthorizations('RequestApprovalFunction', records, deployed);
    expect(auths.map((a) => a.action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'sns:Publish']);
  });

  test('CheckHealth was checked on DescribeAlarms of each named alarm, and on "*" (it asks for composite alarms)', async () => {
    const resources = (await functionAuthorizations('CheckHealthFunction', records, deployed))
      .filter((a) => a.action === 'cloudwatch:DescribeAlarms').map((a) => a.resource);
    expect(resources).toContain('*');
    expect(resources.some((r) => /^arn:aws:cloudwatch:us-east-1:123456789012:alarm:[^*]+$/.test(r))).toBe(true);
  });

  test('CheckHealth was checked on lambda:InvokeFunction of each example hook the run invoked (test/integration/hooks.test.ts), a qualified name too', async () => {
    const invoked = (await functionAuthorizations('CheckHealthFunction', records, deployed))
      .filter((a) => a.action === 'lambda:InvokeFunction').map((a) => a.resource);
    expect(invoked).toEqual(expect.arrayContaining([...HOOK_FUNCTION_ARNS, `${HOOK_FUNCTION_ARNS[0]}:$LATEST`]));
  });

  test('the check fails when HookFunctionArns does not name the hook check-health invoked', async () => {
    const without = fromTransformed(structuredClone(transformed), { HookFunctionArns: HOOK_FUNCTION_ARNS.slice(1) });
    const bad = failures((await checkFunctions(records, without, ['CheckHealthFunction'])).filter((v) => v.action === 'lambda:InvokeFunction'));
    expect(bad.length).toBeGreaterThan(0);
    for (const line of bad) expect(line).toMatch(new RegExp(`^CheckHealthFunction lambda:InvokeFunction on ${HOOK_FUNCTION_ARNS[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\$LATEST)?: ImplicitlyDenied`));
  });

  test('a DescribeAlarms by prefix (healthChecks.alarms.prefix, which the integration run does not use) is authorized on every alarm and on "*"', async () => {
    const verdicts = await checkFunctions([prefixQuery], deployed, ['CheckHealthFunction']);
    expect(failures(verdicts)).toEqual([]);
    expect(verdicts.map((v) => v.resource).sort()).toEqual(['*', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*']);
  });
});

/** A DescribeAlarms as check-health sends it for healthChecks.alarms.prefix (functions/commons/health.ts). */
const prefixQuery: RecordedRequest = {
  function: 'CheckHealthFunction', service: 'monitoring', method: 'POST', url: '/', target: 'GraniteServiceVersion20100801.DescribeAlarms',
  body: '{"AlarmNamePrefix":"canary-","AlarmTypes":["MetricAlarm","CompositeAlarm"]}', buildDir: 'dist',
};

/**
 * Grants no request of the integration run exercises, each with why. Everything else a role
 * grants must be used by some recorded request: a grant nothing uses is either dead (remove it)
 * or a path the tests do not reach (add a test, or say so here). Exact "action on resource"
 * strings, as the failure message prints them.
 */
const NEVER_EXERCISED: Record<string, { grant: string; why: string }[]> = {
  CheckHealthFunction: HOOK_FUNCTION_ARNS.slice(1).map((arn) => ({
    grant: `lambda:InvokeFunction on ${arn}:*`,
    why: 'the versions and aliases of a hook: the integration run names only the smoke test with a qualifier ($LATEST); the same pattern for each ARN of HookFunctionArns',
  })),
  AlarmFunction: [
    {
      grant: 'sqs:SendMessage on arn:aws:sqs:us-east-1:123456789012:AlarmFunctionEventInvokeConfigOnFailureQueue',
      why: "Lambda itself sends a failed asynchronous event there with the function's role (SAM adds the grant), not the alarm path's code; "
        + 'the local front does it too, straight to moto (no function made the request). checkEventDelivery (test/unit/iam-template.test.ts) checks this grant',
    },
  ],
  GuardFunction: [
    {
      grant: 'sqs:SendMessage on arn:aws:sqs:us-east-1:123456789012:GuardFunctionEventInvokeConfigOnFailureQueue',
      why: "Lambda itself sends a failed asynchronous event there with the function's role (SAM adds the grant), not the guard's code; "
        + 'the local front does it too, straight to moto (no function made the request). checkEventDelivery (test/unit/iam-template.test.ts) checks this grant',
    },
  ],
};

describe('every grant of each role was exercised by a recorded request (or is listed with a reason)', () => {
  const ids = ['AlarmFunction', 'CheckHealthFunction', 'GuardFunction', 'PrepareFunction', 'PromoteFunction', 'RequestApprovalFunction', 'RollbackFunction', 'SetWeightFunction'];
  test.each(ids)('%s', async (fn) => {
    const unexercised = unexercisedGrants(deployed, fn, await checkFunctions(records, deployed, [fn])).map((g) => `${g.action} on ${g.resource}`);
    const listed = NEVER_EXERCISED[fn] ?? [];
    expect(unexercised.filter((u) => !listed.some((l) => l.grant === u))).toEqual([]);
    // A listed grant that is exercised now, or gone: the list must not outlive its reason.
    expect(listed.filter((l) => !unexercised.includes(l.grant)).map((l) => l.grant)).toEqual([]);
  });
});

describe('the request log', () => {
  test('every request of the bundles was made inside an invocation (none unattributed)', () => {
    expect(records.filter((r) => r.function === UNATTRIBUTED).map((r) => `${r.service} ${r.target ?? `${r.method} ${r.url}`}`)).toEqual([]);
  });

  test('holds no task token and no SNS message (the README: no task token in any log)', () => {
    const sns = records.filter((r) => r.service === 'sns');
    expect(sns.length).toBeGreaterThan(0);
    for (const r of sns) expect([...new URLSearchParams(r.body).keys()].sort()).toEqual(['Action', 'TopicArn', 'Version']);
    for (const r of records) expect(r.body).not.toMatch(/"taskToken":"(?!\(redacted\))/i);
  });
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
        // A backend's policy is under its condition: {"Fn::If": [HasMeshes, policy, AWS::NoValue]}.
        for (const s of (p['Fn::If']?.[1] ?? p).PolicyDocument.Statement) {
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

  test('DescribeAlarms on alarm ARNs only (alarm:*): denied on "*", so composite alarms would go missing', async () => {
    const d = mutated((t) => {
      for (const p of t.Resources.CheckHealthFunctionRole.Properties.Policies) {
        // A conditional policy (the hooks' Invoke grant) is {"Fn::If": [HasHookFunctions, policy, AWS::NoValue]}.
        for (const st of (p['Fn::If']?.[1] ?? p).PolicyDocument.Statement) {
          if ([st.Action].flat().includes('cloudwatch:DescribeAlarms')) st.Resource = { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*' };
        }
      }
    });
    const verdicts = (await checkFunctions(records, d, ['CheckHealthFunction'])).filter((v) => v.action === 'cloudwatch:DescribeAlarms');
    expect(denied(verdicts).map((v) => v.resource)).toEqual(['*']);
    expect(verdicts.filter((v) => v.resource !== '*').every((v) => v.result === 'Allowed')).toBe(true);
  });

  test('DescribeAlarms on some alarms only (alarm:other-*): denied on the named alarms and on the prefix query', async () => {
    const d = mutated((t) => {
      for (const p of t.Resources.CheckHealthFunctionRole.Properties.Policies) {
        // A conditional policy (the hooks' Invoke grant) is {"Fn::If": [HasHookFunctions, policy, AWS::NoValue]}.
        for (const st of (p['Fn::If']?.[1] ?? p).PolicyDocument.Statement) {
          if ([st.Action].flat().includes('cloudwatch:DescribeAlarms')) st.Resource = { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:other-*' };
        }
      }
    });
    const bad = denied((await checkFunctions([...records, prefixQuery], d, ['CheckHealthFunction'])).filter((v) => v.action === 'cloudwatch:DescribeAlarms'));
    expect(bad.some((v) => v.resource === 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*')).toBe(true);
    expect(bad.some((v) => /:alarm:[^*]+$/.test(v.resource))).toBe(true);
  });

  test("the alarm path's role as the guard's (no Scan, no StopExecution): it could neither find the deployments nor stop them", async () => {
    const d = mutated((t) => {
      for (const p of t.Resources.AlarmFunctionRole.Properties.Policies) {
        for (const st of (p['Fn::If']?.[1] ?? p).PolicyDocument.Statement) {
          st.Action = [st.Action].flat().filter((a: string) => a !== 'dynamodb:Scan' && a !== 'states:StopExecution');
        }
      }
    });
    const bad = denied(await checkFunctions(records, d, ['AlarmFunction']));
    expect([...new Set(bad.map((v) => v.action))].sort()).toEqual(['dynamodb:Scan', 'states:StopExecution']);
    expect(bad.find((v) => v.action === 'states:StopExecution')!.resource).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:\w+StateMachine:/);
  });

  test("a grant no request used is reported: Prepare's DeleteItem without the request that frees the lock", async () => {
    const without = records.filter((r) => !(r.function === 'PrepareFunction' && r.target?.endsWith('.DeleteItem')));
    const grants = unexercisedGrants(deployed, 'PrepareFunction', await checkFunctions(without, deployed, ['PrepareFunction']));
    const listed = (NEVER_EXERCISED.PrepareFunction ?? []).map((l) => l.grant);
    expect(grants.map((g) => `${g.action} on ${g.resource}`).filter((g) => !listed.includes(g))).toEqual(['dynamodb:DeleteItem on arn:aws:dynamodb:us-east-1:123456789012:table/LockTable']);
  });

  test('a filtered integration run, or one with failures, is refused, saying why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-'));
    const log = join(dir, 'requests.jsonl');
    writeFileSync(log, `${JSON.stringify(records[0])}\n`);
    const filters = runFilters({ testPathPatterns: new TestPathPatterns(['functions.test.ts']), testNamePattern: 'linear' });
    expect(filters).toEqual(['test path patterns functions.test.ts', 'test name pattern (-t) linear']);
    writeFileSync(`${log}.run.json`, JSON.stringify({ startedAt: 'then', finishedAt: 'later', filters }));
    expect(() => readRequestLog(log)).toThrow(NoRequestLog);
    expect(() => readRequestLog(log)).toThrow(/was filtered \(test path patterns functions.test.ts; test name pattern \(-t\) linear\).*npm run test:integration/);
    writeFileSync(`${log}.run.json`, JSON.stringify({ startedAt: 'then', finishedAt: 'later', filters: runFilters({ testPathPatterns: new TestPathPatterns([]) }), failedFiles: [] }));
    expect(readRequestLog(log)).toHaveLength(1);
    // A whole run with a failed file: refused too, naming it.
    writeFileSync(`${log}.run.json`, JSON.stringify({ startedAt: 'then', finishedAt: 'later', filters: [], failedFiles: ['test/integration/safety.test.ts'] }));
    expect(() => readRequestLog(log)).toThrow(/had failures \(test\/integration\/safety.test.ts\)/);
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

  test('a publisher in the account may still use alias/aws/sns through SNS (the check models the AWS managed key policy, not a blanket refusal)', async () => {
    const d = mutated((t) => { t.Resources.ApprovalTopic.Properties.KmsMasterKeyId = 'alias/aws/sns'; });
    expect(failures(await checkFunctions(records, d, ['RequestApprovalFunction']))).toEqual([]);
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

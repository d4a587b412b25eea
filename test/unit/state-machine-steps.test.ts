// The functions' extensions for the state machines: prepare's defaults and machine check,
// check-health's gate, rollback's summary, request-approval's message.
import { AppMeshClient, DescribeRouteCommand, DescribeVirtualNodeCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { prepare } from '../../functions/prepare/index.ts';
import { checkCanaryHealth } from '../../functions/check-health/index.ts';
import { describeReason, rollback } from '../../functions/rollback/index.ts';
import { InvalidInput, MAX_LISTED_PROBLEMS } from '../../functions/commons/errors.ts';
import { approvalMessage, requestApproval } from '../../functions/request-approval/index.ts';
import { initialProgress } from '../../functions/commons/strategy.ts';
import { awsError, describeRouteOutput, event, richSpec } from '../support/fixtures.ts';

const appMesh = mockClient(AppMeshClient);
const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);
beforeEach(() => {
  appMesh.reset(); cw.reset(); sns.reset(); dynamo.reset();
  appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])));
  appMesh.on(DescribeVirtualNodeCommand).resolves({ virtualNode: { meshName: 'demomesh', virtualNodeName: 'product-v15-vn', spec: {}, metadata: undefined, status: { status: 'ACTIVE' } } });
});

const deployment = (strategy: object = event('execution-manual-approval.json').strategy) => ({ ...event('set-weight.json').deployment, strategy });

test('prepare writes out every default, so the state machines can rely on each field', async () => {
  const d = await prepare({ input: event('execution-manual-approval.json'), machine: 'manual-approval' }, { routers: { appMesh: () => new AppMeshClient({}) } });
  expect(d).toMatchObject({ failureThreshold: 1, inconclusive: 'fail', keepStableTarget: false, strategy: { onApprovalTimeout: 'rollback', checkIntervalSeconds: 60 } });
  const s = await prepare({ input: { ...event('execution-linear.json'), strategy: { type: 'step-then-all', canaryPercent: 5, bakeSeconds: 60 } }, machine: 'step-then-all' }, { routers: { appMesh: () => new AppMeshClient({}) } });
  expect(s.strategy).toEqual({ type: 'step-then-all', canaryPercent: 5, bakeSeconds: 60, checkIntervalSeconds: 60 });
});

test('check-health with progress returns the gate decision, and the verdict still explains itself', async () => {
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'product-v15-5xx', StateValue: 'ALARM', StateReason: '5xx 9%' }] });
  const d = { ...deployment({ type: 'linear', stepPercent: 50, intervalSeconds: 0 }), healthChecks: { alarms: { names: ['product-v15-5xx'] } } };
  const out = await checkCanaryHealth({ deployment: d, progress: { ...initialProgress(), stage: 0, weight: 50 } }, new CloudWatchClient({}));
  expect(out.verdict).toBe('fail');
  expect(out.progress).toMatchObject({ decision: 'rollback', reason: expect.stringContaining('5xx 9%') });
});

test('check-health with progress but no strategy is InvalidInput', async () => {
  await expect(checkCanaryHealth({ deployment: event('check-health.json').deployment, progress: initialProgress() }, new CloudWatchClient({})))
    .rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('deployment.strategy is missing') });
});

test.each([
  [{ Error: 'CanaryUnhealthy', Cause: 'alarm x is ALARM' }, 'CanaryUnhealthy: alarm x is ALARM'],
  [{ Error: 'HealthCheckMisconfigured', Cause: JSON.stringify({ errorType: 'HealthCheckMisconfigured', errorMessage: 'CloudWatch alarm not found: x', trace: [] }) }, 'HealthCheckMisconfigured: CloudWatch alarm not found: x'],
  ['by hand', 'by hand'],
  [undefined, undefined],
])('rollback explains %j as %j', (reason, text) => {
  expect(describeReason(reason)).toBe(text);
});

describe('rollback', () => {
  const lock = { client: new DynamoDBClient({}), tableName: 'locks' };
  const executionId = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x';
  const d = { ...event('rollback.json').deployment, executionId };
  const misconfigured = { Error: 'HealthCheckMisconfigured', Cause: JSON.stringify({ errorType: 'HealthCheckMisconfigured', errorMessage: 'DescribeAlarms: no alarm named product-v15-5xx', trace: ['HealthCheckMisconfigured: ...', '    at checkHealth (index.js:1:2)'] }) };

  test('refused before any change: releases the lock, never reads or writes the route, and says why without the stack trace', async () => {
    dynamo.on(DeleteItemCommand).resolves({});
    const out = await rollback({ deployment: d, reason: misconfigured, refused: true }, { routers: { appMesh: () => new AppMeshClient({}) }, lock });
    expect(out).toEqual({ changed: false, summary: 'DescribeAlarms: no alarm named product-v15-5xx. Nothing was changed: route demomesh/product-vr/product-r was not touched, and its deployment lock is released.' });
    expect(appMesh.calls()).toHaveLength(0);
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, { ExpressionAttributeValues: { ':me': { S: executionId } } });
  });

  test('releaseLock: releases the lock of an execution that has no deployment (stopped during Prepare), only if it holds it', async () => {
    const route = d.route;
    dynamo.on(DeleteItemCommand).resolvesOnce({}).rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    expect(await rollback({ releaseLock: { route, executionId } }, { routers: { appMesh: () => new AppMeshClient({}) }, lock })).toMatchObject({ released: true });
    expect(await rollback({ releaseLock: { route, executionId } }, { routers: { appMesh: () => new AppMeshClient({}) }, lock })).toMatchObject({ released: false });
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, { Key: { route: { S: '123456789012:demomesh/product-vr/product-r' } }, ConditionExpression: '#executionId = :me' });
    expect(appMesh.calls()).toHaveLength(0);
  });

  test.each([
    [{ releaseLock: { route: d.route } }, 'event.releaseLock.executionId'],
    [{ releaseLock: { route: { meshName: 'a b' }, executionId: 'x' } }, 'event.releaseLock.route.meshName'],
    [{ releaseLock: { route: d.route, executionId: 'x' }, deployment: d }, 'event.deployment cannot go with event.releaseLock'],
    [{ deployment: d, leaveRoute: true, refused: true }, 'cannot both be true'],
    [{ deployment: d, refused: 'yes' }, 'event.refused'],
  ])('%j is InvalidInput naming %s, and nothing is touched', async (e, field) => {
    await expect(rollback(e, { routers: { appMesh: () => new AppMeshClient({}) }, lock })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining(field) });
    expect(dynamo.calls()).toHaveLength(0);
    expect(appMesh.calls()).toHaveLength(0);
  });

  test('the summary says when another target was changed during the deployment, and that it was left as it is', async () => {
    const snapshot = { ...d.snapshot, weightedTargets: [{ virtualNode: 'product-vn', weight: 90 }, { virtualNode: 'legacy-vn', weight: 10 }] };
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 45 }, { virtualNode: 'legacy-vn', weight: 30 }, { virtualNode: 'product-v15-vn', weight: 45 }])));
    appMesh.on(UpdateRouteCommand).callsFake((input) => describeRouteOutput(input.spec, 9));
    const out = await rollback({ deployment: { ...d, executionId: undefined, snapshot }, reason: { Error: 'CanaryUnhealthy', Cause: 'alarm x is ALARM' } }, { routers: { appMesh: () => new AppMeshClient({}) } });
    expect(out).toMatchObject({
      changed: true, weightedTargets: [{ virtualNode: 'product-vn', weight: 90 }, { virtualNode: 'legacy-vn', weight: 30 }],
      keptChanges: [{ virtualNode: 'legacy-vn', snapshot: { virtualNode: 'legacy-vn', weight: 10 }, now: { virtualNode: 'legacy-vn', weight: 30 } }],
      summary: 'rolled back because CanaryUnhealthy: alarm x is ALARM. Route demomesh/product-vr/product-r: product-vn and product-v15-vn back to their snapshot weights (product-vn 90, legacy-vn 30); '
        + 'other targets were changed during the deployment and are left as they are, unlike the snapshot: legacy-vn 30 (snapshot 10).',
    });
  });
});

test('InvalidInput lists at most MAX_LISTED_PROBLEMS problems in its message (it becomes an execution\'s cause), and keeps them all', () => {
  const problems = Array.from({ length: MAX_LISTED_PROBLEMS + 5 }, (_, i) => `field${i} is wrong`);
  const e = new InvalidInput(problems);
  expect(e.message).toContain(`field${MAX_LISTED_PROBLEMS - 1} is wrong; and 5 more problems`);
  expect(e.message).not.toContain(`field${MAX_LISTED_PROBLEMS} is wrong`);
  expect(e.problems).toHaveLength(MAX_LISTED_PROBLEMS + 5);
  expect(new InvalidInput(['a', 'b']).message).toBe('Invalid input: a; b');
});

describe('request-approval', () => {
  const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake+token/with==';

  test('publishes what waits and the exact commands, and logs no token', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: any) => { lines.push(String(c)); return true; });
    const out = await requestApproval({ deployment: deployment(), taskToken: token, weight: 25 }, new SNSClient({}), 'arn:aws:sns:us-east-1:123456789012:approvals');
    spy.mockRestore();
    expect(out).toEqual({ notified: true, topicArn: 'arn:aws:sns:us-east-1:123456789012:approvals', messageId: 'm-1' });
    const body = sns.commandCalls(PublishCommand)[0].args[0].input.Message!;
    expect(body).toContain('demomesh/product-vr/product-r');
    expect(body).toContain('(now at 25% of the stable+canary traffic)');
    expect(body).toContain(`--task-token '${token}' --task-output '{"approved":true}'`);
    expect(body).toContain(`aws stepfunctions send-task-failure --task-token '${token}' --error Rejected`);
    expect(body).toMatch(/then it will be ROLLED BACK/);
    expect(lines.join('')).not.toContain(token);
  });

  test('without a topic nobody is notified, and that is not an error', async () => {
    expect(await requestApproval({ deployment: deployment(), taskToken: token }, new SNSClient({}), '')).toEqual({ notified: false });
    expect(sns.calls()).toHaveLength(0);
  });

  test('a token is required; SNS failures are named', async () => {
    await expect(requestApproval({ deployment: deployment() }, new SNSClient({}), 'arn:x')).rejects.toMatchObject({ name: 'InvalidInput' });
    sns.on(PublishCommand).rejects(awsError('AuthorizationErrorException', 403));
    await expect(requestApproval({ deployment: deployment(), taskToken: token }, new SNSClient({}), 'arn:x')).rejects.toMatchObject({ name: 'AwsRequestRejected' });
  });

  test('a token with a quote stays one shell word', () => {
    expect(approvalMessage(deployment(), "a'b").body).toContain(`--task-token 'a'\\''b'`);
  });
});

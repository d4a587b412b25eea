// The local AWS delivers the events EventBridge would (issue 12): executions' status changes and
// alarms' state changes go through the template's rules (local/stack.ts) and moto's matching, Lambda
// targets run as asynchronous invocations with Lambda's retries and OnFailure destination
// (local/front.ts), and nothing here invokes the guard by hand. This file runs its own local AWS
// with events on (the suite's shared one has them off: its tests drive the guard by hand), and a
// second one with events off.
import { DeleteRouteCommand, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalAws, type LocalAws } from '../../local/aws.ts';
import { createDemoMesh } from '../../local/demo-mesh.ts';
import { deployStack, type LocalStack } from '../../local/stack.ts';
import { fullHistory } from '../../cli/follow.ts';
import { lockKeyOf } from '../support/fixtures.ts';
import { shifts, unique, until } from '../support/executions.ts';
import {
  ALARM_TIMESTAMP, clientsFor, drain, EVENT_TIME, queueRule, runsFor, UUID, type Clients, type DeliveredEvent,
} from '../support/local-events.ts';

type Route = { meshName: string; virtualRouterName: string; routeName: string };

/** One local AWS with its stack and clients. */
async function localAws(events: boolean) {
  const aws = await startLocalAws({ quiet: true, events, asyncRetryDelaysMs: [200, 400] });
  const stack = await deployStack(aws, unique('events'));
  return { aws, stack, c: clientsFor(aws) };
}

function helpers(aws: LocalAws, stack: LocalStack, c: Clients) {
  const routeNow = async (route: Route) => (await c.appMesh.send(new DescribeRouteCommand(route))).route!;
  return {
    routeNow,
    lockItem: async (route: Route) => (await c.dynamo.send(new GetItemCommand({
      TableName: stack.outputs.LockTableName, Key: { route: { S: lockKeyOf(route) } }, ConsistentRead: true,
    }))).Item,
    async demoMesh() {
      const meshName = unique('ev');
      await createDemoMesh(c.appMesh, meshName);
      return { route: { meshName, virtualRouterName: 'product-vr', routeName: 'product-r' }, stableNode: 'product-vn', canaryNode: 'product-v15-vn' };
    },
    async start(input: object): Promise<string> {
      return (await c.sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: unique('linear'), input: JSON.stringify(input) }))).executionArn!;
    },
    async ended(executionArn: string) {
      return until(`${executionArn} to end`, async () => {
        const d = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
        return d.status !== 'RUNNING' && d;
      }, 60_000);
    },
    /** Waits until the execution has shifted the canary to `percent` and waits at it. */
    async shiftedTo(executionArn: string, percent: number) {
      await until(`the canary waiting at ${percent}%`, async () => shifts(await fullHistory(c.sfn, executionArn)).includes(percent));
    },
    canaryWeight: async (route: Route, canary: string) =>
      (await routeNow(route)).spec!.httpRoute!.action!.weightedTargets!.find((t) => t.virtualNode === canary)?.weight ?? 0,
  };
}

describe('events on (the default)', () => {
  let aws: LocalAws;
  let stack: LocalStack;
  let c: Clients;
  let h: ReturnType<typeof helpers>;

  beforeAll(async () => {
    ({ aws, stack, c } = await localAws(true));
    h = helpers(aws, stack, c);
  });
  afterAll(async () => {
    await aws?.stop();
  });

  test('deployStack made the guard\'s rule as SAM names it, its pattern naming the deployed machines', () => {
    expect(stack.rules.GuardFunctionExecutionEnded).toEqual({
      target: aws.functionArn('GuardFunction'),
      pattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [stack.machines.linear, stack.machines['step-then-all'], stack.machines['manual-approval']] },
      },
    });
    expect(Object.keys(stack.queues)).toEqual(expect.arrayContaining(['GuardFunctionEventInvokeConfigOnFailureQueue', 'GuardFunctionExecutionEndedQueue']));
  });

  test('StopExecution mid-way: with nobody invoking anything, the guard restores the snapshot and releases the lock, once', async () => {
    const mesh = await h.demoMesh();
    const before = await h.routeNow(mesh.route);
    const arn = await h.start({ ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 } });
    await h.shiftedTo(arn, 50); // its Shift step has ended: no write can still land
    await c.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Aborted', cause: 'operator pressed stop' }));
    expect((await h.ended(arn)).status).toBe('ABORTED');

    await until('the route back at its snapshot and the lock gone', async () =>
      JSON.stringify((await h.routeNow(mesh.route)).spec) === JSON.stringify(before.spec) && !(await h.lockItem(mesh.route)), 20_000);
    const runs = await until('the guard run recorded', async () => {
      const r = await runsFor(aws, 'GuardFunction', arn);
      return r.length > 0 && r;
    });
    await new Promise((r) => setTimeout(r, 1000)); // a second delivery would show by now
    expect(await runsFor(aws, 'GuardFunction', arn)).toEqual([expect.objectContaining({ invocationType: 'Event', attempt: 1, ok: true })]);
    expect(runs).toHaveLength(1);
  });

  test('every status change of an execution is an event of the documented shape; one that succeeds invokes nothing', async () => {
    const mesh = await h.demoMesh();
    const { queueUrl } = await queueRule(c, aws, { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { stateMachineArn: [stack.machines.linear] } });
    const input = { ...mesh, strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 0 } };
    const arn = await h.start(input);
    const end = await h.ended(arn);
    expect(end.status).toBe('SUCCEEDED');

    const delivered = (await drain(c, queueUrl, 2)).filter((e) => e.detail.executionArn === arn);
    expect(delivered.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    const [running, succeeded] = delivered;
    for (const e of delivered) {
      expect(e).toEqual({
        version: '0', id: expect.stringMatching(UUID), 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states',
        account: aws.accountId, time: expect.stringMatching(EVENT_TIME), region: aws.region, resources: [arn], detail: expect.any(Object),
      });
    }
    const common = { executionArn: arn, stateMachineArn: stack.machines.linear, name: end.name, startDate: end.startDate!.getTime(), input: JSON.stringify(input), inputDetails: { included: true }, error: null, cause: null };
    expect(running.detail).toEqual({ ...common, status: 'RUNNING', stopDate: null, output: null, outputDetails: null });
    expect(succeeded.detail).toEqual({ ...common, status: 'SUCCEEDED', stopDate: end.stopDate!.getTime(), output: end.output, outputDetails: { included: true } });
    expect(running.id).not.toBe(succeeded.id);

    // The guard's rule is for ABORTED, TIMED_OUT and FAILED only.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await runsFor(aws, 'GuardFunction', arn)).toEqual([]);
  });

  test('an ABORTED event carries StopExecution\'s error and cause', async () => {
    const { queueUrl } = await queueRule(c, aws, { source: ['aws.states'], detail: { status: ['ABORTED'], stateMachineArn: [stack.machines.linear] } });
    const mesh = await h.demoMesh();
    const arn = await h.start({ ...mesh, strategy: { type: 'linear', stepPercent: 10, intervalSeconds: 30 } });
    await h.shiftedTo(arn, 10);
    await c.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Aborted', cause: 'operator pressed stop' }));
    const end = await h.ended(arn);
    expect({ error: end.error, cause: end.cause }).toEqual({ error: 'Aborted', cause: 'operator pressed stop' }); // DescribeExecution, as AWS
    const [aborted] = (await drain(c, queueUrl, 1)).filter((e) => e.detail.executionArn === arn);
    expect(aborted.detail).toMatchObject({ status: 'ABORTED', error: 'Aborted', cause: 'operator pressed stop', stopDate: end.stopDate!.getTime(), output: null });
  });

  test('FAILED and TIMED_OUT events carry the error and cause DescribeExecution shows, and their stop date', async () => {
    const machine = async (definition: object) => (await c.sfn.send(new CreateStateMachineCommand({
      name: unique('events-test'), definition: JSON.stringify(definition), roleArn: `arn:aws:iam::${aws.accountId}:role/events-test`,
    }))).stateMachineArn!;
    const failing = await machine({ StartAt: 'Fail', States: { Fail: { Type: 'Fail', Error: 'CanaryRolledBack', Cause: 'alarm canary-5xx in ALARM' } } });
    const slow = await machine({ StartAt: 'Wait', TimeoutSeconds: 1, States: { Wait: { Type: 'Wait', Seconds: 5, End: true } } });
    const { queueUrl } = await queueRule(c, aws, { source: ['aws.states'], detail: { stateMachineArn: [failing, slow], status: ['FAILED', 'TIMED_OUT'] } });
    const run = async (stateMachineArn: string) => (await c.sfn.send(new StartExecutionCommand({ stateMachineArn, name: unique('x') }))).executionArn!;
    const [failed, timedOut] = await Promise.all([run(failing), run(slow)]);
    const ends = await Promise.all([h.ended(failed), h.ended(timedOut)]);
    expect(ends.map((e) => e.status)).toEqual(['FAILED', 'TIMED_OUT']);

    const delivered = await drain(c, queueUrl, 2);
    const about = (arn: string) => delivered.filter((e) => e.detail.executionArn === arn).map((e) => e.detail);
    expect(about(failed)).toEqual([expect.objectContaining({ status: 'FAILED', error: 'CanaryRolledBack', cause: 'alarm canary-5xx in ALARM', stopDate: ends[0].stopDate!.getTime(), output: null })]);
    expect(about(timedOut)).toEqual([expect.objectContaining({ status: 'TIMED_OUT', stopDate: expect.any(Number), output: null })]);
    expect(about(timedOut)[0].stopDate - about(timedOut)[0].startDate).toBeGreaterThanOrEqual(1000);
  });

  test('SetAlarmState: one "CloudWatch Alarm State Change" per change, of the documented shape; the same state again emits nothing', async () => {
    const alarmName = unique('canary-5xx');
    const { queueUrl } = await queueRule(c, aws, { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: [alarmName] } });
    // A rule on the state reached, as a function's rule on alarms going to ALARM would have it.
    const toAlarmOnly = await queueRule(c, aws, { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: [alarmName], state: { value: ['ALARM'] } } });
    await c.cloudWatch.send(new PutMetricAlarmCommand({
      AlarmName: alarmName, AlarmDescription: 'canary 5xx', Namespace: 'demo', MetricName: 'Http5xx', Dimensions: [{ Name: 'Service', Value: 'product' }],
      Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }));
    const alarmArn = `arn:aws:cloudwatch:${aws.region}:${aws.accountId}:alarm:${alarmName}`;
    const set = (StateValue: 'OK' | 'ALARM', StateReason: string, StateReasonData?: string) =>
      c.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue, StateReason, StateReasonData }));

    await set('ALARM', '5xx above 1', '{"version":"1.0"}');
    const [toAlarm, ...more] = await drain(c, queueUrl, 1);
    expect(more).toEqual([]);
    expect(toAlarm).toEqual({
      version: '0', id: expect.stringMatching(UUID), 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch',
      account: aws.accountId, time: expect.stringMatching(EVENT_TIME), region: aws.region, resources: [alarmArn],
      detail: {
        alarmName,
        state: { value: 'ALARM', reason: '5xx above 1', reasonData: '{"version":"1.0"}', timestamp: expect.stringMatching(ALARM_TIMESTAMP) },
        // moto creates alarms in OK (CloudWatch: INSUFFICIENT_DATA until first evaluated).
        previousState: { value: 'OK', reason: expect.any(String), timestamp: expect.stringMatching(ALARM_TIMESTAMP) },
        configuration: {
          description: 'canary 5xx',
          metrics: [{ id: expect.any(String), returnData: true, metricStat: { metric: { namespace: 'demo', name: 'Http5xx', dimensions: { Service: 'product' } }, period: 60, stat: 'Sum' } }],
        },
      },
    });

    await set('ALARM', 'still above');
    expect(await drain(c, queueUrl, 0)).toEqual([]);

    await set('OK', 'back under');
    const back = await drain(c, queueUrl, 1);
    expect(back.map((e) => [e.detail.previousState.value, e.detail.state.value, e.detail.state.reason])).toEqual([['ALARM', 'OK', 'back under']]);
    expect(back[0].detail.state).not.toHaveProperty('reasonData');
    expect((await drain(c, toAlarmOnly.queueUrl, 1)).map((e) => e.id)).toEqual([toAlarm.id]);
  });

  test('a guard that fails on its event is retried MaximumRetryAttempts (2) times, then the event lands in its OnFailure queue', async () => {
    const mesh = await h.demoMesh();
    const arn = await h.start({ ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 30 } });
    await h.shiftedTo(arn, 25);
    // A route that cannot be restored: it is gone.
    await c.appMesh.send(new DeleteRouteCommand(mesh.route));
    await c.sfn.send(new StopExecutionCommand({ executionArn: arn, cause: 'operator pressed stop' }));

    const onFailure = stack.queues.GuardFunctionEventInvokeConfigOnFailureQueue;
    const records = (await drain<any>(c, onFailure, 1)).filter((r) => r.requestPayload?.detail?.executionArn === arn);
    expect(records).toHaveLength(1);
    const runs = await runsFor(aws, 'GuardFunction', arn);
    expect(runs.map((r) => [r.attempt, r.ok])).toEqual([[1, false], [2, false], [3, false]]);
    expect(new Set(runs.map((r) => r.requestId)).size).toBe(1); // one invocation, retried
    expect(records[0]).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: { requestId: runs[0].requestId, functionArn: `${aws.functionArn('GuardFunction')}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: expect.objectContaining({ source: 'aws.states', resources: [arn], detail: expect.objectContaining({ status: 'ABORTED' }) }),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: expect.objectContaining({ errorType: runs[0].errorType, errorMessage: expect.any(String) }),
    });
  });
});

describe('events off', () => {
  let aws: LocalAws;
  let stack: LocalStack;
  let c: Clients;
  let h: ReturnType<typeof helpers>;

  beforeAll(async () => {
    ({ aws, stack, c } = await localAws(false));
    h = helpers(aws, stack, c);
  });
  afterAll(async () => {
    await aws?.stop();
  });

  test('a stop leaves the route shifted and the lock held: nothing is delivered', async () => {
    expect(aws.events).toBe(false);
    const { queueUrl } = await queueRule(c, aws, { source: ['aws.states', 'aws.cloudwatch'] });
    const mesh = await h.demoMesh();
    const arn = await h.start({ ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 } });
    await h.shiftedTo(arn, 50);
    await c.sfn.send(new StopExecutionCommand({ executionArn: arn }));
    expect((await h.ended(arn)).status).toBe('ABORTED');
    await new Promise((r) => setTimeout(r, 1500)); // the guard, were it invoked, would have restored by now
    expect(await h.canaryWeight(mesh.route, mesh.canaryNode)).toBe(50);
    expect(await h.lockItem(mesh.route)).toBeDefined();
    expect(await runsFor(aws, 'GuardFunction', arn)).toEqual([]);
    expect(await drain(c, queueUrl, 0)).toEqual([]);
  });
});

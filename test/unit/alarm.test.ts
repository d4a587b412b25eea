// The alarm path (functions/alarm): which deployments an alarm concerns (their lock items), and
// what it does to each (stop with AlarmFired, restore at once), against mocked AWS APIs with
// their real error names. The execution runs for real on the local AWS in test/integration/alarm.test.ts.
import { AppMeshClient, DescribeRouteCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StopExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { alarmRollback, alarmTime } from '../../functions/alarm/index.ts';
import { deploymentsWatching, watchedAlarms, watches } from '../../functions/commons/alarm-watch.ts';
import { acquireLocks } from '../../functions/commons/lock.ts';
import { awsError, describeRouteOutput, event, richSpec } from '../support/fixtures.ts';

const appMesh = mockClient(AppMeshClient);
const dynamo = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const lock = { client: new DynamoDBClient({}), tableName: 'locks' };
const alarmEvent = (value = 'ALARM', alarmName = 'product-v15-5xx') => {
  const e = event<any>('alarm-state-change.json');
  return { ...e, detail: { ...e.detail, alarmName, state: { ...e.detail.state, value, timestamp: new Date(Date.now() - 200).toISOString().replace('Z', '+0000') } } };
};
const future = () => String(Math.floor(Date.now() / 1000) + 600);
const item = (route: string, executionId: string, more: Record<string, unknown> = {}) => ({
  route: { S: route }, executionId: { S: executionId }, expiresAt: { N: future() }, ...more,
});
const names = (...n: string[]) => ({ alarmNames: { L: n.map((S) => ({ S })) } });
const prefixes = (...p: string[]) => ({ alarmPrefixes: { L: p.map((S) => ({ S })) } });

beforeEach(() => { appMesh.reset(); dynamo.reset(); sfn.reset(); });

describe('which alarms a deployment watches', () => {
  test('every name and prefix of a release\'s own checks and each route\'s, each once', () => {
    expect(watchedAlarms({
      healthChecks: { alarms: { names: ['a', 'b'], prefix: 'shop-' } },
      routes: [{ healthChecks: { alarms: { names: ['b', 'c'] } } }, { healthChecks: { alarms: { prefix: 'shop-' } } }, {}],
    })).toEqual({ names: ['a', 'b', 'c'], prefixes: ['shop-'] });
    expect(watchedAlarms({ healthChecks: { metrics: [] } })).toEqual({ names: [], prefixes: [] });
  });

  test('an alarm is watched when named or when its name starts with a prefix (case matters, as in CloudWatch)', () => {
    const w = { names: ['product-v15-5xx'], prefixes: ['shop-'] };
    expect(['product-v15-5xx', 'shop-latency', 'Shop-latency', 'product-v15-5xx-2'].map((n) => watches(w, n))).toEqual([true, true, false, false]);
  });

  test('the lock items record them (and say nothing when a deployment checks no alarm)', async () => {
    dynamo.on(TransactWriteItemsCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const routes = [{ key: 'k1', label: 'r1' }, { key: 'k2', label: 'r2' }];
    await acquireLocks(lock, routes, 'exec-1', 600, new Date(), { names: ['a'], prefixes: ['shop-'] });
    const items = dynamo.commandCalls(TransactWriteItemsCommand)[0].args[0].input.TransactItems!.map((t) => t.Put!.Item!);
    for (const i of items) expect(i).toMatchObject({ alarmNames: { L: [{ S: 'a' }] }, alarmPrefixes: { L: [{ S: 'shop-' }] } });
    await acquireLocks(lock, routes.slice(0, 1), 'exec-1', 600, new Date(), { names: [], prefixes: [] });
    const one = dynamo.commandCalls(PutItemCommand)[0].args[0].input.Item!;
    expect(Object.keys(one).sort()).toEqual(['acquiredAt', 'executionId', 'expiresAt', 'route']);
  });
});

describe('the deployments an alarm concerns', () => {
  test('read from every page of the lock table, one per execution, expired items left out', async () => {
    dynamo.on(ScanCommand)
      .resolvesOnce({ Items: [item('k1', 'exec-a', names('x', 'product-v15-5xx')), item('k2', 'exec-b', names('other'))], LastEvaluatedKey: { route: { S: 'k2' } } })
      .resolvesOnce({ Items: [item('k3', 'exec-a', names('product-v15-5xx')), item('k4', 'exec-c', prefixes('product-')),
        item('k5', 'exec-d', { ...names('product-v15-5xx'), expiresAt: { N: '1000' } }), item('k6', 'exec-e')] });
    expect(await deploymentsWatching(lock, 'product-v15-5xx')).toEqual([
      { executionId: 'exec-a', routes: ['k1', 'k3'] }, { executionId: 'exec-c', routes: ['k4'] }]);
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 2);
    expect(dynamo.commandCalls(ScanCommand)[1].args[0].input).toMatchObject({ ExclusiveStartKey: { route: { S: 'k2' } }, ConsistentRead: true });
  });

  test('a throttled scan is a TransientAwsError (the event is retried)', async () => {
    dynamo.on(ScanCommand).rejects(awsError('ProvisionedThroughputExceededException', 400));
    await expect(deploymentsWatching(lock, 'a')).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('the alarm path', () => {
  const executionArn = event('guard-aborted.json').detail.executionArn as string;
  const deployment = { ...event('set-weight.json').deployment, executionId: executionArn };
  const at = (msAgo: number) => new Date(Date.now() - msAgo);
  let id = 0;
  const ev = (type: string, when: Date, more: Partial<HistoryEvent> = {}): HistoryEvent => ({ type, id: ++id, timestamp: when, ...more } as HistoryEvent);
  const entered = (name: string, when: Date) => ev('TaskStateEntered', when, { stateEnteredEventDetails: { name } });
  const exited = (name: string, output: object, when: Date) => ev('TaskStateExited', when, { stateExitedEventDetails: { name, output: JSON.stringify(output) } });
  const ran = (name: string, when: Date, output: object = {}) => [entered(name, when), ev('TaskScheduled', when), ev('TaskStarted', when), ev('TaskSucceeded', when), exited(name, output, when)];
  const history = [ev('ExecutionStarted', at(60_000)), ...ran('Prepare', at(59_000), { deployment }), ...ran('Shift', at(50_000)), entered('Wait', at(49_000))];
  const t = (stable: number, canary?: number) => [{ virtualNode: 'product-vn', weight: stable }, ...(canary === undefined ? [] : [{ virtualNode: 'product-v15-vn', weight: canary }])];
  let spec = richSpec('httpRoute', t(100));
  let status: string;
  let stopped: { error?: string; cause?: string } = {};
  const deps = () => ({
    sfn: new SFNClient({}), routers: { appMesh: () => new AppMeshClient({}) }, lock, writerTimeoutMs: 35_000, prepareTimeoutMs: 35_000,
    sleep: async () => { throw new Error('no step was in flight: nothing to wait for'); },
  });

  beforeEach(() => {
    spec = richSpec('httpRoute', t(80, 20));
    status = 'RUNNING';
    stopped = {};
    dynamo.on(ScanCommand).resolves({ Items: [item('123456789012:demomesh/product-vr/product-r', executionArn, names('product-v15-5xx'))] });
    dynamo.on(GetItemCommand).resolves({ Item: item('123456789012:demomesh/product-vr/product-r', executionArn) });
    dynamo.on(DeleteItemCommand).resolves({});
    sfn.on(DescribeExecutionCommand).callsFake(() => ({ executionArn, status, ...stopped }));
    sfn.on(StopExecutionCommand).callsFake((input) => { status = 'ABORTED'; stopped = { error: input.error, cause: input.cause }; return { stopDate: new Date() }; });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history });
    appMesh.on(DescribeRouteCommand).callsFake(() => describeRouteOutput(spec));
    appMesh.on(UpdateRouteCommand).callsFake((input) => { spec = input.spec; return describeRouteOutput(spec, 9); });
  });

  test('ALARM on an alarm a running deployment checks: stopped with AlarmFired naming the alarm, the route back at its snapshot, the lock released', async () => {
    const result = await alarmRollback(alarmEvent(), deps());
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn, error: 'AlarmFired', cause: expect.stringMatching(/^alarm product-v15-5xx went to ALARM at .*: Threshold Crossed/),
    });
    expect(spec.httpRoute!.action!.weightedTargets).toEqual(t(100));
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, { ExpressionAttributeValues: { ':me': { S: executionArn } } });
    expect(result).toMatchObject({ alarmName: 'product-v15-5xx', state: 'ALARM', deployments: [{ executionArn, action: 'rolled-back', guard: 'restored' }] });
    expect(result.deployments[0].restoredAfterMs).toBeGreaterThanOrEqual(0);
    expect(result.deployments[0].restoredAfterMs).toBeLessThan(10_000);
  });

  test('a duplicate event while the lock is still there (the first still restoring): the execution is already ABORTED by the alarm path, so no second stop; the restore finds nothing to change', async () => {
    await alarmRollback(alarmEvent(), deps());
    sfn.resetHistory();
    appMesh.resetHistory();
    const again = await alarmRollback(alarmEvent(), deps());
    expect(sfn).toHaveReceivedCommandTimes(StopExecutionCommand, 0);
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
    expect(again.deployments).toMatchObject([{ action: 'rolled-back', guard: 'restored' }]);
    expect(spec.httpRoute!.action!.weightedTargets).toEqual(t(100));
  });

  test('a duplicate event after the restore: no lock item is left, so nothing is stopped, read or written', async () => {
    await alarmRollback(alarmEvent(), deps());
    dynamo.on(ScanCommand).resolves({ Items: [] }); // the guard deleted the lock item
    sfn.resetHistory();
    appMesh.resetHistory();
    expect(await alarmRollback(alarmEvent(), deps())).toMatchObject({ deployments: [] });
    expect(sfn.calls()).toHaveLength(0);
    expect(appMesh.calls()).toHaveLength(0);
  });

  test('a late event (re-delivered an hour on) leaves alone a deployment whose lock was taken after the alarm fired', async () => {
    const fired = alarmEvent();
    const newer = new Date(Date.now() + 60_000).toISOString();
    dynamo.on(ScanCommand).resolves({ Items: [item('123456789012:demomesh/product-vr/product-r', executionArn, { ...names('product-v15-5xx'), acquiredAt: { S: newer } })] });
    expect(await alarmRollback(fired, deps())).toMatchObject({ deployments: [] });
    expect(sfn).toHaveReceivedCommandTimes(StopExecutionCommand, 0);
    // The same lock taken before the alarm fired: stopped.
    dynamo.on(ScanCommand).resolves({ Items: [item('123456789012:demomesh/product-vr/product-r', executionArn, { ...names('product-v15-5xx'), acquiredAt: { S: new Date(Date.now() - 60_000).toISOString() } })] });
    expect(await alarmRollback(fired, deps())).toMatchObject({ deployments: [{ action: 'rolled-back' }] });
  });

  test.each([
    ['promoted', 'SUCCEEDED', undefined],
    ['rolled back by a verdict', 'FAILED', 'CanaryRolledBack'],
    ['stopped by a person', 'ABORTED', undefined],
  ])('a deployment that already ended (%s) is left alone: no stop, no write', async (_l, ended, error) => {
    status = ended;
    stopped = error ? { error } : {};
    expect(await alarmRollback(alarmEvent(), deps())).toMatchObject({ deployments: [{ executionArn, action: 'left-alone', status: ended }] });
    expect(sfn).toHaveReceivedCommandTimes(StopExecutionCommand, 0);
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 0);
  });

  test('OK, INSUFFICIENT_DATA, or an alarm no deployment checks: nothing is read or stopped', async () => {
    for (const value of ['OK', 'INSUFFICIENT_DATA']) expect(await alarmRollback(alarmEvent(value), deps())).toEqual({ alarmName: 'product-v15-5xx', state: value, deployments: [] });
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 0);
    expect(await alarmRollback(alarmEvent('ALARM', 'someone-elses-alarm'), deps())).toMatchObject({ deployments: [] });
    expect(sfn.calls()).toHaveLength(0);
    expect(appMesh.calls()).toHaveLength(0);
  });

  test('StopExecution throttled: a TransientAwsError (Lambda retries the event), and the route is untouched', async () => {
    sfn.on(StopExecutionCommand).rejects(awsError('ThrottlingException', 400, 'Rate exceeded'));
    await expect(alarmRollback(alarmEvent(), deps())).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining(executionArn) });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('two deployments check the alarm and one fails: the other is still rolled back, and the error names the one that failed', async () => {
    const other = executionArn.replace('product-v15', 'other-release');
    dynamo.on(ScanCommand).resolves({ Items: [item('k-other', other, names('product-v15-5xx')), item('123456789012:demomesh/product-vr/product-r', executionArn, names('product-v15-5xx'))] });
    sfn.on(DescribeExecutionCommand, { executionArn: other }).rejects(awsError('ExecutionDoesNotExist', 400));
    await expect(alarmRollback(alarmEvent(), deps())).rejects.toMatchObject({ message: expect.stringMatching(/other-release.*ExecutionDoesNotExist/) });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn });
    expect(spec.httpRoute!.action!.weightedTargets).toEqual(t(100));
  });

  test('a malformed event is InvalidInput and nothing is read', async () => {
    await expect(alarmRollback({ ...alarmEvent(), source: 'aws.states' }, deps())).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test("CloudWatch's timestamps (+0000) are read; a bad one is none", () => {
    expect(alarmTime('2019-10-02T17:04:40.989+0000')?.toISOString()).toBe('2019-10-02T17:04:40.989Z');
    expect(alarmTime('yesterday')).toBeUndefined();
    expect(alarmTime(undefined)).toBeUndefined();
  });
});

describe('the alarm path, when the stop is not yet shown or loses a race', () => {
  const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x';
  beforeEach(() => {
    dynamo.on(ScanCommand).resolves({ Items: [item('k1', executionArn, names('a'))] });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  });
  const deps = () => ({ sfn: new SFNClient({}), routers: { appMesh: () => new AppMeshClient({}) }, lock, writerTimeoutMs: 1, prepareTimeoutMs: 1 });
  const ev = () => ({ ...event<any>('alarm-state-change.json'), detail: { ...event<any>('alarm-state-change.json').detail, alarmName: 'a' } });

  test('stopped, but DescribeExecution still says RUNNING: ours all the same, the guard runs', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, status: 'RUNNING' });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    expect(await alarmRollback(ev(), deps())).toMatchObject({ deployments: [{ action: 'rolled-back' }] });
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 1);
  });

  test('it was promoted between the look and the stop: left alone, its route not read', async () => {
    sfn.on(DescribeExecutionCommand).resolvesOnce({ executionArn, status: 'RUNNING' }).resolves({ executionArn, status: 'SUCCEEDED' });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    expect(await alarmRollback(ev(), deps())).toMatchObject({ deployments: [{ action: 'left-alone', status: 'SUCCEEDED' }] });
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 0);
  });
});

// A release's locks (issue 11): all routes' lock items in one DynamoDB transaction, so a second
// deployment touching any of them is refused and nothing is left half-locked; and settled(), the
// fan-out's rule that a step returns or throws only once every route's call has settled.
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DeploymentInProgress, RouteDriftDetected, TransientAwsError, UnsupportedRoute } from '../../functions/commons/errors.ts';
import { acquireLocks } from '../../functions/commons/lock.ts';
import { settled } from '../../functions/commons/route-writer.ts';

const dynamo = mockClient(DynamoDBClient);
const table = { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'locks' };
const me = 'arn:aws:states:us-east-1:123456789012:execution:linear:release-1';
const routes = ['a', 'b', 'c'].map((r) => ({ key: `123456789012:mesh/${r}-vr/${r}-r`, label: `mesh/${r}-vr/${r}-r` }));
const canceled = (codes: string[]) => new TransactionCanceledException({
  message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
  $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })),
});

beforeEach(() => dynamo.reset());

test('three routes: one TransactWriteItems of three conditional Puts, each the one-route condition', async () => {
  dynamo.on(TransactWriteItemsCommand).resolves({});
  await acquireLocks(table, routes, me, 3600, new Date('2026-11-27T10:00:00Z'));
  const calls = dynamo.commandCalls(TransactWriteItemsCommand);
  expect(calls).toHaveLength(1);
  const items = calls[0].args[0].input.TransactItems!;
  expect(items.map((i) => i.Put!.Item!.route.S)).toEqual(routes.map((r) => r.key));
  for (const i of items) {
    expect(i.Put!.ConditionExpression).toBe('attribute_not_exists(#route) OR #executionId = :me OR #expiresAt < :now');
    expect(i.Put!.Item!.executionId.S).toBe(me);
    expect(i.Put!.Item!.expiresAt.N).toBe(String(Date.parse('2026-11-27T10:00:00Z') / 1000 + 3600));
  }
  expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
});

test('one route: the plain conditional PutItem it always was', async () => {
  dynamo.on(PutItemCommand).resolves({});
  await acquireLocks(table, routes.slice(0, 1), me, 60);
  expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
  expect(dynamo.commandCalls(TransactWriteItemsCommand)).toHaveLength(0);
});

test('a route another deployment holds cancels the transaction: DeploymentInProgress names that route and its holder', async () => {
  dynamo.on(TransactWriteItemsCommand).rejects(canceled(['None', 'ConditionalCheckFailed', 'None']));
  dynamo.on(GetItemCommand).resolves({ Item: { route: { S: routes[1].key }, executionId: { S: 'arn:other' }, acquiredAt: { S: '2026-11-27T09:00:00Z' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 600) } } });
  const err = await acquireLocks(table, routes, me, 60).catch((e) => e);
  expect(err).toBeInstanceOf(DeploymentInProgress);
  expect(err.message).toBe('mesh/b-vr/b-r is being deployed by arn:other (since 2026-11-27T09:00:00Z); one deployment per route. Nothing was changed');
  expect(dynamo.commandCalls(GetItemCommand).map((c) => c.args[0].input.Key!.route.S)).toEqual([routes[1].key]);
});

test('a transaction that raced another writer (TransactionConflict) is TransientAwsError: the retry decides', async () => {
  dynamo.on(TransactWriteItemsCommand).rejects(canceled(['TransactionConflict', 'None', 'None']));
  await expect(acquireLocks(table, routes, me, 60)).rejects.toBeInstanceOf(TransientAwsError);
  expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
});

describe('settled: every route\'s call settles before the step returns or throws', () => {
  const later = <T>(ms: number, f: () => T) => new Promise<T>((resolve, reject) => setTimeout(() => { try { resolve(f()); } catch (e) { reject(e); } }, ms));

  test('all succeed: the results in route order', async () => {
    await expect(settled(['a', 'b'], [later(5, () => 1), later(1, () => 2)])).resolves.toEqual([1, 2]);
  });

  test('a fast failure waits for the slow success, then throws, naming how many failed', async () => {
    let slowDone = false;
    const err = await settled<unknown>(['a', 'b', 'c'], [
      later(1, () => { throw new UnsupportedRoute('mesh/a: no room'); }),
      later(30, () => { slowDone = true; }),
      later(2, () => 3),
    ]).catch((e) => e);
    expect(slowDone).toBe(true);
    expect(err).toBeInstanceOf(UnsupportedRoute);
    expect(err.message).toBe('mesh/a: no room [1 of 3 routes failed, 2 succeeded]');
  });

  test('drift on any route decides the step, whatever else failed; a transient failure decides only when nothing worse did', async () => {
    const err = await settled(['a', 'b'], [
      Promise.reject(new TransientAwsError('throttled')),
      Promise.reject(new RouteDriftDetected('b changed by hand')),
    ]).catch((e) => e);
    expect(err).toBeInstanceOf(RouteDriftDetected);
    expect(err.message).toBe('b changed by hand (also a: TransientAwsError: throttled) [2 of 2 routes failed]');
    const worse = await settled(['a', 'b'], [Promise.reject(new TransientAwsError('t')), Promise.reject(new UnsupportedRoute('u'))]).catch((e) => e);
    expect(worse).toBeInstanceOf(UnsupportedRoute);
  });

  test('one route: its error exactly as it was', async () => {
    const err = new UnsupportedRoute('as it was');
    await expect(settled(['a'], [Promise.reject(err)])).rejects.toBe(err);
    expect(err.message).toBe('as it was');
  });
});

test('a lock release that met a release\'s transaction in flight (TransactionConflictException) is TransientAwsError: retried', async () => {
  const { releaseLock } = await import('../../functions/commons/lock.ts');
  const { DeleteItemCommand, TransactionConflictException } = await import('@aws-sdk/client-dynamodb');
  dynamo.on(DeleteItemCommand).rejects(new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: { httpStatusCode: 400 } }));
  await expect(releaseLock(table, routes[0], me)).rejects.toBeInstanceOf(TransientAwsError);
});

test('a transaction cancelled for a reason no retry cures (ValidationError) is AwsRequestRejected, naming the reasons', async () => {
  dynamo.on(TransactWriteItemsCommand).rejects(canceled(['None', 'ValidationError', 'None']));
  const err = await acquireLocks(table, routes, me, 60).catch((e) => e);
  expect(err.name).toBe('AwsRequestRejected');
  expect(err.message).toContain('was cancelled (None, ValidationError, None); nothing was locked');
});

test('a release\'s health checks beyond GetMetricData\'s 500 queries a call are read in several calls, each check judged on its own data', async () => {
  const { CloudWatchClient, GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const { checkHealth, MAX_QUERIES_PER_CALL } = await import('../../functions/commons/health.ts');
  const cw = mockClient(CloudWatchClient);
  cw.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string }[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => ({ Id: q.Id, Values: q.Id.startsWith('n') ? [5] : q.Id.startsWith('r') ? [100] : q.Id.startsWith('e') ? [0] : [1] })),
  }));
  const metric = (name: string) => ({ name, namespace: 'n', metricName: 'm', statistic: 'Average' as const, windowSeconds: 60, comparison: 'GreaterThanThreshold' as const, threshold: 10 });
  // 11 sets of 20 metric checks and 20 error rates: 880 queries.
  const sets = Array.from({ length: 11 }, (_, s) => ({
    metrics: Array.from({ length: 20 }, (_, i) => metric(`m${s}-${i}`)),
    errorRates: Array.from({ length: 20 }, (_, i) => ({ name: `e${s}-${i}`, targetGroup: 'tg-0123456789abcdef0', maxErrorPercent: 50, windowSeconds: 60 })),
  }));
  const report = await checkHealth(new CloudWatchClient({ region: 'us-east-1' }), sets, new Date('2026-11-27T10:00:00Z'));
  const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries!.length);
  expect(calls).toEqual([MAX_QUERIES_PER_CALL, 880 - MAX_QUERIES_PER_CALL]);
  expect(report.checks).toHaveLength(440);
  expect(report.verdict).toBe('pass');
  cw.restore();
});

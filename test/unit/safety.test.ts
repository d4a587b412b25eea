// The lock, drift detection and the abort guard against mocked AWS APIs with their real error names.
import { AppMeshClient, DescribeRouteCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { acquireLock, assertLockHeld, releaseLock } from '../../functions/commons/lock.ts';
import { appMeshRouter } from '../../functions/commons/routers/appmesh.ts';
import { drifted } from '../../functions/commons/weights.ts';
import { guard } from '../../functions/guard/index.ts';
import { awsError, deploymentFor, describeRouteOutput, event, richSpec } from '../support/fixtures.ts';

const appMesh = mockClient(AppMeshClient);
const dynamo = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const lock = { client: new DynamoDBClient({}), tableName: 'locks' };
const route = { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
const heldBy = (executionId: string) => ({ Item: { route: { S: 'demomesh/product-vr/product-r' }, executionId: { S: executionId }, acquiredAt: { S: '2026-11-27T10:00:00Z' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 600) } } });

beforeEach(() => { appMesh.reset(); dynamo.reset(); sfn.reset(); });

describe('the route lock', () => {
  test('acquire is one conditional write: free, mine already, or expired', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await acquireLock(lock, route, 'exec-1', 600, new Date('2026-11-27T10:00:00Z'));
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'locks',
      ConditionExpression: 'attribute_not_exists(#route) OR #executionId = :me OR #expiresAt < :now',
      Item: expect.objectContaining({ route: { S: 'demomesh/product-vr/product-r' }, executionId: { S: 'exec-1' }, expiresAt: { N: String(1795773600 + 600) } }),
    });
  });

  test('a route held by another execution is DeploymentInProgress, naming the holder', async () => {
    dynamo.on(PutItemCommand).rejects(conditionFailed());
    dynamo.on(GetItemCommand).resolves(heldBy('exec-other'));
    await expect(acquireLock(lock, route, 'exec-1', 600)).rejects.toMatchObject({ name: 'DeploymentInProgress', message: expect.stringContaining('exec-other') });
  });

  test('writers must still hold it; an expired lock is not held', async () => {
    dynamo.on(GetItemCommand).resolvesOnce(heldBy('exec-1')).resolvesOnce(heldBy('exec-2')).resolvesOnce({})
      .resolvesOnce({ Item: { ...heldBy('exec-1').Item, expiresAt: { N: '1' } } });
    await expect(assertLockHeld(lock, route, 'exec-1')).resolves.toBeUndefined();
    await expect(assertLockHeld(lock, route, 'exec-1')).rejects.toMatchObject({ name: 'DeploymentLockLost', message: expect.stringContaining('held by exec-2') });
    await expect(assertLockHeld(lock, route, 'exec-1')).rejects.toMatchObject({ name: 'DeploymentLockLost', message: expect.stringContaining('released') });
    await expect(assertLockHeld(lock, route, 'exec-1')).rejects.toMatchObject({ name: 'DeploymentLockLost' });
  });

  test('release only deletes our own lock, never one someone else holds', async () => {
    dynamo.on(DeleteItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await releaseLock(lock, route, 'exec-1')).toBe(true);
    expect(await releaseLock(lock, route, 'exec-1')).toBe(false);
    dynamo.on(DeleteItemCommand).rejects(awsError('ProvisionedThroughputExceededException', 400));
    await expect(releaseLock(lock, route, 'exec-1')).rejects.toMatchObject({ name: 'AwsRequestRejected' });
  });
});

describe('drift', () => {
  const s = 'product-vn';
  const c = 'product-v15-vn';
  const t = (stable: number, canary?: number, other?: number) => [
    { virtualNode: s, weight: stable }, ...(canary === undefined ? [] : [{ virtualNode: c, weight: canary }]), ...(other === undefined ? [] : [{ virtualNode: 'x', weight: other }])];

  test.each([
    ['the route is as we left it', t(70, 30), t(70, 30), t(40, 60), false],
    ['our previous attempt landed (a retry)', t(40, 60), t(70, 30), t(40, 60), false],
    ['someone moved the canary', t(90, 10), t(70, 30), t(40, 60), true],
    ['someone removed the canary', t(100), t(70, 30), t(40, 60), true],
    ['only a third target changed', t(70, 30, 5), t(70, 30, 10), t(40, 60, 10), false],
  ])('%s → drift %s', (_l, current, expected, next, isDrift) => {
    expect(drifted(current, expected, next, s, c)).toBe(isDrift);
  });

  test('set-weight refuses to overwrite a changed route: RouteDriftDetected, no UpdateRoute', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', t(95, 5))));
    const d = deploymentFor('httpRoute', t(100));
    await expect(appMeshRouter(new AppMeshClient({}), d).setCanaryShare(d.snapshot, 50, { expected: t(70, 30) }))
      .rejects.toMatchObject({ name: 'RouteDriftDetected', message: expect.stringContaining('product-vn 95, product-v15-vn 5') });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('the lock check runs right before the write, and stops it', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', t(70, 30))));
    const d = deploymentFor('httpRoute', t(100));
    const beforeWrite = jest.fn().mockRejectedValue(Object.assign(new Error('lost'), { name: 'DeploymentLockLost' }));
    await expect(appMeshRouter(new AppMeshClient({}), d).setCanaryShare(d.snapshot, 50, { expected: t(70, 30), beforeWrite })).rejects.toMatchObject({ name: 'DeploymentLockLost' });
    expect(beforeWrite).toHaveBeenCalledTimes(1);
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });
});

describe('the abort guard', () => {
  const deployment = { ...event('set-weight.json').deployment, executionId: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:product-v15' };
  const exit = (name: string, output: object): HistoryEvent => ({ type: 'TaskStateExited', id: 1, timestamp: new Date(), stateExitedEventDetails: { name, output: JSON.stringify(output) } });
  const aborted = (status = 'ABORTED', error?: string) => ({ ...event('guard-aborted.json'), detail: { ...event('guard-aborted.json').detail, status, error } });
  const sleeps: number[] = [];
  const deps = () => ({ sfn: new SFNClient({}), appMesh: new AppMeshClient({}), lock, writerTimeoutMs: 35_000, sleep: async (ms: number) => { sleeps.push(ms); } });
  const entered = (name: string, at = new Date()): HistoryEvent => ({ type: 'TaskStateEntered', id: 1, timestamp: at, stateEnteredEventDetails: { name } });
  const succeeded: HistoryEvent = { type: 'TaskSucceeded', id: 1, timestamp: new Date() };
  const failed: HistoryEvent = { type: 'TaskFailed', id: 1, timestamp: new Date() };

  beforeEach(() => {
    dynamo.on(GetItemCommand).resolves(heldBy(deployment.executionId));
    dynamo.on(DeleteItemCommand).resolves({});
    appMesh.on(UpdateRouteCommand).callsFake((input) => describeRouteOutput(input.spec, 9));
  });

  test('ABORTED mid-way: restores the snapshot from the history and releases the lock', async () => {
    sleeps.length = 0;
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [succeeded, exit('Prepare', { deployment }), succeeded, exit('Shift', { deployment })] });
    appMesh.on(DescribeRouteCommand).resolvesOnce(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 50 }, { virtualNode: 'product-v15-vn', weight: 50 }])))
      .resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])));
    const result = await guard(aborted(), deps());
    expect(result).toMatchObject({ action: 'restored', changed: true, weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] });
    expect(appMesh).toHaveReceivedCommandWith(UpdateRouteCommand, { spec: expect.objectContaining({ httpRoute: expect.objectContaining({ action: { weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] } }) }) });
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
  });

  test.each([
    ['a completed rollback', [succeeded, exit('Rollback', {})], 'FAILED', 'CanaryRolledBack', 'already-rolled-back'],
    ['a halt on drift', [succeeded, exit('HaltOnDrift', {})], 'FAILED', 'RouteDriftDetected', 'left-after-drift'],
  ])('after %s it releases the lock and does not touch the route', async (_l, more, status, error, action) => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [succeeded, exit('Prepare', { deployment }), ...more] });
    expect(await guard(aborted(status, error), deps())).toMatchObject({ action });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
    expect(appMesh).toHaveReceivedCommandTimes(DescribeRouteCommand, 0);
  });

  test('an execution stopped during Prepare changed nothing, but gives back the lock Prepare may have taken', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered('Prepare')] });
    const e = aborted();
    expect(await guard(e, deps())).toMatchObject({ action: 'nothing-changed' });
    expect(appMesh.calls()).toHaveLength(0);
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, { Key: { route: { S: 'demomesh/product-vr/product-r' } }, ExpressionAttributeValues: { ':me': { S: e.detail.executionArn } } });
  });

  test('a rollback that failed (its state exited through a Catch) is retried by the guard, not taken as done', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [succeeded, exit('Prepare', { deployment }), failed, exit('Rollback', {})] });
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])));
    expect(await guard(aborted('FAILED', 'RollbackFailed'), deps())).toMatchObject({ action: 'restored', changed: false });
  });

  test('a writer step running at the stop: the guard waits until it must have ended, then restores again', async () => {
    sleeps.length = 0;
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [succeeded, exit('Prepare', { deployment }), entered('Shift', new Date(Date.now() - 5_000))] });
    // The route is at the snapshot when the guard first looks; the late write lands during the wait.
    appMesh.on(DescribeRouteCommand).resolvesOnce(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])))
      .resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 70 }, { virtualNode: 'product-v15-vn', weight: 30 }])));
    const result = await guard(aborted(), deps());
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(25_000);
    expect(sleeps[0]).toBeLessThanOrEqual(30_000);
    expect(result).toMatchObject({ action: 'restored', changed: true });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 1);
  });

  test('a route now deployed by another execution is not overwritten', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [succeeded, exit('Prepare', { deployment })] });
    dynamo.on(GetItemCommand).resolves(heldBy('arn:…:execution:LinearStateMachine:someone-else'));
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 50 }, { virtualNode: 'product-v15-vn', weight: 50 }])));
    await expect(guard(aborted(), deps())).rejects.toMatchObject({ name: 'DeploymentInProgress' });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('other events and statuses', async () => {
    expect(await guard(aborted('SUCCEEDED'), deps())).toMatchObject({ action: 'ignored' });
    await expect(guard({ ...aborted(), source: 'aws.ec2' }, deps())).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(sfn.calls()).toHaveLength(0);
  });
});

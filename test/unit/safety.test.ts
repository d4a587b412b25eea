// The lock, drift detection and the abort guard against mocked AWS APIs with their real error names.
import { AppMeshClient, DescribeRouteCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { acquireLock, assertLockHeld, releaseLock } from '../../functions/commons/lock.ts';
import { RouteWriter } from '../../functions/commons/route-writer.ts';
import { drifted } from '../../functions/commons/weights.ts';
import { guard } from '../../functions/guard/index.ts';
import { inFlight, inFlightDeadline, routeTouched } from '../../functions/commons/history.ts';
import { awsError, deploymentFor, describeRouteOutput, event, richSpec } from '../support/fixtures.ts';

const appMesh = mockClient(AppMeshClient);
const dynamo = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const lock = { client: new DynamoDBClient({}), tableName: 'locks' };
/** A route as the lock sees it: its canonical identity (the owner always written out) and its label. */
const route = { key: '123456789012:demomesh/product-vr/product-r', label: 'demomesh/product-vr/product-r' };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
const heldBy = (executionId: string) => ({ Item: { route: { S: '123456789012:demomesh/product-vr/product-r' }, executionId: { S: executionId }, acquiredAt: { S: '2026-11-27T10:00:00Z' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 600) } } });

beforeEach(() => { appMesh.reset(); dynamo.reset(); sfn.reset(); });

describe('the route lock', () => {
  test('acquire is one conditional write: free, mine already, or expired', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await acquireLock(lock, route, 'exec-1', 600, new Date('2026-11-27T10:00:00Z'));
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'locks',
      ConditionExpression: 'attribute_not_exists(#route) OR #executionId = :me OR #expiresAt < :now',
      Item: expect.objectContaining({ route: { S: '123456789012:demomesh/product-vr/product-r' }, executionId: { S: 'exec-1' }, expiresAt: { N: String(1795773600 + 600) } }),
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
    dynamo.on(DeleteItemCommand).rejects(awsError('AccessDeniedException', 400));
    await expect(releaseLock(lock, route, 'exec-1')).rejects.toMatchObject({ name: 'AwsRequestRejected' });
    // DynamoDB's throttling (on-demand tables too) is worth a retry, as every other throttling is.
    dynamo.on(DeleteItemCommand).rejects(awsError('ProvisionedThroughputExceededException', 400));
    await expect(releaseLock(lock, route, 'exec-1')).rejects.toMatchObject({ name: 'TransientAwsError' });
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
    const ids = (ts: ReturnType<typeof t>) => ts.map((x) => ({ id: x.virtualNode, weight: x.weight }));
    expect(drifted(ids(current), ids(expected), ids(next), s, c)).toBe(isDrift);
  });

  test('set-weight refuses to overwrite a changed route: RouteDriftDetected, no UpdateRoute', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', t(95, 5))));
    const d = deploymentFor('httpRoute', t(100));
    await expect(new RouteWriter({ routers: { appMesh: () => new AppMeshClient({}) } }).shift(d, 50, t(70, 30)))
      .rejects.toMatchObject({ name: 'RouteDriftDetected', message: expect.stringContaining('product-vn 95, product-v15-vn 5') });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('the lock check runs right before the write (after the read and the drift check), and stops it', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', t(70, 30))));
    dynamo.on(GetItemCommand).resolves(heldBy('exec-other'));
    const d = deploymentFor('httpRoute', t(100), { executionId: 'exec-1' });
    const writer = new RouteWriter({ routers: { appMesh: () => new AppMeshClient({}) }, lock });
    await expect(writer.shift(d, 50, t(70, 30))).rejects.toMatchObject({ name: 'DeploymentLockLost', message: expect.stringContaining('held by exec-other') });
    expect(dynamo).toHaveReceivedCommandTimes(GetItemCommand, 1);
    // The key is the route's canonical identity: the owner DescribeRoute reported, although the input left it out.
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, { Key: { route: { S: '123456789012:demomesh/product-vr/product-r' } } });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
    // A step that lost its lock says so first, even when its write would also break App Mesh's limits
    // (ten other targets added meanwhile: the canary would be the eleventh).
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [...t(100), ...Array.from({ length: 9 }, (_, i) => ({ virtualNode: `n${i}`, weight: 0 }))])));
    await expect(writer.shift(d, 50)).rejects.toMatchObject({ name: 'DeploymentLockLost' });
    dynamo.on(GetItemCommand).resolves(heldBy('exec-1'));
    await expect(writer.shift(d, 50)).rejects.toMatchObject({ name: 'UnsupportedRoute', message: expect.stringContaining('1 to 10 weighted targets') });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', t(70, 30))));
    // Already at the weights: nothing to write, so no lock check either.
    dynamo.resetHistory();
    await expect(writer.shift(d, 30, t(70, 30))).resolves.toMatchObject({ changed: false });
    expect(dynamo).toHaveReceivedCommandTimes(GetItemCommand, 0);
  });
});

describe('the abort guard', () => {
  const executionArn = event('guard-aborted.json').detail.executionArn as string;
  const deployment = { ...event('set-weight.json').deployment, executionId: executionArn };
  const at = (msAgo: number) => new Date(Date.now() - msAgo);
  let id = 0;
  const ev = (type: string, when: Date, more: Partial<HistoryEvent> = {}): HistoryEvent => ({ type, id: ++id, timestamp: when, ...more } as HistoryEvent);
  const entered = (name: string, when = new Date()) => ev('TaskStateEntered', when, { stateEnteredEventDetails: { name } });
  const exited = (name: string, output: object, when = new Date()) => ev('TaskStateExited', when, { stateExitedEventDetails: { name, output: JSON.stringify(output) } });
  const attempt = (when: Date) => [ev('TaskScheduled', when), ev('TaskStarted', when)];
  const succeeded = (when = new Date()) => ev('TaskSucceeded', when);
  const failed = (when = new Date()) => ev('TaskFailed', when);
  const started = ev('ExecutionStarted', at(60_000), { executionStartedEventDetails: { input: JSON.stringify(event('execution-linear.json')) } });
  const prepared = [started, entered('Prepare', at(59_000)), ...attempt(at(59_000)), succeeded(at(58_000)), exited('Prepare', { deployment }, at(58_000))];
  const shifted = [entered('Shift', at(50_000)), ...attempt(at(50_000)), succeeded(at(49_000)), exited('Shift', {}, at(49_000))];
  const aborted = (status = 'ABORTED', error?: string) => ({ ...event('guard-aborted.json'), detail: { ...event('guard-aborted.json').detail, status, error } });
  const sleeps: number[] = [];
  let duringSleep: () => void = () => undefined;
  const deps = () => ({
    sfn: new SFNClient({}), routers: { appMesh: () => new AppMeshClient({}) }, lock, writerTimeoutMs: 35_000, prepareTimeoutMs: 35_000,
    sleep: async (ms: number) => { sleeps.push(ms); duringSleep(); },
  });
  const historyIs = (events: HistoryEvent[]) => sfn.on(GetExecutionHistoryCommand).resolves({ events });
  const t = (stable: number, canary?: number, third?: number) => [
    { virtualNode: 'product-vn', weight: stable }, ...(canary === undefined ? [] : [{ virtualNode: 'product-v15-vn', weight: canary }]),
    ...(third === undefined ? [] : [{ virtualNode: 'product-legacy-vn', weight: third }])];
  /** The route as App Mesh holds it: UpdateRoute changes what DescribeRoute returns. */
  let spec = richSpec('httpRoute', t(100));
  const routeIs = (targets: ReturnType<typeof t>) => { spec = richSpec('httpRoute', targets); };
  const routeTargets = () => spec.httpRoute!.action!.weightedTargets;

  beforeEach(() => {
    sleeps.length = 0;
    duringSleep = () => undefined;
    dynamo.on(GetItemCommand).resolves(heldBy(executionArn));
    dynamo.on(DeleteItemCommand).resolves({});
    appMesh.on(DescribeRouteCommand).callsFake(() => describeRouteOutput(spec));
    appMesh.on(UpdateRouteCommand).callsFake((input) => { spec = input.spec; return describeRouteOutput(spec, 9); });
  });

  test('ABORTED mid-way: puts stable and canary back to the snapshot and releases the lock', async () => {
    historyIs([...prepared, ...shifted]);
    routeIs(t(50, 50));
    const result = await guard(aborted(), deps());
    expect(result).toMatchObject({ action: 'restored', changed: true, weightedTargets: t(100), keptChanges: [] });
    expect(routeTargets()).toEqual(t(100));
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
    expect(sleeps).toEqual([]);
  });

  test('a third target someone re-weighted during the deployment keeps their weight, and the result says so', async () => {
    // The snapshot has a third target: product-vn 90, legacy 10; someone set legacy to 30 meanwhile.
    const d = { ...deployment, snapshot: { ...deployment.snapshot, weightedTargets: t(90, undefined, 10) } };
    historyIs([started, entered('Prepare', at(59_000)), succeeded(), exited('Prepare', { deployment: d }), ...shifted]);
    routeIs([{ virtualNode: 'product-vn', weight: 45 }, { virtualNode: 'product-legacy-vn', weight: 30 }, { virtualNode: 'product-v15-vn', weight: 45 }]);
    const result = await guard(aborted(), deps());
    expect(routeTargets()).toEqual(t(90, undefined, 30));
    expect(result).toMatchObject({
      action: 'restored', changed: true, weightedTargets: t(90, undefined, 30),
      keptChanges: [{ virtualNode: 'product-legacy-vn', snapshot: { virtualNode: 'product-legacy-vn', weight: 10 }, now: { virtualNode: 'product-legacy-vn', weight: 30 } }],
    });
  });

  test.each([
    ['a completed rollback', [succeeded(), exited('Rollback', {})], 'FAILED', 'CanaryRolledBack', 'already-rolled-back'],
    ['a halt on drift', [succeeded(), exited('HaltOnDrift', {})], 'FAILED', 'RouteDriftDetected', 'left-after-drift'],
  ])('after %s it releases the lock and does not touch the route', async (_l, more, status, error, action) => {
    historyIs([...prepared, ...shifted, ...more]);
    expect(await guard(aborted(status, error), deps())).toMatchObject({ action });
    expect(appMesh.calls()).toHaveLength(0);
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
  });

  test.each([
    ['refused at the baseline (BaselineUnhealthy)', [entered('CheckHealth'), succeeded(), exited('CheckHealth', {}), entered('BaselineUnhealthy')], 'FAILED', 'BaselineUnhealthy'],
    ['a health check that cannot run (HealthCheckMisconfigured)', [entered('CheckHealth'), failed(), exited('CheckHealth', {})], 'FAILED', 'HealthCheckMisconfigured'],
    ['stopped during the baseline verdict', [entered('CheckHealth'), ...attempt(new Date())], 'ABORTED', undefined],
  ])('%s: the route was never changed, so it is neither read nor written; the lock is released', async (_l, more, status, error) => {
    routeIs(t(80, 20)); // someone's own change since: not ours to undo
    historyIs([...prepared, ...more]);
    expect(await guard(aborted(status, error), deps())).toMatchObject({ action: 'nothing-changed', lockReleased: true });
    expect(appMesh.calls()).toHaveLength(0);
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, { ExpressionAttributeValues: { ':me': { S: executionArn } } });
  });

  test('a route a writer changed but no readable snapshot: never guess, fail for a person (RouteNotRestored) and write nothing', async () => {
    // Prepare's output unreadable (here: no TaskSucceeded before its exit), yet a Shift ran.
    historyIs([started, entered('Prepare', at(59_000)), exited('Prepare', { deployment }, at(58_000)), ...shifted]);
    routeIs(t(50, 50));
    await expect(guard(aborted(), deps())).rejects.toMatchObject({ name: 'RouteNotRestored' });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 0);
  });

  describe('stopped during Prepare (issue 8, item 7)', () => {
    test('Prepare still running: the lock is released only once Prepare must have ended, conditional on this execution', async () => {
      historyIs([started, entered('Prepare', at(5_000)), ...attempt(at(5_000))]);
      let deletesDuringSleep = -1;
      duringSleep = () => { deletesDuringSleep = dynamo.commandCalls(DeleteItemCommand).length; };
      const result = await guard(aborted(), deps());
      expect(result).toMatchObject({ action: 'nothing-changed', lockReleased: true });
      expect(sleeps).toHaveLength(1);
      expect(sleeps[0]).toBeGreaterThan(25_000);
      expect(sleeps[0]).toBeLessThanOrEqual(30_000);
      expect(deletesDuringSleep).toBe(0); // not released before the wait: Prepare could take it after
      expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
        Key: { route: { S: '123456789012:demomesh/product-vr/product-r' } }, ConditionExpression: '#executionId = :me', ExpressionAttributeValues: { ':me': { S: executionArn } },
      });
      expect(appMesh.calls()).toHaveLength(0);
    });

    test('a retried Prepare: the wait runs from the latest attempt, not the state\'s entry', async () => {
      historyIs([started, entered('Prepare', at(50_000)), ...attempt(at(50_000)), failed(at(49_000)), ...attempt(at(10_000))]);
      await guard(aborted(), { ...deps(), prepareTimeoutMs: 20_000 });
      expect(sleeps).toHaveLength(1);
      expect(sleeps[0]).toBeGreaterThan(5_000);
      expect(sleeps[0]).toBeLessThanOrEqual(10_000);
    });

    test('Prepare ended (it failed) or never started: the lock is released at once; a lock another execution holds is left alone', async () => {
      historyIs([started, entered('Prepare', at(5_000)), ...attempt(at(5_000)), failed(at(4_000)), exited('Prepare', {}, at(4_000))]);
      dynamo.on(DeleteItemCommand).rejects(conditionFailed());
      expect(await guard(aborted('FAILED', 'DeploymentInProgress'), deps())).toMatchObject({ action: 'nothing-changed', lockReleased: false });
      expect(sleeps).toEqual([]);
      expect(appMesh.calls()).toHaveLength(0);
    });
  });

  test('a rollback that failed (its state exited through a Catch) is retried by the guard, not taken as done', async () => {
    historyIs([...prepared, ...shifted, entered('Rollback'), failed(), exited('Rollback', {})]);
    routeIs(t(100));
    expect(await guard(aborted('FAILED', 'RollbackFailed'), deps())).toMatchObject({ action: 'restored', changed: false });
  });

  test.each([
    ['a writer step running at the stop: the guard waits until it must have ended, then restores again',
      () => [entered('Shift', at(5_000)), ...attempt(at(5_000))]],
    // Shift entered 40 s ago; its first attempt failed; the retry started 5 s ago after backoff.
    // From the entry the timeout (35 s) has passed, but the running attempt can write for 30 s more.
    ['a writer whose retry started late (issue 8, item 4): the wait runs from the latest attempt, not the state\'s entry',
      () => [entered('Shift', at(40_000)), ...attempt(at(40_000)), failed(at(39_000)), ...attempt(at(5_000))]],
  ])('%s', async (_title, writer) => {
    historyIs([...prepared, ...writer()]);
    routeIs(t(100)); // at the snapshot when the guard first looks; the late write lands during the wait
    duringSleep = () => routeIs(t(70, 30));
    const result = await guard(aborted(), deps());
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(25_000);
    expect(sleeps[0]).toBeLessThanOrEqual(30_000);
    expect(result).toMatchObject({ action: 'restored', changed: true, weightedTargets: t(100) });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 1);
  });

  test('a route something keeps writing to is RouteNotRestored (Lambda retries the event, then a person)', async () => {
    historyIs([...prepared, ...shifted]);
    routeIs(t(50, 50));
    // Every DescribeRoute after the restore shows the canary again.
    appMesh.on(UpdateRouteCommand).callsFake((input) => { spec = input.spec; const out = describeRouteOutput(spec, 9); routeIs(t(50, 50)); return out; });
    await expect(guard(aborted(), deps())).rejects.toMatchObject({ name: 'RouteNotRestored', message: expect.stringContaining('product-v15-vn 50') });
  });

  test('a route now deployed by another execution is not overwritten', async () => {
    historyIs([...prepared, ...shifted]);
    dynamo.on(GetItemCommand).resolves(heldBy('arn:…:execution:LinearStateMachine:someone-else'));
    routeIs(t(50, 50));
    await expect(guard(aborted(), deps())).rejects.toMatchObject({ name: 'DeploymentInProgress' });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('other events and statuses', async () => {
    expect(await guard(aborted('SUCCEEDED'), deps())).toMatchObject({ action: 'ignored' });
    await expect(guard({ ...aborted(), source: 'aws.ec2' }, deps())).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('steps in flight at a stop (issue 8, item 4): timed from their latest attempt', () => {
  const t0 = new Date('2026-11-27T10:00:00Z').getTime();
  const at = (s: number) => new Date(t0 + s * 1000);
  let id = 0;
  const e = (type: string, s: number, name?: string): HistoryEvent => ({
    type, id: ++id, timestamp: at(s),
    ...(name && type.endsWith('StateEntered') ? { stateEnteredEventDetails: { name } } : {}),
    ...(name && type.endsWith('StateExited') ? { stateExitedEventDetails: { name } } : {}),
  } as HistoryEvent);
  const prepared = [e('TaskStateEntered', 0, 'Prepare'), e('TaskScheduled', 0), e('TaskStarted', 0), e('TaskSucceeded', 1), e('TaskStateExited', 1, 'Prepare')];

  test.each([
    ['a writer still in its first attempt', [...prepared, e('TaskStateEntered', 10, 'Shift'), e('TaskScheduled', 10), e('TaskStarted', 11)], [['Shift', 11]]],
    ['a writer whose retry started late, after backoff', [...prepared, e('TaskStateEntered', 10, 'Shift'), e('TaskScheduled', 10), e('TaskStarted', 10), e('TaskFailed', 12),
      e('TaskScheduled', 40), e('TaskStarted', 41)], [['Shift', 41]]],
    ['a retry scheduled but not started yet', [...prepared, e('TaskStateEntered', 10, 'Promote'), e('TaskScheduled', 10), e('TaskStarted', 10), e('TaskFailed', 11), e('TaskScheduled', 30)], [['Promote', 30]]],
    ['Lambda-style events (LambdaFunctionScheduled/Started)', [...prepared, e('TaskStateEntered', 10, 'Shift'), e('LambdaFunctionScheduled', 10), e('LambdaFunctionStarted', 12),
      e('LambdaFunctionFailed', 13), e('LambdaFunctionScheduled', 25), e('LambdaFunctionStarted', 26)], [['Shift', 26]]],
    ['a writer that exited', [...prepared, e('TaskStateEntered', 10, 'Shift'), e('TaskScheduled', 10), e('TaskStarted', 10), e('TaskSucceeded', 11), e('TaskStateExited', 11, 'Shift'),
      e('WaitStateEntered', 11, 'Wait')], []],
    ['a Wait or a health check is no writer', [...prepared, e('TaskStateEntered', 10, 'CheckHealth'), e('TaskScheduled', 10), e('TaskStarted', 10)], []],
  ] as const)('%s', (_label, events, expected) => {
    expect(inFlight([...events]).map((w) => [w.name, (w.lastAttemptAt.getTime() - t0) / 1000])).toEqual(expected);
    const deadline = inFlightDeadline([...events], 35_000);
    expect(deadline && (deadline.getTime() - t0) / 1000).toEqual(expected.length ? expected[0][1] + 35 : undefined);
  });

  test('Prepare in flight, for the lock: asked for by name; a retried Prepare counts from its latest attempt', () => {
    const events = [e('TaskStateEntered', 0, 'Prepare'), e('TaskScheduled', 0), e('TaskStarted', 0), e('TaskFailed', 2), e('TaskScheduled', 9), e('TaskStarted', 9)];
    expect(inFlight(events)).toEqual([]); // not a route writer
    expect(inFlightDeadline(events, 35_000, ['Prepare'])).toEqual(at(44));
    expect(inFlightDeadline(prepared, 35_000, ['Prepare'])).toBeUndefined();
  });

  test('routeTouched: only once a Shift or Promote was entered', () => {
    expect(routeTouched([...prepared, e('TaskStateEntered', 2, 'CheckHealth'), e('PassStateEntered', 3, 'BaselineUnhealthy'), e('TaskStateEntered', 3, 'ReleaseRoute')])).toBe(false);
    expect(routeTouched([...prepared, e('TaskStateEntered', 2, 'Shift')])).toBe(true);
  });
});

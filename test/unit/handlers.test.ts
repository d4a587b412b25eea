// Each function as Lambda runs it (middy, Powertools logger, a Lambda context), with the
// payloads in events/ that `sam local invoke` uses, and with bad input of every shape.
// First: tests run with logging off (test/support/lambda-env.ts), but this file captures and reads the handlers' logs.
import '../support/log-info.ts';
import { AppMeshClient, DescribeRouteCommand, DescribeVirtualNodeCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler as prepare } from '../../functions/prepare/index.ts';
import { handler as setWeight } from '../../functions/set-weight/index.ts';
import { handler as checkHealth } from '../../functions/check-health/index.ts';
import { handler as promote } from '../../functions/promote/index.ts';
import { handler as rollback } from '../../functions/rollback/index.ts';
import { awsError, context, describeRouteOutput, event, richSpec } from '../support/fixtures.ts';

const appMesh = mockClient(AppMeshClient);
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:product-v15';
const cloudWatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBClient);
let logged: string[];

beforeEach(() => {
  appMesh.reset();
  cloudWatch.reset();
  dynamo.reset();
  // The events' execution holds the route's lock.
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(DeleteItemCommand).resolves({});
  dynamo.on(GetItemCommand).resolves({ Item: { executionId: { S: executionId }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) } } });
  appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }]), 1));
  appMesh.on(DescribeVirtualNodeCommand).resolves({ virtualNode: { meshName: 'demomesh', virtualNodeName: 'product-v15-vn', spec: {}, metadata: undefined, status: { status: 'ACTIVE' } } });
  appMesh.on(UpdateRouteCommand).callsFake((input) => describeRouteOutput(input.spec, 2));
  logged = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: any) => { logged.push(String(chunk)); return true; });
  }
  jest.spyOn(console, 'info').mockImplementation((...a: unknown[]) => { logged.push(a.join(' ')); });
  jest.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => { logged.push(a.join(' ')); });
  jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { logged.push(a.join(' ')); });
});
afterEach(() => jest.restoreAllMocks());

describe('the events/ payloads', () => {
  test('prepare.json: validates, snapshots the route and returns the deployment (by hand: no lock)', async () => {
    const result = await prepare(event('prepare.json'), context);
    expect(dynamo.calls()).toHaveLength(0);
    expect(result).toMatchObject({
      ...event('prepare.json').input,
      snapshot: { router: 'appmesh', routeKind: 'httpRoute', weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }], version: 1 },
    });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('set-weight.json: 30% to the canary', async () => {
    const result = await setWeight(event('set-weight.json'), context);
    const weightedTargets = [{ virtualNode: 'product-vn', weight: 70 }, { virtualNode: 'product-v15-vn', weight: 30 }];
    expect(result).toEqual({ weight: 30, changed: true, weightedTargets, routeVersion: 2 });
    expect(appMesh).toHaveReceivedCommandWith(UpdateRouteCommand, { spec: expect.objectContaining({ httpRoute: expect.objectContaining({ action: { weightedTargets } }) }) });
  });

  test('check-health.json: the alarm and the metric both evaluated', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'product-v15-5xx', StateValue: 'OK', StateReason: 'fine' }] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'v0', Values: [120] }, { Id: 'n0', Values: [40] }] });
    const result = await checkHealth(event('check-health.json'), context);
    expect(result.verdict).toBe('pass');
    expect(result.checks.map((c: any) => [c.check, c.verdict])).toEqual([['alarm:product-v15-5xx', 'pass'], ['metric:canary-latency', 'pass']]);
  });

  test('promote.json: the canary takes the whole share and the stable leaves the route', async () => {
    const result = await promote(event('promote.json'), context);
    expect(result).toEqual({ changed: true, weightedTargets: [{ virtualNode: 'product-v15-vn', weight: 100 }], routeVersion: 2, removedStableTarget: true });
  });

  test('rollback.json: the snapshot comes back', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 70 }, { virtualNode: 'product-v15-vn', weight: 30 }]), 5));
    const result = await rollback(event('rollback.json'), context);
    expect(result).toEqual({
      changed: true, weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }], routeVersion: 2, keptChanges: [],
      summary: 'rolled back because CanaryUnhealthy: alarm product-v15-5xx is ALARM. Route demomesh/product-vr/product-r restored to its snapshot (product-vn 100).',
    });
  });
});

describe('logging', () => {
  test('log lines are structured JSON with the execution and route as correlation keys', async () => {
    const e = event('set-weight.json');
    await setWeight({ ...e, deployment: { ...e.deployment, executionId } }, context);
    const lines = logged.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatchObject({
      service: 'mesh-canary', step: 'set-weight', route: 'demomesh/product-vr/product-r',
      execution: executionId, function_request_id: context.awsRequestId,
    });
  });
});

const deployment = () => event('set-weight.json').deployment;
const bad: [string, (e: any) => Promise<unknown>, Array<[string, unknown, RegExp]>][] = [
  ['prepare', (e) => prepare(e, context), [
    ['no event', undefined, /event.input is missing/],
    ['the input at the top level', event('prepare.json').input, /route is not a known field/],
    ['no input', { executionId: 'x' }, /event.input is missing/],
    ['an unknown strategy field', { input: { ...event('prepare.json').input, stratgey: 'linear' } }, /stratgey is not a known field/],
    // A 50,000-character key is shown shortened, so the cause stays far below Step Functions' 32,768 characters.
    ['a huge unknown key', { input: { ...event('prepare.json').input, ['k'.repeat(50_000)]: 1 } }, /^Invalid input: input\.k{40}… is not a known field \(known: [^)]*\)$/],
    ['a mesh name with a space', { input: { ...event('prepare.json').input, route: { meshName: 'demo mesh', virtualRouterName: 'r', routeName: 'r' } } }, /route.meshName must be a name/],
    ['canary equal to stable', { input: { ...event('prepare.json').input, canaryNode: 'product-vn' } }, /canaryNode must differ/],
    ['a metric window that is not a multiple of 60', { input: { ...event('prepare.json').input, healthChecks: { metrics: [{ ...event('prepare.json').input.healthChecks.metrics[0], windowSeconds: 90 }] } } }, /windowSeconds must be a multiple of 60/],
    ['an unknown comparison', { input: { ...event('prepare.json').input, healthChecks: { metrics: [{ ...event('prepare.json').input.healthChecks.metrics[0], comparison: '>' }] } } }, /comparison must be one of/],
    ['alarms with neither names nor prefix', { input: { ...event('prepare.json').input, healthChecks: { alarms: {} } } }, /alarms must be given names, a prefix, or both/],
    ['a mesh owner that is not an account', { input: { ...event('prepare.json').input, route: { ...event('prepare.json').input.route, meshOwner: '12' } } }, /meshOwner must be a 12-digit/],
  ]],
  ['set-weight', (e) => setWeight(e, context), [
    ['a weight above 100', { deployment: deployment(), weight: 101 }, /event.weight must be an integer from 0 to 100 \(got 101\)/],
    ['a negative weight', { deployment: deployment(), weight: -5 }, /event.weight must be an integer/],
    ['a fractional weight', { deployment: deployment(), weight: 12.5 }, /event.weight must be an integer/],
    ['a weight as a string', { deployment: deployment(), weight: '30' }, /event.weight must be an integer .*got "30"/],
    ['no weight', { deployment: deployment() }, /event.weight is missing/],
    ['no snapshot', { deployment: { ...deployment(), snapshot: undefined }, weight: 10 }, /deployment.snapshot is missing/],
    ['a snapshot weight out of range', { deployment: { ...deployment(), snapshot: { ...deployment().snapshot, weightedTargets: [{ virtualNode: 'product-vn', weight: 300 }] } }, weight: 10 }, /weightedTargets\[0\].weight must be an integer from 0 to 100/],
    ['null deployment', { deployment: null, weight: 10 }, /deployment must be an object \(got null\)/],
  ]],
  ['check-health', (e) => checkHealth(e, context), [
    ['an array', [], /event must be an object \(got an empty array\)/],
    ['a deployment without route', { deployment: { ...deployment(), route: undefined } }, /deployment.route is missing/],
  ]],
  ['promote', (e) => promote(e, context), [
    ['a string', 'promote', /event must be an object/],
    ['keepStableTarget as a string', { deployment: { ...deployment(), keepStableTarget: 'yes' } }, /keepStableTarget must be true or false/],
  ]],
  ['rollback', (e) => rollback(e, context), [
    ['no deployment', { reason: 'x' }, /deployment is missing/],
    ['a snapshot of an unknown route kind', { deployment: { ...deployment(), snapshot: { ...deployment().snapshot, routeKind: 'udpRoute' } } }, /routeKind must be one of/],
  ]],
];

describe.each(bad)('%s refuses bad input with InvalidInput and touches nothing', (_name, fn, cases) => {
  test.each(cases)('%s', async (_label, input, message) => {
    const err = await fn(input).then(() => undefined, (e) => e);
    expect(err?.name).toBe('InvalidInput');
    expect(err.message).toMatch(message);
    expect(appMesh.calls()).toHaveLength(0);
    expect(cloudWatch.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
  });
});

/** Sinon numbers every call across all mocks: the order in which the AWS calls were made. */
const callOrder = (call: unknown): number => (call as { callId: number }).callId;

describe('in an execution, the route lock', () => {
  const inExecution = (file: string) => {
    const e = event(file);
    return e.deployment ? { ...e, deployment: { ...e.deployment, executionId } } : { ...e, executionId };
  };

  test('prepare takes it before reading the route', async () => {
    await prepare(inExecution('prepare.json'), context);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, { Item: expect.objectContaining({ executionId: { S: executionId } }) });
    expect(callOrder(dynamo.commandCalls(PutItemCommand)[0])).toBeLessThan(callOrder(appMesh.commandCalls(DescribeRouteCommand)[0]));
  });

  test('prepare writes the settle time out (App Mesh: 0) and the lock lives through every settle', async () => {
    const expiry = async (settleSeconds?: number) => {
      dynamo.resetHistory();
      const e = inExecution('prepare.json');
      const input = { ...e.input, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 30 }, ...(settleSeconds === undefined ? {} : { settleSeconds }) };
      const before = Math.floor(Date.now() / 1000);
      const d = await prepare({ ...e, input }, context);
      const ttl = Number(dynamo.commandCalls(PutItemCommand)[0].args[0].input.Item!.expiresAt.N) - before;
      return { settleSeconds: d.settleSeconds, ttl };
    };
    const none = await expiry();
    expect(none.settleSeconds).toBe(0);
    expect(none.ttl).toBeGreaterThanOrEqual(4 * 30 + 3600);
    expect(none.ttl).toBeLessThan(4 * 30 + 3600 + 5);
    const settled = await expiry(600);
    expect(settled.settleSeconds).toBe(600);
    expect(Math.abs(settled.ttl - none.ttl - 4 * (600 - 30))).toBeLessThanOrEqual(1); // a second may tick between the two
  });

  test('set-weight checks it after reading the route, right before the write', async () => {
    await setWeight(inExecution('set-weight.json'), context);
    const order = [appMesh.commandCalls(DescribeRouteCommand)[0], dynamo.commandCalls(GetItemCommand)[0], appMesh.commandCalls(UpdateRouteCommand)[0]].map(callOrder);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  test('set-weight without the lock writes nothing', async () => {
    dynamo.on(GetItemCommand).resolves({});
    await expect(setWeight(inExecution('set-weight.json'), context)).rejects.toMatchObject({ name: 'DeploymentLockLost' });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('promote and rollback release it', async () => {
    await promote(inExecution('promote.json'), context);
    await rollback(inExecution('rollback.json'), context);
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 2);
  });
});

describe('AWS failures reach Step Functions as named errors', () => {
  test('a missing route', async () => {
    appMesh.on(DescribeRouteCommand).rejects(awsError('NotFoundException', 404, 'Route product-r not found'));
    await expect(prepare(event('prepare.json'), context)).rejects.toMatchObject({ name: 'RouteNotFound' });
  });

  test('throttling that outlived the SDK retries', async () => {
    appMesh.on(DescribeRouteCommand).rejects(awsError('TooManyRequestsException', 429));
    await expect(rollback(event('rollback.json'), context)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  test('a failed write is logged with its name, and the event (which may carry a task token) is not', async () => {
    appMesh.on(UpdateRouteCommand).rejects(awsError('BadRequestException', 400));
    const e = { ...event('set-weight.json') };
    await expect(setWeight(e, context)).rejects.toMatchObject({ name: 'AwsRequestRejected' });
    const text = logged.join('');
    expect(text).toContain('"errorName":"AwsRequestRejected"');
    expect(text).not.toContain('product-v15-5xx'); // part of the event, never logged
  });
});

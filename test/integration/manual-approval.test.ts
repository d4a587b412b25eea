// Real executions of statemachines/manual-approval.asl.json on the local AWS: approve, reject,
// no answer, and an alarm while waiting; the approver's notification on SNS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  alarm, approvalToken, canaryWeight, demoMesh, finished, history, routeNow, setAlarm, sfn, stack, start, statesEntered, unique, until,
} from '../support/executions.ts';
import { root } from '../support/fixtures.ts';

const strategy = (extra: object = {}) => ({ type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 120, checkIntervalSeconds: 1, ...extra });

test('approve: the canary waits at 10% until a person approves, then is promoted; the approver was told how', async () => {
  const sqs = new SQSClient({});
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: unique('approvals') }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await new SNSClient({}).send(new SubscribeCommand({ TopicArn: stack().outputs.ApprovalTopicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));

  const mesh = await demoMesh();
  const arn = await start('manual-approval', { ...mesh, strategy: strategy(), healthChecks: { alarms: { names: [await alarm()] } } });
  const token = await approvalToken(arn);
  expect(await canaryWeight(mesh.route, mesh.canaryNode)).toBe(10);

  const message = await until('the approval message', async () =>
    (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }))).Messages?.find((m) => m.Body!.includes(arn)));
  expect(message.Body).toContain(`npx mesh-canary approve ${arn}`);
  expect(message.Body).toContain(`aws stepfunctions send-task-success --task-token '${token}'`);
  expect(message.Body).toContain('--error Rejected');

  await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
  const end = await finished(arn);
  expect(end.status).toBe('SUCCEEDED');
  expect(JSON.parse(end.output!)).toMatchObject({ outcome: 'promoted', approval: 'approved', weightedTargets: [{ virtualNode: 'product-v15-vn', weight: 100 }] });
  // The token went to the approver, and into no log line.
  const log = readFileSync(join(root, '.local-aws', 'lambda.log'), 'utf8');
  expect(log).toContain('approver notified');
  expect(log).not.toContain(token);
});

test('reject: rolled back to the exact snapshot, the reason in the failure cause', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const arn = await start('manual-approval', { ...mesh, strategy: strategy() });
  const token = await approvalToken(arn);
  await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'checkout latency doubled' }));
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('Rejected: checkout latency doubled');
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test('an answer that is not {"approved": true} rolls back', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const arn = await start('manual-approval', { ...mesh, strategy: strategy() });
  await sfn.send(new SendTaskSuccessCommand({ taskToken: await approvalToken(arn), output: JSON.stringify({ approved: false }) }));
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('Rejected: the answer to the approval was not {"approved": true}');
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test('no answer within the approval timeout: rolled back', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const arn = await start('manual-approval', { ...mesh, strategy: strategy({ approvalTimeoutSeconds: 2 }) });
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('ApprovalTimedOut');
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test('no answer within the approval timeout, onApprovalTimeout promote: promoted', async () => {
  const mesh = await demoMesh();
  const arn = await start('manual-approval', { ...mesh, strategy: strategy({ approvalTimeoutSeconds: 2, onApprovalTimeout: 'promote' }) });
  const end = await finished(arn);
  expect(end.status).toBe('SUCCEEDED');
  expect(JSON.parse(end.output!).approval).toMatch(/onApprovalTimeout is promote/);
});

test('an alarm while waiting rolls back at once, without waiting for the person', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const alarmName = await alarm();
  const arn = await start('manual-approval', { ...mesh, strategy: strategy({ approvalTimeoutSeconds: 3600 }), healthChecks: { alarms: { names: [alarmName] } } });
  await approvalToken(arn);
  await setAlarm(alarmName, 'ALARM', 'error budget burning');
  const end = await finished(arn, 30_000);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('error budget burning');
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test.each([
  ['a failing baseline verdict', 'BaselineUnhealthy', async () => ({ alarms: { names: [await alarm('ALARM')] } })],
  ['an alarm that does not exist', 'HealthCheckMisconfigured', async () => ({ alarms: { names: ['no-such-alarm'] } })],
] as const)('refused before any change (%s): ends %s, no approval asked, route untouched', async (_label, error, healthChecks) => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const end = await finished(await start('manual-approval', { ...mesh, strategy: strategy(), healthChecks: await healthChecks() }));
  expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error });
  expect(end.cause).toMatch(/Nothing was changed: route \S+ was not touched, and its deployment lock is released\.$/);
  expect(statesEntered(await history(end.executionArn!))).not.toContain('AwaitApproval');
  expect((await routeNow(mesh.route)).metadata!.version).toBe(before.metadata!.version);
});

import { startLocalAws } from '../local/aws.ts';
import { deployStack } from '../local/stack.ts';
import { createDemoMesh } from '../local/demo-mesh.ts';
import { buildFunctions } from '../scripts/build.ts';
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { SFNClient, StartExecutionCommand, StopExecutionCommand, GetExecutionHistoryCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

await buildFunctions();
process.env.PREPARE_TIMEOUT_SECONDS = '6';
const aws = await startLocalAws({ quiet: true });
try {
  const stack = await deployStack(aws, 'explore');
  const config = { endpoint: aws.endpoint, region: aws.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const appMesh = new AppMeshClient(config); const sfn = new SFNClient(config); const ddb = new DynamoDBClient(config);
  await createDemoMesh(appMesh, 'm1');
  const route = { meshName: 'm1', virtualRouterName: 'product-vr', routeName: 'product-r' };
  const input = { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn', strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 } };
  // 1. invalid input and readable cause
  const bad = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: 'bad1', input: JSON.stringify({ ...input, strategy: { type: 'linear', stepPercent: 0, intervalSeconds: 0 } }) }));
  const bad2 = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: 'bad2', input: '[1,2]' }));
  // 2. baseline failing: alarm missing
  const mis = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: 'mis', input: JSON.stringify({ ...input, healthChecks: { alarms: { names: ['nope'] } } }) }));
  const wait = async (arn: string) => { for (;;) { const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn })); if (d.status !== 'RUNNING') return d; await new Promise((r) => setTimeout(r, 100)); } };
  for (const x of [bad, bad2, mis]) { const d = await wait(x.executionArn!); console.log(d.name, d.status, d.error, '|', d.cause); }
  const lock = await ddb.send(new GetItemCommand({ TableName: stack.outputs.LockTableName, Key: { route: { S: 'm1/product-vr/product-r' } } }));
  console.log('lock after refusal', lock.Item);
  // 3. stop during Prepare with slow dynamodb
  await fetch(`${aws.endpoint}/__local/faults`, { method: 'POST', body: JSON.stringify({ rate: 1, kinds: ['latency'], latencyMs: 3000, services: ['dynamodb'] }) });
  const ex = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: 'slow', input: JSON.stringify(input) }));
  for (;;) { const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: ex.executionArn! })); if (h.events!.some((e) => e.type === 'TaskStarted')) break; await new Promise((r) => setTimeout(r, 20)); }
  await sfn.send(new StopExecutionCommand({ executionArn: ex.executionArn! }));
  console.log('status after stop', (await sfn.send(new DescribeExecutionCommand({ executionArn: ex.executionArn! }))).status);
  await fetch(`${aws.endpoint}/__local/faults`, { method: 'POST', body: '' });
  const t0 = Date.now();
  const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: ex.executionArn! }));
  console.log(h.events!.map((e) => `${e.type} ${e.timestamp?.toISOString()}`).join('\n'));
  for (let i = 0; i < 8; i++) {
    const l = await ddb.send(new GetItemCommand({ TableName: stack.outputs.LockTableName, Key: { route: { S: 'm1/product-vr/product-r' } } }));
    console.log(((Date.now() - t0) / 1000).toFixed(1), 'lock', l.Item?.executionId?.S);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const h2 = await sfn.send(new GetExecutionHistoryCommand({ executionArn: ex.executionArn! }));
  console.log(h2.events!.map((e) => `${e.type} ${e.timestamp?.toISOString()}`).join('\n'));
} finally { await aws.stop(); }

// Reproduces issue 8 item 7 with whatever functions are built in dist/.
import { startLocalAws } from '../local/aws.ts';
import { deployStack } from '../local/stack.ts';
import { createDemoMesh } from '../local/demo-mesh.ts';
import { buildFunctions } from '../scripts/build.ts';
import { readFileSync } from 'node:fs';
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { SFNClient, StartExecutionCommand, StopExecutionCommand, GetExecutionHistoryCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

await buildFunctions();
process.env.PREPARE_TIMEOUT_SECONDS = '8';
const aws = await startLocalAws({ quiet: true });
try {
  const stack = await deployStack(aws, 'oldbug');
  const config = { endpoint: aws.motoEndpoint, region: aws.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const appMesh = new AppMeshClient(config); const sfn = new SFNClient(config); const ddb = new DynamoDBClient(config);
  await createDemoMesh(appMesh, 'm1');
  const route = { meshName: 'm1', virtualRouterName: 'product-vr', routeName: 'product-r' };
  const input = { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn', strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 0 } };
  const wait = async (arn: string) => { for (;;) { const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn })); if (d.status !== 'RUNNING') return d; await new Promise((r) => setTimeout(r, 100)); } };
  await fetch(`${aws.endpoint}/2015-03-31/functions/PrepareFunction/invocations`, { method: 'POST', body: '{}' });
  await fetch(`${aws.endpoint}/__local/faults`, { method: 'POST', body: JSON.stringify({ rate: 1, kinds: ['latency'], latencyMs: 2000, services: ['dynamodb'] }) });
  const ex = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: 'slow', input: JSON.stringify(input) }));
  for (;;) { const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: ex.executionArn! })); if (h.events!.some((e) => e.type === 'TaskStarted')) break; await new Promise((r) => setTimeout(r, 20)); }
  await sfn.send(new StopExecutionCommand({ executionArn: ex.executionArn! }));
  for (;;) { const f = await (await fetch(`${aws.endpoint}/__local/faults`)).json() as any; if ((f.injected['dynamodb:latency'] ?? 0) >= 1) break; await new Promise((r) => setTimeout(r, 20)); }
  await fetch(`${aws.endpoint}/__local/faults`, { method: 'POST', body: '' });
  const doc = JSON.parse(readFileSync('events/guard-aborted.json', 'utf8'));
  const event = { ...doc, detail: { ...doc.detail, executionArn: ex.executionArn, status: 'ABORTED', input: JSON.stringify(input) } };
  const res = await fetch(`${aws.endpoint}/2015-03-31/functions/GuardFunction/invocations`, { method: 'POST', body: JSON.stringify(event) });
  console.log('guard:', await res.text());
  for (let i = 0; i < 5; i++) { const x = await ddb.send(new GetItemCommand({ TableName: stack.outputs.LockTableName, Key: { route: { S: 'm1/product-vr/product-r' } } })); console.log(Date.now() % 100000, 'lock', x.Item?.executionId?.S); await new Promise((r) => setTimeout(r, 700)); }
  console.log((await sfn.send(new GetExecutionHistoryCommand({ executionArn: ex.executionArn! }))).events!.map((e) => `${e.type} ${e.timestamp!.getTime() % 100000}`).join('\n'));
  console.log('stopped execution:', (await wait(ex.executionArn!)).status);
  const l = await ddb.send(new GetItemCommand({ TableName: stack.outputs.LockTableName, Key: { route: { S: 'm1/product-vr/product-r' } } }));
  console.log('lock held by', l.Item?.executionId?.S, 'expires in', l.Item ? Number(l.Item.expiresAt.N) - Date.now() / 1000 : '-', 's');
  const next = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: 'next', input: JSON.stringify(input) }));
  const end = await wait(next.executionArn!);
  console.log('next deployment:', end.status, end.error, (end.cause ?? '').slice(0, 160));
} finally { await aws.stop(); }

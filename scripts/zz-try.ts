import { AppMeshClient, DescribeRouteCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalAws } from '../local/aws.ts';
import { deployStack } from '../local/stack.ts';
import { createDemoMesh } from '../local/demo-mesh.ts';
import { buildFunctions } from './build.ts';

await buildFunctions('/tmp/zzdist');
const aws = await startLocalAws({ quiet: true, buildDir: '/tmp/zzdist' });
try {
  Object.assign(process.env, aws.env);
  const stack = await deployStack(aws);
  const mesh = new AppMeshClient({});
  await createDemoMesh(mesh);
  const sfn = new SFNClient({});
  const routes = [
    { route: { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' }, stableNode: 'product-vn', canaryNode: 'product-v2-vn' },
    { route: { meshName: 'demomesh', virtualRouterName: 'customer-vr', routeName: 'customer-r' }, stableNode: 'customer-vn', canaryNode: 'customer-v2-vn' },
  ];
  const run = async (name: string, extra: object) => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name, input: JSON.stringify({ routes, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, ...extra }) }));
    for (;;) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING') { console.log(name, d.status, d.error, (d.cause ?? d.output ?? '').slice(0, 600)); break; }
      await new Promise((r) => setTimeout(r, 300));
    }
    for (const r of routes) console.log('  ', r.route.routeName, JSON.stringify((await mesh.send(new DescribeRouteCommand(r.route))).route!.spec!.httpRoute!.action!.weightedTargets));
  };
  await run('promote-both', {});
  // back: swap stable/canary names
  routes.forEach((r) => { const s = r.stableNode; r.stableNode = r.canaryNode; r.canaryNode = s; });
  const cw = new CloudWatchClient({});
  await cw.send(new PutMetricAlarmCommand({ AlarmName: 'rel-bad', MetricName: 'x', Namespace: 'y', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
  await cw.send(new SetAlarmStateCommand({ AlarmName: 'rel-bad', StateValue: 'OK', StateReason: 'ok' }));
  const watcher = (async () => {
    for (;;) {
      const w = (await mesh.send(new DescribeRouteCommand(routes[1].route))).route!.spec!.httpRoute!.action!.weightedTargets!;
      if (w.some((t) => t.virtualNode === routes[1].canaryNode && t.weight! > 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'rel-bad', StateValue: 'ALARM', StateReason: 'bad at 50' }));
  })();
  await run('rollback-both', { healthChecks: { alarms: { names: ['rel-bad'] } }, failureThreshold: 1, inconclusive: 'pass', strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 2 } });
  await watcher;
} finally {
  await aws.stop();
}

// The sandbox demo: the seed's story on a local AWS, no AWS account needed.
//   npm run demo
// Builds the functions, starts the local AWS (moto + the Lambda front running the real
// bundles), creates the seed's demo mesh and walks two canaries through the functions:
// product → v1.5, healthy, promoted; customer → v2, whose alarm fires midway: rolled back.
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { buildFunctions } from './build.ts';
import { startLocalAws, type LocalAws } from '../local/aws.ts';
import { createDemoMesh, DEMO_MESH } from '../local/demo-mesh.ts';

if (process.argv.includes('--help')) {
  console.log(`usage: npm run demo

Starts a local AWS (moto ${'5.2.1'} + a Lambda front running the built function bundles), creates the
seed's demo mesh and runs two canaries through the mesh-canary functions, printing the
product and customer routes' weighted targets after every step. Needs python3 with
moto[server]==5.2.1 (installed into .venv automatically when missing and PyPI is reachable).
Exits 0 when both canaries end as expected (product promoted, customer rolled back).`);
  process.exit(0);
}

const step = (s: string) => console.log(`\n\u25b6 ${s}`);

async function main(): Promise<void> {
  step('Building the function bundles (esbuild settings from template.yaml)');
  await buildFunctions();
  step('Starting the local AWS');
  const aws = await startLocalAws({ quiet: true });
  console.log(`  endpoint ${aws.endpoint} (region ${aws.region}); function logs in .local-aws/`);
  try {
    await run(aws);
  } finally {
    await aws.stop();
  }
}

async function run(aws: LocalAws): Promise<void> {
  Object.assign(process.env, aws.env); // endpoint, region and the local AWS's fake credentials
  const appMesh = new AppMeshClient({});
  const cloudWatch = new CloudWatchClient({});
  const invoke = async (fn: string, event: unknown): Promise<any> => {
    const res = await fetch(`${aws.endpoint}/2015-03-31/functions/${fn}/invocations`, { method: 'POST', body: JSON.stringify(event) });
    const body = (await res.json()) as any;
    if (res.headers.get('x-amz-function-error')) throw Object.assign(new Error(body.errorMessage), { name: body.errorType });
    return body;
  };
  const show = async (service: string) => {
    const route = (await appMesh.send(new DescribeRouteCommand({ meshName: DEMO_MESH, virtualRouterName: `${service}-vr`, routeName: `${service}-r` }))).route!;
    for (const t of route.spec!.httpRoute!.action!.weightedTargets!) {
      console.log(`    ${t.virtualNode!.padEnd(16)} ${String(t.weight).padStart(3)}  ${'\u2588'.repeat(Math.round(t.weight! / 4))}`);
    }
  };

  step(`Creating the seed's mesh "${DEMO_MESH}": order, product, customer (+ product-v15-vn, customer-v2-vn)`);
  await createDemoMesh(appMesh);
  for (const alarm of ['product-v15-5xx', 'customer-v2-5xx']) {
    await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarm, Namespace: 'demo', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'OK', StateReason: 'demo: healthy' }));
  }

  const canary = async (service: string, canaryNode: string, alarm: string, failAt?: number) => {
    const route = { meshName: DEMO_MESH, virtualRouterName: `${service}-vr`, routeName: `${service}-r` };
    const deployment = await invoke('PrepareFunction', { input: { route, stableNode: `${service}-vn`, canaryNode, healthChecks: { alarms: { names: [alarm] } } } });
    console.log(`  snapshot of ${service}-r taken (version ${deployment.snapshot.version})`);
    for (const weight of [10, 25, 50, 75, 100]) {
      if (weight === failAt) {
        await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'ALARM', StateReason: 'demo: 5xx rate on the canary' }));
      }
      const health = await invoke('CheckHealthFunction', { deployment });
      console.log(`  health before ${weight}%: ${health.verdict} (${health.checks.map((c: any) => c.reason).join('; ')})`);
      if (health.verdict === 'fail') {
        const r = await invoke('RollbackFunction', { deployment, reason: 'canary unhealthy' });
        console.log(`  rolled back to the snapshot (${r.changed ? 'route restored' : 'nothing to restore'}):`);
        await show(service);
        return 'rolled back';
      }
      await invoke('SetWeightFunction', { deployment, weight });
      console.log(`  canary at ${weight}%:`);
      await show(service);
    }
    await invoke('PromoteFunction', { deployment });
    console.log('  promoted:');
    await show(service);
    return 'promoted';
  };

  step('Canary 1: product-vn → product-v15-vn, healthy throughout');
  const product = await canary('product', 'product-v15-vn', 'product-v15-5xx');
  step('Canary 2: customer-vn → customer-v2-vn, its alarm fires at 75%');
  const customer = await canary('customer', 'customer-v2-vn', 'customer-v2-5xx', 75);

  step('Summary');
  console.log(`  product  → v1.5: ${product}`);
  console.log(`  customer → v2:   ${customer}`);
  if (product !== 'promoted' || customer !== 'rolled back') throw new Error('the demo did not end as expected');
}

main().catch((err) => {
  console.error(`\ndemo failed: ${err.name}: ${err.message}`);
  process.exitCode = 1;
});

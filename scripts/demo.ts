// The sandbox demo: the seed's story, run by the real state machines on a local AWS.
//   npm run demo
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { buildFunctions } from './build.ts';
import { startLocalAws, type LocalAws } from '../local/aws.ts';
import { createDemoMesh, DEMO_MESH } from '../local/demo-mesh.ts';
import { deployStack, type MachineType } from '../local/stack.ts';
import { follow, type DeploymentEvent } from '../cli/follow.ts';

const usage = `usage: npm run demo

Runs mesh-canary end to end on your machine, no AWS account needed: builds the Lambda
bundles, starts a local AWS (moto 5.2.1 + a Lambda front that runs the bundles), deploys the
three state machines from template.yaml, creates the seed's demo mesh, and replays the seed's
story with the real state machines:

  1. product  → v1.5   linear, 25% a step        healthy: promoted
  2. customer → v2     step-then-all, 20% + bake  healthy: promoted
  3. order    → v2     manual approval            approved: promoted
  4. product  → v2     linear, 25% a step        its alarm fires at 50%: rolled back

Needs python3 with moto[server]==5.2.1 (installed into .venv when missing and PyPI is
reachable). Function logs go to .local-aws/lambda.log. Exits 0 when every deployment ends as
the story says.`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(usage);
  process.exit(0);
}

const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const color = (code: number, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (s: string) => console.log(`${clock()}  ${s}`);
const targets = (ts: { virtualNode: string; weight: number }[]) => ts.map((t) => `${t.virtualNode} ${t.weight}`).join(', ');

interface Story {
  title: string;
  machine: MachineType;
  service: 'product' | 'customer' | 'order';
  stable: string;
  canary: string;
  strategy: object;
  expect: 'SUCCEEDED' | 'FAILED';
  /** Something that happens while the deployment runs (an approval, an alarm). */
  during?: (e: DeploymentEvent, act: Actions) => Promise<void>;
}

interface Actions {
  approve(): Promise<void>;
  alarm(state: 'OK' | 'ALARM', why: string): Promise<void>;
}

const stories: Story[] = [
  { title: 'product → v1.5, linear', machine: 'linear', service: 'product', stable: 'product-vn', canary: 'product-v15-vn',
    strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, expect: 'SUCCEEDED' },
  { title: 'customer → v2, step-then-all', machine: 'step-then-all', service: 'customer', stable: 'customer-vn', canary: 'customer-v2-vn',
    strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 3, checkIntervalSeconds: 1 }, expect: 'SUCCEEDED' },
  { title: 'order → v2, held for approval', machine: 'manual-approval', service: 'order', stable: 'order-vn', canary: 'order-v2-vn',
    strategy: { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 300, checkIntervalSeconds: 1 }, expect: 'SUCCEEDED',
    during: async (e, act) => {
      if (e.kind === 'awaiting-approval') {
        say('  (a person looks at the dashboards for two seconds, then approves)');
        await new Promise((r) => setTimeout(r, 2000));
        await act.approve();
      }
    } },
  { title: 'product → v2, a bad release', machine: 'linear', service: 'product', stable: 'product-v15-vn', canary: 'product-v2-vn',
    strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, expect: 'FAILED',
    during: async (e, act) => {
      if (e.kind === 'shift' && e.weight === 50) await act.alarm('ALARM', '5xx rate 14% on product v2');
    } },
];

async function main(): Promise<void> {
  console.log(bold('mesh-canary demo: the seed\'s story on a local AWS\n'));
  say('building the function bundles (esbuild settings from template.yaml)');
  await buildFunctions();
  say('starting the local AWS (moto + Lambda front)');
  const aws = await startLocalAws({ quiet: true });
  try {
    await run(aws);
  } finally {
    await aws.stop();
  }
}

async function run(aws: LocalAws): Promise<void> {
  Object.assign(process.env, aws.env);
  const appMesh = new AppMeshClient({});
  const cloudWatch = new CloudWatchClient({});
  const sfn = new SFNClient({});
  const stack = await deployStack(aws);
  say(`state machines deployed: ${Object.keys(stack.machines).join(', ')}`);
  await createDemoMesh(appMesh);
  say(`mesh "${DEMO_MESH}" created: order, product, customer → v1; nodes product-v15, customer-v2, order-v2, product-v2`);

  const results: { story: Story; status: string; error?: string; seconds: number; final: string }[] = [];
  for (const [i, story] of stories.entries()) {
    const alarmName = `${story.canary}-5xx`;
    await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'demo', MetricName: 'Http5xx', Dimensions: [{ Name: 'VirtualNode', Value: story.canary }], Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: 'demo: no errors' }));
    const route = { meshName: DEMO_MESH, virtualRouterName: `${story.service}-vr`, routeName: `${story.service}-r` };
    const input = { route, stableNode: story.stable, canaryNode: story.canary, strategy: story.strategy, healthChecks: { alarms: { names: [alarmName] } } };

    console.log(`\n${bold(`${i + 1}. ${story.title}`)}  (${story.machine} state machine)`);
    const t0 = Date.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines[story.machine], name: `demo-${i + 1}-${story.canary}`, input: JSON.stringify(input) }));
    let token: string | undefined;
    const actions: Actions = {
      approve: async () => {
        const { fullHistory } = await import('../cli/follow.ts');
        const scheduled = (await fullHistory(sfn, executionArn!)).filter((e) => e.taskScheduledEventDetails?.resource?.includes('waitForTaskToken')).at(-1);
        token = JSON.parse(scheduled!.taskScheduledEventDetails!.parameters!).Payload.taskToken;
        await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
        say(`  ${color(32, 'approved')} (mesh-canary approve finds the task token in the execution's history)`);
      },
      alarm: async (state, why) => {
        await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: why }));
        say(`  ${color(31, `alarm ${alarmName} → ${state}`)}: ${why}`);
      },
    };
    const pending: Promise<void>[] = [];
    const end = await follow(sfn, executionArn!, (e) => {
      print(e);
      if (story.during) pending.push(story.during(e, actions));
    }, { intervalMs: 100 });
    await Promise.all(pending);
    const now = (await appMesh.send(new DescribeRouteCommand(route))).route!.spec!.httpRoute!.action!.weightedTargets!;
    results.push({ story, status: end.status!, error: end.error, seconds: (Date.now() - t0) / 1000, final: targets(now as any) });
  }

  console.log(`\n${bold('Summary')}`);
  const rows = [['#', 'deployment', 'outcome', 'time', `route ${'at the end'}`],
    ...results.map((r, i) => [String(i + 1), r.story.title, r.status === 'SUCCEEDED' ? 'promoted' : `rolled back (${r.error})`, `${r.seconds.toFixed(1)} s`, r.final])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log('  ' + r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  console.log(`\n  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const wrong = results.filter((r) => r.status !== r.story.expect);
  if (wrong.length) throw new Error(`${wrong.map((r) => r.story.title).join(', ')} did not end as the story says`);
}

function print(e: DeploymentEvent): void {
  switch (e.kind) {
    case 'prepared': say(`  snapshot taken: ${targets(e.snapshot)}`); break;
    case 'verdict': {
      const mark = e.verdict === 'pass' ? color(32, 'pass') : color(31, e.verdict);
      say(`  verdict at ${String(e.weight).padStart(3)}%: ${mark} → ${e.decision}${e.reasons.length ? ` (${e.reasons.join('; ')})` : ''}`);
      break;
    }
    case 'shift': say(`  canary at ${String(e.weight).padStart(3)}%   ${bar(e.weightedTargets)}`); break;
    case 'awaiting-approval': say('  waiting for approval; health checks keep running'); break;
    case 'promoted': say(`  ${color(32, 'promoted')}: ${targets(e.weightedTargets)}`); break;
    case 'rolled-back': say(`  ${color(33, 'rolled back')}: ${e.summary}`); break;
    case 'ended': say(`  execution ${e.status}${e.error ? ` with ${e.error}` : ''}`); break;
  }
}

function bar(ts: { virtualNode: string; weight: number }[]): string {
  const total = ts.reduce((s, t) => s + t.weight, 0) || 1;
  return ts.map((t) => `${t.virtualNode} ${'\u2588'.repeat(Math.round((t.weight / total) * 20))}${'\u2591'.repeat(20 - Math.round((t.weight / total) * 20))} ${t.weight}`).join('  ');
}

main().catch((err) => {
  console.error(`\ndemo failed: ${err.name}: ${err.message}`);
  process.exitCode = 1;
});

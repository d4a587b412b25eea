// The sandbox demo: the seed's story, run by the real state machines on a local AWS, shown with
// the CLI's own view (a live frame on a terminal, one line per event otherwise), ending with a
// summary table and a report picture per deployment.
//   npm run demo
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { buildFunctions } from './build.ts';
import { startLocalAws, type LocalAws } from '../local/aws.ts';
import { createDemoMesh, DEMO_MESH } from '../local/demo-mesh.ts';
import { deployStack, type MachineType } from '../local/stack.ts';
import { projectRoot } from '../local/template.ts';
import { outcomeOf } from '../cli/execution.ts';
import { follow, fullHistory, type DeploymentEvent, type Poll } from '../cli/follow.ts';
import { run as cli } from '../cli/program.ts';
import { LiveRegion, styleFor, table, targetsText } from '../cli/render.ts';
import { NOTICE_AFTER_TRIES, NoticeLines, noticeText, retryReads, type RetryNotice } from '../cli/retry.ts';
import { renderReport } from '../cli/report.ts';
import { eventText, renderFrame, watchView } from '../cli/view.ts';

const usage = `usage: npm run demo

Runs mesh-canary end to end on your machine, no AWS account needed: builds the Lambda
bundles, starts a local AWS (moto 5.2.1 + a Lambda front that runs the bundles), deploys the
three state machines from template.yaml, creates the seed's demo mesh, and replays the seed's
story with the real state machines:

  1. product  → v1.5   linear, 25% a step        healthy: promoted
  2. customer → v2     step-then-all, 20% + bake  healthy: promoted
  3. order    → v2     manual approval            approved (mesh-canary approve): promoted
  4. product  → v2     linear, 25% a step        its alarm fires at 50%: rolled back

On a terminal each deployment is shown live as \`mesh-canary watch\` shows it. At the end: a
summary table and one picture per deployment in reports/ (as \`mesh-canary report\` draws it).

Needs python3 with moto[server]==5.2.1 (installed into .venv when missing and PyPI is
reachable). Bundles go to .local-aws/demo-dist, function logs to .local-aws/lambda.log. Exits 0 when every deployment ends as
the story says, with the route as the story says.`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(usage);
  process.exit(0);
}

const style = styleFor(process.stdout);
const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const region = new LiveRegion(process.stdout, style.live);
const say = (s: string) => region.log(`${clock()}  ${s}`);
const reportsDir = join(projectRoot, 'reports');
// Its own bundles, not dist/: rebuilding dist/ would pull the files from under another local
// AWS (the integration tests', a sandbox) that loads handlers from there.
const bundlesDir = join(projectRoot, '.local-aws', 'demo-dist');

interface Story {
  title: string;
  machine: MachineType;
  service: 'product' | 'customer' | 'order';
  stable: string;
  canary: string;
  strategy: object;
  expect: { outcome: 'promoted' | 'rolled back'; route: string };
  /** Something that happens while the deployment runs (an approval, an alarm). */
  during?: (e: DeploymentEvent, act: Actions) => Promise<void>;
}

interface Actions {
  approve(): Promise<void>;
  alarm(state: 'OK' | 'ALARM', why: string): Promise<void>;
}

const stories: Story[] = [
  { title: 'product → v1.5, linear', machine: 'linear', service: 'product', stable: 'product-vn', canary: 'product-v15-vn',
    strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, expect: { outcome: 'promoted', route: 'product-v15-vn 100' } },
  { title: 'customer → v2, step-then-all', machine: 'step-then-all', service: 'customer', stable: 'customer-vn', canary: 'customer-v2-vn',
    strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 3, checkIntervalSeconds: 1 }, expect: { outcome: 'promoted', route: 'customer-v2-vn 100' } },
  { title: 'order → v2, held for approval', machine: 'manual-approval', service: 'order', stable: 'order-vn', canary: 'order-v2-vn',
    strategy: { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 300, checkIntervalSeconds: 1 }, expect: { outcome: 'promoted', route: 'order-v2-vn 100' },
    during: async (e, act) => {
      if (e.kind === 'awaiting-approval') {
        say('  (a person looks at the dashboards for two seconds, then approves)');
        await new Promise((r) => setTimeout(r, 2000));
        await act.approve();
      }
    } },
  // Rolled back to exactly the route before it: product-v15-vn 100, as story 1 left it.
  { title: 'product → v2, a bad release', machine: 'linear', service: 'product', stable: 'product-v15-vn', canary: 'product-v2-vn',
    strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, expect: { outcome: 'rolled back', route: 'product-v15-vn 100' },
    during: async (e, act) => {
      if (e.kind === 'shift' && e.weight === 50) await act.alarm('ALARM', '5xx rate 14% on product v2');
    } },
];

async function main(): Promise<void> {
  console.log(style.bold('mesh-canary demo: the seed\'s story on a local AWS\n'));
  say('building the function bundles (esbuild settings from template.yaml)');
  await buildFunctions(bundlesDir);
  say('starting the local AWS (moto + Lambda front)');
  const aws = await startLocalAws({ quiet: true, buildDir: bundlesDir });
  try {
    await replay(aws);
  } finally {
    region.close({ clear: true });
    await aws.stop();
  }
}

async function replay(aws: LocalAws): Promise<void> {
  Object.assign(process.env, aws.env);
  const appMesh = new AppMeshClient({});
  retryReads(appMesh);
  const cloudWatch = new CloudWatchClient({});
  const sfn = new SFNClient({});
  const stack = await deployStack(aws);
  say(`state machines deployed: ${Object.keys(stack.machines).join(', ')} (stack ${stack.stackName})`);
  await createDemoMesh(appMesh);
  say(`mesh "${DEMO_MESH}" created: order, product, customer → v1; nodes product-v15, customer-v2, order-v2, product-v2`);
  mkdirSync(reportsDir, { recursive: true });

  const results: { story: Story; outcome: string; error?: string; seconds: number; final: string; report: string }[] = [];
  for (const [i, story] of stories.entries()) {
    const alarmName = `${story.canary}-5xx`;
    await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'demo', MetricName: 'Http5xx', Dimensions: [{ Name: 'VirtualNode', Value: story.canary }], Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: 'demo: no errors' }));
    const route = { meshName: DEMO_MESH, virtualRouterName: `${story.service}-vr`, routeName: `${story.service}-r` };
    const input = { route, stableNode: story.stable, canaryNode: story.canary, strategy: story.strategy, healthChecks: { alarms: { names: [alarmName] } } };
    const name = `demo-${i + 1}-${story.canary}`;

    region.log(`\n${style.bold(`${i + 1}. ${story.title}`)}  (${story.machine} state machine, execution ${name})`);
    const t0 = Date.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines[story.machine], name, input: JSON.stringify(input) }));
    const actions: Actions = {
      approve: async () => {
        // The CLI's own approve, as a person would type it: it finds the token in the history.
        say(`  $ mesh-canary approve ${name}`);
        const out = { write: (s: string) => { for (const line of s.trimEnd().split('\n')) say(`  ${line}`); } };
        const code = await cli(['approve', executionArn!], { stdout: out, stderr: out, signal: new AbortController().signal, graceful: () => {} });
        if (code !== 0) throw new Error(`mesh-canary approve exited ${code}`);
      },
      alarm: async (state, why) => {
        await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: why }));
        say(`  ${style.red(`alarm ${alarmName} → ${state}`)}: ${why}`);
      },
    };
    const pending: Promise<void>[] = [];
    let last: Poll | undefined;
    // When the local AWS does not answer for a moment, the watch says so and keeps going, as `mesh-canary watch` does.
    let notice: RetryNotice | undefined;
    const noticeLines = new NoticeLines((line) => (style.live ? undefined : say(`  ${line}`)));
    const draw = () => region.update([
      ...(last ? ['', ...renderFrame(watchView(last, new Date()), style, new Date()).map((l) => `  ${l}`)] : []),
      ...(notice ? ['', `  ${style.yellow(noticeText(notice))}`] : []),
    ]);
    const ticker = style.live ? setInterval(draw, 200) : undefined;
    const end = await follow(sfn, executionArn!, (e) => {
      if (e.kind !== 'started') say(`  ${eventText(e, style)}`);
      if (story.during) pending.push(story.during(e, actions));
    }, {
      intervalMs: 100,
      onPoll: (p) => { last = p; draw(); },
      onRetry: (n) => { notice = n && n.tries >= NOTICE_AFTER_TRIES ? n : undefined; noticeLines.update(n); draw(); },
    }).finally(() => clearInterval(ticker));
    region.update([]);
    await Promise.all(pending);

    const now = (await appMesh.send(new DescribeRouteCommand(route))).route!.spec!.httpRoute!.action!.weightedTargets!;
    const history = await fullHistory(sfn, executionArn!);
    const report = join(reportsDir, `demo-${i + 1}-${story.canary}.svg`);
    writeFileSync(report, renderReport({ description: end, history }));
    results.push({ story, outcome: outcomeOf(end).kind, error: end.error, seconds: (Date.now() - t0) / 1000, final: targetsText(now.map((t) => ({ id: t.virtualNode!, weight: t.weight! }))), report });
  }

  region.log(`\n${style.bold('Summary')}`);
  const rows = [['#', 'deployment', 'outcome', 'time', 'route at the end', 'as the story says'],
    ...results.map((r, i) => [String(i + 1), r.story.title, r.error ? `${r.outcome} (${r.error})` : r.outcome, `${r.seconds.toFixed(1)} s`, r.final,
      asExpected(r) ? style.green('yes') : style.red('NO')])];
  for (const line of table(rows, style)) region.log(line);
  region.log(`\n${style.bold('Reports')} (open in a browser, or \`mesh-canary report <execution> --out FILE\`)`);
  for (const r of results) region.log(`  ${relative(process.cwd(), r.report) || r.report}`);
  region.log(`\n  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const wrong = results.filter((r) => !asExpected(r));
  if (wrong.length) throw new Error(`${wrong.map((r) => r.story.title).join(', ')} did not end as the story says`);
}

const asExpected = (r: { story: Story; outcome: string; final: string }) => r.outcome === r.story.expect.outcome && r.final === r.story.expect.route;

main().catch((err) => {
  region.close({ clear: true });
  console.error(`\ndemo failed: ${err.name}: ${err.message}`);
  process.exitCode = 1;
});

// The sandbox demo: the seed's story, run by the real state machines on a local AWS, shown with
// the CLI's own view (a live frame on a terminal, one line per event otherwise), ending with a
// summary table and a report picture per deployment.
//   npm run demo [-- --backend appmesh|lattice]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetRuleCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { buildFunctions } from './build.ts';
import { startLocalAws, type LocalAws } from '../local/aws.ts';
import { createDemoLattice, type DemoGroup, type DemoLattice } from '../local/demo-lattice.ts';
import { createDemoMesh, DEMO_MESH } from '../local/demo-mesh.ts';
import { deployStack, type MachineType } from '../local/stack.ts';
import { appMeshRequestCount, startTrafficFeed } from '../local/traffic-feed.ts';
import { projectRoot } from '../local/template.ts';
import { outcomeOf } from '../cli/execution.ts';
import { follow, fullHistory, type DeploymentEvent, type Poll } from '../cli/follow.ts';
import { run as cli } from '../cli/program.ts';
import { LiveRegion, styleFor, table, targetsText } from '../cli/render.ts';
import { NOTICE_AFTER_TRIES, NoticeLines, noticeText, retryReads, type RetryNotice } from '../cli/retry.ts';
import { renderReport } from '../cli/report.ts';
import { eventText, renderFrame, watchView } from '../cli/view.ts';

const usage = `usage: npm run demo [-- --backend appmesh|lattice]

Runs mesh-canary end to end on your machine, no AWS account needed: builds the Lambda
bundles, starts a local AWS (moto 5.2.1 + a Lambda front that runs the bundles), deploys the
three state machines from template.yaml, creates the seed's demo mesh and its twin on VPC
Lattice (services with a listener rule, v1 and canary target groups), and replays the seed's
story with the real state machines on each backend:

  1. product  → v1.5   linear, 25% a step,        healthy, and its smoke-test hook passes
                       a hook at every verdict    at every verdict: promoted
  2. customer → v2     step-then-all, 20% + bake, the traffic lags the weights by 6 s: verdicts
                       traffic verification       hold (inconclusive, the measured split as the
                                                  reason) until the split is there, then promoted
  3. order    → v2     manual approval            approved (mesh-canary approve): promoted
  4. product  → v2     linear, 25% a step,       its alarm fires mid-interval: rolled back by
                       a verdict every 60 s       the alarm path within seconds, not at the next verdict
  5. product  → v2     linear, 25% a step,       a hook fails once the canary has more than 50%:
                       a share-limit hook         rolled back, the hook's reason in the cause

On App Mesh the deployments move virtual route weights; on VPC Lattice they move the weights
of a listener rule's target groups. Real Lattice takes about 90 s to settle after each
change (settleSeconds, 90 by default); the demo waits 1 s so both backends take about a minute.

Request counts follow each route's weights (local/traffic-feed.ts; AWS/VpcLattice
TotalRequestCount on Lattice, a per-virtual-node metric on App Mesh), and the hooks are the
examples in examples/hooks/, which the local AWS runs as Lambda functions.
The local AWS delivers the events EventBridge would: the alarm's state change reaches the
alarm path (AlarmFunction), which stops the execution and restores the route at once.

On a terminal each deployment is shown live as \`mesh-canary watch\` shows it. At the end: a
summary table (with the backend of each deployment, and for the bad release how long after
the alarm the route was back) and one picture per deployment in reports/ (as
\`mesh-canary report\` draws it).

Options:
  --backend appmesh|lattice   replay the story on one backend only (default: both)
  -h, --help                  show this help

Needs python3 with moto[server]==5.2.1 (installed into .venv when missing and PyPI is
reachable). Bundles go to .local-aws/demo-dist, function logs to .local-aws/lambda.log. Exits 0 when every deployment ends as
the story says, with the route as the story says.`;

const backends = ['lattice', 'appmesh'] as const; // Lattice first: App Mesh ended on 2026-09-30
type Backend = (typeof backends)[number];
let args: { help: boolean; backend?: string };
try {
  args = parseArgs({ options: { backend: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } }).values as typeof args;
} catch (error) {
  console.error(`${(error as Error).message.split('\n')[0]} (usage: npm run demo [-- --backend appmesh|lattice])`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
if (args.backend !== undefined && !(backends as readonly string[]).includes(args.backend)) {
  console.error(`unknown backend "${args.backend}": --backend is appmesh or lattice (usage: npm run demo [-- --backend appmesh|lattice])`);
  process.exit(2);
}
const chosen: readonly Backend[] = args.backend ? [args.backend as Backend] : backends;
const BACKEND_LABEL: Record<Backend, string> = { appmesh: 'App Mesh', lattice: 'VPC Lattice' };
/** The demo's Lattice names start with this ("demo-product", "demo-product-v15"...). */
const LATTICE_PREFIX = 'demo';
/** Seconds a Lattice deployment waits after each weight change (real Lattice: about 90). */
const LATTICE_SETTLE_SECONDS = 1;

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
  /** The same versions as VPC Lattice target groups (demo names, see local/demo-lattice.ts). */
  groups: { stable: DemoGroup; canary: DemoGroup; end: DemoGroup };
  strategy: object;
  /** byAlarmPath: stopped by the alarm path (AlarmFired), its route back within seconds of the alarm. */
  expect: { outcome: 'promoted' | 'rolled back'; route: string; byAlarmPath?: boolean };
  /** Something that happens while the deployment runs (an approval, an alarm). */
  during?: (e: DeploymentEvent, act: Actions) => Promise<void>;
  /** Health-check hooks (healthChecks.hooks), by example function name. */
  hooks?: { name: string; functionName: string; when?: 'every-verdict' | 'before-promotion' }[];
  /** Traffic verification, with the local AWS's request counts following the weights this many seconds late. */
  trafficLagSeconds?: number;
}

interface Actions {
  approve(): Promise<void>;
  /** Sets the story's alarm; with ALARM, waits until the route is as the story ends it and returns how long that took. */
  alarm(state: 'OK' | 'ALARM', why: string): Promise<void>;
}

/** The bad release's interval: its next verdict is this far away when its alarm fires, so only the alarm path can be that fast. */
const BAD_RELEASE_INTERVAL_SECONDS = 60;

const stories: Story[] = [
  { title: 'product → v1.5, linear', machine: 'linear', service: 'product', stable: 'product-vn', canary: 'product-v15-vn',
    groups: { stable: 'product-v1', canary: 'product-v15', end: 'product-v15' },
    strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, expect: { outcome: 'promoted', route: 'product-v15-vn 100' },
    hooks: [{ name: 'smoke', functionName: 'mesh-canary-smoke-test' }] },
  { title: 'customer → v2, step-then-all', machine: 'step-then-all', service: 'customer', stable: 'customer-vn', canary: 'customer-v2-vn',
    groups: { stable: 'customer-v1', canary: 'customer-v2', end: 'customer-v2' },
    strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 3, checkIntervalSeconds: 1 }, expect: { outcome: 'promoted', route: 'customer-v2-vn 100' },
    trafficLagSeconds: 6 },
  { title: 'order → v2, held for approval', machine: 'manual-approval', service: 'order', stable: 'order-vn', canary: 'order-v2-vn',
    groups: { stable: 'order-v1', canary: 'order-v2', end: 'order-v2' },
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
    groups: { stable: 'product-v15', canary: 'product-v2', end: 'product-v15' },
    strategy: { type: 'linear', stepPercent: 25, intervalSeconds: BAD_RELEASE_INTERVAL_SECONDS }, expect: { outcome: 'rolled back', route: 'product-v15-vn 100', byAlarmPath: true },
    during: async (e, act) => {
      if (e.kind === 'shift' && e.weight === 25) {
        say(`  (the next verdict is ${BAD_RELEASE_INTERVAL_SECONDS} s away; two seconds in, 5xx responses climb)`);
        await new Promise((r) => setTimeout(r, 2000));
        await act.alarm('ALARM', '5xx rate 14% on product v2');
      }
    } },
  // The same release again, judged by a hook this time: it fails above 50% (MAX_CANARY_PERCENT on the local AWS).
  { title: 'product → v2, a hook says no', machine: 'linear', service: 'product', stable: 'product-v15-vn', canary: 'product-v2-vn',
    groups: { stable: 'product-v15', canary: 'product-v2', end: 'product-v15' },
    strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, expect: { outcome: 'rolled back', route: 'product-v15-vn 100' },
    hooks: [{ name: 'share-limit', functionName: 'mesh-canary-share-limit' }] },
];

async function main(): Promise<void> {
  const on = chosen.map((b) => BACKEND_LABEL[b]).join(' and ');
  console.log(style.bold(`mesh-canary demo: the seed's story on a local AWS (${on})\n`));
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

/** One backend's side of a story: its input, its route now, the route the story ends with. */
interface Side {
  input(story: Story, alarmName: string): { route: object; healthChecks: object };
  /** trafficVerification.requestCount for this backend (App Mesh needs one; Lattice has its own metric). */
  requestCount(): object;
  /** The clients the traffic feed reads the route with. */
  feedClients: { appMesh?: AppMeshClient; lattice?: VPCLatticeClient };
  alarmDimension(story: Story): { Name: string; Value: string };
  canaryName(story: Story): string;
  routeNow(story: Story): Promise<string>;
  expected(story: Story): string;
}

interface Result {
  backend: Backend; name: string; story: Story; outcome: string; error?: string; seconds: number; final: string; expected: string; report: string;
  /** From SetAlarmState to the route as the story ends it (the alarm path), in ms. */
  alarmToRestoredMs?: number;
}

async function replay(aws: LocalAws): Promise<void> {
  Object.assign(process.env, aws.env);
  const cloudWatch = new CloudWatchClient({});
  const sfn = new SFNClient({});
  const stack = await deployStack(aws);
  say(`state machines deployed: ${Object.keys(stack.machines).join(', ')} (stack ${stack.stackName})`);
  const sides = {} as Record<Backend, Side>;
  if (chosen.includes('appmesh')) {
    const appMesh = new AppMeshClient({});
    retryReads(appMesh);
    await createDemoMesh(appMesh);
    say(`mesh "${DEMO_MESH}" created: order, product, customer → v1; nodes product-v15, customer-v2, order-v2, product-v2`);
    const routeOf = (story: Story) => ({ meshName: DEMO_MESH, virtualRouterName: `${story.service}-vr`, routeName: `${story.service}-r` });
    sides.appmesh = {
      input: (story, alarmName) => ({ route: routeOf(story), stableNode: story.stable, canaryNode: story.canary, strategy: story.strategy, healthChecks: { alarms: { names: [alarmName] } } }),
      requestCount: () => ({ requestCount: appMeshRequestCount(DEMO_MESH) }),
      feedClients: { appMesh },
      alarmDimension: (story) => ({ Name: 'VirtualNode', Value: story.canary }),
      canaryName: (story) => story.canary,
      routeNow: async (story) => {
        const now = (await appMesh.send(new DescribeRouteCommand(routeOf(story)))).route!.spec!.httpRoute!.action!.weightedTargets!;
        return targetsText(now.map((t) => ({ id: t.virtualNode!, weight: t.weight! })));
      },
      expected: (story) => story.expect.route,
    };
  }
  if (chosen.includes('lattice')) {
    const lattice = new VPCLatticeClient({});
    retryReads(lattice);
    const demo: DemoLattice = await createDemoLattice(lattice, LATTICE_PREFIX);
    const nameOf = new Map(Object.entries(demo.targetGroups).map(([key, id]) => [id, `${LATTICE_PREFIX}-${key}`]));
    say(`VPC Lattice demo created: services ${LATTICE_PREFIX}-order, -product, -customer, a listener rule each → v1; target groups product-v15, customer-v2, order-v2, product-v2`);
    say(`  (real VPC Lattice settles about 90 s after each weight change; here settleSeconds is ${LATTICE_SETTLE_SECONDS})`);
    const routeOf = (story: Story) => ({ service: demo.services[story.service].service, listener: demo.services[story.service].listener, rule: demo.services[story.service].rule });
    sides.lattice = {
      input: (story, alarmName) => ({
        route: routeOf(story), stableTargetGroup: demo.targetGroups[story.groups.stable], canaryTargetGroup: demo.targetGroups[story.groups.canary],
        strategy: story.strategy, healthChecks: { alarms: { names: [alarmName] } }, settleSeconds: LATTICE_SETTLE_SECONDS,
      }),
      requestCount: () => ({}),
      feedClients: { lattice },
      alarmDimension: (story) => ({ Name: 'TargetGroup', Value: `${LATTICE_PREFIX}-${story.groups.canary}` }),
      canaryName: (story) => `${LATTICE_PREFIX}-${story.groups.canary}`,
      routeNow: async (story) => {
        const r = routeOf(story);
        const out = await lattice.send(new GetRuleCommand({ serviceIdentifier: r.service, listenerIdentifier: r.listener, ruleIdentifier: r.rule }));
        return targetsText(out.action!.forward!.targetGroups!.map((g) => ({ id: nameOf.get(g.targetGroupIdentifier!) ?? g.targetGroupIdentifier!, weight: g.weight! })));
      },
      expected: (story) => `${LATTICE_PREFIX}-${story.groups.end} 100`,
    };
  }
  mkdirSync(reportsDir, { recursive: true });

  const results: Result[] = [];
  for (const backend of chosen) {
    const side = sides[backend];
    region.log(`\n${style.bold(`On ${BACKEND_LABEL[backend]}`)}`);
    for (const story of stories) {
      const n = results.length + 1;
      const canary = side.canaryName(story);
      const alarmName = `${canary}-5xx`;
      await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'demo', MetricName: 'Http5xx', Dimensions: [side.alarmDimension(story)], Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
      await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: 'demo: no errors' }));
      const input = side.input(story, alarmName);
      if (story.hooks) input.healthChecks = { ...input.healthChecks, hooks: story.hooks };
      // Traffic verification with 10 s windows: the split must show in the request counts before a verdict at a new share counts.
      const verification = story.trafficLagSeconds === undefined ? {} : { trafficVerification: { windowSeconds: 10, minRequests: 20, tolerancePercent: 5, maxWaitSeconds: 60, ...side.requestCount() } };
      const stopFeed = story.trafficLagSeconds === undefined ? undefined
        : await startTrafficFeed({ cloudWatch, ...side.feedClients, route: input.route as never, mode: 'lag', lagSeconds: story.trafficLagSeconds, ratePerSecond: 50 });
      if (stopFeed) say(`  (request counts follow the route's weights ${story.trafficLagSeconds} s late, as a backend slow to apply a change)`);
      // App Mesh keeps the names it always had (demo-1-product-v15-vn...); Lattice's say so.
      const name = backend === 'appmesh' ? `demo-${stories.indexOf(story) + 1}-${canary}` : `demo-lattice-${stories.indexOf(story) + 1}-${story.groups.canary}`;

      region.log(`\n${style.bold(`${n}. ${story.title}`)}  (${BACKEND_LABEL[backend]}, ${story.machine} state machine, execution ${name})`);
      const t0 = Date.now();
      let alarmToRestoredMs: number | undefined;
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines[story.machine], name, input: JSON.stringify({ ...input, ...verification }) }));
      const actions: Actions = {
        approve: async () => {
          // The CLI's own approve, as a person would type it: it finds the token in the history.
          say(`  $ mesh-canary approve ${name}`);
          const out = { write: (s: string) => { for (const line of s.trimEnd().split('\n')) say(`  ${line}`); } };
          const code = await cli(['approve', executionArn!], { stdout: out, stderr: out, signal: new AbortController().signal, graceful: () => {} });
          if (code !== 0) throw new Error(`mesh-canary approve exited ${code}`);
        },
        alarm: async (state, why) => {
          const at = Date.now();
          await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: why }));
          say(`  ${style.red(`alarm ${alarmName} → ${state}`)}: ${why}`);
          if (state !== 'ALARM') return;
          // Nobody invokes anything here: the local AWS delivers the alarm's event to the alarm path, as EventBridge would.
          const deadline = at + 30_000;
          while (await side.routeNow(story) !== side.expected(story) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          if (await side.routeNow(story) === side.expected(story)) {
            alarmToRestoredMs = Date.now() - at;
            say(`  ${style.green(`route back at ${side.expected(story)}`)} ${(alarmToRestoredMs / 1000).toFixed(1)} s after the alarm (the alarm path; the next verdict was ${BAD_RELEASE_INTERVAL_SECONDS} s away)`);
          }
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
        onRetry: (r) => { notice = r && r.tries >= NOTICE_AFTER_TRIES ? r : undefined; noticeLines.update(r); draw(); },
      }).finally(() => clearInterval(ticker));
      region.update([]);
      await Promise.all(pending);
      await stopFeed?.();

      const final = await side.routeNow(story);
      const history = await fullHistory(sfn, executionArn!);
      const report = join(reportsDir, `${name}.svg`);
      writeFileSync(report, renderReport({ description: end, history }));
      results.push({ backend, name, story, outcome: outcomeOf(end, final === side.expected(story)).kind, error: end.error, seconds: (Date.now() - t0) / 1000, final, expected: side.expected(story), report, alarmToRestoredMs });
    }
  }

  region.log(`\n${style.bold('Summary')}`);
  const rows = [['#', 'backend', 'deployment', 'outcome', 'time', 'alarm → route back', 'route at the end', 'as the story says'],
    ...results.map((r, i) => [String(i + 1), BACKEND_LABEL[r.backend], r.story.title, r.error ? `${r.outcome} (${r.error})` : r.outcome, `${r.seconds.toFixed(1)} s`,
      r.alarmToRestoredMs === undefined ? '' : `${(r.alarmToRestoredMs / 1000).toFixed(1)} s`, r.final,
      asExpected(r) ? style.green('yes') : style.red('NO')])];
  for (const line of table(rows, style)) region.log(line);
  region.log(`\n${style.bold('Reports')} (open in a browser, or \`mesh-canary report <execution> --out FILE\`)`);
  for (const r of results) region.log(`  ${relative(process.cwd(), r.report) || r.report}`);
  region.log(`\n  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const wrong = results.filter((r) => !asExpected(r));
  if (wrong.length) throw new Error(`${wrong.map((r) => `${r.story.title} (${BACKEND_LABEL[r.backend]})`).join(', ')} did not end as the story says`);
}

/** As the story says: its outcome and route; a bad release caught by the alarm path, its route back within seconds. */
const asExpected = (r: Result) => r.outcome === r.story.expect.outcome && r.final === r.expected
  && (!r.story.expect.byAlarmPath || (r.error === 'AlarmFired' && r.alarmToRestoredMs !== undefined && r.alarmToRestoredMs < 10_000));

main().catch((err) => {
  region.close({ clear: true });
  console.error(`\ndemo failed: ${err.name}: ${err.message}`);
  process.exitCode = 1;
});

// The sandbox: the local AWS with the three state machines, the seed's demo mesh and its twin on
// VPC Lattice, kept up until Ctrl-C, so you can drive mesh-canary yourself with the CLI or the AWS CLI.
//   npm run sandbox [-- --no-build]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { parseDeploymentInput } from '../functions/commons/input.ts';
import type { StrategyType } from '../functions/commons/strategy.ts';
import { startLocalAws } from '../local/aws.ts';
import { createDemoLattice, type DemoGroup } from '../local/demo-lattice.ts';
import { createDemoMesh, DEMO_MESH } from '../local/demo-mesh.ts';
import { deployStack } from '../local/stack.ts';
import { startTrafficFeed, type FeedMode } from '../local/traffic-feed.ts';
import { projectRoot } from '../local/template.ts';
import { buildFunctions } from './build.ts';

const usage = `usage: npm run sandbox [-- --no-build] [-- --traffic follow|lag|never]

Starts a local AWS (moto 5.2.1 + a Lambda front that runs the function bundles), deploys the
three state machines from template.yaml (their ARNs are also the outputs of a local
CloudFormation stack named as in samconfig.toml, so mesh-canary finds them as in AWS), creates
the seed's demo mesh and its twin on VPC Lattice (services demo-order, demo-product,
demo-customer, a listener rule each on the v1 target group; canary target groups
demo-product-v15, demo-customer-v2, demo-order-v2, demo-product-v2), the alarms the
events/execution-*.json inputs name (OK), a steady healthy latency metric for product-v15-vn
and healthy request counts (AWS/VpcLattice) for the Lattice canary target groups, writes fast
variants of those inputs (and of events/execution-lattice-*.json, on the demo's Lattice IDs,
and of events/execution-release-linear.json, a release moving product and customer to v2
together) to .local-aws/inputs/, and prints the endpoint, the ARNs and ready commands for
mesh-canary and the AWS CLI. Request counts follow every demo route's weights (50 a second:
AWS/VpcLattice TotalRequestCount per target group, mesh-canary/demo RequestCount per virtual
node), for traffic verification; the example hooks (examples/hooks/) run as Lambda functions.
Runs until Ctrl-C, which stops everything.

Options:
  --no-build         use the bundles already in dist/
  --traffic MODE     how the request counts follow the weights: follow (default), lag (10 s
                     late) or never (they keep the split each route had at the start)
  -h, --help         show this help`;

let values: { 'no-build': boolean; help: boolean; traffic: string };
try {
  values = parseArgs({ options: { 'no-build': { type: 'boolean', default: false }, traffic: { type: 'string', default: 'follow' }, help: { type: 'boolean', short: 'h', default: false } } }).values as typeof values;
} catch (error) {
  console.error(`${(error as Error).message.split('\n')[0]} (usage: npm run sandbox [-- --no-build] [-- --traffic follow|lag|never])`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const feedModes = ['follow', 'lag', 'never'] as const;
if (!(feedModes as readonly string[]).includes(values.traffic)) {
  console.error(`unknown --traffic "${values.traffic}": follow, lag or never (usage: npm run sandbox [-- --no-build] [-- --traffic follow|lag|never])`);
  process.exit(2);
}
const feedMode = values.traffic as FeedMode;
/** With --traffic lag: how late the request counts follow the weights. */
const FEED_LAG_SECONDS = 10;

/** The events/ inputs with intervals short enough to watch a whole deployment in under a minute. */
const fast: Record<StrategyType, object> = {
  linear: { type: 'linear', stepPercent: 25, intervalSeconds: 5 },
  'step-then-all': { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 15, checkIntervalSeconds: 5 },
  'manual-approval': { type: 'manual-approval', canaryPercent: 25, approvalTimeoutSeconds: 600, onApprovalTimeout: 'rollback', checkIntervalSeconds: 5 },
};
/** The Lattice inputs' stories: which service and target groups each machine moves. */
const latticeStories: Record<StrategyType, { service: 'product' | 'customer' | 'order'; stable: DemoGroup; canary: DemoGroup }> = {
  linear: { service: 'product', stable: 'product-v1', canary: 'product-v15' },
  'step-then-all': { service: 'customer', stable: 'customer-v1', canary: 'customer-v2' },
  'manual-approval': { service: 'order', stable: 'order-v1', canary: 'order-v2' },
};
/** The release's alarms besides customer-v2-5xx (the step-then-all input's too), with the node each watches. */
const releaseAlarms = [['product-v2-5xx', 'product-v2-vn'], ['order-5xx', 'order-vn']];
/** Seconds a sandbox Lattice deployment waits after each weight change (real Lattice: about 90, the default). */
const LATTICE_SETTLE_SECONDS = 2;
const METRIC = { Namespace: 'mesh-canary/demo', MetricName: 'LatencyMs', Dimensions: [{ Name: 'VirtualNode', Value: 'product-v15-vn' }] };

const started = performance.now();
if (!values['no-build']) await buildFunctions();
const aws = await startLocalAws({ quiet: true });
let feeding: NodeJS.Timeout | undefined;
const trafficFeeds: (() => Promise<unknown>)[] = [];
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (feeding) clearInterval(feeding);
    await Promise.allSettled(trafficFeeds.map((stop) => stop()));
    await aws.stop();
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.log('\nStopping the sandbox...');
    void shutdown(0);
  });
}

try {
  Object.assign(process.env, aws.env);
  const stack = await deployStack(aws);
  await createDemoMesh(new AppMeshClient({}));
  const lattice = await createDemoLattice(new VPCLatticeClient({}));
  const latticeCanaries = Object.values(latticeStories).map((l) => lattice.targetGroups[l.canary]);
  const cloudWatch = new CloudWatchClient({});
  // The alarms the inputs name: product-v15-5xx by name, customer-v2-* by prefix; the release's
  // product-v2-5xx and customer-v2-5xx (one per route) and order-5xx (the caller of both, release-wide).
  for (const [alarm, node] of [['product-v15-5xx', 'product-v15-vn'], ['customer-v2-5xx', 'customer-v2-vn'], ...releaseAlarms]) {
    await cloudWatch.send(new PutMetricAlarmCommand({
      AlarmName: alarm, Namespace: 'mesh-canary/demo', MetricName: 'Http5xx', Dimensions: [{ Name: 'VirtualNode', Value: node }],
      Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }));
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'OK', StateReason: 'sandbox: no errors' }));
  }
  // The linear input's metric check wants at least 5 latency samples in the last 5 minutes.
  const feed = async () => {
    const now = Date.now();
    await cloudWatch.send(new PutMetricDataCommand({
      Namespace: METRIC.Namespace,
      MetricData: Array.from({ length: 10 }, (_, i) => ({
        MetricName: METRIC.MetricName, Dimensions: METRIC.Dimensions, Unit: 'Milliseconds' as const,
        Timestamp: new Date(now - i * 1000), Value: 80 + Math.round(Math.random() * 60),
      })),
    })).catch((error: Error) => console.error(`sandbox: putting latency samples failed: ${error.message}`));
    // The Lattice inputs' errorRates checks: no 5xx (the request counts come from the traffic feeds below).
    await cloudWatch.send(new PutMetricDataCommand({
      Namespace: 'AWS/VpcLattice',
      MetricData: latticeCanaries.map((Value) => ({
        MetricName: 'HTTPCode_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value }], Unit: 'Count' as const, Timestamp: new Date(now - 1000), Value: 0,
      })),
    })).catch((error: Error) => console.error(`sandbox: putting Lattice 5xx counts failed: ${error.message}`));
  };
  await feed();
  feeding = setInterval(feed, 10_000);
  // Request counts that follow every demo route's weights (what traffic verification and errorRates read).
  const appMesh = new AppMeshClient({});
  const latticeClient = new VPCLatticeClient({});
  let feedErrors = 0;
  const onError = (error: unknown) => { if (feedErrors++ === 0) console.error(`sandbox: a traffic feed failed (it goes on): ${(error as Error).message}`); };
  for (const service of ['order', 'product', 'customer'] as const) {
    const { service: svc, listener, rule } = lattice.services[service];
    trafficFeeds.push(await startTrafficFeed({ cloudWatch, lattice: latticeClient, route: { service: svc, listener, rule }, mode: feedMode, lagSeconds: FEED_LAG_SECONDS, onError }));
    trafficFeeds.push(await startTrafficFeed({ cloudWatch, appMesh, route: { meshName: DEMO_MESH, virtualRouterName: `${service}-vr`, routeName: `${service}-r` }, mode: feedMode, lagSeconds: FEED_LAG_SECONDS, onError }));
  }

  const inputsDir = join(projectRoot, '.local-aws', 'inputs');
  mkdirSync(inputsDir, { recursive: true });
  const inputs = {} as Record<StrategyType, string>;
  for (const machine of Object.keys(fast) as StrategyType[]) {
    const input = { ...JSON.parse(readFileSync(join(projectRoot, 'events', `execution-${machine}.json`), 'utf8')), strategy: fast[machine] };
    parseDeploymentInput(input, machine); // a sandbox that hands out a bad input would be no help
    const path = join(inputsDir, `${machine}.json`);
    writeFileSync(path, `${JSON.stringify(input, null, 2)}\n`);
    inputs[machine] = relative(process.cwd(), path) || path;
  }
  const latticeInputs = {} as Record<StrategyType, string>;
  for (const machine of Object.keys(fast) as StrategyType[]) {
    const story = latticeStories[machine];
    const { service, listener, rule } = lattice.services[story.service];
    const events = JSON.parse(readFileSync(join(projectRoot, 'events', `execution-lattice-${machine}.json`), 'utf8'));
    const canary = lattice.targetGroups[story.canary];
    const input = {
      ...events, route: { service, listener, rule }, stableTargetGroup: lattice.targetGroups[story.stable], canaryTargetGroup: canary,
      strategy: fast[machine], settleSeconds: LATTICE_SETTLE_SECONDS,
      healthChecks: { ...events.healthChecks, errorRates: events.healthChecks.errorRates.map((c: object) => ({ ...c, targetGroup: canary })) },
    };
    parseDeploymentInput(input, machine);
    const path = join(inputsDir, `lattice-${machine}.json`);
    writeFileSync(path, `${JSON.stringify(input, null, 2)}\n`);
    latticeInputs[machine] = relative(process.cwd(), path) || path;
  }
  // The release: product and customer to v2 together (events/execution-release-linear.json), fast.
  const release = { ...JSON.parse(readFileSync(join(projectRoot, 'events', 'execution-release-linear.json'), 'utf8')), strategy: fast.linear };
  parseDeploymentInput(release, 'linear');
  const releasePath = join(inputsDir, 'release-linear.json');
  writeFileSync(releasePath, `${JSON.stringify(release, null, 2)}\n`);
  const releaseInput = relative(process.cwd(), releasePath) || releasePath;
  // Hooks: product to v1.5 on App Mesh, a smoke test and a share limit (fails above 50%) at every verdict.
  const hooked = {
    ...JSON.parse(readFileSync(join(projectRoot, 'events', 'execution-linear.json'), 'utf8')), strategy: fast.linear,
    healthChecks: { hooks: [{ name: 'smoke', functionName: 'mesh-canary-smoke-test' }, { name: 'share-limit', functionName: 'mesh-canary-share-limit' }] },
  };
  parseDeploymentInput(hooked, 'linear');
  const hookedPath = join(inputsDir, 'hooks-linear.json');
  writeFileSync(hookedPath, `${JSON.stringify(hooked, null, 2)}\n`);
  const hookedInput = relative(process.cwd(), hookedPath) || hookedPath;
  // Traffic verification: order to v2 on VPC Lattice, verdicts at a new share count once the request counts show it.
  const orderRule = lattice.services.order;
  const verified = {
    route: { service: orderRule.service, listener: orderRule.listener, rule: orderRule.rule },
    stableTargetGroup: lattice.targetGroups['order-v1'], canaryTargetGroup: lattice.targetGroups['order-v2'],
    strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 5 }, settleSeconds: LATTICE_SETTLE_SECONDS,
    trafficVerification: { windowSeconds: 10, minRequests: 50, tolerancePercent: 5, maxWaitSeconds: 60 },
  };
  parseDeploymentInput(verified, 'linear');
  const verifiedPath = join(inputsDir, 'lattice-verified.json');
  writeFileSync(verifiedPath, `${JSON.stringify(verified, null, 2)}\n`);
  const verifiedInput = relative(process.cwd(), verifiedPath) || verifiedPath;

  const product = lattice.services.product;

  const url = aws.endpoint;
  const e = `--endpoint-url ${url}`;
  const pad = Math.max(...Object.keys(stack.machines).map((m) => m.length));
  console.log(`
mesh-canary sandbox ready in ${((performance.now() - started) / 1000).toFixed(1)} s: a local AWS, no account needed

  endpoint  ${url}
  region    ${aws.region} (account ${aws.accountId}; any credentials work)
  stack     ${stack.stackName} (its outputs name the machines, as in AWS)
  machines  ${Object.entries(stack.machines).map(([m, arn]) => `${m.padEnd(pad)}  ${arn}`).join(`\n            `)}
  mesh      ${DEMO_MESH}: order, product, customer on v1; nodes product-v15-vn, customer-v2-vn, order-v2-vn, product-v2-vn
  health    alarms product-v15-5xx, customer-v2-5xx, product-v2-5xx and order-5xx (OK); LatencyMs samples for product-v15-vn every 10 s
  lattice   services demo-order, demo-product, demo-customer (a listener rule each, on v1);
            target groups demo-product-v15, demo-customer-v2, demo-order-v2, demo-product-v2
            (settleSeconds ${LATTICE_SETTLE_SECONDS} here; real VPC Lattice settles about 90 s, the default)
  health    AWS/VpcLattice 5xx counts (none) for demo-product-v15, demo-customer-v2, demo-order-v2 every 10 s
  traffic   request counts that ${feedMode === 'follow' ? 'follow' : feedMode === 'lag' ? `follow, ${FEED_LAG_SECONDS} s late,` : 'never follow'} every demo route's weights, 50 a second
            (AWS/VpcLattice TotalRequestCount; mesh-canary/demo RequestCount by Mesh and VirtualNode)
  hooks     mesh-canary-smoke-test, mesh-canary-share-limit (fails above 50%), mesh-canary-slow-check (examples/hooks/)
  inputs    ${Object.values(inputs).join(', ')}
            (events/execution-*.json with short intervals)
            ${Object.values(latticeInputs).join(', ')}
            (events/execution-lattice-*.json on the demo's target groups: product, customer, order)
            ${releaseInput}
            (events/execution-release-linear.json: product and customer to v2 together, one release)

Paste into another shell (for the AWS CLI; mesh-canary needs only --endpoint-url):
${Object.entries(aws.env).map(([key, value]) => `  export ${key}=${value}`).join('\n')}

With mesh-canary:
  npx mesh-canary start linear --input ${inputs.linear} ${e} --wait
  npx mesh-canary routes --input ${inputs.linear} ${e} --watch
  npx mesh-canary start manual-approval --input ${inputs['manual-approval']} --name approve-me ${e}
  npx mesh-canary approve approve-me ${e}          # or: reject approve-me --reason "too slow"
  npx mesh-canary start step-then-all --input ${inputs['step-then-all']} --name bake-me ${e}
  npx mesh-canary abort bake-me ${e}
  npx mesh-canary report bake-me --out reports/bake-me.svg ${e}

With the AWS CLI (after the exports):
  aws ${e} stepfunctions start-execution --state-machine-arn ${stack.machines.linear} --name product-v15-1 --input file://${inputs.linear}
  aws ${e} stepfunctions describe-execution --execution-arn ${stack.machines.linear.replace(':stateMachine:', ':execution:')}:product-v15-1
  watch -n1 aws ${e} appmesh describe-route --mesh-name ${DEMO_MESH} --virtual-router-name product-vr --route-name product-r --query "route.spec.httpRoute.action.weightedTargets" --output table

On VPC Lattice (routes shows demo-product's listener rule; each input names its own service's rule):
  npx mesh-canary routes --service ${product.service} --listener ${product.listener} --rule ${product.rule} ${e}
  npx mesh-canary start linear --input ${latticeInputs.linear} --name lattice-linear ${e} --wait
  npx mesh-canary start manual-approval --input ${latticeInputs['manual-approval']} --name lattice-approve-me ${e}
  npx mesh-canary approve lattice-approve-me ${e}
  npx mesh-canary start step-then-all --input ${latticeInputs['step-then-all']} --name lattice-bake-me ${e}
  npx mesh-canary abort lattice-bake-me ${e}
  aws ${e} vpc-lattice get-rule --service-identifier ${product.service} --listener-identifier ${product.listener} --rule-identifier ${product.rule} --query "action.forward.targetGroups"

Two routes in one release (product-vn → product-v2-vn and customer-vn → customer-v2-vn, every step on
both, all or nothing; --restore puts both back on v1 once it is promoted):
  npx mesh-canary routes --input ${releaseInput} ${e}
  npx mesh-canary start linear --input ${releaseInput} --name release-v2 ${e} --wait
  npx mesh-canary report release-v2 --out reports/release-v2.svg ${e}
  npx mesh-canary abort release-v2 --restore ${e}
  aws ${e} appmesh describe-route --mesh-name ${DEMO_MESH} --virtual-router-name customer-vr --route-name customer-r --query "route.spec.httpRoute.action.weightedTargets" --output table

The alarm path: an alarm a running deployment checks goes to ALARM, and the deployment is rolled back
within seconds, whatever its interval (the local AWS delivers the alarm's event to AlarmFunction, as
EventBridge would). Start it, set the alarm once the canary has its first 25%, watch it end:
  npx mesh-canary start linear --input ${inputs.linear} --name alarm-me ${e}
  aws ${e} cloudwatch set-alarm-state --alarm-name product-v15-5xx --state-value ALARM --state-reason "5xx climbing on v1.5"
  npx mesh-canary watch alarm-me ${e}             # rolled back: alarm product-v15-5xx went to ALARM ... (exit 1)
  aws ${e} cloudwatch set-alarm-state --alarm-name product-v15-5xx --state-value OK --state-reason recovered

Hooks and traffic verification (README: Hooks, Traffic verification):
  npx mesh-canary start linear --input ${hookedInput} --name hooked ${e} --wait     # the share-limit hook fails at 75%: rolled back (exit 1)
  npx mesh-canary start linear --input ${verifiedInput} --name verified ${e} --wait   # each share counts once the request counts show it: promoted
  (request counts: --traffic ${feedMode}${feedMode === 'lag' ? `, ${FEED_LAG_SECONDS} s late` : ''}; restart with --traffic lag or --traffic never to see verdicts hold, then a rollback)

The linear and manual-approval inputs both move product-vn to product-v15-vn (and the release moves
it to product-v2-vn; the release and step-then-all both move customer-vn): once one is promoted,
the route no longer has its v1 node. Put it back with
  npx mesh-canary abort <execution> --restore ${e}
or restart the sandbox. State lives in memory. Function logs: .local-aws/lambda.log.

Ctrl-C stops everything.`);
} catch (error) {
  console.error(`sandbox failed: ${(error as Error).name}: ${(error as Error).message}`);
  await shutdown(1);
}
// The local AWS's children are unref'd; this keeps the sandbox up until a signal.
setInterval(() => {}, 1 << 30);

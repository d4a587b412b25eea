// Benchmark: prints figures, asserts nothing. Everything is measured in this one run, on this
// machine, as ratios against a baseline measured beside it:
//   1. each function bundle against a bare esbuild bundle of the same AWS SDK client and commands;
//   2. one weight step (DescribeRoute + UpdateRoute) on the local App Mesh: the seed's approach
//      (two `aws appmesh` processes) against set-weight cold (a new Node process) and warm;
//   2b. the same weight step (GetRule + UpdateRule) on a VPC Lattice listener rule on the local AWS:
//      two `aws vpc-lattice` processes against set-weight cold and warm;
//   2c. one step on 1, 2 and 5 App Mesh routes: set-weight warm on a deployment naming that many
//      routes (a release writes them concurrently), through the local Lambda front and in process,
//      and through the front with a fixed latency added to every App Mesh call;
//   3. the linear state machine: transitions and Lambda invocations per step (from execution
//      history), and the time from a failing verdict to the route restored;
//   3b. the alarm path: from an alarm going to ALARM to the route restored, a verdict every 60 s,
//      against the half interval a polling check would take on average;
//   4. 20 (--quick: 4) deployments of the linear machine started together, each on its own route, against
//      one deployment alone (moto's Step Functions interpreter is the local AWS's bottleneck).
// It builds its own bundles and starts its own local AWS, so it can run beside the tests.
//   npm run bench [-- --runs N | --quick | --help]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  AppMeshClient, DescribeRouteCommand, UpdateRouteCommand,
} from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetRuleCommand, UpdateRuleCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import {
  DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { buildFunctions, esbuildArgs, findEsbuild, runEsbuild, type Metafile } from './build.ts';
import {
  awsCliLatticeMissing, awsCliMissing, benchFigures as label, latticeFigures, BenchUsageError, FLEET as FULL_FLEET, parseBenchArgs, ADDED_LATENCY_MS, ROUTE_COUNTS, routeStepRows,
  usage, verdict, weightStepRows, type BenchOptions, type RouteStepMedians,
} from './bench-figures.ts';
import { listFunctions, projectRoot } from '../local/template.ts';
import { startLocalAws } from '../local/aws.ts';
import { createDemoMesh, createRoutesTo, v1RouteSpec } from '../local/demo-mesh.ts';
import { allTo, createDemoLattice } from '../local/demo-lattice.ts';
import { deployStack } from '../local/stack.ts';
import { states, stopErrors } from '../functions/commons/states.ts';

/** Figure 3b's interval between verdicts: what a polling check would wait, half of it on average. */
const ALARM_INTERVAL_SECONDS = 60;

let options: BenchOptions;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BenchUsageError)) throw error;
  console.error(`bench: ${error.message} (see --help)`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}
const { runs: RUNS, fleet: FLEET, fleetRuns: FLEET_RUNS } = options;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** The SDK clients and commands each function's code uses: the bare bundle imports just these. */
const appMeshUse = ['@aws-sdk/client-app-mesh', 'AppMeshClient', ['DescribeRouteCommand', 'UpdateRouteCommand']] as const;
const lockUse = (commands: string[]) => ['@aws-sdk/client-dynamodb', 'DynamoDBClient', commands] as const;
/** Every function that routes reads and writes VPC Lattice rules and listeners too. */
/** (The router also reads a route's tags, ListTagsForResource, before a deployment: its class is in every routing bundle.) */
const latticeUse = ['@aws-sdk/client-vpc-lattice', 'VPCLatticeClient', ['GetRuleCommand', 'UpdateRuleCommand', 'GetListenerCommand', 'UpdateListenerCommand', 'ListTagsForResourceCommand']] as const;
const sdkUse: Record<string, (readonly [string, string, readonly string[]])[]> = {
  PrepareFunction: [['@aws-sdk/client-app-mesh', 'AppMeshClient', ['DescribeRouteCommand', 'DescribeVirtualNodeCommand']], latticeUse, lockUse(['PutItemCommand', 'GetItemCommand', 'DeleteItemCommand'])],
  SetWeightFunction: [appMeshUse, latticeUse, lockUse(['GetItemCommand'])],
  PromoteFunction: [appMeshUse, latticeUse, lockUse(['GetItemCommand', 'DeleteItemCommand'])],
  RollbackFunction: [appMeshUse, latticeUse, lockUse(['GetItemCommand', 'DeleteItemCommand'])],
  CheckHealthFunction: [['@aws-sdk/client-cloudwatch', 'CloudWatchClient', ['DescribeAlarmsCommand', 'GetMetricDataCommand']], ['@aws-sdk/client-lambda', 'LambdaClient', ['InvokeCommand']]],
  RequestApprovalFunction: [['@aws-sdk/client-sns', 'SNSClient', ['PublishCommand']]],
  GuardFunction: [appMeshUse, latticeUse, lockUse(['GetItemCommand', 'DeleteItemCommand']), ['@aws-sdk/client-sfn', 'SFNClient', ['GetExecutionHistoryCommand']]],
  AlarmFunction: [appMeshUse, latticeUse, lockUse(['ScanCommand', 'GetItemCommand', 'DeleteItemCommand']), ['@aws-sdk/client-sfn', 'SFNClient', ['GetExecutionHistoryCommand', 'DescribeExecutionCommand', 'StopExecutionCommand']]],
};

async function main(scratch: string): Promise<void> {
  // Other work on the machine slows the local AWS more than anything measured here: say how busy it was.
  const load = () => loadavg()[0].toFixed(1);
  console.log(`mesh-canary benchmark${options.quick ? ` (quick: one run of each figure, ${FLEET} deployments together instead of ${FULL_FLEET})` : ''}`);
  console.log(`${availableParallelism()} cores, load average ${load()} at the start\n`);

  // ---------------------------------------------------------------- 1. bundle sizes
  console.log('1. Bundle size: each function against a bare bundle of the same SDK client (the esbuild arguments sam build uses, from template.yaml)');
  const built = await buildFunctions(join(scratch, 'dist'));
  const esbuild = findEsbuild();
  const rows: string[][] = [['function', 'bundle', 'bare SDK bundle', 'ratio', 'target <= 1.15x']];
  for (const fn of listFunctions()) {
    const uses = sdkUse[fn.logicalId];
    if (!uses) throw new Error(`bench: add ${fn.logicalId} to sdkUse (the SDK clients its code uses)`);
    const contents = uses.map(([pkg, client, commands], i) =>
      `import { ${client}, ${commands.join(', ')} } from '${pkg}';\nexport const handler${i} = async (e) => new ${client}({}).send(new ${commands[0]}(e));\nexport const all${i} = [${commands.join(', ')}];\n`).join('');
    // The function's own arguments, its entry points and --outdir replaced by stdin and --outfile.
    const args = esbuildArgs(fn, join(scratch, 'unused')).filter((a) => a.startsWith('--') && !a.startsWith('--outdir='));
    const metafilePath = join(scratch, `${fn.logicalId}.bare.json`);
    await runEsbuild(esbuild, [...args, `--outfile=${join(scratch, `${fn.logicalId}.bare.js`)}`, `--metafile=${metafilePath}`, '--log-level=warning'], projectRoot, contents);
    const bare = Object.values((JSON.parse(readFileSync(metafilePath, 'utf8')) as Metafile).outputs)[0].bytes;
    const ours = built.find((b) => b.logicalId === fn.logicalId)!.bytes;
    rows.push([fn.logicalId, kib(ours), kib(bare), `${(ours / bare).toFixed(3)}x`, verdict(ours / bare <= 1.15)]);
  }
  table(rows);

  // ---------------------------------------------------------------- 2. one weight step
  console.log(`\n2. One weight step (DescribeRoute + UpdateRoute) on the local App Mesh (moto), median of ${RUNS} (warm: ${RUNS * 10})`);
  const aws = await startLocalAws({ quiet: true, buildDir: join(scratch, 'dist') });
  try {
    // The stack (lock table, machines) as template.yaml defines it; bundles loaded here get its env.
    const stack = await deployStack(aws, 'mesh-canary-bench');
    Object.assign(process.env, aws.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_SERVICE_NAME: 'mesh-canary', LOCK_TABLE_NAME: stack.outputs.LockTableName });
    const appMesh = new AppMeshClient({ endpoint: aws.endpoint, region: aws.region });
    await createDemoMesh(appMesh, 'benchmesh');
    const route = { meshName: 'benchmesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
    /** Back to all traffic on product-vn: a deployment starts from a canary at 0. */
    const resetRoute = (r: typeof route) => appMesh.send(new UpdateRouteCommand({ ...r, spec: v1RouteSpec('product-vn') }));
    const bundle = (id: string) => built.find((b) => b.logicalId === id)!.bundlePath;
    const requireBundle = createRequire(import.meta.url);
    const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 30000 } as any;
    const prepare = requireBundle(bundle('PrepareFunction')).handler;
    const deployment = await prepare({ input: { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn' } }, context);

    // The seed: one awscli process reads the route, a second writes the whole spec back.
    const cli = (args: string[]) => {
      const r = spawnSync('aws', ['--endpoint-url', aws.endpoint, '--region', aws.region, 'appmesh', ...args], { env: { ...process.env, ...aws.env }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`aws ${args[0]} failed: ${r.stderr || r.error}`);
      return r.stdout;
    };
    // Without the AWS CLI the seed cannot run: its figure (and the speed-ups against it) say why.
    const awscliMissing = awsCliMissing({ ...process.env, ...aws.env });
    const specFile = join(scratch, 'spec.json');
    const awscli: number[] = [];
    for (let i = 0; i < RUNS && !awscliMissing; i++) {
      const t0 = performance.now();
      const spec = JSON.parse(cli(['describe-route', '--mesh-name', route.meshName, '--virtual-router-name', route.virtualRouterName, '--route-name', route.routeName])).route.spec;
      spec.httpRoute.action.weightedTargets = [{ virtualNode: 'product-vn', weight: 90 - i }, { virtualNode: 'product-v15-vn', weight: 10 + i }];
      writeFileSync(specFile, JSON.stringify({ ...route, spec }));
      cli(['update-route', '--cli-input-json', `file://${specFile}`]);
      awscli.push(performance.now() - t0);
    }

    // set-weight in a new Node process: start, load the bundle, describe + update, exit.
    const cold: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const script = `require(${JSON.stringify(bundle('SetWeightFunction'))}).handler(${JSON.stringify({ deployment, weight: 20 + i })}, {functionName:'bench',awsRequestId:'b',getRemainingTimeInMillis:()=>30000}).then(r=>{if(!r.changed)process.exit(3)})`;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['-e', script], { env: process.env, encoding: 'utf8' });
      cold.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`cold set-weight failed (${r.status}): ${r.stderr}`);
    }

    // set-weight warm: the same loaded bundle, as Lambda reuses an environment.
    const setWeight = requireBundle(bundle('SetWeightFunction')).handler;
    await setWeight({ deployment, weight: 1 }, context);
    const warm: number[] = [];
    for (let i = 0; i < RUNS * 10; i++) {
      const t0 = performance.now();
      const r = await setWeight({ deployment, weight: 30 + (i % 2) }, context);
      warm.push(performance.now() - t0);
      if (!r.changed) throw new Error('warm step did not write');
    }
    // As in an execution: the deployment holds the route's lock, checked right before each write.
    // It starts, as every deployment must, from the canary at 0.
    await resetRoute(route);
    const locked = await prepare(
      { input: { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn' }, executionId: 'bench-execution' }, context);
    const inExecution: number[] = [];
    for (let i = 0; i < RUNS * 10; i++) {
      const t0 = performance.now();
      const r = await setWeight({ deployment: locked, weight: 40 + (i % 2) }, context);
      inExecution.push(performance.now() - t0);
      if (!r.changed) throw new Error('warm locked step did not write');
    }
    await requireBundle(bundle('RollbackFunction')).handler({ deployment: locked }, context);
    // And a step that finds the weights already set (no UpdateRoute at all).
    const noop: number[] = [];
    await setWeight({ deployment, weight: 31 }, context);
    for (let i = 0; i < RUNS * 10; i++) {
      const t0 = performance.now();
      const r = await setWeight({ deployment, weight: 31 }, context);
      noop.push(performance.now() - t0);
      if (r.changed) throw new Error('a step with the weights already set wrote');
    }
    await resetRoute(route);

    table(weightStepRows({
      awscli: awscliMissing ? { skipped: awscliMissing } : median(awscli),
      cold: median(cold), warm: median(warm), inExecution: median(inExecution), noop: median(noop),
    }));

    // ---------------------------------------------------------------- 2b. one weight step on VPC Lattice
    console.log(`\n2b. One weight step (GetRule + UpdateRule) on a VPC Lattice listener rule on the local AWS (moto), median of ${RUNS} (warm: ${RUNS * 10})`);
    const lattice = new VPCLatticeClient({ endpoint: aws.endpoint, region: aws.region });
    const demo = await createDemoLattice(lattice, 'bench');
    const lRoute = { service: demo.services.product.service, listener: demo.services.product.listener, rule: demo.services.product.rule };
    const lInput = { route: lRoute, stableTargetGroup: demo.targetGroups['product-v1'], canaryTargetGroup: demo.targetGroups['product-v15'] };
    const ruleIds = { serviceIdentifier: lRoute.service, listenerIdentifier: lRoute.listener, ruleIdentifier: lRoute.rule };
    /** Back to all traffic on product-v1 (the rule's action as the demo made it). */
    const resetRule = () => lattice.send(new UpdateRuleCommand({ ...ruleIds, action: allTo(lInput.stableTargetGroup) }));
    const lDeployment = await prepare({ input: lInput }, context);

    // The seed's way on Lattice: one awscli process reads the rule, a second writes its whole action back.
    const latticeCli = (args: string[]) => {
      const r = spawnSync('aws', ['--endpoint-url', aws.endpoint, '--region', aws.region, 'vpc-lattice', ...args], { env: { ...process.env, ...aws.env }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`aws vpc-lattice ${args[0]} failed: ${r.stderr || r.error}`);
      return r.stdout;
    };
    const latticeCliMissing = awsCliLatticeMissing({ ...process.env, ...aws.env });
    const actionFile = join(scratch, 'action.json');
    const lAwscli: number[] = [];
    for (let i = 0; i < RUNS && !latticeCliMissing; i++) {
      const t0 = performance.now();
      const action = JSON.parse(latticeCli(['get-rule', '--service-identifier', ruleIds.serviceIdentifier, '--listener-identifier', ruleIds.listenerIdentifier, '--rule-identifier', ruleIds.ruleIdentifier])).action;
      action.forward.targetGroups = [{ targetGroupIdentifier: lInput.stableTargetGroup, weight: 90 - i }, { targetGroupIdentifier: lInput.canaryTargetGroup, weight: 10 + i }];
      writeFileSync(actionFile, JSON.stringify({ ...ruleIds, action }));
      latticeCli(['update-rule', '--cli-input-json', `file://${actionFile}`]);
      lAwscli.push(performance.now() - t0);
    }
    if (!latticeCliMissing) {
      // The seed's writes must have landed: the last one is on the rule now.
      const w = (await lattice.send(new GetRuleCommand(ruleIds))).action!.forward!.targetGroups!;
      if (!w.some((g) => g.weight === 10 + RUNS - 1)) throw new Error(`bench: the awscli update-rule did not write: ${JSON.stringify(w)}`);
    }
    await resetRule();

    const lCold: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const script = `require(${JSON.stringify(bundle('SetWeightFunction'))}).handler(${JSON.stringify({ deployment: lDeployment, weight: 20 + i })}, {functionName:'bench',awsRequestId:'b',getRemainingTimeInMillis:()=>30000}).then(r=>{if(!r.changed)process.exit(3)})`;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['-e', script], { env: process.env, encoding: 'utf8' });
      lCold.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`cold Lattice set-weight failed (${r.status}): ${r.stderr}`);
    }
    await setWeight({ deployment: lDeployment, weight: 1 }, context);
    const lWarm: number[] = [];
    for (let i = 0; i < RUNS * 10; i++) {
      const t0 = performance.now();
      const r = await setWeight({ deployment: lDeployment, weight: 30 + (i % 2) }, context);
      lWarm.push(performance.now() - t0);
      if (!r.changed) throw new Error('warm Lattice step did not write');
    }
    await resetRule();
    const lLocked = await prepare({ input: lInput, executionId: 'bench-lattice-execution' }, context);
    const lInExecution: number[] = [];
    for (let i = 0; i < RUNS * 10; i++) {
      const t0 = performance.now();
      const r = await setWeight({ deployment: lLocked, weight: 40 + (i % 2) }, context);
      lInExecution.push(performance.now() - t0);
      if (!r.changed) throw new Error('warm locked Lattice step did not write');
    }
    await requireBundle(bundle('RollbackFunction')).handler({ deployment: lLocked }, context);
    const lNoop: number[] = [];
    await setWeight({ deployment: lDeployment, weight: 31 }, context);
    for (let i = 0; i < RUNS * 10; i++) {
      const t0 = performance.now();
      const r = await setWeight({ deployment: lDeployment, weight: 31 }, context);
      lNoop.push(performance.now() - t0);
      if (r.changed) throw new Error('a Lattice step with the weights already set wrote');
    }
    await resetRule();

    table(weightStepRows({
      awscli: latticeCliMissing ? { skipped: latticeCliMissing } : median(lAwscli),
      cold: median(lCold), warm: median(lWarm), inExecution: median(lInExecution), noop: median(lNoop),
    }, latticeFigures));

    // ---------------------------------------------------------------- 2c. one step on 1, 2 and 5 routes
    // App Mesh routes in the bench's own mesh (a virtual router and a route each, cheap on the local
    // AWS): figure 2's warm row is App Mesh's, so 1 route here is the step it measures. The 1-route
    // deployment is a one-route input (today's); 2 and 5 name theirs in `routes`. No lock (as figure
    // 2's warm row): what grows with the routes is the reads and writes, which run concurrently.
    // The counts are measured in turns, so a change of load on the machine falls on all of them.
    const most = ROUTE_COUNTS[ROUTE_COUNTS.length - 1];
    console.log(`\n2c. One step on ${ROUTE_COUNTS.join(', ')} routes: set-weight warm on a deployment of that many App Mesh routes (written concurrently), median of ${RUNS * 10}`);
    const stepRoutes = await createRoutesTo(appMesh, route.meshName, 'step', most);
    const lambda = new LambdaClient({ endpoint: aws.endpoint, region: aws.region });
    /** One invocation through the local Lambda front, as Step Functions makes it. */
    const invoke = async (functionName: string, event: object) => {
      const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(event)) }));
      const body = JSON.parse(new TextDecoder().decode(out.Payload));
      if (out.FunctionError) throw new Error(`bench: ${functionName} failed: ${body.errorType}: ${body.errorMessage}`);
      return body;
    };
    const stepInput = (n: number) => {
      const entries = stepRoutes.slice(0, n).map((r) => ({ route: r, stableNode: 'product-vn', canaryNode: 'product-v15-vn' }));
      return n === 1 ? entries[0] : { routes: entries };
    };
    const stepDeployments = new Map<number, object>();
    for (const n of ROUTE_COUNTS) stepDeployments.set(n, await invoke('PrepareFunction', { input: stepInput(n) }));
    const viaInvoke = Object.fromEntries(ROUTE_COUNTS.map((n) => [n, [] as number[]])) as Record<number, number[]>;
    const inProcess = Object.fromEntries(ROUTE_COUNTS.map((n) => [n, [] as number[]])) as Record<number, number[]>;
    /** A step that wrote every route of the deployment (a release's result names each route). */
    const wroteAll = (r: { changed: boolean; weightedTargets: unknown[] }, n: number) => r.changed && (n === 1 || r.weightedTargets.length === n);
    for (const n of ROUTE_COUNTS) { // warm both ways
      await invoke('SetWeightFunction', { deployment: stepDeployments.get(n), weight: 1 });
      await setWeight({ deployment: stepDeployments.get(n), weight: 2 }, context);
    }
    for (let i = 0; i < RUNS * 10; i++) {
      for (const n of ROUTE_COUNTS) {
        const deployment = stepDeployments.get(n);
        let t = performance.now();
        const invoked = await invoke('SetWeightFunction', { deployment, weight: 30 + (i % 2) });
        viaInvoke[n].push(performance.now() - t);
        if (!wroteAll(invoked, n)) throw new Error(`bench: a step on ${n} routes through the Lambda front did not write them all: ${JSON.stringify(invoked)}`);
        t = performance.now();
        const direct = await setWeight({ deployment, weight: 40 + (i % 2) }, context);
        inProcess[n].push(performance.now() - t);
        if (!wroteAll(direct, n)) throw new Error(`bench: a step on ${n} routes in process did not write them all: ${JSON.stringify(direct)}`);
      }
    }
    // Again through the front, every App Mesh call made ADDED_LATENCY_MS slower (its latency fault at rate 1):
    // moto answers in a few ms of one Python process's CPU, so above the routes' calls queue for it; AWS's
    // answer waits on the network, and concurrent writes overlap that wait.
    const setFaults = async (config: object | null) => {
      const res = await fetch(`${aws.endpoint}/__local/faults`, { method: 'POST', body: config ? JSON.stringify(config) : '' });
      if (!res.ok) throw new Error(`bench: the local front refused the fault config: ${res.status} ${await res.text()}`);
    };
    const withLatency = Object.fromEntries(ROUTE_COUNTS.map((n) => [n, [] as number[]])) as Record<number, number[]>;
    await setFaults({ rate: 1, kinds: ['latency'], latencyMs: ADDED_LATENCY_MS, services: ['appmesh'] });
    try {
      for (let i = 0; i < RUNS * 10; i++) {
        for (const n of ROUTE_COUNTS) {
          const t = performance.now();
          const r = await invoke('SetWeightFunction', { deployment: stepDeployments.get(n), weight: 50 + (i % 2) });
          withLatency[n].push(performance.now() - t);
          if (!wroteAll(r, n)) throw new Error(`bench: a step on ${n} routes with added latency did not write them all: ${JSON.stringify(r)}`);
        }
      }
    } finally {
      await setFaults(null);
    }
    for (const r of stepRoutes) await resetRoute(r);
    const medians = (xs: Record<number, number[]>) => Object.fromEntries(ROUTE_COUNTS.map((n) => [n, median(xs[n])])) as RouteStepMedians;
    table(routeStepRows({ invoke: medians(viaInvoke), inProcess: medians(inProcess), invokeLatency: medians(withLatency) }));

    // ---------------------------------------------------------------- 3. state machines
    console.log('\n3. The linear state machine on the local AWS (moto\'s Step Functions interpreter, real function bundles)');
    const sfn = new SFNClient({});
    const cloudWatch = new CloudWatchClient({});
    /** Starts an execution; resolves with its arn when StartExecution returns. */
    const start = async (name: string, input: object) =>
      (await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name, input: JSON.stringify(input) }))).executionArn!;
    /** Waits for the end; the execution must succeed. Returns its start and stop (moto's clock). */
    const finish = async (executionArn: string, pollMs = 50) => {
      for (;;) {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (d.status === 'SUCCEEDED') return { startDate: d.startDate!, stopDate: d.stopDate! };
        if (d.status !== 'RUNNING') throw new Error(`bench: ${executionArn} ended ${d.status}: ${d.error ?? ''} ${d.cause ?? ''}`);
        await sleep(pollMs);
      }
    };
    const history = async (executionArn: string) => {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
        events.push(...page.events!);
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    };
    const input = (r: typeof route, extra: object) => ({ route: r, stableNode: 'product-vn', canaryNode: 'product-v15-vn', ...extra });
    const linear10 = { strategy: { type: 'linear', stepPercent: 10, intervalSeconds: 0 } };

    await createDemoMesh(appMesh, 'benchmesh-sm');
    const steps = 10;
    const t0 = performance.now();
    const happyArn = await start('bench-linear', input({ ...route, meshName: 'benchmesh-sm' }, linear10));
    await finish(happyArn);
    const wall = performance.now() - t0;
    const happy = await history(happyArn);
    const entered = happy.filter((e) => e.type!.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
    const firstShift = entered.indexOf(states.Shift);
    const lastShift = entered.lastIndexOf(states.Shift);
    const loopStates = lastShift - firstShift; // steps-1 full loops: Shift, Wait, CheckHealth, Gate
    const scheduled = happy.filter((e) => e.type === 'TaskScheduled').length;
    const loopTasks = entered.slice(firstShift, lastShift).filter((s) => s === states.Shift || s === states.CheckHealth).length;

    // Failing verdict → route restored: 5xx responses appear while the canary is at 50%, and the
    // next verdict's metric check fails (a metric, not an alarm: an alarm would take the alarm path, figure 3b).
    await createDemoMesh(appMesh, 'benchmesh-rb');
    const rbRoute = { ...route, meshName: 'benchmesh-rb' };
    const errors = { name: 'canary-5xx', namespace: 'bench', metricName: 'Http5xx', dimensions: { VirtualNode: 'product-v15-vn' }, statistic: 'Sum', windowSeconds: 60, comparison: 'GreaterThanThreshold', threshold: 0 };
    // No data before the failure is inconclusive: counted as a pass here, so only the 5xx responses fail it.
    const failingArn = await start('bench-rollback', input(rbRoute, { strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, healthChecks: { metrics: [errors] }, inconclusive: 'pass' }));
    for (;;) {
      const targets = (await appMesh.send(new DescribeRouteCommand(rbRoute))).route!.spec!.httpRoute!.action!.weightedTargets!;
      if (targets.some((x) => x.virtualNode === 'product-v15-vn' && x.weight === 50)) break;
      await sleep(20);
    }
    await cloudWatch.send(new PutMetricDataCommand({ Namespace: 'bench', MetricData: [{ MetricName: 'Http5xx', Dimensions: [{ Name: 'VirtualNode', Value: 'product-v15-vn' }], Value: 12, Timestamp: new Date() }] }));
    for (;;) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: failingArn }));
      if (d.status !== 'RUNNING') break;
      await sleep(50);
    }
    const failing = await history(failingArn);
    const exitedAt = (name: string) => {
      const event = failing.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === name
        && (name !== states.CheckHealth || JSON.parse(e.stateExitedEventDetails.output!).gate.verdict === 'fail'));
      if (!event) throw new Error(`bench: the failing execution never left ${name}`);
      return event.timestamp!.getTime();
    };
    const verdictToRestored = exitedAt(states.Rollback) - exitedAt(states.CheckHealth);

    table([
      ['figure', 'measured', 'target'],
      [label.transitions, `${(loopStates / (steps - 1)).toFixed(1)} (${loopStates} over ${steps - 1} full steps)`, `<= 4: ${verdict(loopStates / (steps - 1) <= 4)}`],
      [label.invocations, `${(loopTasks / (steps - 1)).toFixed(1)} (${loopTasks} over ${steps - 1} full steps; ${scheduled} in all)`, `<= 2: ${verdict(loopTasks / (steps - 1) <= 2)}`],
      [label.linearWall, `${(wall / 1000).toFixed(2)} s wall`, ''],
      [label.restore, `${ms(verdictToRestored)} (history timestamps), ${(verdictToRestored / median(warm)).toFixed(1)}x one warm step`, ''],
    ]);

    // ---------------------------------------------------------------- 3b. the alarm path
    // A deployment that checks an alarm, a verdict every ALARM_INTERVAL_SECONDS: the alarm goes to
    // ALARM just after a step. Measured from SetAlarmState to the route read back at its snapshot
    // (the local AWS delivers the event to AlarmFunction, as EventBridge would). A polling check at
    // the same interval sees the alarm at its next verdict: half an interval later on average.
    const alarmRuns = options.quick ? 1 : RUNS;
    console.log(`\n3b. The alarm path: alarm → route restored, a verdict every ${ALARM_INTERVAL_SECONDS} s, median of ${alarmRuns} (first run: AlarmFunction's bundle loads)`);
    const alarmTimes: number[] = [];
    for (let i = 0; i < alarmRuns; i++) {
      const meshName = `benchmesh-alarm${i}`;
      await createDemoMesh(appMesh, meshName);
      const alarmRoute = { ...route, meshName };
      const alarmName = `bench-alarm-${i}-5xx`;
      await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'bench', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
      await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: 'bench' }));
      const arn = await start(`bench-alarm-${i}`, input(alarmRoute, { strategy: { type: 'linear', stepPercent: 10, intervalSeconds: ALARM_INTERVAL_SECONDS }, healthChecks: { alarms: { names: [alarmName] } } }));
      const canaryAt = async () => (await appMesh.send(new DescribeRouteCommand(alarmRoute))).route!.spec!.httpRoute!.action!.weightedTargets!
        .find((x) => x.virtualNode === 'product-v15-vn')?.weight ?? 0;
      while (await canaryAt() !== 10) await sleep(20);
      const t = performance.now();
      await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'bench: failing' }));
      for (;;) {
        if (await canaryAt() === 0) break;
        if (performance.now() - t > 60_000) throw new Error(`bench: ${arn}: the route was not restored within 60 s of its alarm`);
        await sleep(10);
      }
      alarmTimes.push(performance.now() - t);
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      if (d.status !== 'ABORTED' || d.error !== stopErrors.AlarmFired) throw new Error(`bench: ${arn} ended ${d.status} ${d.error ?? ''}, not stopped by the alarm path`);
    }
    const alarmMedian = median(alarmTimes);
    const pollingMean = (ALARM_INTERVAL_SECONDS * 1000) / 2;
    table([
      ['figure', 'measured', 'a polling check at the same interval', 'target'],
      [label.alarmPath, `${ms(alarmMedian)} (runs: ${alarmTimes.map(ms).join(', ')})`,
        `${(pollingMean / 1000).toFixed(0)} s on average, ${ALARM_INTERVAL_SECONDS} s at worst: ${(pollingMean / alarmMedian).toFixed(0)}x slower`,
        `< 2 s: ${verdict(alarmMedian < 2000)}`],
    ]);

    // ---------------------------------------------------------------- 4. many deployments at once
    // Real deployments wait between steps (intervalSeconds is 60-600 s in practice), so the figure
    // with a target has waits (1 s here, to stay affordable): the local AWS must not serialize
    // deployments that are mostly waiting. The second pair has no waits at all: pure CPU, so on
    // this machine it can be no better than (deployments x CPU per execution) / cores; shown, no target.
    console.log(`\n4. ${FLEET} deployments of the linear machine (4 steps) started together, each on its own route, against one alone; median of ${FLEET_RUNS}`);
    const fleetMesh = 'benchmesh-fleet';
    await createDemoMesh(appMesh, fleetMesh);
    const fleetRoutes = await createRoutesTo(appMesh, fleetMesh, 'fleet', FLEET + 1);
    /** Starts deployments on these routes at once; the time from the first start to the last stop. */
    const deployTogether = async (routes: typeof fleetRoutes, name: string, strategy: object) => {
      await Promise.all(routes.map(resetRoute)); // a promoted canary holds the route: start again from v1
      const t = performance.now();
      const arns = await Promise.all(routes.map((r) => start(`bench-fleet-${name}-${r.virtualRouterName}`, input(r, strategy))));
      // Polled gently (the interpreter shares moto's CPU); the figure itself is from moto's own clock.
      const ends = await Promise.all(arns.map((arn) => finish(arn, 250)));
      const clientMs = performance.now() - t;
      const motoMs = Math.max(...ends.map((e) => e.stopDate.getTime())) - Math.min(...ends.map((e) => e.startDate.getTime()));
      return motoMs > 0 ? motoMs : clientMs;
    };
    const fleetPair = async (tag: string, strategy: object) => {
      const alone: number[] = [];
      const together: number[] = [];
      for (let run = 0; run < FLEET_RUNS; run++) {
        alone.push(await deployTogether(fleetRoutes.slice(0, 1), `${tag}-${run}`, strategy));
        together.push(await deployTogether(fleetRoutes.slice(1), `${tag}-${run}`, strategy));
      }
      return { alone: median(alone), together: median(together), ratio: median(together) / median(alone) };
    };
    const waiting = await fleetPair('wait', { strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 } });
    const busy = await fleetPair('busy', { strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 0 } });
    const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    table([
      ['figure', 'first start → last end', 'vs one alone'],
      [label.fleetAlone, secs(waiting.alone), '1.0x'],
      [label.fleetTogether(FLEET), secs(waiting.together), `${waiting.ratio.toFixed(1)}x: target <= 3x: ${verdict(waiting.ratio <= 3)}`],
      [label.fleetAloneNoWait, secs(busy.alone), '1.0x'],
      [label.fleetTogetherNoWait(FLEET), secs(busy.together), `${busy.ratio.toFixed(1)}x (${FLEET} executions' CPU on ${availableParallelism()} cores; no target)`],
    ]);
  } finally {
    await aws.stop();
  }
  console.log(`\nload average ${load()} at the end`);
}

function table(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, r] of rows.entries()) {
    console.log('  ' + r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

// No top-level await: the script can also be loaded as CommonJS.
const scratch = mkdtempSync(join(tmpdir(), 'mesh-canary-bench-'));
main(scratch).then(() => rmSync(scratch, { recursive: true, force: true }), (error: Error) => {
  rmSync(scratch, { recursive: true, force: true });
  // A one-line cause: Node's default report would print a line of a minified bundle.
  console.error(`\nbench failed: ${error.name}: ${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}` : ''}`);
  process.exitCode = 1;
});

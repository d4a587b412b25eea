// Benchmark: prints figures, asserts nothing. Everything is measured in this one run, on this
// machine, as ratios against a baseline measured beside it:
//   1. each function bundle against a bare esbuild bundle of the same AWS SDK client and commands;
//   2. one weight step (DescribeRoute + UpdateRoute) on the local App Mesh: the seed's approach
//      (two `aws appmesh` processes) against set-weight cold (a new Node process) and warm;
//   3. the linear state machine: transitions and Lambda invocations per step (from execution
//      history), and the time from a failing verdict to the route restored.
//   node scripts/bench.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { buildFunctions, esbuildOptions } from './build.ts';
import { listFunctions, projectRoot } from '../local/template.ts';
import { startLocalAws } from '../local/aws.ts';
import { createDemoMesh } from '../local/demo-mesh.ts';
import { deployStack } from '../local/stack.ts';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { DescribeRouteCommand } from '@aws-sdk/client-app-mesh';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
if (process.argv.includes('--help')) {
  console.log('usage: node scripts/bench.ts [--runs N]   (default 7 runs per cold/awscli figure, 10x that for warm)');
  process.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');

// ------------------------------------------------------------------ 1. bundle sizes
/** The SDK clients and commands each function's code uses: the bare bundle imports just these. */
const appMeshUse = ['@aws-sdk/client-app-mesh', 'AppMeshClient', ['DescribeRouteCommand', 'UpdateRouteCommand']] as const;
const lockUse = (commands: string[]) => ['@aws-sdk/client-dynamodb', 'DynamoDBClient', commands] as const;
const sdkUse: Record<string, (readonly [string, string, readonly string[]])[]> = {
  PrepareFunction: [['@aws-sdk/client-app-mesh', 'AppMeshClient', ['DescribeRouteCommand', 'DescribeVirtualNodeCommand']], lockUse(['PutItemCommand', 'GetItemCommand', 'DeleteItemCommand'])],
  SetWeightFunction: [appMeshUse, lockUse(['GetItemCommand'])],
  PromoteFunction: [appMeshUse, lockUse(['GetItemCommand', 'DeleteItemCommand'])],
  RollbackFunction: [appMeshUse, lockUse(['GetItemCommand', 'DeleteItemCommand'])],
  CheckHealthFunction: [['@aws-sdk/client-cloudwatch', 'CloudWatchClient', ['DescribeAlarmsCommand', 'GetMetricDataCommand']]],
  RequestApprovalFunction: [['@aws-sdk/client-sns', 'SNSClient', ['PublishCommand']]],
  GuardFunction: [appMeshUse, lockUse(['GetItemCommand', 'DeleteItemCommand']), ['@aws-sdk/client-sfn', 'SFNClient', ['GetExecutionHistoryCommand']]],
};

console.log('mesh-canary benchmark\n');
console.log('1. Bundle size: each function against a bare bundle of the same SDK client (same esbuild settings, from template.yaml)');
const built = await buildFunctions();
const scratch = mkdtempSync(join(tmpdir(), 'mesh-canary-bench-'));
const rows: string[][] = [['function', 'bundle', 'bare SDK bundle', 'ratio', 'target <= 1.15x']];
for (const fn of listFunctions()) {
  const uses = sdkUse[fn.logicalId];
  if (!uses) throw new Error(`bench: add ${fn.logicalId} to sdkUse (the SDK clients its code uses)`);
  const opts = esbuildOptions(fn, join(scratch, fn.logicalId));
  const contents = uses.map(([pkg, client, commands], i) =>
    `import { ${client}, ${commands.join(', ')} } from '${pkg}';\nexport const handler${i} = async (e) => new ${client}({}).send(new ${commands[0]}(e));\nexport const all${i} = [${commands.join(', ')}];\n`).join('');
  const result = await build({
    ...opts, entryPoints: undefined, outdir: undefined, outfile: join(scratch, `${fn.logicalId}.js`),
    stdin: { contents, resolveDir: projectRoot, loader: 'js' },
  });
  const bare = Object.values(result.metafile!.outputs)[0].bytes;
  const ours = built.find((b) => b.logicalId === fn.logicalId)!.bytes;
  rows.push([fn.logicalId, kib(ours), kib(bare), `${(ours / bare).toFixed(3)}x`, verdict(ours / bare <= 1.15)]);
}
table(rows);

// ------------------------------------------------------------------ 2. one weight step
console.log(`\n2. One weight step (DescribeRoute + UpdateRoute) on the local App Mesh (moto), median of ${RUNS} (warm: ${RUNS * 10})`);
const aws = await startLocalAws({ quiet: true });
try {
  // The stack (lock table, machines) as template.yaml defines it; bundles loaded here get its env.
  const stack = await deployStack(aws, 'mesh-canary-bench');
  Object.assign(process.env, aws.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_SERVICE_NAME: 'mesh-canary', LOCK_TABLE_NAME: stack.outputs.LockTableName });
  const appMesh = new AppMeshClient({ endpoint: aws.endpoint, region: aws.region });
  await createDemoMesh(appMesh, 'benchmesh');
  const route = { meshName: 'benchmesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
  const bundle = (id: string) => built.find((b) => b.logicalId === id)!.bundlePath;
  const requireBundle = createRequire(import.meta.url);
  const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 30000 } as any;
  const deployment = await requireBundle(bundle('PrepareFunction')).handler(
    { input: { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn' } }, context);

  // The seed: one awscli process reads the route, a second writes the whole spec back.
  const cli = (args: string[]) => {
    const r = spawnSync('aws', ['--endpoint-url', aws.endpoint, '--region', aws.region, 'appmesh', ...args], { env: { ...process.env, ...aws.env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`aws ${args[0]} failed: ${r.stderr || r.error}`);
    return r.stdout;
  };
  const specFile = join(scratch, 'spec.json');
  const awscli: number[] = [];
  for (let i = 0; i < RUNS; i++) {
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
  const locked = await requireBundle(bundle('PrepareFunction')).handler(
    { input: { route: { ...route, routeName: 'product-r' }, stableNode: 'product-vn', canaryNode: 'product-v15-vn' }, executionId: 'bench-execution' }, context);
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
  for (let i = 0; i < RUNS * 10; i++) {
    const t0 = performance.now();
    await setWeight({ deployment, weight: 31 }, context);
    noop.push(performance.now() - t0);
  }
  await requireBundle(bundle('RollbackFunction')).handler({ deployment }, context);

  const base = median(awscli);
  table([
    ['approach', 'median', 'speed-up vs awscli', 'target'],
    ['seed: 2 awscli processes', ms(base), '1.0x', ''],
    ['set-weight cold (new process)', ms(median(cold)), `${(base / median(cold)).toFixed(1)}x`, `>= 5x: ${verdict(base / median(cold) >= 5)}`],
    ['set-weight warm', ms(median(warm)), `${(base / median(warm)).toFixed(0)}x`, `>= 50x: ${verdict(base / median(warm) >= 50)}`],
    ['set-weight warm, in an execution (+ lock check)', ms(median(inExecution)), `${(base / median(inExecution)).toFixed(0)}x`, `>= 50x: ${verdict(base / median(inExecution) >= 50)}`],
    ['set-weight warm, weights already set', ms(median(noop)), `${(base / median(noop)).toFixed(0)}x`, '(no write)'],
  ]);

  // ---------------------------------------------------------------- 3. state machines
  console.log('\n3. The linear state machine on the local AWS (moto\'s Step Functions interpreter, real function bundles)');
  const sfn = new SFNClient({});
  const cloudWatch = new CloudWatchClient({});
  const run = async (name: string, input: object, during?: (arn: string) => Promise<void>) => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name, input: JSON.stringify(input) }));
    await during?.(executionArn!);
    for (;;) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
      events.push(...page.events!);
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  };
  const input = (meshName: string, extra: object) => ({ route: { meshName, virtualRouterName: 'product-vr', routeName: 'product-r' }, stableNode: 'product-vn', canaryNode: 'product-v15-vn', ...extra });

  await createDemoMesh(appMesh, 'benchmesh-sm');
  const steps = 10;
  const t0 = performance.now();
  const happy = await run('bench-linear', input('benchmesh-sm', { strategy: { type: 'linear', stepPercent: 100 / steps, intervalSeconds: 0 } }));
  const wall = performance.now() - t0;
  const entered = happy.filter((e) => e.type!.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
  const firstShift = entered.indexOf('Shift');
  const lastShift = entered.lastIndexOf('Shift');
  const loopStates = lastShift - firstShift; // steps-1 full loops: Shift, Wait, CheckHealth, Gate
  const scheduled = happy.filter((e) => e.type === 'TaskScheduled').length;
  const loopTasks = entered.slice(firstShift, lastShift).filter((s) => s === 'Shift' || s === 'CheckHealth').length;

  // Failing verdict → route restored: the alarm fires while the canary is at 50%.
  await createDemoMesh(appMesh, 'benchmesh-rb');
  await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: 'bench-5xx', Namespace: 'bench', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
  await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'bench-5xx', StateValue: 'OK', StateReason: 'bench' }));
  const rbRoute = { meshName: 'benchmesh-rb', virtualRouterName: 'product-vr', routeName: 'product-r' };
  const failing = await run('bench-rollback', input('benchmesh-rb', { strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, healthChecks: { alarms: { names: ['bench-5xx'] } } }), async () => {
    for (;;) {
      const targets = (await appMesh.send(new DescribeRouteCommand(rbRoute))).route!.spec!.httpRoute!.action!.weightedTargets!;
      if (targets.some((x) => x.virtualNode === 'product-v15-vn' && x.weight === 50)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'bench-5xx', StateValue: 'ALARM', StateReason: 'bench: failing' }));
  });
  const exitedAt = (name: string) => failing.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === name
    && (name !== 'CheckHealth' || JSON.parse(e.stateExitedEventDetails.output!).gate.verdict === 'fail'))!.timestamp!.getTime();
  const verdictToRestored = exitedAt('Rollback') - exitedAt('CheckHealth');

  table([
    ['figure', 'measured', 'target'],
    ['state transitions per linear step', `${(loopStates / (steps - 1)).toFixed(1)} (${loopStates} over ${steps - 1} full steps)`, `<= 4: ${verdict(loopStates / (steps - 1) <= 4)}`],
    ['Lambda invocations per linear step', `${(loopTasks / (steps - 1)).toFixed(1)} (${loopTasks} over ${steps - 1} full steps; ${scheduled} in all)`, `<= 2: ${verdict(loopTasks / (steps - 1) <= 2)}`],
    ['10-step linear execution, intervals 0', `${(wall / 1000).toFixed(2)} s wall`, ''],
    ['failing verdict → route restored', `${ms(verdictToRestored)} (history timestamps), ${(verdictToRestored / median(warm)).toFixed(1)}x one warm step`, ''],
  ]);
} finally {
  await aws.stop();
}

function table(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, r] of rows.entries()) {
    console.log('  ' + r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

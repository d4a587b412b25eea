// Diagnostic helper (the official "N together vs one" figure is in scripts/bench.ts): how the
// local AWS copes with many executions at once. Times one linear execution alone, then N
// started together on N routes, and prints the ratio with the CPU that moto and the Lambda
// front each used, which says where the time goes.
//   node scripts/sfn-concurrency.ts [--together N] [--steps S] [--interval SECONDS] [--poll-ms MS]
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { buildFunctions } from './build.ts';
import { startLocalAws } from '../local/aws.ts';
import { createDemoMesh } from '../local/demo-mesh.ts';
import { deployStack } from '../local/stack.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TOGETHER = arg('--together', 20);
const STEPS = arg('--steps', 4);
const POLL_MS = arg('--poll-ms', 100);
const INTERVAL = arg('--interval', 0);

/** User + system CPU seconds of the processes of this local AWS whose command line mentions `what`. */
function cpuSeconds(what: string, motoPort: string): number {
  const tick = 100;
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes(what) || !cmd.includes(motoPort)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // gone
    }
  }
  return total;
}
await buildFunctions();
const aws = await startLocalAws({ quiet: true });
const motoPort = new URL(aws.motoEndpoint).port;
try {
  Object.assign(process.env, aws.env);
  const stack = await deployStack(aws, 'mesh-canary-concurrency');
  const appMesh = new AppMeshClient({});
  const sfn = new SFNClient({});
  const meshes = Math.ceil((TOGETHER + 2) / 3);
  const routes: { meshName: string; virtualRouterName: string; routeName: string; service: string }[] = [];
  for (let m = 0; m < meshes; m++) {
    await createDemoMesh(appMesh, `conc${m}`);
    for (const service of ['order', 'product', 'customer']) {
      routes.push({ meshName: `conc${m}`, virtualRouterName: `${service}-vr`, routeName: `${service}-r`, service });
    }
  }
  const canaryOf: Record<string, string> = { order: 'order-v2-vn', product: 'product-v15-vn', customer: 'customer-v2-vn' };
  const runOne = async (i: number, tag: string) => {
    const r = routes[i];
    const input = {
      route: { meshName: r.meshName, virtualRouterName: r.virtualRouterName, routeName: r.routeName },
      stableNode: `${r.service}-vn`, canaryNode: canaryOf[r.service],
      strategy: { type: 'linear', stepPercent: 100 / STEPS, intervalSeconds: INTERVAL },
    };
    const t0 = performance.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: `${tag}-${i}`, input: JSON.stringify(input) }));
    for (;;) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING') {
        if (d.status !== 'SUCCEEDED') throw new Error(`${tag}-${i} ended ${d.status}: ${d.error} ${d.cause}`);
        return performance.now() - t0;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };

  // Warm up: the front loads each bundle once.
  await runOne(0, 'warm');
  await new Promise((r) => setTimeout(r, 500));

  const cpu = () => [cpuSeconds('moto_launcher.py', motoPort), cpuSeconds('front.ts', motoPort)];
  let cpu0 = cpu();
  const t1 = performance.now();
  await runOne(1, 'one');
  const one = performance.now() - t1;
  const [cpuOne, frontOne] = cpu().map((c, i) => c - cpu0[i]);

  cpu0 = cpu();
  const t2 = performance.now();
  await Promise.all(Array.from({ length: TOGETHER }, (_, k) => runOne(2 + k, 'many')));
  const many = performance.now() - t2;
  const [cpuMany, frontMany] = cpu().map((c, i) => c - cpu0[i]);

  console.log(`linear, ${STEPS} steps, intervals ${INTERVAL} s, polls every ${POLL_MS} ms`);
  console.log(`  one alone:           ${(one / 1000).toFixed(2)} s wall, moto CPU ${cpuOne.toFixed(2)} s, front CPU ${frontOne.toFixed(2)} s`);
  console.log(`  ${TOGETHER} together:         ${(many / 1000).toFixed(2)} s wall, moto CPU ${cpuMany.toFixed(2)} s (${(cpuMany / TOGETHER).toFixed(2)} s each), front CPU ${frontMany.toFixed(2)} s`);
  console.log(`  ratio:               ${(many / one).toFixed(2)}x`);
} finally {
  await aws.stop();
}

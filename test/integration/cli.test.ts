// The mesh-canary CLI driven as a user drives it: a separate process (`node cli/main.ts ...`)
// against the local AWS, given only --endpoint-url and --region (no AWS_* environment), finding
// the state machines through the stack's outputs as it would in AWS. Each test has its own mesh
// and execution names, so they run concurrently: most of their time is spent waiting on executions.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVirtualNodeCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import {
  alarm, appMesh, approvalToken, canaryWeight, demoMesh, finished, history, routeNow, setAlarm, sfn, stack, unique, until,
} from '../support/executions.ts';
import { root } from '../support/fixtures.ts';
import { demoLattice, latticeTargets } from '../support/lattice.ts';

const dir = mkdtempSync(join(tmpdir(), 'mesh-canary-cli-it-'));
const projectNode = join(root, 'node_modules', '.bin', 'node');
const node = existsSync(projectNode) ? projectNode : process.execPath;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, with only --endpoint-url and --region pointing it at the local AWS. */
function cli(...args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))) as Record<string, string>;
  const child = spawn(node, [join(root, 'cli', 'main.ts'), ...args, '--endpoint-url', process.env.AWS_ENDPOINT_URL!, '--region', process.env.AWS_REGION!], { cwd: root, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

function inputFile(input: object): string {
  const path = join(dir, `${unique('input')}.json`);
  writeFileSync(path, JSON.stringify(input, null, 2));
  return path;
}

function rawFile(name: string, content: string): string {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1);

async function notStarted(machine: 'linear' | 'manual-approval', name: string): Promise<void> {
  const arn = `${stack().machines[machine].replace(':stateMachine:', ':execution:')}:${name}`;
  await expect(sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
}

const linear = (stepPercent: number, intervalSeconds: number) => ({ type: 'linear', stepPercent, intervalSeconds });
const approval = { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 120, checkIntervalSeconds: 1 };

describe('start', () => {
  test.concurrent('a good file: the machine found through the stack outputs, started, the ARN printed; watch follows it to "promoted", exit 0', async () => {
    const mesh = await demoMesh('cli');
    const name = unique('good');
    const started = await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(50, 1), healthChecks: { alarms: { names: [await alarm()] } } }), '--name', name);
    expect(started).toMatchObject({ code: 0, stderr: '' });
    const arn = started.stdout.trim();
    expect(arn).toBe(`${stack().machines.linear.replace(':stateMachine:', ':execution:')}:${name}`);

    const watched = await cli('watch', arn, '--poll-interval', '0.2');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain('snapshot taken: product-vn 100');
    expect(watched.stdout).toContain('canary at 50%: product-vn 50, product-v15-vn 50');
    expect(watched.stdout).toContain('verdict at 100%: pass → promote');
    expect(watched.stdout).toContain('promoted: product-v15-vn 100');
    expect(lastLine(watched.stdout)).toBe('outcome: promoted (SUCCEEDED, exit 0)');
    expect(watched.stdout).not.toContain('\x1b['); // not a terminal: no colour, no redrawing
  });

  test.concurrent.each([
    ['a missing file', () => join(dir, 'missing.json'), 'linear', /cannot read the input file .*missing\.json: no such file/],
    ['invalid JSON', () => rawFile('bad.json', '{"route": '), 'linear', /bad\.json is not valid JSON/],
    ['an unknown strategy', () => join(dir, 'whatever.json'), 'blue-green', /unknown strategy "blue-green": choose linear, step-then-all, manual-approval/],
  ])('%s: a clear message, exit 2, nothing started', async (_, path, strategy, message) => {
    const name = unique('bad');
    const r = await cli('start', strategy, '--input', path(), '--name', name);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
    await notStarted('linear', name);
  });

  test.concurrent('a field out of range: the field named, exit 2, nothing started', async () => {
    const mesh = await demoMesh('cli');
    const name = unique('range');
    const r = await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(150, 1) }), '--name', name);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('strategy.stepPercent must be an integer from 1 to 100 (got 150)');
    await notStarted('linear', name);
  });

  test.concurrent('--wait when the baseline fails: refused before any change, with its own error and exit 3, not "rolled back"', async () => {
    const mesh = await demoMesh('cli');
    const before = await routeNow(mesh.route);
    const alarmName = await alarm('ALARM');
    const name = unique('baseline');
    const r = await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(25, 2), healthChecks: { alarms: { names: [alarmName] } } }), '--name', name, '--wait', '--poll-interval', '0.2');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('verdict at 0%: FAIL → refuse');
    expect(r.stdout).not.toMatch(/rolled back/);
    expect(lastLine(r.stdout)).toMatch(/^outcome: failed before changing the route: BaselineUnhealthy: the baseline verdict, taken before any traffic moved to the canary, failed: .* Nothing was changed: route \S+ was not touched, and its deployment lock is released\. \(FAILED, exit 3\)$/);
    expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
    const json = await cli('watch', name, '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'FAILED', exitCode: 3, error: 'BaselineUnhealthy' });
  });

  test.concurrent('--wait on a bad release: the alarm fires, the route is rolled back, exit 1; --output json for scripts', async () => {
    const mesh = await demoMesh('cli');
    const before = await routeNow(mesh.route);
    const alarmName = await alarm();
    const file = inputFile({ ...mesh, strategy: linear(25, 2), healthChecks: { alarms: { names: [alarmName] } } });
    const name = unique('bad-release');
    const waiting = cli('start', 'linear', '--input', file, '--name', name, '--wait', '--poll-interval', '0.2');
    await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
    await setAlarm(alarmName, 'ALARM', '5xx rate 14%');
    const r = await waiting;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('verdict at 25%: FAIL → rollback');
    expect(lastLine(r.stdout)).toMatch(/^outcome: rolled back because CanaryUnhealthy: .*5xx rate 14%.* \(FAILED, exit 1\)$/);
    expect((await routeNow(mesh.route)).spec).toEqual(before.spec);

    const json = await cli('watch', name, '--output', 'json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'FAILED', outcome: 'rolled back', exitCode: 1, error: 'CanaryRolledBack' });
    // Exactly App Mesh's format, as the step results carry it (no neutral field leaks out).
    expect(JSON.parse(json.stdout).weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 100 }]);
  });
});

describe('approve and reject', () => {
  test.concurrent('approve (by execution name): finds the pending approval itself, never prints the token; promoted', async () => {
    const mesh = await demoMesh('cli');
    const name = unique('approve');
    const arn = (await cli('start', 'manual-approval', '--input', inputFile({ ...mesh, strategy: approval }), '--name', name)).stdout.trim();
    const token = await approvalToken(arn);
    const r = await cli('approve', name);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`approved product-v15-vn on ${mesh.route.meshName}/product-vr/product-r`);
    expect(r.stdout + r.stderr).not.toContain(token);
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    const answer = (await history(arn)).find((e) => e.type === 'TaskSucceeded' && e.taskSucceededEventDetails?.resource?.includes('waitForTaskToken'));
    expect(JSON.parse(answer!.taskSucceededEventDetails!.output!)).toEqual({ approved: true, by: expect.any(String) });

    // Asked again, once it has ended: refused, exit 3.
    const again = await cli('approve', arn);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`execution ${name} is not waiting for approval: it ended SUCCEEDED (promoted)`);
  });

  test.concurrent('reject with a reason: rolled back to the exact snapshot, the reason in the cause', async () => {
    const mesh = await demoMesh('cli');
    const before = await routeNow(mesh.route);
    const arn = (await cli('start', 'manual-approval', '--input', inputFile({ ...mesh, strategy: approval }), '--name', unique('reject'))).stdout.trim();
    await approvalToken(arn);
    const r = await cli('reject', arn, '--reason', 'checkout latency doubled', '--output', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'rejected', executionArn: arn, reason: 'checkout latency doubled' });
    const end = await finished(arn);
    expect(end.error).toBe('CanaryRolledBack');
    expect(end.cause).toContain('Rejected: checkout latency doubled');
    expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
  });

  test.concurrent('approve on an execution that is not waiting for approval: refused with where it is, exit 3, nothing changed', async () => {
    const mesh = await demoMesh('cli');
    const arn = (await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(25, 30) }), '--name', unique('busy'))).stdout.trim();
    await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
    const r = await cli('approve', arn);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/is not waiting for approval: it is at state Wait/);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    await cli('abort', arn);
  });
});

describe('abort', () => {
  test.concurrent('mid-way: stopped, and the route is exactly the snapshot, and stays so', async () => {
    const mesh = await demoMesh('cli');
    const before = await routeNow(mesh.route);
    const arn = (await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(25, 60) }), '--name', unique('abort'))).stdout.trim();
    await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
    const r = await cli('abort', arn);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^aborted .* \(it was at 25%, state Wait\); route .* restored to its snapshot: product-vn 100/);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('ABORTED');
    expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
    // Nothing the stopped execution had in flight lands later.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await routeNow(mesh.route)).spec).toEqual(before.spec);

    // watch says how it ended: aborted with the route back at its snapshot counts as rolled back.
    const watched = await cli('watch', arn);
    expect(watched.code).toBe(1);
    expect(lastLine(watched.stdout)).toBe('outcome: aborted; the route is back at its snapshot (ABORTED, exit 1)');

    // And it has ended now: abort refuses, exit 3.
    const again = await cli('abort', arn);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already ended ABORTED');
  });

  test.concurrent('with a third target someone re-weighted mid-way: stable and canary put back, the hand edit kept, and abort says so', async () => {
    const mesh = await demoMesh('cli');
    await appMesh.send(new CreateVirtualNodeCommand({ meshName: mesh.route.meshName, virtualNodeName: 'product-legacy-vn', spec: {} }));
    const setTargets = async (targets: { virtualNode: string; weight: number }[]) => {
      const spec = structuredClone((await routeNow(mesh.route)).spec!);
      spec.httpRoute!.action!.weightedTargets = targets;
      await appMesh.send(new UpdateRouteCommand({ ...mesh.route, spec }));
    };
    await setTargets([{ virtualNode: 'product-vn', weight: 90 }, { virtualNode: 'product-legacy-vn', weight: 10 }]);
    const arn = (await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(25, 60) }), '--name', unique('abort3'))).stdout.trim();
    await until('the canary at 25% of the pool (90)', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 23);
    await setTargets([{ virtualNode: 'product-vn', weight: 67 }, { virtualNode: 'product-legacy-vn', weight: 30 }, { virtualNode: 'product-v15-vn', weight: 23 }]);
    const r = await cli('abort', arn);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/route \S+ product-vn and product-v15-vn put back to their snapshot weights: product-vn 90, product-legacy-vn 30; other targets were changed during the deployment and are left as they are, unlike the snapshot: product-legacy-vn 30 \(snapshot 10\)/);
    expect((await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 90 }, { virtualNode: 'product-legacy-vn', weight: 30 }]);
    // Done is done: --restore on it finds the deployment undone and changes nothing.
    const again = await cli('abort', arn, '--restore', '--output', 'json');
    expect(JSON.parse(again.stdout)).toMatchObject({ restored: true, restores: 0 });
    expect(JSON.parse(again.stdout).keptChanges).toEqual([{ virtualNode: 'product-legacy-vn', snapshot: { virtualNode: 'product-legacy-vn', weight: 10 }, now: { virtualNode: 'product-legacy-vn', weight: 30 } }]);
  });

  test.concurrent('--restore on a promoted execution puts the route back to the snapshot it started from', async () => {
    const mesh = await demoMesh('cli');
    const before = await routeNow(mesh.route);
    const arn = (await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(100, 0) }), '--name', unique('restore'))).stdout.trim();
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    expect(await canaryWeight(mesh.route, mesh.canaryNode)).toBe(100);
    const r = await cli('abort', arn, '--restore', '--output', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'restored', stopped: false, restored: true });
    expect(JSON.parse(r.stdout).weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 100 }]);
    expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
  });
});

describe('routes and report', () => {
  test.concurrent('routes: the seed\'s table with shares, or JSON', async () => {
    const mesh = await demoMesh('cli');
    const r = await cli('routes', '--mesh', mesh.route.meshName, '--router', 'product-vr', '--route', 'product-r');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/virtual node\s+weight\s+share/);
    expect(r.stdout).toMatch(/product-vn\s+100\s+100%\s+█{30}/);
    const json = await cli('describe', '--input', inputFile({ ...mesh, strategy: linear(10, 60) }), '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ routeKind: 'httpRoute' });
    expect(JSON.parse(json.stdout).weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 100, share: 100 }]);
    const missing = await cli('routes', '--mesh', mesh.route.meshName, '--router', 'product-vr', '--route', 'nope-r');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('not found');
  });

  test.concurrent('report: an SVG (or HTML) picture with each step, each verdict and the rollback', async () => {
    const mesh = await demoMesh('cli');
    const alarmName = await alarm();
    const arn = (await cli('start', 'linear', '--input', inputFile({ ...mesh, strategy: linear(25, 1), healthChecks: { alarms: { names: [alarmName] } } }), '--name', unique('report'))).stdout.trim();
    await until('the canary at 50%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 50);
    await setAlarm(alarmName, 'ALARM', 'error budget burning');
    await finished(arn);

    const svgPath = join(dir, 'pictures', 'report.svg');
    const r = await cli('report', arn, '--out', svgPath);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*report\.svg: product-v15-vn on .*, 2 steps, 3 verdicts, rolled back/);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const step of ['>25%</text>', '>50%</text>']) expect(svg).toContain(step);
    expect(svg).toContain('verdict fail at 50% → rollback: alarm');
    expect(svg).toContain('error budget burning');
    expect(svg).toContain('rolled back: alarm');

    const html = await cli('report', arn, '--out', join(dir, 'report.html'));
    expect(html.code).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>[\s\S]*<svg /);
  });
});

describe('on VPC Lattice', () => {
  test.concurrent('routes --service/--listener/--rule: target groups by name and ID, or Lattice\'s JSON; mixed forms refused', async () => {
    const { input: { route: r, stableTargetGroup: stable, canaryTargetGroup: canary }, names } = await demoLattice({ prefix: 'cli' });
    const shown = await cli('routes', '--service', r.service, '--listener', r.listener, '--rule', r.rule!);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toContain(`${r.service}/${r.listener}/${r.rule}  rule`);
    expect(shown.stdout).toMatch(/target group\s+weight\s+share/);
    expect(shown.stdout).toMatch(new RegExp(`${names.stable} \\(${stable}\\)\\s+100\\s+100%\\s+█{30}`));
    const json = await cli('routes', '--service', r.service, '--listener', r.listener, '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      route: { service: r.service, listener: r.listener }, routeKind: 'defaultAction',
      weightedTargets: [{ targetGroupIdentifier: stable, weight: 100, name: names.stable, share: 100 }],
    });
    const mixed = await cli('routes', '--mesh', 'demomesh', '--service', r.service, '--listener', r.listener);
    expect(mixed).toMatchObject({ code: 2, stdout: '' });
    expect(mixed.stderr).toContain('--mesh name an App Mesh route and --service, --listener a VPC Lattice one');
    const missing = await cli('routes', '--service', r.service, '--listener', r.listener, '--rule', 'rule-0000000000000000a');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('not found');
  });

  test('start --wait on a Lattice rule: the target groups named in every line, promoted, exit 0', async () => {
    const { input: { route: r, stableTargetGroup: stable, canaryTargetGroup: canary } } = await demoLattice({ prefix: 'cli' });
    const input = { route: { service: r.service, listener: r.listener, rule: r.rule }, stableTargetGroup: stable, canaryTargetGroup: canary, strategy: linear(50, 1), settleSeconds: 0 };
    const run = await cli('start', 'linear', '--input', inputFile(input), '--wait', '--poll-interval', '0.2');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^${stack().machines.linear.replace(':stateMachine:', ':execution:')}:${canary}-\\d{8}-\\d{6}\\n`));
    expect(run.stdout).toContain(`started: ${r.service}/${r.listener}/${r.rule} ${stable} → ${canary}`);
    expect(run.stdout).toContain(`snapshot taken: ${stable} 100`);
    expect(run.stdout).toMatch(new RegExp(`canary at 50%: ${stable} \\d+, ${canary} \\d+`));
    expect(run.stdout).toContain(`promoted: ${canary}`);
    expect(run.stdout).not.toContain('undefined');
    expect(lastLine(run.stdout)).toBe('outcome: promoted (SUCCEEDED, exit 0)');
    expect(await latticeTargets(r)).toEqual([{ targetGroupIdentifier: canary, weight: expect.any(Number) }]);
  });
});

// `npm run sandbox` as a user starts it (with --no-build: the bundles in dist/ are the ones the
// integration run built, and rebuilding them would pull them from under the other tests): it must
// come up, print commands that work as printed, and stop everything on Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../local/template.ts';

const localNode = join(projectRoot, 'node_modules', '.bin', 'node');
const node = existsSync(localNode) ? localNode : process.execPath;

// The sandbox starts its own local AWS: nothing of this test run's may leak into it.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_ENDPOINT_URL') && !k.startsWith('MESH_CANARY_')));

let sandbox: ChildProcess | undefined;
let output = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  sandbox = spawn(node, [join(projectRoot, 'scripts', 'sandbox.ts'), '--no-build'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((done) => sandbox!.on('exit', (code) => done(code)));
  sandbox.stdout!.on('data', (d) => { output += d; });
  sandbox.stderr!.on('data', (d) => { output += d; });
  const deadline = Date.now() + 120_000;
  while (!/Ctrl-C stops everything/.test(output)) {
    if (sandbox.exitCode !== null || Date.now() > deadline) throw new Error(`the sandbox did not come up:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 150_000);

afterAll(() => {
  if (sandbox && sandbox.exitCode === null) sandbox.kill('SIGKILL');
});

/** A printed `npx mesh-canary ...` line, run as printed (npx's mesh-canary is cli/main.ts). */
const endpoint = () => /endpoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1];

function cli(printed: RegExp, drop: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const line = output.split('\n').map((l) => l.trim()).find((l) => printed.test(l));
  if (!line) throw new Error(`the sandbox printed no command matching ${printed}:\n${output.slice(-3000)}`);
  const args = line.replace(/\s+#.*$/, '').split(/\s+/).slice(2).filter((a) => !drop.includes(a)); // drop "npx mesh-canary"
  const out = spawnSync(node, [join(projectRoot, 'cli', 'main.ts'), ...args], { cwd: projectRoot, env, encoding: 'utf8', timeout: 120_000 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

test('it comes up with the endpoint, the machines and ready commands', () => {
  expect(output).toMatch(/mesh-canary sandbox ready in [\d.]+ s/);
  expect(output).toMatch(/endpoint\s+http:\/\/127\.0\.0\.1:\d+/);
  for (const m of ['linear', 'step-then-all', 'manual-approval']) expect(output).toMatch(new RegExp(`${m}\\s+arn:aws:states:`));
  expect(output).toMatch(/lattice\s+services demo-order, demo-product, demo-customer/);
  expect(output).toMatch(/real VPC Lattice settles about 90 s/);
  expect(output).toMatch(/alarms product-v15-5xx, customer-v2-5xx, product-v2-5xx and order-5xx \(OK\)/);
  expect(output).toMatch(/\.local-aws\/inputs\/release-linear\.json\n\s+\(events\/execution-release-linear\.json: product and customer to v2 together/);
});

// Before the step-then-all story below: both move customer-vn, and this one leaves it back on v1.
test('its printed release commands work as printed: routes shows both routes, start --wait promotes both, report draws it, abort --restore puts both back', async () => {
  const input = JSON.parse(readFileSync(join(projectRoot, '.local-aws', 'inputs', 'release-linear.json'), 'utf8'));
  expect(input.routes.map((r: { canaryNode: string }) => r.canaryNode)).toEqual(['product-v2-vn', 'customer-v2-vn']);
  expect(input.strategy.intervalSeconds).toBeLessThan(60); // the fast variant of events/execution-release-linear.json
  const routes = () => {
    const out = cli(/^npx mesh-canary routes --input \S*release-linear\.json /);
    expect([out.status, out.stderr]).toEqual([0, '']);
    expect(out.stdout).toMatch(/demomesh\/product-vr\/product-r[\s\S]*demomesh\/customer-vr\/customer-r/);
    return out.stdout;
  };
  const before = routes();
  expect(before).toMatch(/product-vn\s+100\s+100%/);
  expect(before).toMatch(/customer-vn\s+100\s+100%/);

  const started = cli(/^npx mesh-canary start linear --input \S*release-linear\.json /);
  expect([started.status, started.stderr]).toEqual([0, '']);
  expect(started.stdout).toMatch(/arn:aws:states:.*:execution:LinearStateMachine:release-v2/);
  expect(started.stdout).toMatch(/promoted/i);
  const promoted = routes();
  expect(promoted).toMatch(/product-v2-vn\s+100\s+100%/);
  expect(promoted).toMatch(/customer-v2-vn\s+100\s+100%/);
  expect(promoted).not.toMatch(/(product|customer)-vn\s/); // each stable removed, on both routes

  const reported = cli(/^npx mesh-canary report release-v2 /);
  expect([reported.status, reported.stderr]).toEqual([0, '']);
  const svg = readFileSync(join(projectRoot, 'reports', 'release-v2.svg'), 'utf8');
  expect(svg).toContain('<svg');
  expect(svg).toContain('demomesh/product-vr/product-r, demomesh/customer-vr/customer-r'); // both routes named

  const restored = cli(/^npx mesh-canary abort release-v2 /);
  expect([restored.status, restored.stderr]).toEqual([0, '']);
  const after = routes();
  expect(after).toMatch(/product-vn\s+100\s+100%/);
  expect(after).toMatch(/customer-vn\s+100\s+100%/);
  expect(after).not.toMatch(/-v2-vn\s/);
}, 180_000);

test('its printed commands work as printed: routes, start, abort', async () => {
  // As printed but without --watch (which refreshes until Ctrl-C).
  const routes = cli(/^npx mesh-canary routes --input /, ['--watch']);
  expect([routes.status, routes.stderr]).toEqual([0, '']);
  expect(routes.stdout).toMatch(/demomesh\/product-vr\/product-r/);
  expect(routes.stdout).toMatch(/product-vn\s+100\s+100%/);

  const started = cli(/^npx mesh-canary start step-then-all /);
  expect([started.status, started.stderr]).toEqual([0, '']);
  expect(started.stdout).toMatch(/arn:aws:states:.*:execution:StepThenAllStateMachine:bake-me/);

  // As a user would: abort once the canary has its share (a step in flight would make abort wait for it).
  const deadline = Date.now() + 60_000;
  const stepThenAllRoute = () => {
    const out = spawnSync(node, [join(projectRoot, 'cli', 'main.ts'), 'routes', '--input', '.local-aws/inputs/step-then-all.json', '--endpoint-url', endpoint()],
      { cwd: projectRoot, env, encoding: 'utf8', timeout: 60_000 });
    return out.stdout;
  };
  while (!/customer-v2-vn\s+20\s/.test(stepThenAllRoute())) {
    if (Date.now() > deadline) throw new Error('the step-then-all deployment never gave the canary its 20%');
    await new Promise((r) => setTimeout(r, 500));
  }
  const aborted = cli(/^npx mesh-canary abort bake-me /);
  expect([aborted.status, aborted.stderr]).toEqual([0, '']);
  expect(aborted.stdout).toMatch(/aborted bake-me/);
  expect(stepThenAllRoute()).toMatch(/customer-vn\s+100\s/); // the deployment undone
}, 180_000);

test('its printed alarm-path commands work as printed: the alarm rolls the deployment back within seconds, watch says which alarm', async () => {
  const started = cli(/^npx mesh-canary start linear --input \S*inputs\/linear\.json --name alarm-me /);
  expect([started.status, started.stderr]).toEqual([0, '']);
  const productRoute = () => spawnSync(node, [join(projectRoot, 'cli', 'main.ts'), 'routes', '--input', '.local-aws/inputs/linear.json', '--endpoint-url', endpoint()],
    { cwd: projectRoot, env, encoding: 'utf8', timeout: 60_000 }).stdout;
  const deadline = Date.now() + 60_000;
  while (!/product-v15-vn\s+25\s/.test(productRoute())) {
    if (Date.now() > deadline) throw new Error('the linear deployment never gave the canary its 25%');
    await new Promise((r) => setTimeout(r, 300));
  }
  // The AWS CLI line as printed, with the printed exports (credentials and region of the local AWS).
  const exports = Object.fromEntries([...output.matchAll(/^\s+export (\w+)=(\S*)$/gm)].map((m) => [m[1], m[2]]));
  const aws = (printed: RegExp) => {
    const line = output.split('\n').map((l) => l.trim()).find((l) => printed.test(l))!;
    const args = (line.match(/"[^"]*"|\S+/g) ?? []).slice(1).map((a) => a.replace(/^"|"$/g, ''));
    return spawnSync('aws', args, { cwd: projectRoot, env: { ...env, ...exports }, encoding: 'utf8', timeout: 60_000 });
  };
  const t0 = Date.now();
  const fired = aws(/^aws .* cloudwatch set-alarm-state --alarm-name product-v15-5xx --state-value ALARM /);
  expect([fired.status, fired.stderr]).toEqual([0, '']);
  while (!/product-vn\s+100\s/.test(productRoute())) {
    if (Date.now() - t0 > 15_000) throw new Error('the route was not back on v1 within 15 s of the alarm');
    await new Promise((r) => setTimeout(r, 200));
  }
  const watched = cli(/^npx mesh-canary watch alarm-me /);
  expect(watched.status).toBe(1);
  expect(watched.stdout).toMatch(/outcome: rolled back: alarm product-v15-5xx went to ALARM at \S+: 5xx climbing on v1\.5; the route is back at its snapshot \(ABORTED, exit 1\)/);
  const recovered = aws(/^aws .* cloudwatch set-alarm-state --alarm-name product-v15-5xx --state-value OK /);
  expect([recovered.status, recovered.stderr]).toEqual([0, '']);
}, 180_000);

test('its printed hook and traffic-verification commands work as printed: the share-limit hook rolls back at 75%, the verified release is promoted once the request counts show each share', async () => {
  expect(output).toMatch(/traffic\s+request counts that follow every demo route's weights, 50 a second/);
  const hooked = cli(/^npx mesh-canary start linear --input \S*hooks-linear\.json --name hooked /);
  expect(hooked.status).toBe(1);
  expect(hooked.stdout).toMatch(/hooks smoke pass, share-limit FAIL/);
  expect(hooked.stdout).toMatch(/outcome: rolled back because CanaryUnhealthy: .*hook share-limit: the canary's share 75% is above 50%/);
  const verified = cli(/^npx mesh-canary start linear --input \S*lattice-verified\.json --name verified /);
  expect([verified.status, verified.stderr]).toEqual([0, '']);
  expect(verified.stdout).toMatch(/outcome: promoted/);
}, 240_000);

test('--traffic takes follow, lag or never: anything else is a one-line usage error, exit 2', () => {
  const bad = spawnSync(node, [join(projectRoot, 'scripts', 'sandbox.ts'), '--no-build', '--traffic', 'sometimes'], { cwd: projectRoot, env, encoding: 'utf8', timeout: 60_000 });
  expect({ status: bad.status, stdout: bad.stdout }).toEqual({ status: 2, stdout: '' });
  expect(bad.stderr.trimEnd().split('\n')).toEqual(['unknown --traffic "sometimes": follow, lag or never (usage: npm run sandbox [-- --no-build] [-- --traffic follow|lag|never])']);
});

test('its printed Lattice commands work as printed: routes on the rule, start --wait promoted on the fed error rates, start and abort', async () => {
  const routes = cli(/^npx mesh-canary routes --service /);
  expect([routes.status, routes.stderr]).toEqual([0, '']);
  const rule = /--service (\S+) --listener (\S+) --rule (\S+)/.exec(output)!;
  expect(routes.stdout).toContain(`${rule[1]}/${rule[2]}/${rule[3]}`);
  expect(routes.stdout).toMatch(/demo-product-v1 \(tg-\w+\)\s+100\s+100%/); // all on v1, named

  // The linear input on Lattice, its errorRates check fed by the sandbox: promoted, the rule all on the canary.
  const linear = cli(/^npx mesh-canary start linear --input \S*lattice-linear\.json /);
  expect([linear.status, linear.stderr]).toEqual([0, '']);
  expect(linear.stdout).toMatch(/lattice-linear/);
  expect(linear.stdout).toMatch(/promoted/i);
  const input = JSON.parse(readFileSync(join(projectRoot, '.local-aws', 'inputs', 'lattice-linear.json'), 'utf8'));
  expect(input.settleSeconds).toBeLessThan(90);
  expect(input.healthChecks.errorRates[0].targetGroup).toBe(input.canaryTargetGroup);
  const after = cli(/^npx mesh-canary routes --service /);
  expect(after.stdout).toMatch(new RegExp(`demo-product-v15 \\(${input.canaryTargetGroup}\\)\\s+100\\s+100%`));

  const started = cli(/^npx mesh-canary start step-then-all --input \S*lattice-step-then-all\.json /);
  expect([started.status, started.stderr]).toEqual([0, '']);
  expect(started.stdout).toMatch(/arn:aws:states:.*:execution:StepThenAllStateMachine:lattice-bake-me/);
  const bake = JSON.parse(readFileSync(join(projectRoot, '.local-aws', 'inputs', 'lattice-step-then-all.json'), 'utf8'));
  const bakeRoute = () => spawnSync(node, [join(projectRoot, 'cli', 'main.ts'), 'routes', '--input', '.local-aws/inputs/lattice-step-then-all.json', '--endpoint-url', endpoint()],
    { cwd: projectRoot, env, encoding: 'utf8', timeout: 60_000 }).stdout;
  const deadline = Date.now() + 60_000;
  while (!new RegExp(`demo-customer-v2 \\(${bake.canaryTargetGroup}\\)\\s+20\\s`).test(bakeRoute())) {
    if (Date.now() > deadline) throw new Error('the Lattice step-then-all deployment never gave the canary its 20%');
    await new Promise((r) => setTimeout(r, 500));
  }
  const aborted = cli(/^npx mesh-canary abort lattice-bake-me /);
  expect([aborted.status, aborted.stderr]).toEqual([0, '']);
  expect(aborted.stdout).toMatch(/aborted lattice-bake-me/);
  expect(bakeRoute()).toMatch(new RegExp(`demo-customer-v1 \\(${bake.stableTargetGroup}\\)\\s+100\\s`)); // the deployment undone
}, 180_000);

test('Ctrl-C stops everything: the process exits 0 and the endpoint no longer answers', async () => {
  const url = endpoint();
  sandbox!.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(url)).rejects.toThrow();
}, 60_000);

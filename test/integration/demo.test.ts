// `npm run demo` end to end: its own local AWS, the five stories on VPC Lattice and on App Mesh (hooks, traffic verification, the alarm path among them),
// the summary, a report each; --backend picks one; bad arguments are a usage error.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../support/fixtures.ts';

const projectNode = join(root, 'node_modules', '.bin', 'node');
const node = existsSync(projectNode) ? projectNode : process.execPath;

/** Runs scripts/demo.ts as `npm run demo [-- args]` would, with its own local AWS. */
async function demo(args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Its own local AWS and bundles; nothing from the test environment may point it elsewhere.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('MESH_CANARY_'))) as Record<string, string>;
  const child = spawn(node, [join(root, 'scripts', 'demo.ts'), ...args], { cwd: root, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, stderr };
}

const rows = (backend: string, first: number, v15: string, v2: string, orderV2: string) => [
  new RegExp(`${first}\\s+${backend}\\s+product → v1\\.5, linear\\s+promoted\\s+[\\d.]+ s\\s+${v15} 100\\s+yes`),
  new RegExp(`${first + 1}\\s+${backend}\\s+customer → v2, step-then-all\\s+promoted\\s+[\\d.]+ s\\s+${v2} 100\\s+yes`),
  new RegExp(`${first + 2}\\s+${backend}\\s+order → v2, held for approval\\s+promoted\\s+[\\d.]+ s\\s+${orderV2} 100\\s+yes`),
  // Caught by the alarm path: stopped with AlarmFired, its route back seconds after the alarm (the next verdict was 60 s away).
  new RegExp(`${first + 3}\\s+${backend}\\s+product → v2, a bad release\\s+rolled back \\(AlarmFired\\)\\s+[\\d.]+ s\\s+\\d\\.\\d s\\s+${v15} 100\\s+yes`),
  new RegExp(`${first + 4}\\s+${backend}\\s+product → v2, a hook says no\\s+rolled back \\(CanaryRolledBack\\)\\s+[\\d.]+ s\\s+${v15} 100\\s+yes`),
];

test('the demo replays the seed\'s story on VPC Lattice, then on App Mesh: every deployment ends as told, with a report each', async () => {
  const startedAt = Date.now();
  const { code, stdout, stderr } = await demo();

  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(/Summary\n\s+#\s+backend\s+deployment\s+outcome/);
  for (const row of [
    ...rows('VPC Lattice', 1, 'demo-product-v15', 'demo-customer-v2', 'demo-order-v2'),
    ...rows('App Mesh', 6, 'product-v15-vn', 'customer-v2-vn', 'order-v2-vn'),
  ]) expect(stdout).toMatch(row);
  expect(stdout).toContain('$ mesh-canary approve demo-3-order-v2-vn');
  expect(stdout).toContain('$ mesh-canary approve demo-lattice-3-order-v2');
  expect(stdout).toMatch(/real VPC Lattice settles about 90 s/);
  expect(stdout).toMatch(/route back at product-v15-vn 100 \d\.\d s after the alarm \(the alarm path; the next verdict was 60 s away\)/);
  // Hooks: the smoke test at every verdict; the share limit's failure is the rollback's reason.
  expect(stdout).toMatch(/verdict at 100%: pass → promote, hooks smoke pass/);
  expect(stdout).toMatch(/verdict at 75%: FAIL → rollback, hooks share-limit FAIL \(hook share-limit: the canary's share 75% is above 50%\)/);
  // Traffic verification: the lagging split holds the verdicts at 20% (inconclusive, the measured split as the reason), then it is verified.
  expect(stdout).toMatch(/verdict at 20%: inconclusive → wait \((canary customer-v2-vn has [\d.]+% of \d+ requests|\d+ requests?) since the shift settled/);
  expect(stdout).toMatch(/verdict at 20%: pass → (wait|promote)/);

  const names = ['demo-1-product-v15-vn', 'demo-2-customer-v2-vn', 'demo-3-order-v2-vn', 'demo-4-product-v2-vn', 'demo-5-product-v2-vn',
    'demo-lattice-1-product-v15', 'demo-lattice-2-customer-v2', 'demo-lattice-3-order-v2', 'demo-lattice-4-product-v2', 'demo-lattice-5-product-v2'];
  for (const name of names) {
    const path = join(root, 'reports', `${name}.svg`);
    expect(stdout).toContain(`reports/${name}.svg`);
    expect(statSync(path).mtimeMs).toBeGreaterThanOrEqual(startedAt);
    expect(readFileSync(path, 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
  }
  expect(readFileSync(join(root, 'reports', 'demo-4-product-v2-vn.svg'), 'utf8')).toContain('rolled back: alarm product-v2-vn-5xx went to ALARM');
  expect(readFileSync(join(root, 'reports', 'demo-3-order-v2-vn.svg'), 'utf8')).toContain('waiting for approval');
  expect(readFileSync(join(root, 'reports', 'demo-lattice-4-product-v2.svg'), 'utf8')).toContain('rolled back: alarm demo-product-v2-5xx went to ALARM');
  expect(readFileSync(join(root, 'reports', 'demo-lattice-3-order-v2.svg'), 'utf8')).toContain('waiting for approval');
});

test('--backend lattice replays the story on VPC Lattice only', async () => {
  const { code, stdout, stderr } = await demo(['--backend', 'lattice']);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  for (const row of rows('VPC Lattice', 1, 'demo-product-v15', 'demo-customer-v2', 'demo-order-v2')) expect(stdout).toMatch(row);
  expect(stdout).not.toMatch(/App Mesh\s+product/);
  expect(stdout).not.toContain('demo-1-product-v15-vn');
});

test('--help names --backend; an unknown backend or option is a one-line usage error, exit 2, nothing started', async () => {
  const help = await demo(['--help']);
  expect(help).toMatchObject({ code: 0, stderr: '' });
  expect(help.stdout).toMatch(/--backend appmesh\|lattice\s+replay the story on one backend only \(default: both\)/);
  for (const args of [['--backend', 'istio'], ['--backend=appmesh', '--backend', 'kuma'], ['--bakend', 'lattice']]) {
    const bad = await demo(args);
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 2, stdout: '' });
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/usage: npm run demo \[-- --backend appmesh\|lattice\]/);
  }
  expect((await demo(['--backend', 'istio'])).stderr).toMatch(/^unknown backend "istio": --backend is appmesh or lattice/);
});

// `npm run demo` end to end: its own local AWS, the four stories, the summary, a report each.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../support/fixtures.ts';

const projectNode = join(root, 'node_modules', '.bin', 'node');
const node = existsSync(projectNode) ? projectNode : process.execPath;

test('the demo replays the seed\'s story: every deployment ends as told, under a minute, with a report each', async () => {
  const startedAt = Date.now();
  // Its own local AWS and bundles; nothing from the test environment may point it elsewhere.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('MESH_CANARY_'))) as Record<string, string>;
  const child = spawn(node, [join(root, 'scripts', 'demo.ts')], { cwd: root, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const seconds = (Date.now() - startedAt) / 1000;

  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(seconds).toBeLessThan(60);
  expect(stdout).toMatch(/Summary\n\s+#\s+deployment\s+outcome/);
  for (const row of [
    /1\s+product → v1\.5, linear\s+promoted\s+[\d.]+ s\s+product-v15-vn 100\s+yes/,
    /2\s+customer → v2, step-then-all\s+promoted\s+[\d.]+ s\s+customer-v2-vn 100\s+yes/,
    /3\s+order → v2, held for approval\s+promoted\s+[\d.]+ s\s+order-v2-vn 100\s+yes/,
    /4\s+product → v2, a bad release\s+rolled back \(CanaryRolledBack\)\s+[\d.]+ s\s+product-v15-vn 100\s+yes/,
  ]) expect(stdout).toMatch(row);
  expect(stdout).toContain('$ mesh-canary approve demo-3-order-v2-vn');

  for (const name of ['demo-1-product-v15-vn', 'demo-2-customer-v2-vn', 'demo-3-order-v2-vn', 'demo-4-product-v2-vn']) {
    const path = join(root, 'reports', `${name}.svg`);
    expect(stdout).toContain(`reports/${name}.svg`);
    expect(statSync(path).mtimeMs).toBeGreaterThanOrEqual(startedAt);
    expect(readFileSync(path, 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
  }
  expect(readFileSync(join(root, 'reports', 'demo-4-product-v2-vn.svg'), 'utf8')).toContain('rolled back: alarm product-v2-vn-5xx is ALARM');
  expect(readFileSync(join(root, 'reports', 'demo-3-order-v2-vn.svg'), 'utf8')).toContain('waiting for approval');
});

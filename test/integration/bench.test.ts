// `npm run bench -- --quick` (one run of each figure) must run to completion and print every
// figure. It asserts nothing about the figures' values: performance is measured by the bench,
// not by tests. Its output is shown only when this test fails.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listFunctions, projectRoot } from '../../local/template.ts';
import { benchFigures } from '../../scripts/bench-figures.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function runQuickBench(): Promise<{ code: number | null; output: string }> {
  // The Node that runs .ts files (package.json's "node" devDependency), as `npm run bench` would.
  const local = join(projectRoot, 'node_modules', '.bin', 'node');
  const node = existsSync(local) ? local : process.execPath;
  return new Promise((resolve, reject) => {
    const child = spawn(node, [join(projectRoot, 'scripts', 'bench.ts'), '--quick'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('npm run bench -- --quick completes and prints every figure with a number', async () => {
  const { code, output } = await runQuickBench();
  const shown = `bench output:\n${output}`;
  if (code !== 0) throw new Error(`the quick bench exited ${code}\n${shown}`);
  const labels = [...listFunctions().map((f) => f.logicalId), ...Object.values(benchFigures)];
  const missing = labels.filter((label) => !new RegExp(`^\\s*${escape(label)}\\s+\\d+(\\.\\d+)?`, 'm').test(output));
  if (missing.length) throw new Error(`no figure printed for: ${missing.join('; ')}\n${shown}`);
  // The 20-against-1 figure is a ratio.
  expect(output).toMatch(new RegExp(`^\\s*${escape(benchFigures.fleetTogether)}\\s+\\d+(\\.\\d+)? s\\s+\\d+(\\.\\d+)?x`, 'm'));
}, 900_000);

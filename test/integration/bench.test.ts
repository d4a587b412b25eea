// `npm run bench -- --quick` (one run of each figure, 4 deployments together instead of 20) must
// run to completion and print every figure. It asserts nothing about the figures' values:
// performance is measured by the bench, not by tests. Its output is shown only when this test fails.
// Without the AWS CLI, the seed figure (and the speed-ups against it) must say "skipped: <reason>",
// the reason being the one awsCliMissing gives on this machine; with it, every figure is a number.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listFunctions, projectRoot } from '../../local/template.ts';
import { awsCliMissing, figureLabels, missingFigures, QUICK_FLEET } from '../../scripts/bench-figures.ts';

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
  expect(output).toContain(`quick: one run of each figure, ${QUICK_FLEET} deployments together`);
  const labels = [...listFunctions().map((f) => f.logicalId), ...figureLabels(QUICK_FLEET)];
  const missing = missingFigures(output, labels, QUICK_FLEET, awsCliMissing());
  if (missing.length) throw new Error(`no figure printed for: ${missing.join('; ')}\n${shown}`);
}, 600_000);

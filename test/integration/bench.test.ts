// `npm run bench -- --quick` (one run of each figure, 4 deployments together instead of 20) must
// run to completion and print every figure. It asserts nothing about the figures' values:
// performance is measured by the bench, not by tests. Its output is shown only when this test fails.
// Without a working AWS CLI, the seed figures (App Mesh's and VPC Lattice's) must say "skipped: <reason>"
// (the reasons awsCliMissing and awsCliLatticeMissing give) and the speed-ups against them "skipped:
// no seed figure"; the second test shows it with an
// `aws` on PATH that does not run (a quick bench takes about 25 s on an idle 2-core machine).
// Figure 2c (one step on 1, 2 and 5 routes) must print each row with its three medians and the
// ratio against its target (missingRouteStepFigures), whatever the ratio.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { listFunctions, projectRoot } from '../../local/template.ts';
import {
  awsCliLatticeMissing, awsCliMissing, figureLabels, missingFigures, missingRouteStepFigures, NO_SEED, QUICK_FLEET,
} from '../../scripts/bench-figures.ts';

const labels = () => [...listFunctions().map((f) => f.logicalId), ...figureLabels(QUICK_FLEET)];

/** The bench as a user runs it: with the local AWS's defaults (events delivered), not the integration suite's (events off). */
const userEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'MESH_CANARY_EVENTS'));

function runQuickBench(env: NodeJS.ProcessEnv = userEnv()): Promise<{ code: number | null; output: string }> {
  // The Node that runs .ts files (package.json's "node" devDependency), as `npm run bench` would.
  const local = join(projectRoot, 'node_modules', '.bin', 'node');
  const node = existsSync(local) ? local : process.execPath;
  return new Promise((resolve, reject) => {
    const child = spawn(node, [join(projectRoot, 'scripts', 'bench.ts'), '--quick'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const missing = [...missingFigures(output, labels(), QUICK_FLEET, awsCliMissing(), awsCliLatticeMissing()), ...missingRouteStepFigures(output)];
  if (missing.length) throw new Error(`no figure printed for: ${missing.join('; ')}\n${shown}`);
  expect(output).toMatch(/^2c\. One step on 1, 2, 5 routes: .*median of 10$/m);
}, 600_000);

test('without a working AWS CLI the quick bench still completes: the seed figure and its speed-ups say skipped', async () => {
  // An `aws` first on PATH that fails as a pyenv shim without the CLI does.
  const bin = mkdtempSync(join(tmpdir(), 'bench-no-aws-'));
  try {
    writeFileSync(join(bin, 'aws'), '#!/bin/sh\necho "aws: command not found (bench.test.ts)" >&2\nexit 127\n');
    chmodSync(join(bin, 'aws'), 0o755);
    const env = { ...userEnv(), PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
    const reason = awsCliMissing(env);
    expect(reason).toBe('aws --version exited 127: aws: command not found (bench.test.ts)');
    expect(awsCliLatticeMissing(env)).toBe(reason);
    const { code, output } = await runQuickBench(env);
    const shown = `bench output:\n${output}`;
    if (code !== 0) throw new Error(`the quick bench exited ${code}\n${shown}`);
    const missing = [...missingFigures(output, labels(), QUICK_FLEET, reason, reason), ...missingRouteStepFigures(output)];
    if (missing.length) throw new Error(`no figure printed for: ${missing.join('; ')}\n${shown}`);
    // cold, warm, in an execution, weights already set, on App Mesh and on Lattice: no speed-up without the seed.
    expect(output.split(NO_SEED).length - 1).toBe(8);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}, 600_000);

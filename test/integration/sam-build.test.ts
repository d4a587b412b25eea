// `sam build`, step by step as its esbuild builder takes them (aws-lambda-builders
// nodejs_npm_esbuild): copy the project to a scratch folder without node_modules, install the
// production dependencies there with the builder's own npm command, find esbuild in that copy's
// node_modules/.bin (PATH left out, so only the project can provide it), run it with the
// arguments SAM derives in the copy, and compare with the bundles `npm run build` makes, built
// here into a folder of this test's own (dist/ may be rebuilt meanwhile by a `npm run sandbox`
// or `npm run local-aws` running beside the tests).
// Offline: npm answers from its cache, which `npm ci` filled.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { listFunctions, projectRoot } from '../../local/template.ts';
import { buildFunctions, esbuildArgs, findEsbuild, runEsbuild } from '../../scripts/build.ts';

// The builder's EXCLUDED_FILES, plus this project's generated folders (not inputs of a build).
const excluded = new Set(['.aws-sam', '.git', 'node_modules', 'dist', '.local-aws', '.venv', 'coverage', 'reports']);

let scratch: string;
let reference: string;
// Generous: copying the project and an offline npm install take well under a minute alone, but
// several times that on a 2-core machine running other tests.
beforeAll(async () => {
  reference = mkdtempSync(join(tmpdir(), 'sam-build-reference-'));
  await buildFunctions(reference);
  scratch = mkdtempSync(join(tmpdir(), 'sam-build-'));
  cpSync(projectRoot, scratch, {
    recursive: true,
    filter: (src) => !relative(projectRoot, src).split(sep).some((part) => excluded.has(part)),
  });
  // NodejsNpmInstallAction: `npm install -q --no-audit --no-save --unsafe-perm --omit=dev` (+ --offline here).
  try {
    execFileSync('npm', ['install', '-q', '--no-audit', '--no-save', '--unsafe-perm', '--omit=dev', '--offline', '--no-fund'],
      { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error: any) {
    throw new Error(`npm install --omit=dev --offline failed in the copy (run \`npm ci\` first to fill npm's cache):\n${error.stderr}`);
  }
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (reference) rmSync(reference, { recursive: true, force: true });
});

test('esbuild is in the copy\'s node_modules/.bin after installing production dependencies only', () => {
  expect(findEsbuild(scratch, '')).toBe(join(scratch, 'node_modules', '.bin', 'esbuild'));
  // and no devDependency came with it
  expect(() => readFileSync(join(scratch, 'node_modules', 'jest', 'package.json'))).toThrow();
});

test('every function bundle sam build would make is byte-identical to the one npm run build makes', async () => {
  const esbuild = findEsbuild(scratch, '');
  for (const fn of listFunctions()) {
    const copy = { ...fn, codeUri: join(scratch, relative(projectRoot, fn.codeUri)) };
    const artifacts = join(scratch, '.aws-sam', 'build', fn.logicalId);
    await runEsbuild(esbuild, esbuildArgs(copy, artifacts), copy.codeUri);
    const theirs = readFileSync(join(artifacts, `${fn.handlerModule}.js`));
    const ours = readFileSync(join(reference, fn.logicalId, `${fn.handlerModule}.js`));
    expect([fn.logicalId, theirs.equals(ours)]).toEqual([fn.logicalId, true]);
  }
}, 300_000);

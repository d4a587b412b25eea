// The CLI as an operator gets it outside this repository: `npm pack` (which builds lib/cli.mjs),
// the tarball installed into a scratch folder with its runtime dependencies only, and its
// mesh-canary run from that folder on the oldest Node package.json "engines" allows (the system
// `node`, or MESH_CANARY_OLDEST_NODE) and on the project's Node 24: --help, and a `start --wait`
// against the local AWS that finds the stack through the folder's own samconfig.toml.
// Offline: npm answers from its cache, which `npm ci` filled.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { alarm, demoMesh, routeNow, stack, unique } from '../support/executions.ts';
import { root } from '../support/fixtures.ts';

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const oldestMajor = Number(/^>=(\d+)/.exec(manifest.engines.node)![1]);

/** The first `node` on PATH outside a node_modules folder: the machine's own Node. */
function systemNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    try {
      accessSync(join(dir, 'node'), constants.X_OK);
      return join(dir, 'node');
    } catch { /* next */ }
  }
  return undefined;
}

const nodes = {
  oldest: process.env.MESH_CANARY_OLDEST_NODE ?? systemNode() ?? 'node',
  project: join(root, 'node_modules', '.bin', 'node'),
};

let scratch: string;
let app: string; // where the operator installed the package
let bin: string;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

/** Every AWS_* variable dropped: the CLI gets its region and stack from samconfig.toml and flags. */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))) as Record<string, string>;

interface Run { code: number | null; stdout: string; stderr: string }

function exec(command: string, args: string[], cwd: string): Promise<Run> {
  const child = spawn(command, args, { cwd, env: cleanEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

/**
 * The AWS SDK's own notice on Node < 22 (SDK versions published after early January 2027 need
 * Node 22), printed once a client is made: the operator sees it; the assertions look past it.
 */
const sdkNodeNotice = /^\(node:\d+\) Warning: NodeVersionSupportWarning: [\s\S]*?\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n/m;

/** The installed mesh-canary, run by one Node, from `cwd`. */
const meshCanary = (node: string, args: string[], cwd = app) => exec(node, [bin, ...args], cwd);

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'mesh-canary-packed-'));
  const tarballs = join(scratch, 'tarballs');
  app = join(scratch, 'app');
  mkdirSync(tarballs);
  mkdirSync(app);
  const pack = await run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: root, encoding: 'utf8' }).catch((e) => {
    throw new Error(`npm pack failed:\n${e.stderr}`);
  });
  [packed] = JSON.parse(pack.stdout);
  writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tarballs, packed.filename)], { cwd: app, encoding: 'utf8' }).catch((e) => {
    throw new Error(`npm install of the packed tarball failed:\n${e.stderr}`);
  });
  bin = join(app, 'node_modules', '.bin', 'mesh-canary');
  // As `sam deploy` left it in the operator's project: the stack's name and region.
  writeFileSync(join(app, 'samconfig.toml'), `version = 0.1\n[default.deploy.parameters]\nstack_name = "${stack().stackName}"\nregion = "${process.env.AWS_REGION}"\n`);
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the tarball ships the bin, the built CLI, README and package.json only, and installs with runtime dependencies only', () => {
  expect(packed.files.map((f) => f.path).sort()).toEqual(['README.md', 'bin/mesh-canary.js', 'lib/cli.mjs', 'package.json']);
  expect(packed.unpackedSize).toBeLessThan(400_000);
  const installed = join(app, 'node_modules');
  for (const dependency of Object.keys(manifest.dependencies)) expect([dependency, existsSync(join(installed, dependency))]).toEqual([dependency, true]);
  for (const dev of Object.keys(manifest.devDependencies)) expect([dev, existsSync(join(installed, dev))]).toEqual([dev, false]);
});

test(`the oldest Node the package allows is the one tested (engines: ${manifest.engines.node})`, async () => {
  const { stdout } = await run(nodes.oldest, ['--version'], { encoding: 'utf8' });
  expect(`${nodes.oldest}: ${stdout.trim().replace(/\.\d+\.\d+$/, '')}`).toBe(`${nodes.oldest}: v${oldestMajor}`);
});

describe.each(Object.entries(nodes))('installed, on the %s Node', (_, node) => {
  test('--help tells where it looks for its defaults; --version is the package\'s; a usage error is still one', async () => {
    const help = await meshCanary(node, ['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: mesh-canary <command> \[options\]$/m);
    expect(help.stdout).toContain('--stack-name NAME   the mesh-canary stack whose outputs name the state machines (default: stack_name in ./samconfig.toml, else mesh-canary)');
    expect(help.stdout).toContain('./samconfig.toml: the file `sam deploy` reads, in the current directory only');
    expect(await meshCanary(node, ['--version'])).toEqual({ code: 0, stdout: `mesh-canary ${manifest.version}\n`, stderr: '' });
    const usage = await meshCanary(node, ['start', 'linear']);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toContain('--input FILE is required');
  });
});

test('start --wait from the install folder, on both Nodes at once: stack and region from its samconfig.toml, promoted, exit 0', async () => {
  await Promise.all(Object.entries(nodes).map(async ([which, node]) => {
    const mesh = await demoMesh('packed');
    const input = join(app, `${unique('release')}.json`);
    writeFileSync(input, JSON.stringify({ ...mesh, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 1 }, healthChecks: { alarms: { names: [await alarm()] } } }));
    const r = await meshCanary(node, ['start', 'linear', '--input', input, '--name', unique(`packed-${which}`), '--wait', '--poll-interval', '0.2', '--endpoint-url', process.env.AWS_ENDPOINT_URL!]);
    expect({ which, stderr: r.stderr.replace(sdkNodeNotice, '') }).toEqual({ which, stderr: '' });
    expect(r.stdout).toContain('canary at 50%: product-vn 50, product-v15-vn 50');
    expect({ which, outcome: r.stdout.trimEnd().split('\n').at(-1), code: r.code }).toEqual({ which, outcome: 'outcome: promoted (SUCCEEDED, exit 0)', code: 0 });
    expect((await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: 'product-v15-vn', weight: 100 }]);
  }));
});

test('another folder\'s samconfig.toml names another stack and region: the CLI looks there, exit 3, nothing started', async () => {
  const elsewhere = join(scratch, 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'samconfig.toml'), '[default.global.parameters]\nstack_name = "no-such-stack"\n[default.deploy.parameters]\nregion = "eu-west-3"\n');
  const mesh = await demoMesh('packed');
  const input = join(elsewhere, 'release.json');
  writeFileSync(input, JSON.stringify({ ...mesh, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 1 }, healthChecks: { alarms: { names: ['checkout-5xx'] } } }));
  const r = await meshCanary(nodes.oldest, ['start', 'linear', '--input', input, '--endpoint-url', process.env.AWS_ENDPOINT_URL!], elsewhere);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain(`no stack named no-such-stack in eu-west-3 at ${process.env.AWS_ENDPOINT_URL}`);
  expect((await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 100 }]);
});

test('the bin runs by its shebang; in the checkout it runs the TypeScript source, and says what Node that needs', async () => {
  expect(await exec(bin, ['--version'], app)).toMatchObject({ code: 0, stdout: `mesh-canary ${manifest.version}\n` });
  const checkoutBin = join(root, manifest.bin['mesh-canary']);
  expect(await exec(nodes.project, [checkoutBin, '--version'], root)).toMatchObject({ code: 0, stdout: `mesh-canary ${manifest.version}\n` });
  // lib/cli.mjs exists now (npm pack built it) and runs on the oldest Node, but a checkout never runs a stale build.
  const refused = await exec(nodes.oldest, [checkoutBin, '--version'], root);
  expect(refused).toMatchObject({ code: 3, stdout: '' });
  expect(refused.stderr).toContain('in a checkout the CLI runs from its TypeScript source, which needs Node >= 22.18');
});

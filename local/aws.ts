// The project's local AWS: moto (patched by local/moto_launcher.py) behind the local Lambda
// front (local/front.ts), which runs the real function bundles. Clients use one endpoint:
//
//   client ──▶ front :B ──┬─ Lambda Invoke ──▶ handler from <buildDir>/<LogicalId>/index.js
//                         └─ everything else ─▶ moto :A
//   moto's Step Functions interpreter ── Lambda Invoke ──▶ localhost:$MOTO_PORT = front :B
//   moto's EventBridge (alarm / execution status events, see moto_launcher.py) ── rule with a
//     Lambda target ── async Invoke (Event) ──▶ front :B (retries, OnFailure destination)
//
// This module imports nothing from the project so that Jest tests (transformed to CommonJS,
// where import.meta is empty) can start their own instance too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface LocalAwsOptions {
  /** Where the function bundles are (default: the project's dist/, as scripts/build.ts writes it). */
  buildDir?: string;
  /** Default us-east-1. */
  region?: string;
  /** Send the handlers' logs to .local-aws/lambda.log instead of this process's stdout/stderr. */
  quiet?: boolean;
  /** Faults to inject into proxied AWS calls from the start (see FaultConfig in local/front.ts). */
  faults?: { rate: number; kinds?: ('throttle' | 'error' | 'latency')[]; latencyMs?: number; services?: string[] };
  /**
   * Service events, as on AWS (default true): CloudWatch alarm state changes and Step Functions
   * execution status changes go to the default event bus, and rules with Lambda targets (the
   * template's, see local/stack.ts) invoke them asynchronously. false: nothing is emitted and no
   * Lambda target is invoked, for tests that drive the functions by hand. Default: true, unless
   * MESH_CANARY_EVENTS=0.
   */
  events?: boolean;
  /**
   * Milliseconds before each retry of a failed asynchronous invocation (default [500, 1000];
   * Lambda waits about 1 and 2 minutes). Also MESH_CANARY_ASYNC_RETRY_DELAYS_MS="500,1000".
   */
  asyncRetryDelaysMs?: number[];
}

export interface LocalAws {
  /** The front's URL: what every client uses (AWS_ENDPOINT_URL). */
  endpoint: string;
  /** moto itself, bypassing the front (no Lambda there). */
  motoEndpoint: string;
  region: string;
  /** moto's default account. */
  accountId: string;
  /** Whether service events are emitted and delivered (LocalAwsOptions.events). */
  events: boolean;
  functionArn(logicalId: string): string;
  /** AWS_ENDPOINT_URL, AWS_REGION, fake credentials: for child processes and SDK clients. */
  env: Record<string, string>;
  /** Kills moto and the front and waits until both are gone. Safe to call twice. */
  stop(): Promise<void>;
}

const MOTO_VERSION = '5.2.1';
const INSTALL_HINT = `python3 -m pip install "moto[server]==${MOTO_VERSION}"`;
const ACCOUNT_ID = '123456789012';
const STARTUP_TIMEOUT_MS = 10_000;

// __dirname exists when a Jest test loads this file as CommonJS; import.meta when Node runs it.
const localDir = typeof __dirname === 'string' ? __dirname : import.meta.dirname;
const projectRoot = resolve(localDir, '..');
const logDir = join(projectRoot, '.local-aws');

export class LocalAwsError extends Error {
  override name = 'LocalAwsError';
}

// --------------------------------------------------------------------------------- python

function motoVersion(python: string): { version?: string; problem?: string } {
  const probe = spawnSync(python, ['-c', 'import moto, flask; print(moto.__version__)'], { encoding: 'utf8' });
  if (probe.error) return { problem: `${python} cannot be run (${probe.error.message})` };
  if (probe.status !== 0) return { problem: `${python} cannot import moto[server]: ${probe.stderr.trim().split('\n').at(-1)}` };
  return { version: probe.stdout.trim() };
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((done) => {
    // pip's progress goes to our stderr: a one-time install should not look like a hang.
    const child = spawn(command, args, { stdio: ['ignore', 2, 2] });
    child.on('error', () => done(-1));
    child.on('exit', (code) => done(code ?? -1));
  });
}

/**
 * MESH_CANARY_PYTHON, else the project's .venv, else python3. When none has moto, makes
 * .venv and installs moto there (needs PyPI); failing that, says how to install it.
 */
export async function findPython(): Promise<string> {
  const chosen = process.env.MESH_CANARY_PYTHON;
  const venvPython = join(projectRoot, '.venv', 'bin', 'python');
  const python = chosen || (existsSync(venvPython) ? venvPython : 'python3');
  const found = motoVersion(python);
  if (found.version) {
    if (found.version !== MOTO_VERSION) {
      console.warn(`local AWS: ${python} has moto ${found.version}; the launcher's patches were written for ${MOTO_VERSION} (${INSTALL_HINT})`);
    }
    return python;
  }
  if (chosen) {
    throw new LocalAwsError(`MESH_CANARY_PYTHON: ${found.problem}. Install moto with: ${chosen} -m pip install "moto[server]==${MOTO_VERSION}"`);
  }
  console.warn(`local AWS: ${found.problem}; installing moto[server]==${MOTO_VERSION} into ${join(projectRoot, '.venv')}`);
  const createdVenv = !existsSync(venvPython);
  if (createdVenv && (await run('python3', ['-m', 'venv', join(projectRoot, '.venv')])) !== 0) {
    throw new LocalAwsError(`moto is not installed and python3 -m venv .venv failed. Install moto with: ${INSTALL_HINT}`);
  }
  const pip = await run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', '--timeout', '15',
    `moto[server]==${MOTO_VERSION}`]);
  const installed = pip === 0 ? motoVersion(venvPython) : {};
  if (!installed.version) {
    // An empty venv would shadow python3 on the next run.
    if (createdVenv) rmSync(join(projectRoot, '.venv'), { recursive: true, force: true });
    throw new LocalAwsError(`moto ${MOTO_VERSION} is not installed (${found.problem}) and installing it into .venv failed. ` +
      `Install it with: ${INSTALL_HINT}  (or set MESH_CANARY_PYTHON to a Python that has it)`);
  }
  return venvPython;
}

// ------------------------------------------------------------------------------ processes

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.on('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

/** Appends to .local-aws/<name>.log (several instances may share it); returns fd and start offset. */
function openLog(name: string, banner: string): { path: string; fd: number; offset: number } {
  mkdirSync(logDir, { recursive: true });
  const path = join(logDir, `${name}.log`);
  const big = existsSync(path) && statSync(path).size > 20 * 1024 * 1024;
  const fd = openSync(path, big ? 'w' : 'a');
  const offset = statSync(path).size;
  writeSync(fd, `\n===== ${new Date().toISOString()} ${banner}\n`);
  return { path, fd, offset };
}

function readLog(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8').trim().split('\n').slice(-40).join('\n');
  } catch {
    return '';
  }
}

/** The Node that runs front.ts must strip TypeScript types (Node >= 22.18). */
function nodeForTypeScript(): string {
  if (process.features.typescript) return process.execPath;
  const projectNode = join(projectRoot, 'node_modules', '.bin', 'node');
  if (existsSync(projectNode)) return projectNode;
  throw new LocalAwsError(`local/front.ts needs a Node that runs TypeScript (>= 22.18); ${process.execPath} is ${process.version}`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited(child);
  clearTimeout(timer);
}

// Children of every running instance, killed if this process exits or is interrupted
// without stop(). Each child also watches a pipe to us (stdin / IPC), which covers SIGKILL.
const running = new Set<ChildProcess>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAllNow(): void {
  for (const child of running) child.kill('SIGKILL');
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  unwatchParent();
  // Nobody else handles this signal: behave as if we had not been listening (exit).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function watchParent(): void {
  if (process.listeners('exit').includes(killAllNow)) return;
  process.on('exit', killAllNow);
  for (const signal of signals) process.on(signal, onSignal);
}

function unwatchParent(): void {
  process.off('exit', killAllNow);
  for (const signal of signals) process.off(signal, onSignal);
}

function track(child: ChildProcess): void {
  running.add(child);
  watchParent();
  child.once('exit', () => {
    running.delete(child);
    if (running.size === 0) unwatchParent();
  });
  // A forgotten stop() must not keep the caller alive; the 'exit' hook still kills these.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  (child.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
}

async function waitForMoto(url: string, moto: ChildProcess, log: { path: string; offset: number }): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (moto.exitCode !== null || moto.signalCode !== null) {
      throw new LocalAwsError(`moto exited during startup (${moto.exitCode ?? moto.signalCode}):\n${readLog(log.path, log.offset)}`);
    }
    try {
      const res = await fetch(`${url}/moto-api/config`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new LocalAwsError(`moto did not answer on ${url} within ${STARTUP_TIMEOUT_MS / 1000} s:\n${readLog(log.path, log.offset)}`);
}

function waitForFront(front: ChildProcess, describeOutput: () => string): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new LocalAwsError(`the Lambda front did not start within ${STARTUP_TIMEOUT_MS / 1000} s${describeOutput()}`)),
      STARTUP_TIMEOUT_MS);
    front.once('message', () => { clearTimeout(timer); done(); });
    front.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new LocalAwsError(`the Lambda front exited during startup (${code ?? signal})${describeOutput()}`));
    });
  });
}

// ---------------------------------------------------------------------------------- start

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const region = options.region ?? 'us-east-1';
  // MESH_CANARY_EVENTS=0 changes only the default: the integration suite's global setup sets it so
  // that every local AWS its tests start (and their child processes) drives the functions by hand.
  const events = options.events ?? process.env.MESH_CANARY_EVENTS !== '0';
  const buildDir = resolve(options.buildDir ?? join(projectRoot, 'dist'));
  const python = await findPython();
  const node = nodeForTypeScript();
  const [motoPort, frontPort] = await Promise.all([freePort(), freePort()]);
  const motoEndpoint = `http://127.0.0.1:${motoPort}`;
  const endpoint = `http://127.0.0.1:${frontPort}`;
  const banner = `moto ${motoEndpoint}, front ${endpoint}, parent pid ${process.pid}`;

  // Nothing a child inherits from the developer's shell may point it at real AWS.
  const baseEnv = Object.fromEntries(Object.entries(process.env)
    .filter(([key]) => !key.startsWith('AWS_ENDPOINT_URL') && key !== 'AWS_PROFILE')) as Record<string, string>;
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
  };

  const motoLog = openLog('moto', banner);
  const moto = spawn(python, [join(localDir, 'moto_launcher.py'), '--exit-with-stdin', '-H', '127.0.0.1', '-p', String(motoPort)], {
    cwd: projectRoot,
    // MOTO_PORT is where moto's Step Functions interpreter sends Lambda calls: the front.
    env: { ...baseEnv, MOTO_PORT: String(frontPort), PYTHONUNBUFFERED: '1', MESH_CANARY_EVENTS: events ? '1' : '0' },
    stdio: ['pipe', motoLog.fd, motoLog.fd],
  });
  closeSync(motoLog.fd);
  track(moto);

  const frontLog = options.quiet ? openLog('lambda', banner) : undefined;
  const front = spawn(node, [join(localDir, 'front.ts'), '--port', String(frontPort), '--moto-url', motoEndpoint,
    '--build-dir', buildDir, '--region', region, ...(options.faults ? ['--faults', JSON.stringify(options.faults)] : []),
    ...(options.asyncRetryDelaysMs ? ['--async-retry-delays', options.asyncRetryDelaysMs.join(',')] : [])], {
    cwd: projectRoot,
    env: { ...baseEnv, ...env },
    stdio: ['ignore', frontLog?.fd ?? 'inherit', frontLog?.fd ?? 'inherit', 'ipc'],
  });
  if (frontLog) closeSync(frontLog.fd);
  track(front);

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= Promise.all([terminate(moto), terminate(front)]).then(() => undefined));
  try {
    await Promise.all([
      waitForMoto(motoEndpoint, moto, motoLog),
      waitForFront(front, () => (frontLog ? `:\n${readLog(frontLog.path, frontLog.offset)}` : ' (its output is above)')),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  // The launcher keeps going when a patch does not apply to this moto: say so here.
  for (const line of readLog(motoLog.path, motoLog.offset).split('\n')) {
    if (line.startsWith('moto_launcher: WARNING')) console.warn(`local AWS: ${line}`);
  }

  return {
    endpoint,
    motoEndpoint,
    region,
    accountId: ACCOUNT_ID,
    events,
    functionArn: (logicalId) => `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${logicalId}`,
    env,
    stop,
  };
}

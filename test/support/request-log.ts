// The request log of an integration run: every AWS request each function made, one JSON line
// each, written by local/front.ts (MESH_CANARY_REQUEST_LOG) and read by the IAM contract check.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RecordedRequest } from '../../local/front.ts';

export type { RecordedRequest };

// __dirname when Jest loads this as CommonJS; import.meta when Node runs it (global-setup.mjs).
const here = typeof __dirname === 'string' ? __dirname : import.meta.dirname;
export const requestLogPath = join(resolve(here, '..', '..'), '.local-aws', 'requests.jsonl');
/** Whether the integration run that writes the log finished: {startedAt, finishedAt?}. */
const runStatePath = `${requestLogPath}.run.json`;

/** Empties the log for a new integration run (its globalSetup). */
export function startRequestLog(): void {
  mkdirSync(dirname(requestLogPath), { recursive: true });
  writeFileSync(requestLogPath, '');
  writeFileSync(runStatePath, JSON.stringify({ startedAt: new Date().toISOString() }));
}

/** Marks the run finished (its globalTeardown): the log is whole. */
export function finishRequestLog(): void {
  if (!existsSync(runStatePath)) return;
  writeFileSync(runStatePath, JSON.stringify({ ...JSON.parse(readFileSync(runStatePath, 'utf8')), finishedAt: new Date().toISOString() }));
}

export class NoRequestLog extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoRequestLog';
  }
}

/** The bundles the integration project builds (scripts/build.ts → dist/) and runs its tests on. */
export const integrationBuildDir = join(resolve(here, '..', '..'), 'dist');

/**
 * The requests the project's own function bundles made. Some tests run other code under a
 * function's name (test/integration/local-aws.test.ts's fixture bundles) or a second copy of the
 * bundles (the demo); only the integration build's requests are the functions' contract.
 */
export function readRequestLog(path = requestLogPath, buildDir = integrationBuildDir): RecordedRequest[] {
  const rerun = 'Run the integration tests first (npm run test:integration, or npm test, which runs them before the contract check)';
  if (!existsSync(path)) throw new NoRequestLog(`no request log at ${path}: the IAM contract check evaluates the AWS requests the functions made during an integration run. ${rerun}`);
  const state = path === requestLogPath && existsSync(runStatePath) ? JSON.parse(readFileSync(runStatePath, 'utf8')) : undefined;
  if (state && !state.finishedAt) throw new NoRequestLog(`the integration run that began writing ${path} at ${state.startedAt} has not finished (it is still running, or was cut short), so the log may lack requests. ${rerun}`);
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  if (lines.length === 0) throw new NoRequestLog(`the request log ${path} is empty: no function made an AWS request through the local AWS. ${rerun}`);
  const records = lines.map((line, i) => {
    try {
      return JSON.parse(line) as RecordedRequest;
    } catch {
      throw new NoRequestLog(`${path}:${i + 1} is not a JSON line (a run cut short?). ${rerun}`);
    }
  });
  const own = records.filter((r) => r.buildDir === buildDir);
  if (own.length === 0) throw new NoRequestLog(`the request log ${path} has no request from the bundles in ${buildDir}. ${rerun}`);
  return own;
}

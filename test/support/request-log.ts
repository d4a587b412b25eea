// The request log of an integration run: every AWS request each function made, one JSON line
// each, written by local/front.ts (MESH_CANARY_REQUEST_LOG) and read by the IAM contract check.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RecordedRequest } from '../../local/front.ts';

export type { RecordedRequest };

/** local/front.ts's tag for a request function code made outside any invocation (the same literal). */
export const UNATTRIBUTED = '(unattributed)';

// __dirname when Jest loads this as CommonJS; import.meta when Node runs it (global-setup.mjs).
const here = typeof __dirname === 'string' ? __dirname : import.meta.dirname;
export const requestLogPath = join(resolve(here, '..', '..'), '.local-aws', 'requests.jsonl');
/**
 * The run that wrote the log: {startedAt, finishedAt?, filters}. filters lists what narrowed the
 * run (test path patterns, a test name pattern, --onlyChanged, --shard, ...): such a run did not
 * make every request, so the contract refuses it.
 */
const runStatePath = `${requestLogPath}.run.json`;

/** What of Jest's globalConfig narrows a run to some of its tests, as readable flags (none: a whole run). */
export function runFilters(globalConfig: any = {}): string[] {
  const out: string[] = [];
  const paths: string[] = globalConfig.testPathPatterns?.patterns ?? (Array.isArray(globalConfig.testPathPatterns) ? globalConfig.testPathPatterns : []);
  if (paths.length) out.push(`test path patterns ${paths.join(' ')}`);
  if (globalConfig.testNamePattern) out.push(`test name pattern (-t) ${globalConfig.testNamePattern}`);
  for (const flag of ['onlyChanged', 'onlyFailures', 'findRelatedTests', 'lastCommit']) if (globalConfig[flag]) out.push(`--${flag}`);
  if (globalConfig.changedSince) out.push(`--changedSince ${globalConfig.changedSince}`);
  if (globalConfig.shard) out.push(`--shard ${globalConfig.shard.shardIndex}/${globalConfig.shard.shardCount}`);
  return out;
}

/** Empties the log for a new integration run (its globalSetup), noting what filtered the run. */
export function startRequestLog(filters: string[] = []): void {
  mkdirSync(dirname(requestLogPath), { recursive: true });
  writeFileSync(requestLogPath, '');
  writeFileSync(runStatePath, JSON.stringify({ startedAt: new Date().toISOString(), filters }));
}

/** Notes how many integration test files failed (a reporter: globalTeardown is given no results). */
export function noteRequestLogFailures(failedFiles: string[]): void {
  if (!existsSync(runStatePath)) return;
  writeFileSync(runStatePath, JSON.stringify({ ...JSON.parse(readFileSync(runStatePath, 'utf8')), failedFiles }));
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
  const statePath = `${path}.run.json`; // runStatePath for the default log
  const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : undefined;
  if (state && !state.finishedAt) throw new NoRequestLog(`the integration run that began writing ${path} at ${state.startedAt} has not finished (it is still running, or was cut short), so the log may lack requests. ${rerun}`);
  if (state && state.filters === undefined) throw new NoRequestLog(`${statePath} does not say whether the integration run of ${state.startedAt} was filtered (written by an older test/support/global-setup.mjs). ${rerun}`);
  // Unknown (undefined) when Jest ran without the config's reporters (--reporters replaces them).
  if (state?.failedFiles?.length) {
    throw new NoRequestLog(`the integration run of ${state.startedAt} had failures (${state.failedFiles.join(', ')}), so it may not have made every request the functions make. `
      + `Fix them and run the integration tests again: npm run test:integration, then npm run test:contract (or npm test)`);
  }
  if (state?.filters?.length) {
    throw new NoRequestLog(`the integration run of ${state.startedAt} was filtered (${state.filters.join('; ')}), so it did not make every request the functions make: `
      + `the contract checks only a whole run. Run all the integration tests without a test path or name filter: npm run test:integration, then npm run test:contract (or npm test)`);
  }
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

// The request log of an integration run: every AWS request each function made, one JSON line
// each, written by local/front.ts (MESH_CANARY_REQUEST_LOG) and read by the IAM contract check.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RecordedRequest } from '../../local/front.ts';

export type { RecordedRequest };

// __dirname when Jest loads this as CommonJS; import.meta when Node runs it (global-setup.mjs).
const here = typeof __dirname === 'string' ? __dirname : import.meta.dirname;
export const requestLogPath = join(resolve(here, '..', '..'), '.local-aws', 'requests.jsonl');

export class NoRequestLog extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoRequestLog';
  }
}

export function readRequestLog(path = requestLogPath): RecordedRequest[] {
  const rerun = 'Run the integration tests first (npm run test:integration, or npm test, which runs them before the contract check)';
  if (!existsSync(path)) throw new NoRequestLog(`no request log at ${path}: the IAM contract check evaluates the AWS requests the functions made during an integration run. ${rerun}`);
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  if (lines.length === 0) throw new NoRequestLog(`the request log ${path} is empty: no function made an AWS request through the local AWS. ${rerun}`);
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as RecordedRequest;
    } catch {
      throw new NoRequestLog(`${path}:${i + 1} is not a JSON line (a run cut short?). ${rerun}`);
    }
  });
}

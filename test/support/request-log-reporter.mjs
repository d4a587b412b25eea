// Jest reporter (jest.config.js): notes in the request log's run marker which integration test
// files failed, since Jest gives globalTeardown no results. The contract check refuses the log
// of a run with failures: a failed test may have stopped before making its requests.
// Runs in Jest's main process, after the tests and before globalTeardown.
import { relative } from 'node:path';
import { noteRequestLogFailures } from './request-log.ts';

export default class RequestLogReporter {
  onRunComplete(_contexts, results) {
    // Set by the integration project's globalSetup: this run wrote the log.
    if (!process.env.MESH_CANARY_REQUEST_LOG) return;
    const failed = results.testResults
      .filter((r) => /[\\/]test[\\/]integration[\\/]/.test(r.testFilePath) && (r.numFailingTests > 0 || r.testExecError))
      .map((r) => relative(process.cwd(), r.testFilePath));
    noteRequestLogFailures(failed);
  }
}

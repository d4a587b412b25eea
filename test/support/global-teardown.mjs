// Jest globalTeardown of the `integration` project: stop the local AWS globalSetup started, and
// mark the request log of this run whole (the contract refuses an unfinished one; globalSetup
// notes a filtered run, test/support/request-log-reporter.mjs the files that failed).
import { finishRequestLog } from './request-log.ts';

export default async function globalTeardown() {
  await globalThis.__meshCanaryLocalAws?.stop();
  delete globalThis.__meshCanaryLocalAws;
  finishRequestLog();
}

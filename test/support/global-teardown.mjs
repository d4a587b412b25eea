// Jest globalTeardown of the `integration` project: stop the local AWS globalSetup started, and
// mark the request log of this run whole (the contract refuses an unfinished one; a filtered one
// is noted by globalSetup). Jest gives globalTeardown no test results, so whether tests failed
// is not recorded: a failed integration run ends npm test before the contract check runs.
import { finishRequestLog } from './request-log.ts';

export default async function globalTeardown() {
  await globalThis.__meshCanaryLocalAws?.stop();
  delete globalThis.__meshCanaryLocalAws;
  finishRequestLog();
}

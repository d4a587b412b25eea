// Jest globalTeardown of the `integration` project: stop the local AWS globalSetup started, and
// mark the request log of this run whole (the contract project refuses an unfinished one).
import { finishRequestLog } from './request-log.ts';

export default async function globalTeardown() {
  await globalThis.__meshCanaryLocalAws?.stop();
  delete globalThis.__meshCanaryLocalAws;
  finishRequestLog();
}

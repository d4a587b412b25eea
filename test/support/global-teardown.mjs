// Jest globalTeardown of the `integration` project: stop the local AWS globalSetup started.
export default async function globalTeardown() {
  await globalThis.__meshCanaryLocalAws?.stop();
  delete globalThis.__meshCanaryLocalAws;
}

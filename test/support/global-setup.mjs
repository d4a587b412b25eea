// Jest globalSetup of the `integration` project: build the function bundles and start one
// local AWS (moto + the Lambda front, see local/aws.ts) for every integration test.
// Jest runs this file natively in its main process (Node 24), so it imports the .ts sources.
// Workers inherit process.env: tests find the local AWS in AWS_ENDPOINT_URL / MESH_CANARY_ENDPOINT.
import { startLocalAws } from '../../local/aws.ts';
import { requestLogPath, runFilters, startRequestLog } from './request-log.ts';
import { buildFunctions } from '../../scripts/build.ts';
import { deployStack } from '../../local/stack.ts';

export default async function globalSetup(globalConfig) {
  try {
    await buildFunctions();
  } catch (error) {
    throw new Error(`integration tests: building the function bundles (scripts/build.ts) failed: ${error.message}`, { cause: error });
  }
  // Every AWS request a function makes in this run, by function (local/front.ts writes it; the
  // contract project, test/contract/, evaluates it). Emptied here: it describes one run. Every
  // local AWS a test starts inherits the variable and appends to the same file. A run narrowed
  // to some tests (a path or -t pattern, --onlyChanged, ...) is noted so: the contract refuses it.
  startRequestLog(runFilters(globalConfig));
  process.env.MESH_CANARY_REQUEST_LOG = requestLogPath;
  // Events off (no alarm or execution status event is emitted, no rule invokes a function): the
  // integration tests drive the abort guard by hand and assert on each call's result (`changed:
  // true` on the first call); a guard the ABORTED event invoked on its own would race them. Set in
  // process.env too, so that every local AWS a test starts itself (and its child processes, the
  // CLI, the demo) defaults to off; a test about events starts its own with `events: true`
  // (test/integration/local-events.test.ts).
  process.env.MESH_CANARY_EVENTS = '0';
  const aws = await startLocalAws({ quiet: true, events: false }); // handler logs: .local-aws/lambda.log
  globalThis.__meshCanaryLocalAws = aws;

  // A profile or a service-specific endpoint from the developer's shell must not win over
  // the local endpoint in the tests' SDK clients.
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('AWS_ENDPOINT_URL_') || key === 'AWS_PROFILE') delete process.env[key];
  }
  Object.assign(process.env, aws.env, {
    MESH_CANARY_ENDPOINT: aws.endpoint,
    MESH_CANARY_MOTO_ENDPOINT: aws.motoEndpoint,
  });
  // The state machines as template.yaml defines them, substitutions applied.
  const stack = await deployStack(aws);
  process.env.MESH_CANARY_STACK = JSON.stringify(stack);
}

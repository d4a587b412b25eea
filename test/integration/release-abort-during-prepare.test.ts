// abort-during-prepare.test.ts for a release (issue 11): StopExecution while Prepare's Lambda is
// still taking the release's locks (one DynamoDB transaction for every route). If the abort guard
// released them before that transaction landed, the transaction would then hold every route of
// the release for the stopped execution until the locks expire. Reproduced on the local AWS by
// slowing DynamoDB with the front's fault injector and stopping right after Prepare's
// TaskStarted; the guard, driven with the event EventBridge sends, must wait until Prepare must
// have ended, then release every route's lock, so the next release on those routes can start.
// This file runs its own local AWS: its faults must not reach other test files, and its guard
// reads a short PREPARE_TIMEOUT_SECONDS from the front's environment.
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LocalAws } from '../../local/aws.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { DirectClients, OwnAws } from '../support/own-aws.ts';
import { DYNAMODB_LATENCY_MS, ended, slowPrepareAws, stopDuringPrepare } from '../support/slow-prepare.ts';
import { unique } from '../support/executions.ts';
import { allPromoted, entries, guardEvent, lockItems, releaseRoutes, states } from '../support/release.ts';

let own: OwnAws;
let aws: LocalAws;
let stack: LocalStack;
let direct: DirectClients;

beforeAll(async () => {
  own = await slowPrepareAws('mesh-canary-release-abort-during-prepare');
  ({ aws, stack, direct } = own);
});
afterAll(() => aws?.stop());

const locksOf = (executionId: string) => lockItems({ executionId }, direct.dynamo, stack.outputs.LockTableName);

test('the abort guard waits out a release\'s Prepare still taking its locks at the stop, then releases every route\'s lock: the next release starts', async () => {
  const routes = await releaseRoutes({ mesh: ['product', 'customer'], lattice: ['order'] }, direct);
  const before = await states(routes);
  const input = { routes: entries(routes), strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, settleSeconds: 0 };
  // From the stop on only Prepare's transaction in flight is slow: a guard that does not wait for
  // Prepare releases the locks before the transaction lands.
  const executionArn = await stopDuringPrepare(own, unique('release'), input);

  // EventBridge delivers ABORTED as soon as the execution stops (the documented event).
  const event = guardEvent({ executionArn, stateMachineArn: stack.machines.linear, name: executionArn.split(':').at(-1), status: 'ABORTED', input: JSON.stringify(input) });
  const startedAt = Date.now();
  const res = await fetch(`${aws.endpoint}/2015-03-31/functions/GuardFunction/invocations`, { method: 'POST', body: JSON.stringify(event) });
  const result = await res.json();
  expect(res.headers.get('x-amz-function-error')).toBeNull();
  // Prepare's transaction landed while the guard waited, and the guard released every lock afterwards.
  expect(result).toMatchObject({ action: 'nothing-changed', lockReleased: true });
  expect(Date.now() - startedAt).toBeGreaterThan(DYNAMODB_LATENCY_MS);
  expect((await ended(own, executionArn)).status).toBe('ABORTED'); // Prepare's Lambda has returned: nothing more can land
  expect(await locksOf(executionArn)).toEqual([]);
  expect(await states(routes)).toEqual(before);

  const { executionArn: next } = await direct.sfn.send(new StartExecutionCommand({
    stateMachineArn: stack.machines.linear, name: unique('next'), input: JSON.stringify({ ...input, strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 0 } }),
  }));
  const nextEnd = await ended(own, next!);
  expect({ status: nextEnd.status, error: nextEnd.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
  expect(await allPromoted(routes, before)).toEqual([true, true, true]);
});

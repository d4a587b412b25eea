// Prepare takes the route's lock before its snapshot and frees it when the snapshot fails (its
// DeleteItem), so a deployment refused before any change leaves the route free for the next;
// a Prepare that finds the lock held names its holder (its GetItem).
// Invoked through the local front like a state machine would, with an executionId: the request
// that frees the lock is recorded too, and the IAM contract checks it against Prepare's role.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { demoMesh, routeNow, stack } from '../support/executions.ts';
import { lockKeyOf } from '../support/fixtures.ts';
import { call, invoke } from '../support/invoke.ts';

const dynamo = new DynamoDBClient({});
const lockItem = async (route: { meshName: string; virtualRouterName: string; routeName: string }) =>
  (await dynamo.send(new GetItemCommand({ TableName: stack().outputs.LockTableName, Key: { route: { S: lockKeyOf(route) } }, ConsistentRead: true }))).Item;

test('a canary virtual node that does not exist: VirtualNodeNotFound, the lock is freed, the route untouched; the next Prepare takes the lock, and a third is refused', async () => {
  const mesh = await demoMesh('pl');
  const before = await routeNow(mesh.route);
  const input = { route: mesh.route, stableNode: mesh.stableNode, canaryNode: 'no-such-vn' };

  const refused = await invoke('PrepareFunction', { input, executionId: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:first' });
  expect(refused.error?.errorType).toBe('VirtualNodeNotFound');
  expect(refused.error?.errorMessage).toContain('no-such-vn');
  expect(await lockItem(mesh.route)).toBeUndefined();
  expect((await routeNow(mesh.route)).metadata!.version).toBe(before.metadata!.version);

  // Another execution may deploy the route at once: no DeploymentInProgress from a stale lock.
  const second = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:second';
  const deployment = await call('PrepareFunction', { input: { ...input, canaryNode: mesh.canaryNode }, executionId: second });
  expect(deployment.executionId).toBe(second);
  expect((await lockItem(mesh.route))?.executionId).toEqual({ S: second });

  // A third execution meanwhile: refused, told who holds the route (Prepare reads the lock's
  // holder, its GetItem), and the holder keeps the lock.
  const third = await invoke('PrepareFunction', { input: { ...input, canaryNode: mesh.canaryNode }, executionId: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:third' });
  expect(third.error?.errorType).toBe('DeploymentInProgress');
  expect(third.error?.errorMessage).toContain(`is being deployed by ${second}`);
  expect((await lockItem(mesh.route))?.executionId).toEqual({ S: second });
});

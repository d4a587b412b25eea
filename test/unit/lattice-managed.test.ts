// Routes the AWS Gateway API Controller manages are refused before any change, naming the
// Kubernetes route to shift instead, unless the input opts in (allowControllerManaged). Against a
// mocked VPC Lattice API (aws-sdk-client-mock) with Lattice's real error classes, and through the
// prepare function on the fake Lattice (the lock given back, nothing written).
import {
  AccessDeniedException, GetListenerCommand, GetRuleCommand, InternalServerException, ListTagsForResourceCommand,
  ResourceNotFoundException, UpdateListenerCommand, UpdateRuleCommand, VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ControllerManagedRoute } from '../../functions/commons/errors.ts';
import { parseDeploymentInput } from '../../functions/commons/input.ts';
import { RouteWriter } from '../../functions/commons/route-writer.ts';
import { controllerTags } from '../../functions/commons/routers/lattice/index.ts';
import { functionErrors } from '../../functions/commons/states.ts';
import { prepare } from '../../functions/prepare/index.ts';
import { FakeLattice, fakeLockTable } from '../support/fake-lattice.ts';
import { validLatticeInputs } from '../support/corpus.ts';

const lattice = mockClient(VPCLatticeClient);
const client = new VPCLatticeClient({ region: 'us-east-1' });
const writer = () => new RouteWriter({ routers: { lattice: () => client } });

const PREFIX = 'arn:aws:vpc-lattice:us-east-1:123456789012';
const id = (kind: string, n: number) => `${kind}-${String(n).padStart(17, '0')}`;
const [svc, listener, rule, S, C] = [id('svc', 1), id('listener', 2), id('rule', 3), id('tg', 10), id('tg', 11)];
const SERVICE_ARN = `${PREFIX}:service/${svc}`;
const LISTENER_ARN = `${SERVICE_ARN}/listener/${listener}`;
const RULE_ARN = `${LISTENER_ARN}/rule/${rule}`;
const action = { forward: { targetGroups: [{ targetGroupIdentifier: S, weight: 100 }] } };
const ruleRoute = { route: { service: svc, listener, rule }, stableTargetGroup: S, canaryTargetGroup: C };
const defaultRoute = { route: { service: svc, listener }, stableTargetGroup: S, canaryTargetGroup: C };

/** The tags the controller puts on what it creates (pkg/deploy/lattice/*_manager.go). */
const managedBy = { [controllerTags.managedBy]: '123456789012/prod-cluster/vpc-0abc' };
const serviceTags = {
  ...managedBy, [controllerTags.routeName]: 'checkout', [controllerTags.routeNamespace]: 'shop', [controllerTags.routeType]: 'http',
};
const tagsBy = (byArn: Record<string, Record<string, string>>) => (input: { resourceArn?: string }) => ({ tags: byArn[input.resourceArn ?? ''] ?? {} });

beforeEach(() => {
  lattice.reset();
  lattice.on(GetRuleCommand).resolves({ arn: RULE_ARN, id: rule, action, lastUpdatedAt: new Date('2026-11-27T08:00:00Z') });
  lattice.on(GetListenerCommand).resolves({ arn: LISTENER_ARN, id: listener, defaultAction: action, lastUpdatedAt: new Date('2026-11-27T08:00:00Z') });
});

const writes = () => lattice.commandCalls(UpdateRuleCommand).length + lattice.commandCalls(UpdateListenerCommand).length;

test('a rule the controller manages is refused, naming the HTTPRoute whose backendRefs to shift; nothing is written', async () => {
  lattice.on(ListTagsForResourceCommand).callsFake(tagsBy({ [RULE_ARN]: managedBy, [SERVICE_ARN]: serviceTags }));
  const err = (await writer().prepare(ruleRoute).catch((e) => e)) as Error;
  expect(err).toBeInstanceOf(ControllerManagedRoute);
  expect(err.name).toBe(functionErrors.ControllerManagedRoute);
  expect(err.message).toContain(`${svc}/${listener}/${rule}: the AWS Gateway API Controller manages this route (the rule is tagged application-networking.k8s.aws/ManagedBy=123456789012/prod-cluster/vpc-0abc)`);
  expect(err.message).toContain('Shift weights in HTTPRoute shop/checkout instead (the weights of its backendRefs)');
  expect(err.message).toContain('allowControllerManaged: true');
  expect(lattice).toHaveReceivedCommandWith(ListTagsForResourceCommand, { resourceArn: RULE_ARN });
  expect(lattice).toHaveReceivedCommandWith(ListTagsForResourceCommand, { resourceArn: SERVICE_ARN });
  expect(writes()).toBe(0);
});

test('a default action: the listener\'s tags are read; a GRPCRoute is named as one', async () => {
  lattice.on(ListTagsForResourceCommand).callsFake(tagsBy({ [LISTENER_ARN]: managedBy, [SERVICE_ARN]: { ...serviceTags, [controllerTags.routeType]: 'grpc' } }));
  await expect(writer().prepare(defaultRoute)).rejects.toMatchObject({
    name: 'ControllerManagedRoute',
    message: expect.stringMatching(/the listener's default action is tagged .*Shift weights in GRPCRoute shop\/checkout instead/),
  });
  expect(lattice).toHaveReceivedCommandWith(ListTagsForResourceCommand, { resourceArn: LISTENER_ARN });
});

test('a managed service refuses a rule it does not tag (the controller reconciles the whole service); an untagged service names no route', async () => {
  lattice.on(ListTagsForResourceCommand).callsFake(tagsBy({ [SERVICE_ARN]: serviceTags }));
  await expect(writer().prepare(ruleRoute)).rejects.toMatchObject({ name: 'ControllerManagedRoute', message: expect.stringContaining('(its service is tagged') });
  lattice.on(ListTagsForResourceCommand).callsFake(tagsBy({ [RULE_ARN]: managedBy }));
  await expect(writer().prepare(ruleRoute)).rejects.toMatchObject({
    name: 'ControllerManagedRoute', message: expect.stringContaining('Shift weights in the HTTPRoute it was made from (the service names none in its RouteName tag)'),
  });
});

test('opted in (allowControllerManaged: true): a managed rule is prepared, and its tags are not read', async () => {
  lattice.on(ListTagsForResourceCommand).callsFake(tagsBy({ [RULE_ARN]: managedBy, [SERVICE_ARN]: serviceTags }));
  await expect(writer().prepare({ ...ruleRoute, allowControllerManaged: true })).resolves.toMatchObject({ router: 'lattice', weightedTargets: [{ targetGroupIdentifier: S, weight: 100 }] });
  expect(lattice).not.toHaveReceivedCommand(ListTagsForResourceCommand);
  // false is no opt-in.
  await expect(writer().prepare({ ...ruleRoute, allowControllerManaged: false })).rejects.toMatchObject({ name: 'ControllerManagedRoute' });
});

test('untagged, or tagged by others only: prepared', async () => {
  lattice.on(ListTagsForResourceCommand).callsFake(tagsBy({ [RULE_ARN]: { team: 'payments' }, [SERVICE_ARN]: { [controllerTags.routeName]: 'checkout' } }));
  await expect(writer().prepare(ruleRoute)).resolves.toMatchObject({ router: 'lattice' });
  lattice.on(ListTagsForResourceCommand).resolves({});
  await expect(writer().prepare(defaultRoute)).resolves.toMatchObject({ router: 'lattice' });
});

test('ListTagsForResource denied: AwsRequestRejected saying which permission the check needs, and the opt-out', async () => {
  lattice.on(ListTagsForResourceCommand).rejects(new AccessDeniedException({ message: 'User is not authorized to perform vpc-lattice:ListTagsForResource', $metadata: { httpStatusCode: 403 } }));
  const err = (await writer().prepare(ruleRoute).catch((e) => e)) as Error;
  expect(err).toMatchObject({ name: 'AwsRequestRejected' });
  expect(err.message).toContain('ListTagsForResource');
  expect(err.message).toContain('AccessDeniedException: User is not authorized');
  expect(err.message).toContain('grant the prepare function vpc-lattice:ListTagsForResource on both, or set allowControllerManaged: true');
  expect(writes()).toBe(0);
});

test('other ListTagsForResource failures keep their usual names', async () => {
  lattice.on(ListTagsForResourceCommand).rejects(new ResourceNotFoundException({ message: 'not found', resourceId: rule, resourceType: 'RULE', $metadata: { httpStatusCode: 404 } }));
  await expect(writer().prepare(ruleRoute)).rejects.toMatchObject({ name: 'RouteNotFound', message: expect.stringContaining(`ListTagsForResource ${RULE_ARN}`) });
  lattice.on(ListTagsForResourceCommand).rejects(new InternalServerException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));
  await expect(writer().prepare(ruleRoute)).rejects.toMatchObject({ name: 'TransientAwsError' });
});

test('the input contract: allowControllerManaged is a boolean of Lattice inputs', () => {
  expect(parseDeploymentInput({ ...validLatticeInputs.linear, allowControllerManaged: true }, 'linear')).toMatchObject({ allowControllerManaged: true });
  expect(() => parseDeploymentInput({ ...validLatticeInputs.linear, allowControllerManaged: 'true' }, 'linear')).toThrow(/allowControllerManaged/);
});

describe('through the prepare function, on the fake Lattice', () => {
  const setup = () => {
    const fake = new FakeLattice();
    const ids = fake.create([{ id: fake.tg('s'), weight: 100 }]);
    const locks = fakeLockTable();
    const deps = { routers: { lattice: () => fake.client() }, lock: locks };
    const input = { ...validLatticeInputs.linear, route: ids, stableTargetGroup: fake.tg('s'), canaryTargetGroup: fake.tg('c') };
    return { fake, ids, deps, input };
  };
  const executionId = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:mesh-canary-linear:${name}`;

  test('a managed rule is refused before any change and its lock given back; opted in, the same input prepares', async () => {
    const { fake, ids, deps, input } = setup();
    fake.tag(ids.rule, managedBy);
    fake.tag(ids.service, serviceTags);
    await expect(prepare({ input, executionId: executionId('managed'), machine: 'linear' }, deps)).rejects.toMatchObject({
      name: 'ControllerManagedRoute', message: expect.stringContaining('HTTPRoute shop/checkout'),
    });
    expect([...fake.rules.values()].every((r) => r.writes === 0)).toBe(true);
    // The lock was given back: another execution prepares the same route, opted in.
    await expect(prepare({ input: { ...input, allowControllerManaged: true }, executionId: executionId('opted-in'), machine: 'linear' }, deps))
      .resolves.toMatchObject({ allowControllerManaged: true, snapshot: { router: 'lattice' } });
  });

  test('an untagged rule prepares', async () => {
    const { deps, input } = setup();
    await expect(prepare({ input, executionId: executionId('plain'), machine: 'linear' }, deps)).resolves.toMatchObject({ snapshot: { router: 'lattice' } });
  });
});

// A VPC Lattice deployment through the functions' own code (prepare, set-weight, promote,
// rollback: parse the event, one writer call) over the in-memory Lattice and lock table: the
// events and results a state machine would pass, in Lattice's wire format.
import { prepare } from '../../functions/prepare/index.ts';
import { promote } from '../../functions/promote/index.ts';
import { rollback } from '../../functions/rollback/index.ts';
import { setWeight } from '../../functions/set-weight/index.ts';
import { FakeLattice, fakeLockTable } from '../support/fake-lattice.ts';
import { validLatticeInputs } from '../support/corpus.ts';

const executionId = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:${name}`;

function setup(weights: Record<string, number>) {
  const fake = new FakeLattice();
  const targets = Object.entries(weights).map(([name, weight]) => ({ id: fake.tg(name), weight }));
  const { service, listener, rule } = fake.create(targets);
  const input = { ...validLatticeInputs.linear, route: { service, listener, rule }, stableTargetGroup: fake.tg('s'), canaryTargetGroup: fake.tg('c') };
  const deps = { routers: { lattice: () => fake.client() }, lock: fakeLockTable() };
  const named = () => fake.rules.get(rule)!.action.forward!.targetGroups!.map((g) => [fake.nameOf(g.targetGroupIdentifier!), g.weight]);
  return { fake, input, deps, named, rule };
}

test('prepare → 3 steps → promote: Lattice\'s format throughout, the lock taken and released, other groups\' share kept', async () => {
  const { input, deps, named, fake, rule } = setup({ s: 70, x: 30 });
  const d = await prepare({ input, executionId: executionId('ok'), machine: 'linear' }, deps) as any;
  expect(d.snapshot).toMatchObject({ router: 'lattice', routeKind: 'rule', weightedTargets: [{ targetGroupIdentifier: fake.tg('s'), weight: 70 }, { targetGroupIdentifier: fake.tg('x'), weight: 30 }] });

  let expected: unknown[] | undefined;
  for (const weight of [15, 33, 50]) {
    const r = await setWeight({ deployment: d, weight, expected }, deps);
    expect(r).toMatchObject({ weight, changed: true, routeVersion: null });
    expected = r.weightedTargets;
  }
  // 50% of 70 is 35: no factor needed, so x is back at 30.
  expect(named()).toEqual([['s', 35], ['x', 30], ['c', 35]]);
  const p = await promote({ deployment: d, expected }, deps);
  expect(p.changed).toBe(true);
  expect(named()).toEqual([['x', 30], ['c', 70]]);
  expect(fake.rules.get(rule)!.writes).toBe(4);
  // The lock is gone: the next release of the rule may start (the promoted canary its stable).
  const next = { ...input, stableTargetGroup: fake.tg('c'), canaryTargetGroup: fake.tg('s') };
  await expect(prepare({ input: next, executionId: executionId('next'), machine: 'linear' }, deps)).resolves.toBeDefined();
});

test('a rescaled step, then someone\'s edit, then rollback: exactly the snapshot but their edit; drift refused first', async () => {
  const { input, deps, named, fake, rule } = setup({ s: 60, x: 30, y: 10 });
  const d = await prepare({ input, executionId: executionId('rb'), machine: 'linear' }, deps) as any;
  const first = await setWeight({ deployment: d, weight: 12, expected: undefined }, deps);
  expect(named()).toEqual([['s', 264], ['x', 150], ['y', 50], ['c', 36]]);
  // Someone sets y to 7 and moves the canary: the next step is refused as drift, nothing written.
  fake.setByHand({ listener: fake.rules.get(rule)!.listener, rule }, [{ id: fake.tg('s'), weight: 250 }, { id: fake.tg('x'), weight: 150 }, { id: fake.tg('y'), weight: 7 }, { id: fake.tg('c'), weight: 50 }]);
  await expect(setWeight({ deployment: d, weight: 20, expected: first.weightedTargets }, deps)).rejects.toMatchObject({ name: 'RouteDriftDetected' });
  const out = await rollback({ deployment: d, reason: { Error: 'RouteDriftDetected', Cause: 'x' } }, deps) as any;
  expect(named()).toEqual([['s', 60], ['x', 30], ['y', 7]]);
  expect(out.keptChanges).toEqual([{ targetGroupIdentifier: fake.tg('y'), snapshot: { targetGroupIdentifier: fake.tg('y'), weight: 10 }, now: { targetGroupIdentifier: fake.tg('y'), weight: 7 } }]);
});

test('a canary target group that does not exist: the first write is refused naming it (TargetGroupNotFound), nothing changed', async () => {
  const { input, deps, named } = setup({ s: 100 });
  const d = await prepare({ input: { ...input, canaryTargetGroup: 'tg-zzzzzzzzzzzzzzzzz' }, executionId: executionId('tg'), machine: 'linear' }, deps) as any;
  await expect(setWeight({ deployment: d, weight: 10 }, deps)).rejects.toMatchObject({ name: 'TargetGroupNotFound', message: expect.stringContaining('TARGET_GROUP tg-zzzzzzzzzzzzzzzzz') });
  expect(named()).toEqual([['s', 100]]);
});

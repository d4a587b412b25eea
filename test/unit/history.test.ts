// functions/commons/history.ts: the deployment a stopped execution prepared is read from its
// history whatever its backend (the abort guard restores from it).
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { preparedDeployment } from '../../functions/commons/history.ts';

/** A history whose Prepare task succeeded with this deployment. */
const prepared = (deployment: unknown): HistoryEvent[] => [
  { type: 'TaskSucceeded', timestamp: new Date(0), id: 1 } as HistoryEvent,
  { type: 'TaskStateExited', timestamp: new Date(0), id: 2, stateExitedEventDetails: { name: 'Prepare', output: JSON.stringify({ deployment }) } } as HistoryEvent,
];

test('an App Mesh snapshot (weightedTargets) and a VPC Lattice one (target groups) are both readable', () => {
  const mesh = { route: { meshName: 'm' }, snapshot: { weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] } };
  const lattice = { route: { service: 'svc-0123456789abcdef0' }, snapshot: { router: 'lattice', routeKind: 'rule', weightedTargets: [{ targetGroupIdentifier: 'tg-0123456789abcdef0', weight: 100 }] } };
  expect(preparedDeployment(prepared(mesh))).toEqual(mesh);
  expect(preparedDeployment(prepared(lattice))).toEqual(lattice);
});

test('no snapshot, or one with no list of targets, is no prepared deployment', () => {
  expect(preparedDeployment(prepared({ route: {} }))).toBeUndefined();
  expect(preparedDeployment(prepared({ route: {}, snapshot: { weightedTargets: 'tg-0123456789abcdef0' } }))).toBeUndefined();
  expect(preparedDeployment([])).toBeUndefined();
});

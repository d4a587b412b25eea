// The input contract for VPC Lattice routes: a deployment input names an App Mesh route (as
// before, unchanged) or a Lattice listener rule / default action with target groups, by ID or
// ARN; the zod validators and the generated JSON Schema agree on the valid ones; the step events
// carry a Lattice deployment (its snapshot, its target groups as `expected`) and a Lattice route
// in `releaseLock`. The malformed Lattice inputs are in the shared corpus (test/support/corpus.ts).
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parsePromoteEvent, parseRollbackEvent, parseSetWeightEvent } from '../../functions/commons/events.ts';
import { parseDeploymentInput } from '../../functions/commons/input.ts';
import { routeLabelOf, routeOf } from '../../functions/commons/routers/index.ts';
import { schemaPath } from '../../scripts/schema.ts';
import { LATTICE_ARN, latticeIds, validInputs, validLatticeInputs } from '../support/corpus.ts';

const jsonSchema = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
const { service, listener, rule, stable, canary } = latticeIds;
const arns = {
  service: `${LATTICE_ARN}:service/${service}`,
  listener: `${LATTICE_ARN}:service/${service}/listener/${listener}`,
  rule: `${LATTICE_ARN}:service/${service}/listener/${listener}/rule/${rule}`,
};
const lin = validLatticeInputs.linear;

describe('valid VPC Lattice inputs pass both the validator and the JSON Schema', () => {
  test.each(Object.entries(validLatticeInputs))('%s', (machine, input) => {
    expect(parseDeploymentInput(input, machine as any)).toEqual(input);
    expect(jsonSchema(input)).toBe(true);
  });

  test.each([
    ['a listener\'s default action (no rule)', { ...lin, route: { service, listener } }],
    ['every identifier an ARN', { ...lin, route: arns, stableTargetGroup: `${LATTICE_ARN}:targetgroup/${stable}`, canaryTargetGroup: `${LATTICE_ARN}:targetgroup/${canary}` }],
    ['IDs and ARNs mixed', { ...lin, route: { service, listener: arns.listener, rule } }],
    ['a default action by listener ARN', { ...lin, route: { service: arns.service, listener: arns.listener } }],
  ])('%s', (_label, input) => {
    expect(parseDeploymentInput(input, 'linear')).toEqual(input);
    expect(jsonSchema(input)).toBe(true);
  });
});

test('a malformed Lattice route has no label and no backend (the handlers\' log keys must not throw on it)', () => {
  for (const rule of [42, [], {}, null]) expect(routeLabelOf({ service, listener, rule })).toBeUndefined();
  expect(routeLabelOf({ service, listener: 7 })).toBeUndefined();
  expect(routeLabelOf({ service, listener })).toBe(`${service}/${listener}/default`);
});

test('App Mesh inputs are as valid as they were, and the factory tells the two apart by shape', () => {
  expect(parseDeploymentInput(validInputs.linear, 'linear')).toEqual(validInputs.linear);
  expect(routeOf(validInputs.linear).router).toBe('appmesh');
  expect(routeOf(lin)).toEqual({ router: 'lattice', route: lin.route, stable, canary });
});

describe('step events carry a Lattice deployment', () => {
  const snapshot = { router: 'lattice', routeKind: 'rule', weightedTargets: [{ targetGroupIdentifier: stable, weight: 100 }], lastUpdatedAt: '2026-11-27T08:00:00.000Z', takenAt: '2026-11-27T08:00:01.000Z' };
  const deployment = { ...lin, executionId: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x', snapshot };
  const expected = [{ targetGroupIdentifier: stable, weight: 90 }, { targetGroupIdentifier: canary, weight: 10 }];

  test('set-weight and promote with the target groups last written', () => {
    expect(parseSetWeightEvent({ deployment, weight: 20, expected })).toEqual({ deployment, weight: 20, expected });
    expect(parsePromoteEvent({ deployment, expected })).toEqual({ deployment, expected });
  });

  test('Lattice\'s limits and formats are held: weight 1000, a virtual node in expected, an App Mesh snapshot', () => {
    expect(() => parseSetWeightEvent({ deployment, weight: 20, expected: [{ targetGroupIdentifier: stable, weight: 1000 }] })).toThrow('expected[0].weight must be an integer from 0 to 999 (got 1000)');
    expect(() => parseSetWeightEvent({ deployment, weight: 20, expected: Array.from({ length: 11 }, () => expected[0]) })).toThrow('expected must be an array of 1 to 10 items');
    expect(() => parsePromoteEvent({ deployment: { ...deployment, snapshot: { ...snapshot, router: 'appmesh' } } })).toThrow('deployment.snapshot.router must be one of lattice');
    expect(() => parsePromoteEvent({ deployment: { ...deployment, snapshot: { ...snapshot, weightedTargets: [{ targetGroupIdentifier: 'product-vn', weight: 1 }] } } })).toThrow('deployment.snapshot.weightedTargets[0].targetGroupIdentifier must be a VPC Lattice target group ID');
  });

  test('a releaseLock names a Lattice route', () => {
    const e = { releaseLock: { route: { service, listener }, executionId: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x' } };
    expect(parseRollbackEvent(e)).toEqual(e);
    expect(() => parseRollbackEvent({ releaseLock: { ...e.releaseLock, route: { service, listener: 'listener-1' } } })).toThrow('event.releaseLock.route.listener must be a VPC Lattice listener ID');
  });
});

// Several routes in one deployment (issue 11): the `routes` input. The prepare step's zod schema
// and the JSON Schema users' editors read agree on releases as on one-route inputs; every problem
// is named by its path inside the release; a one-route input is unchanged.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { MAX_ROUTES, parseDeployment, parseDeploymentInput } from '../../functions/commons/input.ts';
import { checksOf, isRelease, routeLabels, routeParts, routesText } from '../../functions/commons/release.ts';
import { schemaPath } from '../../scripts/schema.ts';

const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const jsonSchema = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

const product = { route: { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' }, stableNode: 'product-vn', canaryNode: 'product-v2-vn' };
const customer = { route: { meshName: 'demomesh', virtualRouterName: 'customer-vr', routeName: 'customer-r' }, stableNode: 'customer-vn', canaryNode: 'customer-v2-vn' };
const checkout = {
  route: { service: 'svc-0123456789abcdef0', listener: 'listener-0123456789abcdef0', rule: 'rule-0123456789abcdef0' },
  stableTargetGroup: 'tg-0123456789abcdef0', canaryTargetGroup: 'tg-0fedcba9876543210',
};
const strategy = { type: 'linear', stepPercent: 25, intervalSeconds: 60 };
const release = (routes: unknown[], more: object = {}) => ({ routes, strategy, ...more });
const problemsOf = (input: unknown): string => {
  try {
    parseDeploymentInput(input, 'linear');
    return '';
  } catch (err) {
    expect((err as Error).name).toBe('InvalidInput');
    return (err as Error).message;
  }
};

test('two App Mesh routes and a VPC Lattice rule, each with its own checks and the release\'s: valid for the prepare step and the JSON Schema', () => {
  const input = release([
    { ...product, healthChecks: { alarms: { names: ['product-v2-5xx'] } } },
    customer,
    { ...checkout, allowControllerManaged: false, healthChecks: { errorRates: [{ name: 'checkout-5xx', targetGroup: checkout.canaryTargetGroup, maxErrorPercent: 1, windowSeconds: 300 }] } },
  ], { healthChecks: { alarms: { prefix: 'release-42-' } }, onDrift: 'rollback' });
  expect(problemsOf(input)).toBe('');
  expect(jsonSchema(input)).toBe(true);
});

test('a one-route input is what it was: valid, and not a release', () => {
  const input = { ...product, strategy };
  expect(problemsOf(input)).toBe('');
  expect(jsonSchema(input)).toBe(true);
  expect(isRelease(input)).toBe(false);
  expect(routeParts(input)).toEqual([input]);
});

test.each([
  ['no routes', release([]), /routes must be an array of 1 to 10 items/],
  [`${MAX_ROUTES + 1} routes`, release(Array.from({ length: MAX_ROUTES + 1 }, (_, i) => ({ ...product, route: { ...product.route, routeName: `r${i}` } }))), /routes must be an array of 1 to 10 items/],
  ['routes and route', { ...release([product]), route: product.route }, /input\.route is not a known field/],
  ['routes and stableNode', { ...release([product]), stableNode: 'x' }, /input\.stableNode is not a known field/],
  ['a route without its canary', release([product, { route: customer.route, stableNode: 'customer-vn' }]), /routes\[1\]\.canaryNode is missing/],
  ['a Lattice route with an App Mesh node', release([product, { ...checkout, canaryNode: 'x' }]), /routes\[1\]\.canaryNode is not a known field/],
])('%s: refused, the problem named by its path in the release', (_, input, message) => {
  expect(problemsOf(input)).toMatch(message);
  expect(jsonSchema(input)).toBe(false);
});

test('canary = stable on the second route is refused in code (a rule the JSON Schema cannot state, as on one route)', () => {
  const input = release([product, { ...customer, canaryNode: 'customer-vn' }]);
  expect(problemsOf(input)).toMatch(/routes\[1\]\.canaryNode must differ from routes\[1\]\.stableNode/);
  expect(jsonSchema(input)).toBe(true);
});

test('the same route twice (written alike, or a Lattice rule by ID and by ARN) is refused, naming both entries', () => {
  expect(problemsOf(release([product, customer, product]))).toContain('routes[2].route names the same route as routes[0].route');
  const byArn = {
    ...checkout,
    route: {
      service: 'arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0',
      listener: 'arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0',
      rule: 'arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0/rule/rule-0123456789abcdef0',
    },
  };
  expect(problemsOf(release([checkout, byArn]))).toContain('routes[1].route names the same route as routes[0].route');
  // Another rule of the same listener is another route.
  expect(problemsOf(release([checkout, { ...checkout, route: { ...checkout.route, rule: 'rule-0aaaaaaaaaaaaaaaa' } }]))).toBe('');
});

test('a metric or error-rate check named twice across the release is refused: verdicts name checks', () => {
  const metric = (name: string) => ({ name, namespace: 'n', metricName: 'm', statistic: 'Average', windowSeconds: 60, comparison: 'GreaterThanThreshold', threshold: 1 });
  const input = release([{ ...product, healthChecks: { metrics: [metric('latency')] } }, { ...customer, healthChecks: { metrics: [metric('latency')] } }]);
  expect(problemsOf(input)).toContain('routes[1].healthChecks.metrics: the check name "latency" is also used in routes[0].healthChecks');
  const shared = release([{ ...product, healthChecks: { metrics: [metric('p99')] } }], { healthChecks: { metrics: [metric('p99')] } });
  expect(problemsOf(shared)).toContain('the check name "p99" is also used in healthChecks');
});

test('a prepared release: its routes as one-route deployments, its labels, and every set of checks', () => {
  const snapshot = (t: string) => ({ router: 'appmesh', routeKind: 'httpRoute', weightedTargets: [{ virtualNode: t, weight: 100 }], version: 1, takenAt: '2026-11-27T10:00:00.000Z' });
  const d = {
    routes: [{ ...product, healthChecks: { alarms: { names: ['a'] } }, snapshot: snapshot('product-vn') }, { ...customer, snapshot: snapshot('customer-vn') }],
    strategy, executionId: 'arn:aws:states:us-east-1:123456789012:execution:m:e', keepStableTarget: true, healthChecks: { alarms: { prefix: 'rel-' } },
    snapshot: { weightedTargets: [{ route: 'demomesh/product-vr/product-r', weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] }], takenAt: '2026-11-27T10:00:00.000Z' },
  };
  expect(() => parseDeployment(d)).not.toThrow();
  expect(routeParts(d).map((p: any) => [p.stableNode, p.executionId, p.keepStableTarget])).toEqual([
    ['product-vn', d.executionId, true], ['customer-vn', d.executionId, true],
  ]);
  expect(routeLabels(d)).toEqual(['demomesh/product-vr/product-r', 'demomesh/customer-vr/customer-r']);
  expect(routesText(d)).toBe('2 routes: demomesh/product-vr/product-r, demomesh/customer-vr/customer-r');
  expect(checksOf(d)).toEqual([{ alarms: { prefix: 'rel-' } }, { alarms: { names: ['a'] } }, undefined]);
  // A route's snapshot that is not its backend's is refused by path.
  const bad = { ...d, routes: [d.routes[0], { ...d.routes[1], snapshot: { router: 'appmesh' } }] };
  expect(() => parseDeployment(bad)).toThrow(/deployment\.routes\[1\]\.snapshot\.routeKind is missing/);
});

test('the approver\'s message for a release names every route with its stable and canary, and says all of them roll back on a rejection', async () => {
  const { approvalMessage } = await import('../../functions/request-approval/index.ts');
  const d: any = {
    routes: [product, checkout], strategy: { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 600 },
    executionId: 'arn:aws:states:us-east-1:123456789012:execution:ManualApproval:release-7',
  };
  const { subject, body } = approvalMessage(d, 'tok', 10);
  expect(subject).toBe('mesh-canary: approve product-v2-vn on demomesh/product-vr/product-r and 1 more route?');
  expect(body).toContain('A release of 2 canaries is waiting for your approval.');
  expect(body).toContain('  routes     2, moving together, each now at 10% of the stable+canary traffic');
  expect(body).toContain('    demomesh/product-vr/product-r: product-vn → product-v2-vn (virtual node)');
  expect(body).toContain('    svc-0123456789abcdef0/listener-0123456789abcdef0/rule-0123456789abcdef0: tg-0123456789abcdef0 → tg-0fedcba9876543210 (target group)');
  expect(body).toContain('Reject (roll every route back to exactly what it was):');
  // One route: the message it always was.
  expect(approvalMessage({ ...product, strategy: d.strategy, executionId: d.executionId } as any, 'tok', 10).body).toContain('  canary     product-v2-vn (virtual node) (now at 10% of the stable+canary traffic)');
});

// The CLI and the approver's message on a VPC Lattice deployment: the stable and canary named
// through the route's backend (target groups by ID, never "undefined"), `routes` in its Lattice
// form (target groups by name and ID, mixed forms refused), `start` validating Lattice inputs
// with the prepare step's rules, and the Lattice payloads in events/ valid against the contract.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetListenerCommand, GetRuleCommand, GetTargetGroupCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { mockClient } from 'aws-sdk-client-mock';
import { routeFromOptions } from '../../cli/commands/routes.ts';
import { preparedDeployment } from '../../cli/execution.ts';
import { deploymentEvents } from '../../cli/follow.ts';
import { cli } from '../support/cli-run.ts';
import { releaseOf } from '../../cli/release.ts';
import { renderReport } from '../../cli/report.ts';
import { styleFor } from '../../cli/render.ts';
import { eventText, renderFrame, watchView } from '../../cli/view.ts';
import {
  parseCheckHealthEvent, parsePrepareEvent, parsePromoteEvent, parseRequestApprovalEvent, parseRollbackEvent, parseSetWeightEvent,
} from '../../functions/commons/events.ts';
import { parseDeploymentInput } from '../../functions/commons/input.ts';
import { approvalMessage } from '../../functions/request-approval/index.ts';
import { event } from '../support/fixtures.ts';

const SVC = 'svc-0123456789abcdef0';
const LISTENER = 'listener-0123456789abcdef0';
const RULE = 'rule-0123456789abcdef0';
const STABLE = 'tg-0123456789abcdef0';
const CANARY = 'tg-0fedcba9876543210';
const OTHER = 'tg-0aaaaaaaaaaaaaaaa';
const PREFIX = 'arn:aws:vpc-lattice:us-east-1:123456789012';
const tgArn = (id: string) => `${PREFIX}:targetgroup/${id}`;
const route = { service: SVC, listener: LISTENER, rule: RULE };
const meshRoute = { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
const plain = styleFor({ write: () => true, isTTY: false });
const T0 = Date.parse('2026-11-27T10:00:00.000Z');

const dir = mkdtempSync(join(tmpdir(), 'mesh-canary-cli-lattice-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

const local = ['--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9'];

/** A Lattice execution's history: started, prepared (snapshot in weightedTargets), one shift, optionally halted. */
function latticeHistory(input: object) {
  const events: HistoryEvent[] = [];
  let t = T0;
  const push = (type: string, key?: string, details?: object) => {
    events.push({ id: events.length + 1, previousEventId: events.length, timestamp: new Date(t), type, ...(key ? { [key]: details } : {}) } as HistoryEvent);
    t += 1000;
  };
  const task = (name: string, output: object) => {
    push('TaskStateEntered', 'stateEnteredEventDetails', { name, input: '{}' });
    push('TaskScheduled', 'taskScheduledEventDetails', { resourceType: 'lambda', resource: 'invoke', parameters: '{}' });
    push('TaskSucceeded', 'taskSucceededEventDetails', { resourceType: 'lambda', resource: 'invoke', output: '{}' });
    push('TaskStateExited', 'stateExitedEventDetails', { name, output: JSON.stringify(output) });
  };
  const deployment = {
    ...input,
    snapshot: { router: 'lattice', routeKind: 'rule', weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 100 }], takenAt: new Date(T0).toISOString() },
  };
  push('ExecutionStarted', 'executionStartedEventDetails', { input: JSON.stringify(input) });
  task('Prepare', { deployment, gate: { progress: { stage: -1, weight: 0, passes: 0, consecutiveFailures: 0, checks: 0, history: [] } } });
  // Lattice's weights are relative: the shift rescaled them (3 : 7 of 10), the canary at 30%.
  task('Shift', { deployment, lastShift: { weight: 30, weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 7 }, { targetGroupIdentifier: CANARY, weight: 3 }], routeVersion: null } });
  return { events, deployment, halt: () => {
    task('HaltOnDrift', { deployment, rollback: { summary: 'halted', weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 1 }, { targetGroupIdentifier: CANARY, weight: 3 }] } });
    return events;
  } };
}

const latticeInput = (more: object = {}) => ({ route, stableTargetGroup: STABLE, canaryTargetGroup: CANARY, strategy: { type: 'linear', stepPercent: 10, intervalSeconds: 60 }, ...more });

describe('the stable and canary, named through the route\'s backend', () => {
  test('App Mesh: virtual nodes; its own fields for --output json', () => {
    const r = releaseOf({ route: meshRoute, stableNode: 'product-vn', canaryNode: 'product-v15-vn' });
    expect(r).toMatchObject({ stable: 'product-vn', canary: 'product-v15-vn', wire: { stableNode: 'product-vn', canaryNode: 'product-v15-vn' } });
    expect(r.backend?.words.target).toBe('virtual node');
  });

  test('VPC Lattice: target groups by ID, an ARN read as its ID; the input\'s own fields for --output json', () => {
    const r = releaseOf({ route, stableTargetGroup: tgArn(STABLE), canaryTargetGroup: CANARY });
    expect(r).toMatchObject({ stable: STABLE, canary: CANARY, wire: { stableTargetGroup: tgArn(STABLE), canaryTargetGroup: CANARY } });
    expect(r.backend?.words.target).toBe('target group');
  });

  test('a missing name is missing, not "undefined"; an unknown route names nothing', () => {
    expect(releaseOf({ route, stableTargetGroup: STABLE })).toMatchObject({ stable: STABLE, wire: { stableTargetGroup: STABLE } });
    expect(releaseOf({ route, stableTargetGroup: STABLE }).canary).toBeUndefined();
    expect(releaseOf({ route: { nope: 1 }, stableNode: 'x' })).toEqual({ wire: {} });
    expect(releaseOf(undefined)).toEqual({ wire: {} });
  });
});

describe('watch, the event lines and the report on a Lattice execution', () => {
  test('the frame names the target groups, the table\'s word is "target group", the canary\'s share read from relative weights', () => {
    const h = latticeHistory(latticeInput());
    const view = watchView({ description: { name: 'x', status: 'RUNNING', startDate: new Date(T0) }, history: h.events }, new Date(T0 + 10_000));
    expect(view).toMatchObject({ stable: STABLE, canary: CANARY, targetWord: 'target group', canaryWeight: 30, route: `${SVC}/${LISTENER}/${RULE}` });
    const frame = renderFrame(view, plain, new Date(T0 + 10_000)).join('\n');
    expect(frame).toContain(`release  ${STABLE} → ${CANARY}`);
    expect(frame).toMatch(/target group\s+weight\s+share/);
    expect(frame).not.toContain('undefined');
  });

  test('the snapshot, in Lattice\'s target shape, is an event; a halt\'s share is computed against the canary by ID', () => {
    const h = latticeHistory(latticeInput({ canaryTargetGroup: tgArn(CANARY) }));
    const events = deploymentEvents(h.halt());
    expect(events.find((e) => e.kind === 'prepared')).toMatchObject({ snapshot: [{ id: STABLE, weight: 100 }] });
    const view = watchView({ description: { name: 'x', status: 'RUNNING', startDate: new Date(T0) }, history: h.events }, new Date(T0 + 20_000));
    expect(view.canaryWeight).toBe(75);
    expect(events.map((e) => eventText(e, plain))).toEqual(expect.arrayContaining([
      `started: ${SVC}/${LISTENER}/${RULE} ${STABLE} → ${CANARY} (linear, +10% every 1 min)`,
      `snapshot taken: ${STABLE} 100`,
    ]));
  });

  test('the report\'s title names the canary target group', () => {
    const h = latticeHistory(latticeInput());
    const svg = renderReport({ description: { name: 'x', status: 'RUNNING', startDate: new Date(T0) }, history: h.events }, new Date(T0 + 10_000));
    expect(svg).toContain(`${CANARY} on ${SVC}/${LISTENER}/${RULE}`);
    expect(svg).toContain(`${STABLE} → ${CANARY}`);
    expect(svg).not.toContain('undefined');
  });

  test('the prepared deployment is found by its snapshot (weightedTargets in Lattice\'s target shape), as abort and approve read it', () => {
    const h = latticeHistory(latticeInput());
    expect(preparedDeployment(h.events)?.snapshot).toMatchObject({ router: 'lattice', weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 100 }] });
  });
});

describe('the approver\'s message', () => {
  const lattice = () => ({ ...event('request-approval-lattice.json').deployment });

  test('VPC Lattice: the target groups by ID, called target groups; never "undefined"', () => {
    const { subject, body } = approvalMessage({ ...lattice(), stableTargetGroup: tgArn(STABLE) }, 'token', 25);
    // The rule's label does not fit SNS's subject (under 100 characters): the body names the route.
    expect(subject).toBe(`mesh-canary: approve ${CANARY}?`);
    expect(body).toContain(`  route      ${SVC}/${LISTENER}/${RULE}`);
    expect(body).toContain(`  stable     ${STABLE} (target group)`);
    expect(body).toContain(`  canary     ${CANARY} (target group) (now at 25% of the stable+canary traffic)`);
    expect(body).not.toContain('undefined');
  });

  test('App Mesh: the virtual nodes, as before', () => {
    const d = { ...event('set-weight.json').deployment, executionId: 'arn:x' };
    const { subject, body } = approvalMessage(d, 'token');
    expect(subject).toBe('mesh-canary: approve product-v15-vn on demomesh/product-vr/product-r?');
    expect(body).toContain('  stable     product-vn (virtual node)');
  });
});

describe('routes: which route', () => {
  test('the Lattice form: IDs or ARNs, --rule optional (the listener\'s default action)', () => {
    expect(routeFromOptions({ service: SVC, listener: LISTENER, rule: RULE })).toEqual(route);
    expect(routeFromOptions({ service: SVC, listener: LISTENER })).toEqual({ service: SVC, listener: LISTENER });
    const arn = `${PREFIX}:service/${SVC}/listener/${LISTENER}/rule/${RULE}`;
    expect(routeFromOptions({ service: SVC, listener: LISTENER, rule: arn })).toEqual({ service: SVC, listener: LISTENER, rule: arn });
  });

  test.each([
    [{ mesh: 'm', service: SVC, listener: LISTENER }, /--mesh name an App Mesh route and --service, --listener a VPC Lattice one: give one route/],
    [{ mesh: 'm', router: 'r', route: 'x', rule: RULE }, /--mesh, --router, --route name an App Mesh route and --rule a VPC Lattice one/],
    [{ meshOwner: '123456789012', service: SVC, listener: LISTENER }, /--mesh-owner name an App Mesh route/],
    [{ input: 'x.json', service: SVC }, /give either --input FILE or the route's flags \(--service\), not both/],
    [{ service: SVC }, /which VPC Lattice route\? missing --listener \(--rule is optional/],
    [{ rule: RULE }, /missing --service, --listener/],
    [{ service: 'product', listener: LISTENER }, /not a VPC Lattice route:\n {2}- --service must be a VPC Lattice service ID/],
    [{ service: SVC, listener: `${PREFIX}:service/svc-0000000000000000a/listener/${LISTENER}` }, /listener's ARN names service svc-0000000000000000a, but service is svc-0123456789abcdef0/],
    [{ mesh: 'm' }, /missing --router, --route \(or --service\/--listener \[--rule\] for a VPC Lattice route/],
  ])('%j is a usage error', (options, message) => {
    expect(() => routeFromOptions(options)).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(message) }));
  });

  test('on the command line: exit 2 before any AWS call', async () => {
    const r = await cli('routes', '--mesh', 'm', '--router', 'r', '--route', 'x', '--service', SVC, ...local);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a VPC Lattice one: give one route');
  });
});

describe('routes on a Lattice rule: target groups by name and ID', () => {
  const lattice = mockClient(VPCLatticeClient);
  beforeEach(() => {
    lattice.reset();
    lattice.on(GetRuleCommand).resolves({
      arn: `${PREFIX}:service/${SVC}/listener/${LISTENER}/rule/${RULE}`, lastUpdatedAt: new Date(T0),
      action: { forward: { targetGroups: [{ targetGroupIdentifier: STABLE, weight: 7 }, { targetGroupIdentifier: CANARY, weight: 3 }] } },
    });
    lattice.on(GetTargetGroupCommand, { targetGroupIdentifier: STABLE }).resolves({ id: STABLE, name: 'product-v1' });
    lattice.on(GetTargetGroupCommand, { targetGroupIdentifier: CANARY }).resolves({ id: CANARY, name: 'product-v15' });
  });
  const args = ['routes', '--service', SVC, '--listener', LISTENER, '--rule', RULE, ...local];

  test('the table: "name (id)", each one\'s share', async () => {
    const r = await cli(...args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${SVC}/${LISTENER}/${RULE}  rule`);
    expect(r.stdout).toMatch(new RegExp(`product-v1 \\(${STABLE}\\)\\s+7\\s+70%`));
    expect(r.stdout).toMatch(new RegExp(`product-v15 \\(${CANARY}\\)\\s+3\\s+30%`));
    expect(lattice.commandCalls(GetTargetGroupCommand)).toHaveLength(2);
  });

  test('--output json: Lattice\'s wire format ({targetGroupIdentifier, weight}) with the name and share', async () => {
    const r = await cli(...args, '--output', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      route, routeKind: 'rule',
      weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 7, name: 'product-v1', share: 70 }, { targetGroupIdentifier: CANARY, weight: 3, name: 'product-v15', share: 30 }],
    });
  });

  test('a name that cannot be read (no vpc-lattice:GetTargetGroup, or gone) leaves that target group by ID, and says why', async () => {
    lattice.on(GetTargetGroupCommand, { targetGroupIdentifier: CANARY }).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client', $metadata: {} }));
    const r = await cli(...args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\\n  ${CANARY}\\s+3\\s+30%`));
    expect(r.stdout).toContain(`names not read (vpc-lattice:GetTargetGroup): ${CANARY} (AccessDeniedException)`);
  });

  test('the listener\'s default action without --rule (GetListener)', async () => {
    lattice.on(GetListenerCommand).resolves({ arn: `${PREFIX}:service/${SVC}/listener/${LISTENER}`, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: STABLE, weight: 100 }] } } });
    const r = await cli('routes', '--service', SVC, '--listener', LISTENER, ...local);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${SVC}/${LISTENER}/default  defaultAction`);
    expect(r.stdout).toMatch(new RegExp(`product-v1 \\(${STABLE}\\)\\s+100\\s+100%`));
  });
});

describe('start validates a Lattice input with the prepare step\'s rules', () => {
  test('every bad field named, nothing started (exit 2 before any AWS call)', async () => {
    const bad = latticeInput({ canaryTargetGroup: 'product-v15', settleSeconds: 7200, healthChecks: { errorRates: [{ name: 'e', targetGroup: 'x', maxErrorPercent: 1, windowSeconds: 60 }] } });
    const r = await cli('start', 'linear', '--input', file('bad-lattice.json', bad), ...local);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad-lattice.json is not a valid linear deployment input:');
    expect(r.stderr).toMatch(/ {2}- canaryTargetGroup must be a VPC Lattice target group ID/);
    expect(r.stderr).toMatch(/ {2}- settleSeconds must be an integer from 0 to 3600 \(got 7200\)/);
    expect(r.stderr).toMatch(/ {2}- healthChecks\.errorRates\[0\]\.targetGroup must be a VPC Lattice target group ID/);
  });

  test('App Mesh\'s fields beside a Lattice route are named as unknown; the same target group twice is refused', async () => {
    const r = await cli('start', 'linear', '--input', file('mixed.json', latticeInput({ canaryNode: 'product-v15-vn' })), ...local);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/canaryNode/);
    const same = await cli('start', 'linear', '--input', file('same.json', latticeInput({ canaryTargetGroup: tgArn(STABLE) })), ...local);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain(`canaryTargetGroup must differ from stableTargetGroup (both are ${STABLE})`);
  });

  test('a good Lattice input starts an execution named after the canary target group', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:n' });
    try {
      const r = await cli('start', 'linear', '--input', file('good-lattice.json', latticeInput()), '--state-machine-arn', 'arn:aws:states:us-east-1:123456789012:stateMachine:LinearStateMachine', ...local);
      expect(r.code).toBe(0);
      const sent = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
      expect(sent.name).toMatch(new RegExp(`^${CANARY}-\\d{8}-\\d{6}$`));
      expect(JSON.parse(sent.input!)).toEqual(latticeInput());
    } finally {
      sfn.restore();
    }
  });
});

describe('the Lattice payloads in events/ are valid against the input contract', () => {
  test.each(['linear', 'step-then-all', 'manual-approval'] as const)('execution-lattice-%s.json', (machine) => {
    const input = event(`execution-lattice-${machine}.json`);
    expect(parseDeploymentInput(input, machine)).toEqual(input);
    expect(input.strategy.type).toBe(machine);
  });

  test.each([
    ['set-weight-lattice.json', parseSetWeightEvent],
    ['promote-lattice.json', parsePromoteEvent],
    ['rollback-lattice.json', parseRollbackEvent],
    ['check-health-lattice.json', parseCheckHealthEvent],
    ['request-approval-lattice.json', parseRequestApprovalEvent],
  ] as const)('%s parses to itself, a Lattice deployment', (name, parse) => {
    const e = event(name);
    expect(parse(e)).toEqual(e);
    expect(e.deployment.route).toEqual(route);
    expect(e.deployment.snapshot.router).toBe('lattice');
  });

  test('check-health-lattice.json judges an errorRates check; prepare-lattice.json is a prepare event', () => {
    expect(event('check-health-lattice.json').deployment.healthChecks.errorRates).toHaveLength(1);
    expect(parsePrepareEvent(event('prepare-lattice.json')).input).toMatchObject({ route, canaryTargetGroup: CANARY });
  });
});

describe('--output json of watch and approve on a Lattice execution', () => {
  const ARN = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x';
  const sfn = mockClient(SFNClient);
  afterAll(() => sfn.restore());

  test('watch: stable and canary by ID, the input\'s own fields (stableTargetGroup, canaryTargetGroup), targets in Lattice\'s wire format', async () => {
    const h = latticeHistory(latticeInput({ canaryTargetGroup: tgArn(CANARY) }));
    sfn.reset();
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: ARN, name: 'x', status: 'SUCCEEDED', startDate: new Date(T0), stopDate: new Date(T0 + 9000) });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: h.events });
    const r = await cli('watch', ARN, '--output', 'json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      route: `${SVC}/${LISTENER}/${RULE}`, stable: STABLE, canary: CANARY, stableTargetGroup: STABLE, canaryTargetGroup: tgArn(CANARY),
      weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 7 }, { targetGroupIdentifier: CANARY, weight: 3 }],
    });
    expect(out).not.toHaveProperty('canaryNode');
  });
});

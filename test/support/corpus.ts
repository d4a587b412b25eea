// A generated corpus of malformed deployment inputs: wrong types, out-of-range and non-integer
// numbers, missing or empty names, unknown strategies, huge numbers, nulls, unicode, extra
// fields. Each case says which field the error message must name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BadInput {
  label: string;
  input: unknown;
  /** The field the InvalidInput message must name. */
  field: string;
  /** False for rules JSON Schema cannot express (checked by the validator only). */
  schemaCanTell: boolean;
  /** The machine to start (default: the strategy's own). */
  machine?: 'linear' | 'step-then-all' | 'manual-approval';
}

const root = join(__dirname, '..', '..');
export const validInputs: Record<'linear' | 'step-then-all' | 'manual-approval', any> = {
  linear: JSON.parse(readFileSync(join(root, 'events', 'execution-linear.json'), 'utf8')),
  'step-then-all': JSON.parse(readFileSync(join(root, 'events', 'execution-step-then-all.json'), 'utf8')),
  'manual-approval': JSON.parse(readFileSync(join(root, 'events', 'execution-manual-approval.json'), 'utf8')),
};

/** A VPC Lattice input of each strategy: the App Mesh one with a listener rule and target groups instead. */
const ids = { service: 'svc-0a1b2c3d4e5f6a7b8', listener: 'listener-0a1b2c3d4e5f6a7b8', rule: 'rule-0a1b2c3d4e5f6a7b8' };
export const latticeIds = { ...ids, stable: 'tg-0a1b2c3d4e5f6a7b8', canary: 'tg-0f1e2d3c4b5a69788' };
export const LATTICE_ARN = 'arn:aws:vpc-lattice:us-east-1:123456789012';
const asLattice = ({ route: _r, stableNode: _s, canaryNode: _c, ...rest }: any) => ({
  route: { ...ids }, stableTargetGroup: latticeIds.stable, canaryTargetGroup: latticeIds.canary, ...rest,
});
export const validLatticeInputs: Record<'linear' | 'step-then-all' | 'manual-approval', any> = {
  linear: asLattice(validInputs.linear),
  'step-then-all': asLattice(validInputs['step-then-all']),
  'manual-approval': asLattice(validInputs['manual-approval']),
};

const long = (n: number) => 'a'.repeat(n);
const badNames: unknown[] = [null, 42, true, '', ' product', 'has space', 'ünïcødé', 'a/b', long(256), [], {}, '-lead', 'emoji-🚀', 'tab\tname'];
const badInts = (min: number, max: number): unknown[] => [null, String(min), min - 1, max + 1, min + 0.5, 1e300, -1e300, true, [], {}, 'NaN'];
const badText: unknown[] = ['', long(256), 'ctrl\u0001char', 5, null, [], false];

function set(obj: any, path: string[], value: unknown): any {
  const copy = structuredClone(obj);
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key];
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return copy;
}

export function malformedInputs(): BadInput[] {
  const cases: BadInput[] = [];
  const add = (label: string, input: unknown, field: string, schemaCanTell = true, machine?: BadInput['machine']) =>
    cases.push({ label, input, field, schemaCanTell, machine });
  const lin = validInputs.linear;
  const sta = validInputs['step-then-all'];
  const man = validInputs['manual-approval'];

  for (const v of [null, [], 'linear', 42, true]) add(`input is ${JSON.stringify(v)}`, v, 'input', true, 'linear');

  for (const field of ['route', 'stableNode', 'canaryNode', 'strategy']) add(`no ${field}`, set(lin, [field], undefined), field);
  for (const field of ['meshName', 'virtualRouterName', 'routeName']) {
    add(`no route.${field}`, set(lin, ['route', field], undefined), `route.${field}`);
    for (const v of badNames) add(`route.${field} = ${JSON.stringify(v)?.slice(0, 20)}`, set(lin, ['route', field], v), `route.${field}`);
  }
  for (const field of ['stableNode', 'canaryNode']) {
    for (const v of badNames) add(`${field} = ${JSON.stringify(v)?.slice(0, 20)}`, set(lin, [field], v), field);
  }
  for (const v of ['12345', '1234567890123', 'abcdefghijkl', 123456789012, null]) add(`route.meshOwner = ${JSON.stringify(v)}`, set(lin, ['route', 'meshOwner'], v), 'route.meshOwner');

  for (const v of [null, 'canary', 'Linear', 'blue-green', 7, {}]) {
    add(`strategy.type = ${JSON.stringify(v)}`, set(lin, ['strategy', 'type'], v), 'strategy.type');
  }
  add('strategy is a string', set(lin, ['strategy'], 'linear'), 'strategy');
  for (const v of badInts(1, 100)) add(`linear stepPercent = ${JSON.stringify(v)}`, set(lin, ['strategy', 'stepPercent'], v), 'strategy.stepPercent');
  for (const v of badInts(0, 86400)) add(`linear intervalSeconds = ${JSON.stringify(v)}`, set(lin, ['strategy', 'intervalSeconds'], v), 'strategy.intervalSeconds');
  add('linear without stepPercent', set(lin, ['strategy', 'stepPercent'], undefined), 'strategy.stepPercent');
  for (const v of badInts(1, 100)) add(`step-then-all canaryPercent = ${JSON.stringify(v)}`, set(sta, ['strategy', 'canaryPercent'], v), 'strategy.canaryPercent');
  for (const v of badInts(0, 604800)) add(`step-then-all bakeSeconds = ${JSON.stringify(v)}`, set(sta, ['strategy', 'bakeSeconds'], v), 'strategy.bakeSeconds');
  for (const v of badInts(1, 86400)) add(`step-then-all checkIntervalSeconds = ${JSON.stringify(v)}`, set(sta, ['strategy', 'checkIntervalSeconds'], v), 'strategy.checkIntervalSeconds');
  for (const v of badInts(1, 2592000)) add(`manual-approval approvalTimeoutSeconds = ${JSON.stringify(v)}`, set(man, ['strategy', 'approvalTimeoutSeconds'], v), 'strategy.approvalTimeoutSeconds');
  for (const v of ['', 'Rollback', 'approve', null, 1]) add(`onApprovalTimeout = ${JSON.stringify(v)}`, set(man, ['strategy', 'onApprovalTimeout'], v), 'strategy.onApprovalTimeout');
  add('a linear field on step-then-all', set(sta, ['strategy', 'stepPercent'], 10), 'stepPercent');
  add('manual-approval without approvalTimeoutSeconds', set(man, ['strategy', 'approvalTimeoutSeconds'], undefined), 'strategy.approvalTimeoutSeconds');

  for (const v of badInts(1, 100)) add(`failureThreshold = ${JSON.stringify(v)}`, set(lin, ['failureThreshold'], v), 'failureThreshold');
  for (const v of ['', 'ignore', 'PASS', null, false]) add(`inconclusive = ${JSON.stringify(v)}`, set(lin, ['inconclusive'], v), 'inconclusive');
  for (const v of ['', 'ignore', 'Rollback', null, 0]) add(`onDrift = ${JSON.stringify(v)}`, set(lin, ['onDrift'], v), 'onDrift');
  for (const v of ['true', 1, null, []]) add(`keepStableTarget = ${JSON.stringify(v)}`, set(lin, ['keepStableTarget'], v), 'keepStableTarget');

  const metric = ['healthChecks', 'metrics', '0'];
  for (const field of ['name', 'namespace', 'metricName']) {
    for (const v of badText) add(`metric ${field} = ${JSON.stringify(v)?.slice(0, 20)}`, set(lin, [...metric, field], v), `healthChecks.metrics[0].${field}`);
  }
  for (const v of ['avg', 'P99', 'p101', 'p99.999', 'p0', 'p100.5', '', null, 99]) add(`metric statistic = ${JSON.stringify(v)}`, set(lin, [...metric, 'statistic'], v), 'healthChecks.metrics[0].statistic');
  for (const v of [90, 59, 0, 86460, '300', 300.5, null, -60]) add(`metric windowSeconds = ${JSON.stringify(v)}`, set(lin, [...metric, 'windowSeconds'], v), 'healthChecks.metrics[0].windowSeconds');
  for (const v of ['>', 'GreaterThan', null, 0]) add(`metric comparison = ${JSON.stringify(v)}`, set(lin, [...metric, 'comparison'], v), 'healthChecks.metrics[0].comparison');
  for (const v of ['250', null, true, []]) add(`metric threshold = ${JSON.stringify(v)}`, set(lin, [...metric, 'threshold'], v), 'healthChecks.metrics[0].threshold');
  for (const v of [0, -1, 2.5, '5', null]) add(`metric minSampleCount = ${JSON.stringify(v)}`, set(lin, [...metric, 'minSampleCount'], v), 'healthChecks.metrics[0].minSampleCount');
  for (const v of [[], 'VirtualNode=x', { VirtualNode: 5 }, { VirtualNode: '' }, Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`d${i}`, 'v']))]) {
    add(`metric dimensions = ${JSON.stringify(v).slice(0, 20)}`, set(lin, [...metric, 'dimensions'], v), 'healthChecks.metrics[0].dimensions');
  }
  add('metric without metricName', set(lin, [...metric, 'metricName'], undefined), 'healthChecks.metrics[0].metricName');
  add('metrics is an object', set(lin, ['healthChecks', 'metrics'], {}), 'healthChecks.metrics');
  add('21 metric checks', set(lin, ['healthChecks', 'metrics'], Array.from({ length: 21 }, (_, i) => ({ ...lin.healthChecks.metrics[0], name: `m${i}` }))), 'healthChecks.metrics');
  for (const v of [[], 'product-v15-5xx', [1], [''], Array.from({ length: 101 }, (_, i) => `a${i}`), ['a', 'a']]) {
    add(`alarm names = ${JSON.stringify(v).slice(0, 20)}`, set(lin, ['healthChecks', 'alarms', 'names'], v), 'healthChecks.alarms.names');
  }
  for (const v of ['', 5, null]) add(`alarm prefix = ${JSON.stringify(v)}`, set(lin, ['healthChecks', 'alarms'], { prefix: v }), 'healthChecks.alarms.prefix');
  add('alarms with neither names nor prefix', set(lin, ['healthChecks', 'alarms'], {}), 'healthChecks.alarms');
  add('healthChecks is an array', set(lin, ['healthChecks'], []), 'healthChecks');

  for (const [path, field] of [[[], 'weight'], [['route'], 'routeArn'], [['strategy'], 'stepSize'], [['healthChecks'], 'alarm'], [metric, 'unit'], [['healthChecks', 'alarms'], 'state']] as const) {
    add(`extra field ${[...path, field].join('.')}`, set(lin, [...path, field], 1), field);
  }

  // VPC Lattice routes: IDs and ARNs with Lattice's own patterns.
  const lat = validLatticeInputs.linear;
  const id17 = '0a1b2c3d4e5f6a7b8';
  const badIds = (kind: string, arnPath: string): unknown[] => [
    null, 42, '', `${kind}-123`, `${kind}-${id17}x`, `${kind.toUpperCase()}-${id17}`, `${kind}-0A1B2C3D4E5F6A7B8`, ` ${kind}-${id17}`,
    `${LATTICE_ARN}:${arnPath}/${kind}-short`, `arn:aws:vpc-lattice:us-east-1:12345:${arnPath}/${kind}-${id17}`, `arn:aws:appmesh:us-east-1:123456789012:${arnPath}/${kind}-${id17}`,
    'product-vn', [], {},
  ];
  for (const v of badIds('svc', 'service')) add(`lattice route.service = ${JSON.stringify(v)?.slice(0, 30)}`, set(lat, ['route', 'service'], v), 'route.service');
  for (const v of badIds('listener', `service/svc-${id17}/listener`)) add(`lattice route.listener = ${JSON.stringify(v)?.slice(0, 30)}`, set(lat, ['route', 'listener'], v), 'route.listener');
  for (const v of badIds('rule', `service/svc-${id17}/listener/listener-${id17}/rule`)) add(`lattice route.rule = ${JSON.stringify(v)?.slice(0, 30)}`, set(lat, ['route', 'rule'], v), 'route.rule');
  for (const field of ['stableTargetGroup', 'canaryTargetGroup']) {
    for (const v of badIds('tg', 'targetgroup')) add(`lattice ${field} = ${JSON.stringify(v)?.slice(0, 30)}`, set(lat, [field], v), field);
    add(`lattice without ${field}`, set(lat, [field], undefined), field);
  }
  add('lattice route: a listener ARN given as the rule', set(lat, ['route', 'rule'], `${LATTICE_ARN}:service/${ids.service}/listener/${ids.listener}`), 'route.rule');
  add('lattice route: a rule ID given as the listener', set(lat, ['route', 'listener'], ids.rule), 'route.listener');
  add('lattice route: a target group given as the service', set(lat, ['route', 'service'], latticeIds.stable), 'route.service');
  add('lattice route without listener', set(lat, ['route', 'listener'], undefined), 'route.listener');
  add('lattice route without service', set(lat, ['route', 'service'], undefined), 'route.service');
  add('lattice route with an extra field', set(lat, ['route', 'port'], 80), 'port');
  add('lattice route with an App Mesh field', set(lat, ['route', 'meshName'], 'demomesh'), 'meshName');
  add('lattice input naming virtual nodes too', set(lat, ['stableNode'], 'product-vn'), 'stableNode');
  add('App Mesh route with target groups', set(lin, ['stableTargetGroup'], latticeIds.stable), 'stableTargetGroup');
  add('lattice route is a string', set(lat, ['route'], ids.rule), 'route');
  add('lattice target groups without a route', set(lat, ['route'], undefined), 'route');

  // Rules JSON Schema cannot express.
  add('canaryTargetGroup equal to stableTargetGroup', set(lat, ['canaryTargetGroup'], latticeIds.stable), 'canaryTargetGroup', false);
  add('canaryTargetGroup the ARN of stableTargetGroup', set(lat, ['canaryTargetGroup'], `${LATTICE_ARN}:targetgroup/${latticeIds.stable}`), 'canaryTargetGroup', false);
  add('lattice listener ARN under another service', set(lat, ['route', 'listener'], `${LATTICE_ARN}:service/svc-1111111111111111a/listener/${ids.listener}`), 'route', false);
  add('lattice rule ARN under another listener', set(lat, ['route', 'rule'], `${LATTICE_ARN}:service/${ids.service}/listener/listener-1111111111111111a/rule/${ids.rule}`), 'route', false);
  add('lattice ARNs of two regions', set(set(lat, ['route', 'service'], `${LATTICE_ARN}:service/${ids.service}`), ['route', 'listener'], `arn:aws:vpc-lattice:eu-west-1:123456789012:service/${ids.service}/listener/${ids.listener}`), 'route', false);
  add('a lattice step-then-all input on the linear machine', validLatticeInputs['step-then-all'], 'strategy.type', false, 'linear');
  add('canaryNode equal to stableNode', set(lin, ['canaryNode'], 'product-vn'), 'canaryNode', false);
  add('two metric checks with one name', set(lin, ['healthChecks', 'metrics'], [lin.healthChecks.metrics[0], lin.healthChecks.metrics[0]]), 'healthChecks.metrics', false);
  add('a step-then-all input on the linear machine', sta, 'strategy.type', false, 'linear');
  add('a linear input on the manual-approval machine', lin, 'strategy.type', false, 'manual-approval');

  // Propagation-aware verdicts (issue 10): the settle time after each shift.
  for (const v of badInts(0, 3600)) add(`settleSeconds = ${JSON.stringify(v)}`, set(lin, ['settleSeconds'], v), 'settleSeconds');
  for (const v of [86_400, -90, 90.5]) add(`settleSeconds = ${v} on step-then-all`, set(sta, ['settleSeconds'], v), 'settleSeconds');
  add('settleSeconds = -1 on manual-approval', set(man, ['settleSeconds'], -1), 'settleSeconds');

  // A VPC Lattice target group's request error rate (issue 10).
  const goodRate = { name: 'canary-5xx', targetGroup: 'tg-0123456789abcdef0', maxErrorPercent: 1, windowSeconds: 300, minRequests: 50 };
  const withRate = (field: string, v: unknown) => set(set(lin, ['healthChecks', 'errorRates'], [goodRate]), ['healthChecks', 'errorRates', '0', field], v);
  for (const v of ['tg-1', 'TG-0123456789ABCDEF0', 'arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0', '', null, 5]) {
    add(`errorRate targetGroup = ${JSON.stringify(v)?.slice(0, 20)}`, withRate('targetGroup', v), 'healthChecks.errorRates[0].targetGroup');
  }
  for (const v of [-1, 100.5, '1', null, true]) add(`errorRate maxErrorPercent = ${JSON.stringify(v)}`, withRate('maxErrorPercent', v), 'healthChecks.errorRates[0].maxErrorPercent');
  for (const v of [90, 0, 86460, '300', null]) add(`errorRate windowSeconds = ${JSON.stringify(v)}`, withRate('windowSeconds', v), 'healthChecks.errorRates[0].windowSeconds');
  for (const v of [0, 2.5, '50', null]) add(`errorRate minRequests = ${JSON.stringify(v)}`, withRate('minRequests', v), 'healthChecks.errorRates[0].minRequests');
  add('errorRate without targetGroup', withRate('targetGroup', undefined), 'healthChecks.errorRates[0].targetGroup');
  add('errorRate extra field', withRate('threshold', 1), 'threshold');
  add('errorRates is an object', set(lin, ['healthChecks', 'errorRates'], goodRate), 'healthChecks.errorRates');
  add('two error-rate checks with one name', set(lin, ['healthChecks', 'errorRates'], [goodRate, goodRate]), 'healthChecks.errorRates', false);

  // The opt-in to routes the AWS Gateway API Controller manages (issue 10): a boolean, VPC Lattice only.
  for (const v of ['true', 1, 0, null, 'yes', [], {}]) add(`allowControllerManaged = ${JSON.stringify(v)}`, set(lat, ['allowControllerManaged'], v), 'allowControllerManaged');
  add('allowControllerManaged on an App Mesh input', set(lin, ['allowControllerManaged'], true), 'allowControllerManaged');
  return cases;
}

// Hook checks (issue 13): the Invoke, every way a hook fails, concurrency, and before-promotion
// hooks on the promoting verdict only. Lambda is mocked with AWS's error names (botocore's lambda
// model: AccessDeniedException is the API's own 403, ResourceNotFoundException and
// TooManyRequestsException are Invoke's documented errors).
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkCanaryHealth } from '../../functions/check-health/index.ts';
import { hookEvent, invokeHook, MAX_REASON, type HookEvent } from '../../functions/commons/hooks.ts';
import { parseDeploymentInput, type HookCheck } from '../../functions/commons/input.ts';
import { initialProgress, planOf } from '../../functions/commons/strategy.ts';
import { awsError, event } from '../support/fixtures.ts';

const lambdaMock = mockClient(LambdaClient);
const cwMock = mockClient(CloudWatchClient);
const lambda = new LambdaClient({ region: 'us-east-1' });
const cw = new CloudWatchClient({ region: 'us-east-1' });
const now = new Date('2026-11-27T10:00:00Z');
beforeEach(() => { lambdaMock.reset(); cwMock.reset(); });

const payload = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const answer = (v: unknown, extra: object = {}) => ({ StatusCode: 200, Payload: payload(v), ...extra }) as any;
const smoke: HookCheck = { name: 'smoke', functionName: 'mesh-canary-smoke-test', timeoutSeconds: 1 };
const base: HookEvent = {
  hook: { name: 'smoke', when: 'every-verdict' }, deployment: { strategy: { type: 'linear' }, routes: [] }, checkedAt: now.toISOString(),
};

describe('one hook', () => {
  test('a pass keeps the hook\'s reason; the event is the Invoke\'s payload', async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ verdict: 'pass', reason: 'GET /health answered 200 in 12 ms' }));
    const r = await invokeHook(lambda, smoke, base);
    expect(r).toEqual({ check: 'hook:smoke', verdict: 'pass', reason: 'hook smoke: GET /health answered 200 in 12 ms', durationMs: expect.any(Number) });
    const sent = lambdaMock.commandCalls(InvokeCommand)[0].args[0].input;
    expect(sent.FunctionName).toBe('mesh-canary-smoke-test');
    expect(JSON.parse(new TextDecoder().decode(sent.Payload as Uint8Array))).toEqual(base);
  });

  test.each([
    ['fail', 'canary share 75% is above 50%', 'fail'],
    ['inconclusive', 'no synthetic traffic yet', 'inconclusive'],
  ])('a %s answer is that verdict, with its reason', async (verdict, reason, expected) => {
    lambdaMock.on(InvokeCommand).resolves(answer({ verdict, reason }));
    expect(await invokeHook(lambda, smoke, base)).toMatchObject({ verdict: expected, reason: `hook smoke: ${reason}` });
  });

  test('a thrown error (FunctionError) fails with its errorType and errorMessage', async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ errorType: 'TypeError', errorMessage: 'fetch failed', trace: [] }, { FunctionError: 'Unhandled' }));
    expect(await invokeHook(lambda, smoke, base)).toMatchObject({ verdict: 'fail', reason: 'hook smoke failed: TypeError: fetch failed' });
  });

  test('no answer within timeoutSeconds fails, saying so, and does not wait longer', async () => {
    lambdaMock.on(InvokeCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve(answer({ verdict: 'pass' })), 3000)));
    const started = Date.now();
    const r = await invokeHook(lambda, smoke, base);
    expect(r).toMatchObject({ verdict: 'fail', reason: 'hook smoke did not answer within 1 s' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r.durationMs).toBeGreaterThanOrEqual(990);
  });

  test.each([
    [{ ok: true }, 'answered {"ok":true}, not {"verdict"'],
    [{ verdict: 'passed' }, 'answered {"verdict":"passed"}'],
    [{ verdict: 'pass', reason: 42 }, 'answered {"verdict":"pass","reason":42}'],
    [null, 'answered null'],
    ['"pass"', 'answered "pass"'],
    ['not json', 'answered 8 bytes that are not JSON'],
  ])('a result that is not {verdict, reason?} fails naming what came back: %j', async (value, reason) => {
    lambdaMock.on(InvokeCommand).resolves(answer(value));
    expect(await invokeHook(lambda, smoke, base)).toMatchObject({ verdict: 'fail', reason: expect.stringContaining(`hook smoke ${reason}`) });
  });

  test.each([
    ['AccessDeniedException', 403, 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: lambda:InvokeFunction'],
    ['ResourceNotFoundException', 404, 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:mesh-canary-smoke-test'],
    ['TooManyRequestsException', 429, 'Rate Exceeded.'],
  ])('an Invoke Lambda refuses (%s) fails with the API\'s message: a misconfigured hook never passes', async (name, status, message) => {
    lambdaMock.on(InvokeCommand).rejects(awsError(name, status, message));
    expect(await invokeHook(lambda, smoke, base)).toMatchObject({ verdict: 'fail', reason: `hook smoke could not be invoked: ${name}: ${message}` });
  });

  test(`the hook's reason is kept up to ${MAX_REASON} characters`, async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ verdict: 'fail', reason: 'x'.repeat(5000) }));
    const r = await invokeHook(lambda, smoke, base);
    expect(r.reason).toHaveLength(MAX_REASON);
    expect(r.reason.startsWith('hook smoke: xxx')).toBe(true);
  });
});

describe('the event', () => {
  const d = { ...event('check-health.json').deployment, executionId: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x', strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 } };
  const policy = { failureThreshold: 1, inconclusive: 'fail' as const };
  const plan = planOf(d.strategy as any);
  test.each([
    [initialProgress(), 0, { index: -1, count: 2, final: false }],
    [{ ...initialProgress(), stage: 0, weight: 50 }, 50, { index: 0, count: 2, final: false }],
    [{ ...initialProgress(), stage: 1, weight: 100 }, 100, { index: 1, count: 2, final: true }],
  ])('at %j: canaryPercent %d, stage %j', (progress, canaryPercent, stage) => {
    expect(hookEvent(d, { plan, policy, progress }, now)).toEqual({
      deployment: { executionId: d.executionId, strategy: d.strategy, routes: [{ route: 'demomesh/product-vr/product-r', stable: 'product-vn', canary: 'product-v15-vn' }] },
      canaryPercent, stage, checkedAt: now.toISOString(),
    });
  });
  test('with traffic verification: final when a pass would promote once the split is verified by this verdict; not after a hold (that verdict waits an interval)', () => {
    const traffic = { windowSeconds: 10, maxWaitSeconds: 60, tolerancePercent: 5 };
    const last = { ...initialProgress(), stage: 1, weight: 100, traffic: { weight: 100, since: new Date(now.getTime() - 20_000).toISOString() } };
    expect(hookEvent(d, { plan, policy: { ...policy, traffic }, progress: last }, now).stage).toEqual({ index: 1, count: 2, final: true });
    const held = { ...last, traffic: { ...last.traffic, held: true } };
    expect(hookEvent(d, { plan, policy: { ...policy, traffic }, progress: held }, now).stage).toEqual({ index: 1, count: 2, final: false });
  });

  test('a release: every route, each with its stable and canary (a Lattice target group by its ID)', () => {
    const release = event('check-health-release.json').deployment;
    const e = hookEvent(release, undefined, now);
    expect(e.deployment.routes).toHaveLength(release.routes.length);
    for (const r of e.deployment.routes) expect(r).toEqual({ route: expect.any(String), stable: expect.stringMatching(/^[\w-]+$/), canary: expect.stringMatching(/^[\w-]+$/) });
    // Without progress (a verdict asked for by hand) there is no share or stage to tell.
    expect(e).not.toHaveProperty('stage');
    expect(e).not.toHaveProperty('canaryPercent');
    const lattice = hookEvent(event('check-health-lattice.json').deployment, undefined, now);
    expect(lattice.deployment.routes[0].canary).toMatch(/^tg-[0-9a-z]{17}$/);
  });

  test('events/hook.json is such an event', () => {
    const e = event('hook.json');
    expect(Object.keys(e).sort()).toEqual(['canaryPercent', 'checkedAt', 'deployment', 'hook', 'stage']);
    expect(e.hook).toEqual({ name: expect.any(String), when: 'every-verdict' });
    expect(e.stage).toEqual({ index: expect.any(Number), count: expect.any(Number), final: expect.any(Boolean) });
  });
});

describe('check-health with hooks', () => {
  const deploymentWith = (hooks: HookCheck[]) => ({
    ...event('set-weight.json').deployment, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, healthChecks: { hooks },
  });
  const invoked = () => lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input.FunctionName);

  test('every-verdict hooks run concurrently, and their results are checks of the verdict', async () => {
    lambdaMock.on(InvokeCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve(answer({ verdict: 'pass' })), 400)));
    const hooks = ['a', 'b', 'c'].map((name) => ({ name, functionName: `hook-${name}` }));
    const started = Date.now();
    const out = await checkCanaryHealth({ deployment: deploymentWith(hooks), progress: { ...initialProgress(), stage: 0, weight: 50 } }, cw, now, lambda);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(out.checks.map((c) => c.check)).toEqual(['hook:a', 'hook:b', 'hook:c']);
    expect(out.progress).toMatchObject({ decision: 'advance', nextWeight: 100 });
  });

  test('a failing hook rolls back with its reason', async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ verdict: 'fail', reason: 'canary share 50% is above 25%' }));
    const out = await checkCanaryHealth({ deployment: deploymentWith([smoke]), progress: { ...initialProgress(), stage: 0, weight: 50 } }, cw, now, lambda);
    expect(out.progress).toMatchObject({ decision: 'rollback', reason: expect.stringContaining('hook smoke: canary share 50% is above 25%') });
  });

  test('every-verdict hooks run at the baseline too (canaryPercent 0); before-promotion ones do not', async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ verdict: 'pass' }));
    const out = await checkCanaryHealth({ deployment: deploymentWith([smoke, { name: 'gate', functionName: 'gate-fn', when: 'before-promotion' }]), progress: initialProgress() }, cw, now, lambda);
    expect(invoked()).toEqual(['mesh-canary-smoke-test']);
    expect(out.progress?.decision).toBe('advance');
    const sent = JSON.parse(new TextDecoder().decode(lambdaMock.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array));
    expect(sent).toMatchObject({ canaryPercent: 0, stage: { index: -1, final: false } });
  });

  test('before-promotion hooks run only on the verdict that would promote, after the other checks, and decide again', async () => {
    const order: string[] = [];
    lambdaMock.on(InvokeCommand).callsFake(async (input) => {
      order.push(`start ${input.FunctionName}`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`end ${input.FunctionName}`);
      return answer(input.FunctionName === 'gate-fn' ? { verdict: 'fail', reason: 'migration not finished' } : { verdict: 'pass' });
    });
    const d = deploymentWith([smoke, { name: 'gate', functionName: 'gate-fn', when: 'before-promotion' }]);
    const mid = await checkCanaryHealth({ deployment: d, progress: { ...initialProgress(), stage: 0, weight: 50 } }, cw, now, lambda);
    expect(mid.progress?.decision).toBe('advance');
    expect(invoked()).toEqual(['mesh-canary-smoke-test']);
    order.length = 0;
    const last = await checkCanaryHealth({ deployment: d, progress: { ...initialProgress(), stage: 1, weight: 100 } }, cw, now, lambda);
    expect(order).toEqual(['start mesh-canary-smoke-test', 'end mesh-canary-smoke-test', 'start gate-fn', 'end gate-fn']);
    expect(last.checks.map((c) => [c.check, c.verdict])).toEqual([['hook:smoke', 'pass'], ['hook:gate', 'fail']]);
    expect(last.progress).toMatchObject({ decision: 'rollback', reason: expect.stringContaining('hook gate: migration not finished') });
    // The execution's output (verdicts: the progress's history) says which hooks ran on each verdict.
    expect(last.progress?.history.at(-1)).toMatchObject({ hooks: { smoke: 'pass', gate: 'fail' }, reasons: ['hook gate: migration not finished'] });
    const gateEvent = JSON.parse(new TextDecoder().decode(lambdaMock.commandCalls(InvokeCommand).at(-1)!.args[0].input.Payload as Uint8Array));
    expect(gateEvent).toMatchObject({ hook: { name: 'gate', when: 'before-promotion' }, canaryPercent: 100, stage: { index: 1, count: 2, final: true } });
  });

  test('a passing before-promotion hook promotes; a failing other check means it is never invoked', async () => {
    lambdaMock.on(InvokeCommand, { FunctionName: 'gate-fn' }).resolves(answer({ verdict: 'pass' }));
    lambdaMock.on(InvokeCommand, { FunctionName: 'mesh-canary-smoke-test' }).resolves(answer({ verdict: 'fail' }));
    const gateHook: HookCheck = { name: 'gate', functionName: 'gate-fn', when: 'before-promotion' };
    const ok = await checkCanaryHealth({ deployment: deploymentWith([gateHook]), progress: { ...initialProgress(), stage: 1, weight: 100 } }, cw, now, lambda);
    expect(ok.progress?.decision).toBe('promote');
    lambdaMock.resetHistory();
    const bad = await checkCanaryHealth({ deployment: deploymentWith([smoke, gateHook]), progress: { ...initialProgress(), stage: 1, weight: 100 } }, cw, now, lambda);
    expect(bad.progress?.decision).toBe('rollback');
    expect(invoked()).toEqual(['mesh-canary-smoke-test']);
  });
});

describe('the input', () => {
  const input = (healthChecks: object) => ({ ...event('execution-linear.json'), healthChecks });
  const problem = (healthChecks: object) => {
    try {
      parseDeploymentInput(input(healthChecks));
    } catch (err) {
      expect(err).toMatchObject({ name: 'InvalidInput' });
      return (err as Error).message;
    }
    return 'accepted';
  };
  test.each([
    'mesh-canary-smoke-test', 'smoke:live', 'arn:aws:lambda:us-east-1:123456789012:function:smoke', 'arn:aws:lambda:us-east-1:123456789012:function:smoke:3',
    '123456789012:function:smoke',
  ])('accepts functionName %s', (functionName) => {
    expect(problem({ hooks: [{ name: 'h', functionName, when: 'before-promotion', timeoutSeconds: 20 }] })).toBe('accepted');
  });
  test.each([
    [{ hooks: [{ name: 'h', functionName: 'has space' }] }, 'healthChecks.hooks[0].functionName must be a Lambda function name'],
    [{ hooks: [{ name: 'h', functionName: 'x'.repeat(257) }] }, 'healthChecks.hooks[0].functionName must be a Lambda function name'],
    [{ hooks: [{ name: 'h', functionName: 'f', timeoutSeconds: 21 }] }, 'healthChecks.hooks[0].timeoutSeconds must be an integer from 1 to 20'],
    [{ hooks: [{ name: 'h', functionName: 'f', when: 'after' }] }, 'healthChecks.hooks[0].when must be one of every-verdict, before-promotion'],
    [{ hooks: [{ name: 'h', functionName: 'f' }, { name: 'h', functionName: 'g' }] }, 'healthChecks.hooks: each check needs its own name'],
    [{ hooks: Array.from({ length: 6 }, (_, i) => ({ name: `h${i}`, functionName: 'f' })) }, 'healthChecks.hooks'],
  ])('refuses %j', (healthChecks, message) => {
    expect(problem(healthChecks)).toContain(message);
  });
  test('a before-promotion hook on the manual-approval machine is refused, naming the hook (a person promotes, with no verdict before it); every-verdict is fine', () => {
    const approval = event('execution-manual-approval.json');
    const gateHook = { name: 'gate', functionName: 'f', when: 'before-promotion' };
    expect(() => parseDeploymentInput({ ...approval, healthChecks: { hooks: [{ name: 'smoke', functionName: 'f' }, gateHook] } }))
      .toThrow(/healthChecks\.hooks\[1\]\.when is before-promotion, but the manual-approval machine promotes on a person's answer \(or its timeout\), with no verdict before it/);
    expect(() => parseDeploymentInput({ ...approval, healthChecks: { hooks: [{ ...gateHook, when: 'every-verdict' }] } })).not.toThrow();
    const release = { ...event('execution-release-linear.json'), strategy: approval.strategy };
    expect(() => parseDeploymentInput({ ...release, routes: release.routes.map((r: object, i: number) => (i === 1 ? { ...r, healthChecks: { hooks: [gateHook] } } : r)) }))
      .toThrow(/routes\[1\]\.healthChecks\.hooks\[0\]\.when is before-promotion/);
  });

  test('a release names each hook once across its sets', () => {
    const release = event('execution-release-linear.json');
    const hooks = [{ name: 'smoke', functionName: 'f' }];
    expect(() => parseDeploymentInput({ ...release, healthChecks: { hooks }, routes: release.routes.map((r: object, i: number) => (i === 0 ? { ...r, healthChecks: { hooks } } : r)) }))
      .toThrow(/routes\[0\]\.healthChecks\.hooks: the check name "smoke" is also used in healthChecks/);
  });
});

describe('the example hooks (examples/hooks/)', () => {
  const e = (canaryPercent: number): any => ({ ...event('hook.json'), canaryPercent });
  test('share-limit fails above MAX_CANARY_PERCENT (default 50), with the share in its reason', async () => {
    const { handler } = await import('../../examples/hooks/share-limit.ts');
    expect(await handler(e(50))).toEqual({ verdict: 'pass', reason: "the canary's share 50% is at most 50%" });
    expect(await handler(e(75))).toEqual({ verdict: 'fail', reason: "the canary's share 75% is above 50%" });
  });
  test('smoke-test passes without SMOKE_TEST_URL, saying so', async () => {
    const { handler } = await import('../../examples/hooks/smoke-test.ts');
    expect(await handler(e(25))).toEqual({ verdict: 'pass', reason: 'no SMOKE_TEST_URL: nothing to test at 25%' });
  });
});

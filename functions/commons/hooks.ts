// Hook checks (issue 13): Lambda functions a deployment names in healthChecks.hooks, invoked by
// check-health as checks of a verdict (no extra state transition). Each answers
// {"verdict": "pass" | "fail" | "inconclusive", "reason"?} to the event below (events/hook.json);
// every other outcome is a failing check whose reason says what happened, so a misconfigured or
// broken hook never passes:
//   - the function threw (Lambda's FunctionError)  → "hook <name> failed: <errorType>: <errorMessage>"
//   - no answer within timeoutSeconds               → "hook <name> did not answer within <n> s"
//   - an answer that is not a result                → "hook <name> answered <what came back>, not {verdict: ...}"
//   - Lambda refused the Invoke (AccessDeniedException, ResourceNotFoundException, throttling
//     after the SDK's retries, ...)                 → "hook <name> could not be invoked: <error name>: <message>"
// `every-verdict` hooks run on every verdict (the baseline included), with the other checks;
// `before-promotion` ones only on the verdict whose pass would promote. All of a verdict's hooks run
// concurrently.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CheckResult } from './health.ts';
import { DEFAULT_HOOK_TIMEOUT, type HealthChecks, type HookCheck } from './input.ts';
import { routeLabels, routeParts } from './release.ts';
import { latticeIdOf } from './routers/lattice/reference.ts';
import { gate, type GatePolicy, type Progress, type Stage } from './strategy.ts';

export type HookTiming = NonNullable<HookCheck['when']>;

/** What a hook receives. */
export interface HookEvent {
  hook: { name: string; when: HookTiming };
  deployment: {
    executionId?: string;
    strategy?: unknown;
    routes: { route: string; stable: string; canary: string }[];
  };
  /** The canary's share now (0 at the baseline); absent on a verdict asked for without progress. */
  canaryPercent?: number;
  /** index -1 is the baseline; final: a passing verdict now promotes. Absent without progress. */
  stage?: { index: number; count: number; final: boolean };
  checkedAt: string;
}

/** What a hook answers. */
export interface HookAnswer {
  verdict: 'pass' | 'fail' | 'inconclusive';
  reason?: string;
}

/** A hook's entry in the verdict's checks. */
export interface HookResult extends CheckResult {
  /** How long the invocation took (until the timeout, for one that did not answer). */
  durationMs: number;
}

/** The hook's own reason is kept up to this many characters. */
export const MAX_REASON = 1000;

/** Every hook of one or several sets of checks (a release's own and each route's), of one timing. */
export function hooksOf(sets: readonly (HealthChecks | undefined)[], when: HookTiming): HookCheck[] {
  return sets.flatMap((s) => s?.hooks ?? []).filter((h) => (h.when ?? 'every-verdict') === when);
}

/** Where the deployment stands, for the hook's event: the gate's plan, policy and progress. */
export interface HookStage {
  plan: Stage[];
  policy: GatePolicy;
  progress: Progress;
}

type DeploymentLike = { executionId?: string; strategy?: unknown };

/** The event every hook of this verdict receives (its `hook` aside). Pure. */
export function hookEvent(deployment: DeploymentLike, at: HookStage | undefined, now: Date): Omit<HookEvent, 'hook'> {
  const labels = routeLabels(deployment);
  const routes = routeParts(deployment as Record<string, unknown>).map((p, i) => ({
    route: labels[i],
    stable: targetId(p.stableNode ?? p.stableTargetGroup),
    canary: targetId(p.canaryNode ?? p.canaryTargetGroup),
  }));
  const event: Omit<HookEvent, 'hook'> = {
    deployment: { ...(deployment.executionId ? { executionId: deployment.executionId } : {}), strategy: deployment.strategy, routes },
    checkedAt: now.toISOString(),
  };
  if (at) {
    event.canaryPercent = at.progress.stage < 0 ? 0 : at.progress.weight;
    event.stage = {
      index: at.progress.stage,
      count: at.plan.length,
      // What the gate would decide on a pass now (the hooks' own verdict aside), the split verified
      // too if this deployment verifies it: a pass is every check passing.
      final: gate(at.plan, at.policy, at.progress, 'pass', [], now, { verified: true, measured: [] }).decision === 'promote',
    };
  }
  return event;
}

const targetId = (v: unknown): string => (typeof v === 'string' ? (v.startsWith('arn:') ? latticeIdOf(v) : v) : '?');

const clip = (s: string): string => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON - 1)}…` : s);

/** A hook's answer (the Invoke's payload and FunctionError) as its check. Pure. */
export function hookResult(hook: HookCheck, payload: string, functionError: string | undefined, durationMs: number): HookResult {
  const check = `hook:${hook.name}`;
  const failing = (reason: string): HookResult => ({ check, verdict: 'fail', reason: clip(reason), durationMs });
  let value: unknown;
  try {
    value = payload === '' ? null : JSON.parse(payload);
  } catch {
    value = undefined;
  }
  if (functionError !== undefined) {
    const e = (typeof value === 'object' && value !== null ? value : {}) as { errorType?: unknown; errorMessage?: unknown };
    return failing(`hook ${hook.name} failed: ${String(e.errorType ?? functionError)}: ${String(e.errorMessage ?? payload)}`);
  }
  const answer = value as Partial<HookAnswer> | undefined;
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)
    || !['pass', 'fail', 'inconclusive'].includes(answer.verdict as string)
    || (answer.reason !== undefined && typeof answer.reason !== 'string')) {
    const got = value === undefined ? `${payload.length} bytes that are not JSON` : JSON.stringify(value).slice(0, 200);
    return failing(`hook ${hook.name} answered ${got}, not {"verdict": "pass" | "fail" | "inconclusive", "reason"?: string}`);
  }
  const verdict = answer.verdict as HookAnswer['verdict'];
  return { check, verdict, reason: clip(`hook ${hook.name}: ${answer.reason ?? (verdict === 'pass' ? 'passed' : verdict)}`), durationMs };
}

/** Invokes one hook and returns its check: never throws (see the header for each failure). */
export async function invokeHook(client: LambdaClient, hook: HookCheck, event: HookEvent): Promise<HookResult> {
  const seconds = hook.timeoutSeconds ?? DEFAULT_HOOK_TIMEOUT;
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => { abort.abort(); resolve('timeout'); }, seconds * 1000);
  });
  const late = (): HookResult => ({ check: `hook:${hook.name}`, verdict: 'fail', reason: `hook ${hook.name} did not answer within ${seconds} s`, durationMs: elapsed() });
  try {
    const out = await Promise.race([
      client.send(new InvokeCommand({ FunctionName: hook.functionName, Payload: new TextEncoder().encode(JSON.stringify(event)) }), { abortSignal: abort.signal }),
      timedOut,
    ]);
    if (out === 'timeout') return late();
    return hookResult(hook, out.Payload ? new TextDecoder().decode(out.Payload) : '', out.FunctionError, elapsed());
  } catch (err) {
    if (abort.signal.aborted) return late();
    const e = err as { name?: string; message?: string };
    return { check: `hook:${hook.name}`, verdict: 'fail', durationMs: elapsed(),
      reason: clip(`hook ${hook.name} could not be invoked: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`) };
  } finally {
    clearTimeout(timer);
  }
}

/** Invokes the hooks concurrently, each with the event of this verdict; their checks in the hooks' order. */
export function runHooks(client: LambdaClient, hooks: HookCheck[], base: Omit<HookEvent, 'hook'>): Promise<HookResult[]> {
  return Promise.all(hooks.map((h) => invokeHook(client, h, { hook: { name: h.name, when: h.when ?? 'every-verdict' }, ...base })));
}

/**
 * The hooks' verdicts on the progress's last history entry (`hooks: { <name>: verdict }`), so the
 * execution's output (its `verdicts`) says which hooks ran on each verdict and what they said; the
 * reasons of those that did not pass are already in the entry's `reasons`. Kept this small because
 * the history (up to 100 entries) travels in the state machine's payload.
 */
export function withHookVerdicts<P extends { history: object[] }>(progress: P, checks: readonly CheckResult[]): P {
  const hooks = Object.fromEntries(checks.filter((c) => c.check.startsWith('hook:')).map((c) => [c.check.slice('hook:'.length), c.verdict]));
  if (!Object.keys(hooks).length || !progress.history.length) return progress;
  return { ...progress, history: [...progress.history.slice(0, -1), { ...progress.history.at(-1), hooks }] };
}

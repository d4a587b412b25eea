// What `npm run bench` (scripts/bench.ts) takes and prints, as pure functions the unit tests
// (test/unit/bench-args.test.ts) and the quick-bench integration test (test/integration/bench.test.ts)
// share with it: its command line, the labelled figures (one table row each, besides one row per
// function in the bundle-size table), the seed baseline that needs the AWS CLI, and the check that
// an output prints every figure.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

/** Deployments started together in the fleet figure (figure 4): full run, and --quick. */
export const FLEET = 20;
export const QUICK_FLEET = 4;

export const benchFigures = {
  awscli: 'seed: 2 awscli processes',
  cold: 'set-weight cold (new process)',
  warm: 'set-weight warm',
  inExecution: 'set-weight warm, in an execution (+ lock check)',
  noop: 'set-weight warm, weights already set',
  transitions: 'state transitions per linear step',
  invocations: 'Lambda invocations per linear step',
  linearWall: '10-step linear execution, intervals 0',
  restore: 'failing verdict → route restored',
  alarmPath: 'alarm → route restored (alarm path)',
  fleetAlone: '1 deployment alone, 1 s between steps (baseline)',
  fleetTogether: (fleet: number) => `${fleet} deployments together, 1 s between steps`,
  fleetAloneNoWait: '1 deployment alone, no waits (baseline)',
  fleetTogetherNoWait: (fleet: number) => `${fleet} deployments together, no waits (CPU-bound)`,
} as const;

/** Figure 2b's rows: the same weight step on a VPC Lattice listener rule (GetRule + UpdateRule). */
export const latticeFigures = {
  awscli: 'Lattice seed: 2 awscli processes',
  cold: 'Lattice set-weight cold (new process)',
  warm: 'Lattice set-weight warm',
  inExecution: 'Lattice set-weight warm, in an execution (+ lock check)',
  noop: 'Lattice set-weight warm, weights already set',
} as const;

/** The route counts of figure 2c (one step on several routes), and its target: the most routes within this factor of one. */
export const ROUTE_COUNTS = [1, 2, 5] as const;
export const ROUTES_TARGET = 1.5;
/**
 * The latency the third row of figure 2c adds to every App Mesh call (the local front's latency
 * fault, at rate 1): a regional API round trip, where moto answers in a few ms of CPU. Real
 * App Mesh calls wait on the network, not on one Python process, and that wait is what concurrent
 * writes overlap.
 */
export const ADDED_LATENCY_MS = 50;

/**
 * Figure 2c's rows: one set-weight step on a deployment of 1, 2 and 5 App Mesh routes (its routes
 * written concurrently), warm. Through the local Lambda front (an Invoke, as Step Functions makes
 * one), with the bundle loaded in the bench's process (as figure 2's warm row), and through the
 * front again with ADDED_LATENCY_MS on every App Mesh call.
 */
export const routeStepFigures = {
  invoke: 'one step, set-weight warm, Lambda Invoke',
  inProcess: 'one step, set-weight warm, in process (as figure 2)',
  invokeLatency: `one step, Lambda Invoke, +${ADDED_LATENCY_MS} ms per App Mesh call`,
} as const;

/** Medians (ms) of one figure 2c row, by route count. */
export type RouteStepMedians = Record<(typeof ROUTE_COUNTS)[number], number>;

/** Figure 2c's table: the medians at 1, 2 and 5 routes, and 5 routes over 1 route against the target. */
export function routeStepRows(m: Record<keyof typeof routeStepFigures, RouteStepMedians>): string[][] {
  const most = ROUTE_COUNTS[ROUTE_COUNTS.length - 1];
  const row = (label: string, x: RouteStepMedians) => {
    const ratio = x[most] / x[1];
    return [label, ...ROUTE_COUNTS.map((n) => ms(x[n])), `${ratio.toFixed(2)}x`, `<= ${ROUTES_TARGET}x: ${verdict(ratio <= ROUTES_TARGET)}`];
  };
  return [
    ['approach', ...ROUTE_COUNTS.map((n) => `${n} route${n === 1 ? '' : 's'}`), `${most} routes / 1 route`, 'target'],
    row(routeStepFigures.invoke, m.invoke),
    row(routeStepFigures.inProcess, m.inProcess),
    row(routeStepFigures.invokeLatency, m.invokeLatency),
  ];
}

/** Figure 2c's labels an output does not print a row for: the label, a median per route count, then the ratio. */
export function missingRouteStepFigures(output: string): string[] {
  const median = '\\d+(\\.\\d+)? ms';
  return Object.values(routeStepFigures).filter((label) =>
    !new RegExp(`^\\s*${escape(label)}\\s+${ROUTE_COUNTS.map(() => median).join('\\s+')}\\s+\\d+\\.\\d+x\\s+<= ${ROUTES_TARGET}x: (meets|MISSES) target\\s*$`, 'm').test(output));
}

/** The labels of one weight-step table (figure 2 on App Mesh, 2b on VPC Lattice). */
export type WeightStepLabels = Record<'awscli' | 'cold' | 'warm' | 'inExecution' | 'noop', string>;

/** Every figure label an output must print for this fleet size. */
export const figureLabels = (fleet: number): string[] =>
  [...Object.values(benchFigures), ...Object.values(latticeFigures)].map((l) => (typeof l === 'function' ? l(fleet) : l));

export const usage = `usage: npm run bench -- [--runs N | --quick]   (or: node scripts/bench.ts ...)
Builds its own bundles and starts its own local AWS (so it can run beside the tests); prints figures, asserts nothing.
  (no option)  runs per figure: the seed (awscli) and set-weight cold N=7 each; each warm figure 10xN;
               the linear state machine once (happy path and failing verdict); the alarm path N=7
               times (a verdict every 60 s, the alarm just after a step); ${FLEET} deployments
               together vs 1 alone, median of 3 runs.
  --runs N     N runs (a whole number >= 1) for the seed, cold and alarm-path figures, 10xN for the warm ones;
               the state machine and fleet figures run as above.
  --quick      what the test suite runs: one run of every figure (warm ones 10), and ${QUICK_FLEET} deployments
               together vs 1 instead of ${FLEET}. Cannot be combined with --runs.
  --help       this text.
The seed figures run \`aws appmesh\` and \`aws vpc-lattice\` (the AWS CLI) and need \`aws\` on PATH (and, for
Lattice, an AWS CLI that has vpc-lattice); without it, that figure prints "skipped: <reason>", the speed-ups
against it "skipped: no seed figure", and the other figures are still measured.`;

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

export interface BenchOptions {
  help: boolean;
  quick: boolean;
  /** Runs of the seed and cold figures (warm: 10x). */
  runs: number;
  /** Deployments started together, and runs of that figure. */
  fleet: number;
  fleetRuns: number;
}

/** The bench's command line; a BenchUsageError (one line) for anything it does not take. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  let values: { runs?: string; quick?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { runs: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error: any) {
    if (typeof error?.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS')) {
      // Node's message is one or two sentences ("Unknown option '--x'. To specify a positional ...").
      throw new BenchUsageError(String(error.message).split('. ')[0].replace(/\.$/, ''));
    }
    throw error;
  }
  const quick = values.quick ?? false;
  if (quick && values.runs !== undefined) {
    throw new BenchUsageError('--quick runs every figure once; it cannot be combined with --runs');
  }
  const runs = quick ? 1 : Number(values.runs ?? 7);
  if (!/^\d+$/.test(values.runs ?? '7') || !Number.isInteger(runs) || runs < 1) {
    throw new BenchUsageError(`--runs must be a whole number >= 1, not ${values.runs}`);
  }
  return { help: values.help ?? false, quick, runs, fleet: quick ? QUICK_FLEET : FLEET, fleetRuns: quick ? 1 : 3 };
}

/**
 * Why the seed figure cannot run here (the AWS CLI missing or broken), or undefined when it can.
 * Runs `aws --version`: a pyenv shim or a broken install is on PATH but does not run.
 */
export function awsCliMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const r = spawnSync('aws', ['--version'], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'aws (the AWS CLI) is not on PATH' : `aws --version: ${r.error.message}`;
  if (r.status !== 0) return `aws --version exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
  return undefined;
}

/**
 * Why the Lattice seed figure cannot run here: the AWS CLI missing (awsCliMissing's reason), or an
 * AWS CLI too old to have `aws vpc-lattice get-rule`; undefined when it can.
 */
export function awsCliLatticeMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = awsCliMissing(env);
  if (missing) return missing;
  const r = spawnSync('aws', ['vpc-lattice', 'get-rule', 'help'], { env: { ...env, PAGER: 'cat', AWS_PAGER: '' }, encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    // An AWS CLI without the service prints its usage, then "aws: error: argument command: Invalid choice...".
    const lines = (r.error?.message ?? `${r.stderr}\n${r.stdout}`).split('\n').map((l) => l.trim()).filter(Boolean);
    return `this AWS CLI has no \`aws vpc-lattice get-rule\` (${lines.find((l) => /error/i.test(l)) ?? lines[0] ?? `exit ${r.status}`})`;
  }
  return undefined;
}

/** Medians (ms) of figure 2; awscli is a number, or the reason it was not measured. */
export interface WeightStepMedians {
  awscli: number | { skipped: string };
  cold: number;
  warm: number;
  inExecution: number;
  noop: number;
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
export const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');

/** A speed-up against the seed figure when the seed could not run. */
export const NO_SEED = 'skipped: no seed figure';

/** Figure 2's table: each set-weight median, and its speed-up against the seed when the seed ran. */
export function weightStepRows(m: WeightStepMedians, labels: WeightStepLabels = benchFigures): string[][] {
  const header = ['approach', 'median', 'speed-up vs awscli', 'target'];
  if (typeof m.awscli !== 'number') {
    const skipped = NO_SEED;
    return [
      header,
      [labels.awscli, `skipped: ${m.awscli.skipped}`, '', ''],
      [labels.cold, ms(m.cold), skipped, '>= 5x'],
      [labels.warm, ms(m.warm), skipped, '>= 50x'],
      [labels.inExecution, ms(m.inExecution), skipped, '>= 50x'],
      [labels.noop, ms(m.noop), skipped, '(no write)'],
    ];
  }
  const base = m.awscli;
  const x = (v: number, digits: number) => `${(base / v).toFixed(digits)}x`;
  return [
    header,
    [labels.awscli, ms(base), '1.0x', ''],
    [labels.cold, ms(m.cold), x(m.cold, 1), `>= 5x: ${verdict(base / m.cold >= 5)}`],
    [labels.warm, ms(m.warm), x(m.warm, 0), `>= 50x: ${verdict(base / m.warm >= 50)}`],
    [labels.inExecution, ms(m.inExecution), x(m.inExecution, 0), `>= 50x: ${verdict(base / m.inExecution >= 50)}`],
    [labels.noop, ms(m.noop), x(m.noop, 0), '(no write)'],
  ];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The labels an output does not print a figure for: a row is the label, then a number (or, for
 * a seed figure only and only when its reason is given, awscliSkipped for App Mesh's and
 * latticeSkipped for Lattice's, "skipped: " and that reason).
 * The fleet row must also carry its ratio ("1.2 s  3.4x").
 */
export function missingFigures(output: string, labels: string[], fleet: number, awscliSkipped?: string, latticeSkipped?: string): string[] {
  const row = (label: string, rest: string) => new RegExp(`^\\s*${escape(label)}\\s+${rest}`, 'm');
  const number = '\\d+(\\.\\d+)?';
  return labels.filter((label) => {
    if (label === benchFigures.awscli && awscliSkipped !== undefined) return !row(label, `skipped: ${escape(awscliSkipped)}\\s*$`).test(output);
    if (label === latticeFigures.awscli && latticeSkipped !== undefined) return !row(label, `skipped: ${escape(latticeSkipped)}\\s*$`).test(output);
    if (label === benchFigures.fleetTogether(fleet) || label === benchFigures.fleetTogetherNoWait(fleet)) return !row(label, `${number} s\\s+${number}x`).test(output);
    return !row(label, number).test(output);
  });
}

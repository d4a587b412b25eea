// The committed state machine definitions are scripts/statemachines.ts's output, and the names the
// TypeScript takes from functions/commons/states.ts are the ones the definitions have. Each check
// is also run on a changed copy, to show it fails.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as errors from '../../functions/commons/errors.ts';
import { approvalStates, functionErrors, machineErrors, states } from '../../functions/commons/states.ts';
import { definitionFile, machines, render, run, staleDefinitions, type Machine } from '../../scripts/statemachines.ts';
import { projectRoot } from '../../local/template.ts';

const committed = (root = projectRoot) =>
  Object.fromEntries(machines.map((m) => [m, JSON.parse(readFileSync(join(root, definitionFile(m)), 'utf8'))])) as Record<Machine, any>;

describe('the committed definitions are the generator\'s output', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'statemachines-'));
    cpSync(join(projectRoot, 'statemachines'), join(scratch, 'statemachines'), { recursive: true });
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };

  test('byte for byte (else: npm run statemachines, and commit)', () => {
    expect(staleDefinitions(projectRoot)).toEqual([]);
  });

  test('a changed or missing definition is named, with the command that regenerates it', () => {
    const linear = join(scratch, definitionFile('linear'));
    writeFileSync(linear, readFileSync(linear, 'utf8').replace('"MaxAttempts": 12', '"MaxAttempts": 11'));
    rmSync(join(scratch, definitionFile('manual-approval')));
    expect(staleDefinitions(scratch)).toEqual([
      'statemachines/linear.asl.json is not what scripts/statemachines.ts generates: run `npm run statemachines` and commit the result',
      'statemachines/manual-approval.asl.json is not what scripts/statemachines.ts generates: run `npm run statemachines` and commit the result',
    ]);
    // A change only in layout is a difference too: the committed file must be exactly the output.
    writeFileSync(linear, JSON.stringify(JSON.parse(render('linear'))));
    expect(staleDefinitions(scratch)[0]).toContain('linear.asl.json');
  });

  test('--check exits 1 on a stale copy and writes nothing; a plain run regenerates it; --check then exits 0', () => {
    const file = join(scratch, definitionFile('step-then-all'));
    writeFileSync(file, '{}\n');
    const first = io();
    expect(run(['--check'], scratch, first.io)).toBe(1);
    expect(first.err).toEqual([expect.stringContaining('step-then-all.asl.json is not what scripts/statemachines.ts generates')]);
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
    expect(run([], scratch, io().io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(projectRoot, definitionFile('step-then-all')), 'utf8'));
    const again = io();
    expect(run(['--check'], scratch, again.io)).toBe(0);
    expect(again.err).toEqual([]);
  });

  test('an unknown argument is a usage error that writes nothing', () => {
    const r = io();
    expect(run(['--chek'], scratch, r.io)).toBe(2);
    expect(r.err.join('\n')).toContain('unknown argument --chek');
    expect(committed(scratch)).toEqual(committed());
  });

  test('npm run statemachines -- --check passes on this checkout', () => {
    const local = join(projectRoot, 'node_modules', '.bin', 'node');
    const r = spawnSync(existsSync(local) ? local : process.execPath, [join(projectRoot, 'scripts', 'statemachines.ts'), '--check'],
      { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });
});

// ---------------------------------------------------------------- names

/** The name of every error class errors.ts exports (what Step Functions sees of a thrown error). */
const errorClassNames = Object.values<unknown>(errors)
  .filter((v): v is new (problems: string[]) => Error => typeof v === 'function' && v.prototype instanceof errors.MeshCanaryError)
  .map((ErrorClass) => new ErrorClass([]).name);

/** The listed names that are no error class's `name`. */
const notErrorClasses = (names: Record<string, string>) => Object.values(names).filter((n) => !errorClassNames.includes(n));

interface Names { states: Set<string>; raised: Set<string>; matched: Set<string> }

/** A definition's state names (Parallel branches included), the errors it raises and those its Retry and Catch lists match. */
function namesOf(definition: any, into: Names = { states: new Set(), raised: new Set(), matched: new Set() }): Names {
  for (const [name, state] of Object.entries<any>(definition.States ?? {})) {
    into.states.add(name);
    if (state.Type === 'Fail' && state.Error) into.raised.add(state.Error);
    if (state.Type === 'Pass' && typeof state.Parameters?.Error === 'string') into.raised.add(state.Parameters.Error);
    for (const rule of [...(state.Retry ?? []), ...(state.Catch ?? [])]) for (const e of rule.ErrorEquals) into.matched.add(e);
    for (const branch of state.Branches ?? []) namesOf(branch, into);
  }
  return into;
}

const awsErrorName = /^(States\.[A-Za-z]+|Lambda\.[A-Za-z]+|Sandbox\.Timedout)$/;

/** What is wrong between states.ts and these definitions: each problem a sentence. */
function nameProblems(definitions: Record<Machine, any>): string[] {
  const problems: string[] = [];
  const names = Object.fromEntries(machines.map((m) => [m, namesOf(definitions[m])])) as Record<Machine, Names>;
  for (const [object, entries] of Object.entries({ states, approvalStates, machineErrors, functionErrors })) {
    for (const [key, value] of Object.entries<string>(entries)) if (key !== value) problems.push(`${object}.${key} is "${value}"`);
  }
  const known = new Set<string>([...Object.values(states), ...Object.values(approvalStates)]);
  for (const m of machines) {
    for (const s of Object.values(states)) if (!names[m].states.has(s)) problems.push(`${m} has no state ${s} (states.${s})`);
    for (const s of Object.values(approvalStates)) {
      if (names[m].states.has(s) !== (m === 'manual-approval')) problems.push(`${m} ${m === 'manual-approval' ? 'lacks' : 'has'} the approval state ${s}`);
    }
    for (const s of names[m].states) if (!known.has(s)) problems.push(`${m}'s state ${s} is not in states.ts`);
    const ours = new Set<string>([...Object.values(machineErrors), ...errorClassNames]);
    for (const e of [...names[m].raised, ...names[m].matched]) {
      if (!ours.has(e) && !awsErrorName.test(e)) problems.push(`${m} raises or matches ${e}: neither in machineErrors, an errors.ts class, nor AWS's`);
    }
  }
  const raised = new Set(machines.flatMap((m) => [...names[m].raised]));
  for (const e of Object.values(machineErrors)) if (!raised.has(e)) problems.push(`machineErrors.${e} is raised by no machine`);
  return problems;
}

describe('states.ts against the definitions', () => {
  test('every state name is in each machine that has it, and every error name is raised or known', () => {
    expect(nameProblems(committed())).toEqual([]);
  });

  test('each of functionErrors is the name of an error class in errors.ts', () => {
    expect(errorClassNames).toEqual(expect.arrayContaining(['InvalidInput', 'TransientAwsError']));
    expect(notErrorClasses(functionErrors)).toEqual([]);
    expect(notErrorClasses({ ...functionErrors, Typo: 'TransientAWSError' })).toEqual(['TransientAWSError']);
  });

  test('a renamed state, a missing approval branch, a misspelt error and a stale name are each reported', () => {
    const d = structuredClone(committed());
    // linear: HaltOnDrift renamed (and its one transition with it).
    d.linear.States.HaltOnDriftNow = d.linear.States.HaltOnDrift;
    delete d.linear.States.HaltOnDrift;
    d.linear.States.OnDrift.Default = 'HaltOnDriftNow';
    // step-then-all: a Catch matching a misspelt error; manual-approval: the rejection raises another name.
    d['step-then-all'].States.Shift.Catch[0].ErrorEquals = ['RouteDrift'];
    const branch = d['manual-approval'].States.AwaitApproval.Branches[0].States;
    branch.NotApproved.Error = 'Rejectd';
    expect(nameProblems(d)).toEqual([
      'linear has no state HaltOnDrift (states.HaltOnDrift)',
      "linear's state HaltOnDriftNow is not in states.ts",
      "step-then-all raises or matches RouteDrift: neither in machineErrors, an errors.ts class, nor AWS's",
      "manual-approval raises or matches Rejectd: neither in machineErrors, an errors.ts class, nor AWS's",
      'machineErrors.Rejected is raised by no machine',
    ]);

    const noApproval = structuredClone(committed());
    delete noApproval['manual-approval'].States.AwaitApproval;
    noApproval.linear.States.AwaitApproval = { Type: 'Pass', End: true };
    expect(nameProblems(noApproval)).toEqual(expect.arrayContaining([
      'linear has the approval state AwaitApproval',
      'manual-approval lacks the approval state AwaitApproval',
      'manual-approval lacks the approval state RequestApproval',
      'machineErrors.Approved is raised by no machine',
    ]));
  });
});

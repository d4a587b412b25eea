// The bench's command line (usage errors are one line and exit 2, before anything is built or
// started), the seed figure's need for the AWS CLI (a missing one is reported, not a crash), and
// the check the quick-bench integration test applies to its output.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../local/template.ts';
import {
  awsCliLatticeMissing, awsCliMissing, benchFigures, BenchUsageError, FLEET, figureLabels, latticeFigures, missingFigures,
  parseBenchArgs, QUICK_FLEET, usage, weightStepRows,
} from '../../scripts/bench-figures.ts';

describe('parseBenchArgs', () => {
  test.each([
    [[], { help: false, quick: false, runs: 7, fleet: FLEET, fleetRuns: 3 }],
    [['--runs', '3'], { help: false, quick: false, runs: 3, fleet: FLEET, fleetRuns: 3 }],
    [['--runs=12'], { help: false, quick: false, runs: 12, fleet: FLEET, fleetRuns: 3 }],
    [['--quick'], { help: false, quick: true, runs: 1, fleet: QUICK_FLEET, fleetRuns: 1 }],
    [['--help'], { help: true, quick: false, runs: 7, fleet: FLEET, fleetRuns: 3 }],
    [['-h'], { help: true, quick: false, runs: 7, fleet: FLEET, fleetRuns: 3 }],
  ])('%j', (argv, expected) => {
    expect(parseBenchArgs(argv)).toEqual(expected);
  });

  test('the quick fleet is smaller than the full one', () => {
    expect(QUICK_FLEET).toBeLessThan(FLEET);
  });

  test.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['-x'], "Unknown option '-x'"],
    [['extra'], "Unexpected argument 'extra'"],
    [['--runs'], "Option '--runs <value>' argument missing"],
    [['--quick=yes'], "Option '--quick' does not take an argument"],
    [['--runs', '0'], '--runs must be a whole number >= 1, not 0'],
    [['--runs', '2.5'], '--runs must be a whole number >= 1, not 2.5'],
    [['--runs', 'x'], '--runs must be a whole number >= 1, not x'],
    [['--runs', ''], '--runs must be a whole number >= 1, not '],
    [['--quick', '--runs', '3'], '--quick runs every figure once; it cannot be combined with --runs'],
    [['--runs', '3', '--quick'], '--quick runs every figure once; it cannot be combined with --runs'],
  ])('%j is a BenchUsageError', (argv, message) => {
    let caught: unknown;
    try {
      parseBenchArgs(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BenchUsageError);
    expect((caught as Error).name).toBe('BenchUsageError');
    expect((caught as Error).message.startsWith(message)).toBe(true);
    expect((caught as Error).message).not.toContain('\n');
  });

  test('--help names every option parseBenchArgs takes and says --quick excludes --runs', () => {
    for (const option of ['--runs N', '--quick', '--help']) expect(usage).toContain(option);
    expect(usage).toContain('Cannot be combined with --runs');
    expect(usage).toContain(`${QUICK_FLEET} deployments`);
    expect(usage).toContain(`${FLEET} deployments`);
  });
});

describe('scripts/bench.ts as a command', () => {
  // The Node that runs .ts files, as `npm run bench` does.
  const local = join(projectRoot, 'node_modules', '.bin', 'node');
  const node = existsSync(local) ? local : process.execPath;
  const bench = (...args: string[]) =>
    spawnSync(node, [join(projectRoot, 'scripts', 'bench.ts'), ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });

  test.each([
    [['--bogus'], "bench: Unknown option '--bogus' (see --help)\n"],
    [['--quick', '--runs', '2'], 'bench: --quick runs every figure once; it cannot be combined with --runs (see --help)\n'],
  ])('%j: one line on stderr, exit 2, nothing on stdout (nothing built or started)', (argv, stderr) => {
    const r = bench(...argv);
    expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ status: 2, stderr, stdout: '' });
  });

  test('--help prints the usage and exits 0', () => {
    const r = bench('--help');
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `${usage}\n`, stderr: '' });
  });
});

describe('awsCliMissing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-aws-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fakeAws = (name: string, script: string) => {
    const bin = join(dir, name);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'aws'), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, 'aws'), 0o755);
    return bin;
  };

  test('no aws on PATH', () => {
    expect(awsCliMissing({ PATH: join(dir, 'empty') })).toBe('aws (the AWS CLI) is not on PATH');
  });

  test('an aws that does not run (a pyenv shim without the CLI, say)', () => {
    const bin = fakeAws('broken', 'echo "pyenv: aws: command not found" >&2; exit 127');
    expect(awsCliMissing({ PATH: bin })).toBe('aws --version exited 127: pyenv: aws: command not found');
  });

  test('an aws that runs', () => {
    const bin = fakeAws('working', 'echo aws-cli/2.0.0; exit 0');
    expect(awsCliMissing({ PATH: bin })).toBeUndefined();
  });

  describe('awsCliLatticeMissing (the Lattice seed also needs `aws vpc-lattice`)', () => {
    test('no aws, or one that does not run: the same reason as the App Mesh seed', () => {
      expect(awsCliLatticeMissing({ PATH: join(dir, 'empty') })).toBe('aws (the AWS CLI) is not on PATH');
      const bin = fakeAws('broken-l', 'echo "pyenv: aws: command not found" >&2; exit 127');
      expect(awsCliLatticeMissing({ PATH: bin })).toBe('aws --version exited 127: pyenv: aws: command not found');
    });

    test('an AWS CLI older than VPC Lattice: its own error line', () => {
      // As awscli v1 before vpc-lattice answers: usage, then the error, then the list of services.
      const bin = fakeAws('old', [
        'if [ "$1" = --version ]; then echo aws-cli/1.18.0; exit 0; fi',
        'printf "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\\naws: error: argument command: Invalid choice, valid choices are:\\n\\nacm | appmesh\\n" >&2; exit 252',
      ].join('\n'));
      expect(awsCliMissing({ PATH: bin })).toBeUndefined();
      expect(awsCliLatticeMissing({ PATH: bin })).toBe('this AWS CLI has no `aws vpc-lattice get-rule` (aws: error: argument command: Invalid choice, valid choices are:)');
    });

    test('an AWS CLI with vpc-lattice get-rule', () => {
      const bin = fakeAws('new', 'case "$1 $2 $3" in "--version  "|"vpc-lattice get-rule help") echo ok; exit 0;; esac; exit 252');
      expect(awsCliLatticeMissing({ PATH: bin })).toBeUndefined();
    });
  });
});

describe('weightStepRows', () => {
  const medians = { cold: 100, warm: 4, inExecution: 8, noop: 2 };

  test('against the seed: speed-ups and verdicts', () => {
    expect(weightStepRows({ awscli: 1000, ...medians }).slice(1)).toEqual([
      [benchFigures.awscli, '1000 ms', '1.0x', ''],
      [benchFigures.cold, '100 ms', '10.0x', '>= 5x: meets target'],
      [benchFigures.warm, '4.00 ms', '250x', '>= 50x: meets target'],
      [benchFigures.inExecution, '8.00 ms', '125x', '>= 50x: meets target'],
      [benchFigures.noop, '2.00 ms', '500x', '(no write)'],
    ]);
    expect(weightStepRows({ awscli: 300, ...medians })[2][3]).toBe('>= 5x: MISSES target');
  });

  test('the Lattice table: its own labels, the same targets against its own seed', () => {
    const rows = weightStepRows({ awscli: 300, ...medians }, latticeFigures);
    expect(rows.slice(1)).toEqual([
      [latticeFigures.awscli, '300 ms', '1.0x', ''],
      [latticeFigures.cold, '100 ms', '3.0x', '>= 5x: MISSES target'],
      [latticeFigures.warm, '4.00 ms', '75x', '>= 50x: meets target'],
      [latticeFigures.inExecution, '8.00 ms', '38x', '>= 50x: MISSES target'],
      [latticeFigures.noop, '2.00 ms', '150x', '(no write)'],
    ]);
    expect(weightStepRows({ awscli: { skipped: 'no vpc-lattice' }, ...medians }, latticeFigures).map((r) => r[0]).slice(1)).toEqual(Object.values(latticeFigures));
  });

  test('without the seed: the seed row says why, every set-weight median is there, each speed-up is skipped', () => {
    const rows = weightStepRows({ awscli: { skipped: 'aws (the AWS CLI) is not on PATH' }, ...medians });
    expect(rows.slice(1)).toEqual([
      [benchFigures.awscli, 'skipped: aws (the AWS CLI) is not on PATH', '', ''],
      [benchFigures.cold, '100 ms', 'skipped: no seed figure', '>= 5x'],
      [benchFigures.warm, '4.00 ms', 'skipped: no seed figure', '>= 50x'],
      [benchFigures.inExecution, '8.00 ms', 'skipped: no seed figure', '>= 50x'],
      [benchFigures.noop, '2.00 ms', 'skipped: no seed figure', '(no write)'],
    ]);
  });
});

describe('missingFigures', () => {
  const fleet = QUICK_FLEET;
  const labels = figureLabels(fleet);
  const print = (awscli: string, fleetRow = `${benchFigures.fleetTogether(fleet)}  1.23 s  2.1x: meets target`, lattice = '900 ms  1.0x') => [
    `  ${benchFigures.awscli}  ${awscli}`,
    `  ${benchFigures.cold}  95 ms  10.0x  >= 5x: meets target`,
    `  ${benchFigures.warm}  3.10 ms  300x`,
    `  ${benchFigures.inExecution}  6.20 ms  150x`,
    `  ${benchFigures.noop}  1.90 ms  480x`,
    `  ${latticeFigures.awscli}  ${lattice}`,
    `  ${latticeFigures.cold}  80 ms  9.0x  >= 5x: meets target`,
    `  ${latticeFigures.warm}  2.10 ms  300x`,
    `  ${latticeFigures.inExecution}  5.20 ms  150x`,
    `  ${latticeFigures.noop}  1.80 ms  480x`,
    `  ${benchFigures.transitions}  4.0 (36 over 9 full steps)`,
    `  ${benchFigures.invocations}  2.0 (18 over 9 full steps; 22 in all)`,
    `  ${benchFigures.linearWall}  5.10 s wall`,
    `  ${benchFigures.restore}  310 ms (history timestamps)`,
    `  ${benchFigures.alarmPath}  310 ms (runs: 310 ms)  30 s on average, 60 s at worst: 97x slower  < 2 s: meets target`,
    `  ${benchFigures.fleetAlone}  0.60 s  1.0x`,
    `  ${fleetRow}`,
    `  ${benchFigures.fleetAloneNoWait}  0.14 s  1.0x`,
    `  ${benchFigures.fleetTogetherNoWait(fleet)}  0.50 s  3.6x (4 executions' CPU on 2 cores; no target)`,
  ].join('\n');

  test('the labels follow the fleet size', () => {
    expect(labels).toContain('4 deployments together, 1 s between steps');
    expect(labels).toContain('4 deployments together, no waits (CPU-bound)');
    expect(figureLabels(FLEET)).toContain('20 deployments together, 1 s between steps');
  });

  test('every figure printed with a number', () => {
    expect(missingFigures(print('1000 ms  1.0x'), labels, fleet)).toEqual([]);
  });

  test('a skipped seed passes only when the AWS CLI is missing, and only with that reason', () => {
    const skipped = print('skipped: aws (the AWS CLI) is not on PATH');
    expect(missingFigures(skipped, labels, fleet, 'aws (the AWS CLI) is not on PATH')).toEqual([]);
    expect(missingFigures(skipped, labels, fleet)).toEqual([benchFigures.awscli]);
    expect(missingFigures(skipped, labels, fleet, 'aws --version exited 1: no')).toEqual([benchFigures.awscli]);
  });

  test('the Lattice rows are figures too; its seed may be skipped only with its own reason', () => {
    expect(labels).toEqual(expect.arrayContaining(Object.values(latticeFigures)));
    const output = print('1000 ms', undefined, 'skipped: no vpc-lattice');
    expect(missingFigures(output, labels, fleet, undefined, 'no vpc-lattice')).toEqual([]);
    expect(missingFigures(output, labels, fleet)).toEqual([latticeFigures.awscli]);
    // App Mesh's reason does not excuse Lattice's seed (nor does its own skipped number pass).
    expect(missingFigures(output, labels, fleet, 'no vpc-lattice')).toEqual([benchFigures.awscli, latticeFigures.awscli]);
    expect(missingFigures(output.replace(`  ${latticeFigures.warm}  2.10 ms  300x\n`, ''), labels, fleet, undefined, 'no vpc-lattice')).toEqual([latticeFigures.warm]);
  });

  test('"skipped" is accepted for the seed figure only', () => {
    const output = print('skipped: aws (the AWS CLI) is not on PATH').replace(`${benchFigures.warm}  3.10 ms`, `${benchFigures.warm}  skipped: aws (the AWS CLI) is not on PATH`);
    expect(missingFigures(output, labels, fleet, 'aws (the AWS CLI) is not on PATH')).toEqual([benchFigures.warm]);
  });

  test('a missing row, a row without a number, and a fleet row without its ratio are reported', () => {
    const output = print('1000 ms', `${benchFigures.fleetTogether(fleet)}  1.23 s`)
      .replace(`  ${benchFigures.noop}  1.90 ms  480x\n`, '')
      .replace(`${benchFigures.linearWall}  5.10 s wall`, `${benchFigures.linearWall}  n/a`);
    expect(missingFigures(output, labels, fleet)).toEqual([benchFigures.noop, benchFigures.linearWall, benchFigures.fleetTogether(fleet)]);
  });

  test('a full-size fleet row does not count for the quick label', () => {
    const output = print('1000 ms', `${benchFigures.fleetTogether(FLEET)}  1.23 s  2.1x`);
    expect(missingFigures(output, labels, fleet)).toEqual([benchFigures.fleetTogether(fleet)]);
  });
});

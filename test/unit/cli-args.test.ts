// The CLI's command line, run in-process: every usage error and bad input file exits 2 with a
// message that names the problem, before any AWS call (the endpoint below refuses every
// connection, so a command that reached AWS would fail with exit 3 instead).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localWithoutCredentials, resolveRegion } from '../../cli/aws.ts';
import { defaultExecutionName } from '../../cli/commands/start.ts';
import { EXECUTION_NAME } from '../../cli/execution.ts';
import { findCommand } from '../../cli/program.ts';
import { cli } from '../support/cli-run.ts';
import { event } from '../support/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'mesh-canary-cli-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const nowhere = ['--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1'];


describe('usage errors exit 2 and say what to fix', () => {
  test.each([
    [[], /Usage: mesh-canary <command>/],
    [['deploy'], /unknown command "deploy"/],
    [['start'], /which strategy\? mesh-canary start <linear\|step-then-all\|manual-approval>/],
    [['start', 'canary', '--input', 'x.json'], /unknown strategy "canary": choose linear, step-then-all, manual-approval/],
    [['start', 'linear'], /--input FILE is required/],
    [['start', 'linear', '--input'], /--input needs a value/],
    [['start', 'linear', '--inptu', 'x.json'], /unknown option --inptu/],
    [['start', 'linear', 'extra', '--input', 'x.json'], /unexpected argument: extra/],
    [['watch'], /missing <execution>/],
    [['watch', 'arn:aws:states:us-east-1:123456789012:stateMachine:LinearStateMachine'], /is not an execution ARN/],
    [['watch', 'has space'], /neither an execution ARN nor an execution name/],
    [['watch', 'x', '--poll-interval', '0'], /--poll-interval must be a number of seconds from 0.1 to 60/],
    [['approve', 'x', '--output', 'yaml'], /--output must be text or json \(got yaml\)/],
    [['routes', '--mesh', 'demomesh'], /missing --router, --route/],
    [['report', 'x'], /--out FILE is required/],
    [['report', 'x', '--out', 'picture.png'], /must end in .svg or .html/],
    [['abort', 'x', '--endpoint-url', 'not a url'], /is not a URL/],
  ])('%j', async (args, message) => {
    const r = await cli(...args, ...(args.length === 0 || args.includes('--endpoint-url') ? [] : nowhere));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('a bad input file starts nothing: exit 2, the file and the field named', () => {
  const good = event('execution-linear.json');

  test('missing file', async () => {
    const r = await cli('start', 'linear', '--input', join(dir, 'nope.json'), ...nowhere);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain(`cannot read the input file ${join(dir, 'nope.json')}: no such file`);
  });

  test('invalid JSON', async () => {
    const r = await cli('start', 'linear', '--input', file('broken.json', '{"route": {'), ...nowhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.json is not valid JSON: /);
  });

  test('a field out of range, and every other problem at once', async () => {
    const path = file('range.json', JSON.stringify({ ...good, strategy: { type: 'linear', stepPercent: 150, intervalSeconds: 60 }, failureThreshold: 0 }));
    const r = await cli('start', 'linear', '--input', path, ...nowhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('range.json is not a valid linear deployment input:');
    expect(r.stderr).toContain('  - strategy.stepPercent must be an integer from 1 to 100 (got 150)');
    expect(r.stderr).toContain('  - failureThreshold must be an integer from 1 to 100 (got 0)');
  });

  test('a strategy for another machine', async () => {
    const r = await cli('start', 'manual-approval', '--input', file('other.json', JSON.stringify(good)), ...nowhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('strategy.type is "linear" but this is the manual-approval state machine');
  });

  test('an execution name Step Functions would refuse', async () => {
    const r = await cli('start', 'linear', '--input', file('good.json', JSON.stringify(good)), '--name', 'a/b', ...nowhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--name "a/b" is not a valid execution name');
  });

  test('a good file gets as far as AWS (here: an endpoint that refuses), exit 3', async () => {
    const r = await cli('start', 'linear', '--input', file('good.json', JSON.stringify(good)), ...nowhere);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127.0.0.1:9/);
  });
});

describe('help tells the truth', () => {
  test.each(['start', 'watch', 'approve', 'reject', 'abort', 'routes', 'describe', 'report'])('%s --help: usage, options, examples, exit codes; exit 0', async (name) => {
    const r = await cli(name, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: mesh-canary ${findCommand(name)!.name} `);
    for (const part of ['Options:', '--region REGION', '--profile NAME', '--endpoint-url URL', '--output text|json', 'Examples:', 'Exit codes:']) expect(r.stdout).toContain(part);
    // Every option a command parses appears in its help.
    for (const option of Object.keys(findCommand(name)!.options)) expect(r.stdout).toContain(`--${option}`);
  });

  test('the main help lists every command and the exit codes', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const name of ['start', 'watch', 'approve', 'reject', 'abort', 'routes', 'report']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const code of ['0 ', '1 ', '2 ', '3 ', '130']) expect(r.stdout).toMatch(new RegExp(`^  ${code}`, 'm'));
  });
});

describe('small rules', () => {
  test('default execution names are valid and carry the canary and the time', () => {
    const name = defaultExecutionName('product-v15-vn', new Date('2026-11-27T09:53:12.345Z'));
    expect(name).toBe('product-v15-vn-20261127-095312');
    expect(EXECUTION_NAME.test(name)).toBe(true);
    expect(defaultExecutionName('x'.repeat(255)).length).toBeLessThanOrEqual(80);
  });

  test('region: --region, else the ARN\'s, else the environment', () => {
    expect(resolveRegion({ region: 'eu-west-1' }, 'us-east-2', { AWS_REGION: 'ap-south-1' })).toBe('eu-west-1');
    expect(resolveRegion({}, 'us-east-2', { AWS_REGION: 'ap-south-1' })).toBe('us-east-2');
    expect(resolveRegion({}, undefined, { AWS_REGION: 'ap-south-1' })).toBe('ap-south-1');
  });

  test('dummy credentials only for an endpoint on this machine with none configured', () => {
    expect(localWithoutCredentials({ endpointUrl: 'http://127.0.0.1:4566' }, {})).toBe(true);
    expect(localWithoutCredentials({ endpointUrl: 'http://localhost:4566' }, {})).toBe(true);
    expect(localWithoutCredentials({ endpointUrl: 'http://127.0.0.1:4566' }, { AWS_ACCESS_KEY_ID: 'AKIA' })).toBe(false);
    expect(localWithoutCredentials({ endpointUrl: 'http://127.0.0.1:4566', profile: 'dev' }, {})).toBe(false);
    expect(localWithoutCredentials({ endpointUrl: 'https://states.us-east-1.amazonaws.com' }, {})).toBe(false);
    expect(localWithoutCredentials({}, {})).toBe(false);
  });
});

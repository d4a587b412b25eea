// The mesh-canary command line: the commands, their options and help, argument parsing,
// dispatch, and the exit codes. `run` takes its streams as arguments so tests can call it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { abort } from './commands/abort.ts';
import { answerApproval } from './commands/approval.ts';
import { type CommonOptions, type Context, type Io, makeContext } from './commands/context.ts';
import { report } from './commands/report.ts';
import { routes } from './commands/routes.ts';
import { start } from './commands/start.ts';
import { watch } from './commands/watch.ts';
import { CommandFailed, exitCodes, UsageError } from './errors.ts';
import { packageRoot } from './project.ts';
import { styleFor } from './render.ts';

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in help: `--input FILE`. */
  value?: string;
  help: string;
}

type Values = Record<string, string | boolean | undefined>;

interface Command {
  name: string;
  aliases?: string[];
  args: string;
  summary: string;
  description: string;
  positionals: { min: number; max: number };
  options: Record<string, OptionSpec>;
  examples: string[];
  exitCodes: string[];
  run(ctx: Context, positionals: string[], values: Values): Promise<number>;
}

const common: Record<string, OptionSpec> = {
  region: { type: 'string', value: 'REGION', help: 'AWS region (default: the region in an ARN you give, else AWS_REGION or AWS_DEFAULT_REGION, else region in ./samconfig.toml, else your profile\'s)' },
  profile: { type: 'string', value: 'NAME', help: 'AWS profile from your AWS config and credentials files' },
  'endpoint-url': { type: 'string', value: 'URL', help: 'send every AWS call to this URL (e.g. the local AWS of `npm run sandbox` in a checkout of mesh-canary)' },
  'stack-name': { type: 'string', value: 'NAME', help: 'the mesh-canary stack whose outputs name the state machines (default: stack_name in ./samconfig.toml, else mesh-canary)' },
  output: { type: 'string', value: 'text|json', help: 'json: one JSON object on stdout, for scripts (default text)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const executionHelp = 'an execution ARN, or the name of an execution of one of the stack\'s state machines (or of --state-machine-arn)';
const stateMachineOption: OptionSpec = { type: 'string', value: 'ARN', help: 'look the execution name up on this state machine instead of the stack\'s' };
const pollOption: OptionSpec = { type: 'string', value: 'SECONDS', help: 'how often to read the execution (default 1)' };

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);

function pollSeconds(v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.1 || n > 60) throw new UsageError(`--poll-interval must be a number of seconds from 0.1 to 60 (got ${v})`);
  return n;
}

const commands: Command[] = [
  {
    name: 'start',
    args: '<strategy> --input FILE',
    summary: 'validate a deployment input and start it',
    description: '<strategy> is linear, step-then-all or manual-approval: the state machine to start. Validates FILE with the same rules the state machine\'s prepare step uses (a bad file starts nothing, and the message names each bad field), '
      + 'finds the state machine for the strategy in the stack\'s outputs (or --state-machine-arn), starts the execution and prints its ARN. '
      + 'With --wait, then follows it as `watch` does and exits with its outcome.',
    positionals: { min: 0, max: 1 },
    options: {
      input: { type: 'string', value: 'FILE', help: 'the deployment input (JSON; events/execution-*.json are examples)' },
      name: { type: 'string', value: 'NAME', help: 'the execution name (default: <canary>-<UTC time>; several routes: <first canary>-and-<N>-more-<UTC time>)' },
      'state-machine-arn': { type: 'string', value: 'ARN', help: 'start this state machine instead of the stack\'s one for the strategy' },
      wait: { type: 'boolean', help: 'follow the execution until it ends, as `watch` does' },
      'poll-interval': pollOption,
    },
    examples: [
      'mesh-canary start linear --input events/execution-linear.json',
      'mesh-canary start manual-approval --input release.json --name product-v15 --wait',
      'ARN=$(mesh-canary start linear --input release.json) && mesh-canary watch "$ARN"',
    ],
    exitCodes: ['0 started (with --wait: promoted)', '1 with --wait: rolled back', '2 bad arguments or input file: nothing was started', '3 the stack or state machine was not found, AWS errors; with --wait: failed otherwise'],
    run: (ctx, [strategy], v) => start(ctx, strategy, {
      input: str(v.input), name: str(v.name), stateMachineArn: str(v['state-machine-arn']), wait: v.wait === true, pollSeconds: pollSeconds(v['poll-interval']),
    }),
  },
  {
    name: 'watch',
    args: '<execution>',
    summary: 'follow a deployment live until it ends',
    description: `<execution> is ${executionHelp}. On a terminal, a view redrawn in place: the route's weighted targets as bars, the step, what the deployment is doing `
      + 'and when the next verdict or deadline comes, and the last verdicts. Otherwise one plain line per event, then an `outcome:` line. '
      + 'Ctrl-C stops watching, not the deployment.',
    positionals: { min: 1, max: 1 },
    options: { 'state-machine-arn': stateMachineOption, 'poll-interval': pollOption },
    examples: ['mesh-canary watch arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:product-v15', 'mesh-canary watch product-v15 --output json'],
    exitCodes: ['0 promoted', '1 rolled back (a failing verdict, a rejection, an alarm: the alarm path), or aborted with the route back at its snapshot', '3 failed otherwise (RollbackFailed, InvalidInput, ...), aborted without restore, timed out', '130 Ctrl-C: the deployment goes on'],
    run: (ctx, [execution], v) => watch(ctx, execution, { stateMachineArn: str(v['state-machine-arn']), pollSeconds: pollSeconds(v['poll-interval']) }),
  },
  {
    name: 'approve',
    args: '<execution>',
    summary: 'approve the canary an execution holds for approval',
    description: `<execution> is ${executionHelp}. Finds the approval the execution waits for in its history and answers it `
      + '({"approved": true, "by": <your user name>}); the canary is then promoted. Refuses when the execution is not waiting for approval. '
      + 'The task token is never printed.',
    positionals: { min: 1, max: 1 },
    options: { 'state-machine-arn': stateMachineOption },
    examples: ['mesh-canary approve order-v2-20261127-101500'],
    exitCodes: ['0 approved', '3 not waiting for approval (still running another state, or ended), or AWS errors'],
    run: (ctx, [execution], v) => answerApproval(ctx, execution, { approve: true, stateMachineArn: str(v['state-machine-arn']) }),
  },
  {
    name: 'reject',
    args: '<execution> [--reason TEXT]',
    summary: 'reject it: the route goes back to its snapshot',
    description: `<execution> is ${executionHelp}. Answers the pending approval with the error Rejected and your reason; `
      + 'the state machine rolls the route back to exactly its snapshot. Refuses when the execution is not waiting for approval.',
    positionals: { min: 1, max: 1 },
    options: { reason: { type: 'string', value: 'TEXT', help: 'why (default: "rejected by <your user name>"); it ends up in the execution\'s failure cause' }, 'state-machine-arn': stateMachineOption },
    examples: ['mesh-canary reject order-v2-20261127-101500 --reason "checkout latency doubled"'],
    exitCodes: ['0 rejected', '3 not waiting for approval, or AWS errors'],
    run: (ctx, [execution], v) => answerApproval(ctx, execution, { approve: false, reason: str(v.reason), stateMachineArn: str(v['state-machine-arn']) }),
  },
  {
    name: 'abort',
    args: '<execution> [--restore]',
    summary: 'stop an execution and put the route back to its snapshot',
    description: `<execution> is ${executionHelp}. Stops the execution, then invokes the stack's rollback function with the deployment's snapshot `
      + 'and reads the route until the deployment is undone (stable and canary at their snapshot weights, no canary it added; '
      + 'other targets as people left them), again once a step that was running must have ended (35 s after its latest attempt began). '
      + 'A stop during Prepare waits for Prepare, then releases the lock it took. '
      + 'Refuses an execution that already ended, unless --restore is given: then it only restores the route. '
      + 'A deployment with several routes is undone on every route, each against its own snapshot.',
    positionals: { min: 1, max: 1 },
    options: {
      restore: { type: 'boolean', help: 'also for an execution that already ended: put the route back to its snapshot' },
      'rollback-function-arn': { type: 'string', value: 'ARN', help: 'the rollback function (default: the stack\'s RollbackFunctionArn output)' },
      'state-machine-arn': stateMachineOption,
    },
    examples: ['mesh-canary abort product-v15-20261127-101500', 'mesh-canary abort arn:aws:states:...:execution:LinearStateMachine:product-v15 --restore'],
    exitCodes: ['0 stopped (or ended) and the route is at its snapshot, or it never changed', '3 already ended (without --restore), the route could not be restored, or AWS errors'],
    run: (ctx, [execution], v) => abort(ctx, execution, {
      restore: v.restore === true, rollbackFunctionArn: str(v['rollback-function-arn']), stateMachineArn: str(v['state-machine-arn']),
    }),
  },
  {
    name: 'routes',
    aliases: ['describe'],
    args: '--mesh M --router R --route NAME | --service S --listener L [--rule R] | --input FILE',
    summary: 'show a route\'s weighted targets',
    description: 'The route\'s weighted targets with each one\'s share of the traffic, as the seed\'s `watch -n1 aws appmesh describe-route` table showed them: '
      + 'an App Mesh route (--mesh/--router/--route), or a VPC Lattice listener rule (--service/--listener/--rule, IDs or ARNs; without --rule, the listener\'s default action), '
      + 'whose target groups show by name and ID (vpc-lattice:GetTargetGroup). '
      + 'With --watch, refreshes every second on a terminal (or prints each change otherwise) until Ctrl-C.',
    positionals: { min: 0, max: 0 },
    options: {
      mesh: { type: 'string', value: 'NAME', help: 'App Mesh: the mesh' },
      router: { type: 'string', value: 'NAME', help: 'App Mesh: the virtual router' },
      route: { type: 'string', value: 'NAME', help: 'App Mesh: the route' },
      'mesh-owner': { type: 'string', value: 'ACCOUNT', help: 'App Mesh: the account that owns a mesh shared with you' },
      service: { type: 'string', value: 'ID|ARN', help: 'VPC Lattice: the service' },
      listener: { type: 'string', value: 'ID|ARN', help: 'VPC Lattice: the listener' },
      rule: { type: 'string', value: 'ID|ARN', help: 'VPC Lattice: the listener rule (default: the listener\'s default action)' },
      input: { type: 'string', value: 'FILE', help: 'take the route from this deployment input instead (one with several routes: every route, one table each)' },
      watch: { type: 'boolean', help: 'keep refreshing until Ctrl-C' },
    },
    examples: [
      'mesh-canary routes --mesh demomesh --router product-vr --route product-r',
      'mesh-canary routes --service svc-0123456789abcdef0 --listener listener-0123456789abcdef0 --rule rule-0123456789abcdef0',
      'mesh-canary routes --input events/execution-linear.json --watch',
    ],
    exitCodes: ['0 shown', '2 no route given, both route forms mixed, or a bad input file', '3 route not found, or AWS errors'],
    run: (ctx, _, v) => routes(ctx, {
      mesh: str(v.mesh), router: str(v.router), route: str(v.route), meshOwner: str(v['mesh-owner']),
      service: str(v.service), listener: str(v.listener), rule: str(v.rule), input: str(v.input), watch: v.watch === true,
    }),
  },
  {
    name: 'report',
    args: '<execution> --out FILE',
    summary: 'write a picture of a deployment (SVG or HTML)',
    description: `<execution> is ${executionHelp}. Writes one self-contained picture: the canary's share over time, each step, a dot per health verdict `
      + '(hover for the reasons), the approval wait, the answer, and the promotion, rollback or abort; with a table of the steps. Works on a running execution too.',
    positionals: { min: 1, max: 1 },
    options: { out: { type: 'string', value: 'FILE', help: 'where to write it: .svg, or .html for the picture in a web page' }, 'state-machine-arn': stateMachineOption },
    examples: ['mesh-canary report product-v15-20261127-101500 --out reports/product-v15.svg'],
    exitCodes: ['0 written', '2 no --out, or not .svg/.html', '3 execution not found, or AWS errors'],
    run: (ctx, [execution], v) => report(ctx, execution, { out: str(v.out), stateMachineArn: str(v['state-machine-arn']) }),
  },
];

const exitCodeHelp = [
  '0    promoted, or the command did what was asked',
  '1    rolled back (FAILED with CanaryRolledBack; ABORTED with AlarmFired, stopped by the alarm path;',
  '     or aborted with the route back at its snapshot)',
  '2    usage error or bad input file: nothing was started or changed',
  '3    anything else: RollbackFailed, the machine refused the input, aborted without restore, timed out,',
  '     a refusal (e.g. not waiting for approval), AWS or network errors',
  '130  Ctrl-C while watching (the deployment goes on)',
];

function optionLines(options: Record<string, OptionSpec>): string[] {
  const left = (name: string, o: OptionSpec) => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
  const entries = Object.entries(options);
  const width = Math.max(...entries.map(([n, o]) => left(n, o).length));
  return entries.map(([n, o]) => `  ${left(n, o).padEnd(width)}  ${o.help}`);
}

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => `${c.name} ${c.args}`.length));
  return [
    'mesh-canary: canary releases on Amazon VPC Lattice and AWS App Mesh, run by the mesh-canary state machines.',
    '',
    'Usage: mesh-canary <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}  ${c.summary}${c.aliases ? ` (also: ${c.aliases.join(', ')})` : ''}`),
    '',
    `<execution> is ${executionHelp}.`,
    '',
    'Options of every command:',
    ...optionLines(common),
    '',
    './samconfig.toml: the file `sam deploy` reads, in the current directory only (not its parents); mesh-canary',
    'takes stack_name and region from its [default.deploy.parameters], else [default.global.parameters].',
    '',
    'Exit codes:',
    ...exitCodeHelp.map((l) => `  ${l}`),
    '',
    'Colours and redrawing in place only on a terminal (and never with NO_COLOR set).',
    'mesh-canary <command> --help shows a command\'s options and examples.',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [
    `Usage: mesh-canary ${c.name} ${c.args} [options]`,
    '',
    ...wrapText(c.description, 92),
    '',
    'Options:',
    ...optionLines(c.options),
    '',
    'Options of every command:',
    ...optionLines(common),
    '',
    'Examples:',
    ...c.examples.map((e) => `  ${e}`),
    '',
    'Exit codes:',
    ...c.exitCodes.map((e) => `  ${e}`),
  ].join('\n');
}

function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

export const findCommand = (name: string) => commands.find((c) => c.name === name || c.aliases?.includes(name));

function parse(c: Command, argv: string[]): { positionals: string[]; values: Values } {
  const options: ParseArgsOptionsConfig = {};
  for (const [name, o] of Object.entries({ ...c.options, ...common })) options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const e = error as Error & { code?: string };
    const unknown = /Unknown option '([^']+)'/.exec(e.message);
    if (unknown) throw new UsageError(`unknown option ${unknown[1]}`);
    const missing = /Option '(-[^ ']+)(?: [^']*)?' argument (?:missing|is ambiguous)/.exec(e.message);
    if (missing) throw new UsageError(`${missing[1]} needs a value`);
    throw new UsageError(e.message);
  }
  const values = parsed.values as Values;
  if (values.help) return { positionals: parsed.positionals, values };
  const { min, max } = c.positionals;
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument${parsed.positionals.length - max > 1 ? 's' : ''}: ${parsed.positionals.slice(max).join(' ')}`);
  if (parsed.positionals.length < min) throw new UsageError(`missing ${c.args.split(' ')[0]}`);
  if (values.output !== undefined && values.output !== 'text' && values.output !== 'json') throw new UsageError(`--output must be text or json (got ${values.output})`);
  for (const name of ['endpoint-url'] as const) {
    const url = str(values[name]);
    if (url !== undefined && !URL.canParse(url)) throw new UsageError(`--${name} ${url} is not a URL`);
  }
  return { positionals: parsed.positionals, values };
}

/** A readable line, and a hint, for errors that are not the CLI's own (AWS, network, config). */
function describeError(error: unknown, endpoint: string | undefined): string {
  const e = error as Error & { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message)) {
    return `cannot reach ${endpoint ?? 'AWS'} (connection refused)${endpoint ? ': is the local AWS running? (npm run sandbox)' : ''}`;
  }
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/.test(e.message)) {
    return `no AWS credentials: ${e.message}. Use --profile or AWS_PROFILE; the local AWS takes any, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing`;
  }
  if (/Region is missing/.test(e.message)) return 'no AWS region: pass --region or set AWS_REGION';
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}

export function version(): string {
  return JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;
}

/** Runs one command line; returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(`${mainHelp()}\n`);
    return exitCodes.usage;
  }
  if (first === '-h' || first === '--help') {
    io.stdout.write(`${mainHelp()}\n`);
    return exitCodes.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`mesh-canary ${version()}\n`);
    return exitCodes.ok;
  }
  if (first === 'help') {
    const c = rest[0] ? findCommand(rest[0]) : undefined;
    if (rest[0] && !c) {
      io.stderr.write(`mesh-canary: unknown command "${rest[0]}"\n`);
      return exitCodes.usage;
    }
    io.stdout.write(`${c ? commandHelp(c) : mainHelp()}\n`);
    return exitCodes.ok;
  }
  const command = findCommand(first);
  if (!command) {
    io.stderr.write(`mesh-canary: unknown command "${first}". Commands: ${commands.map((c) => c.name).join(', ')}. See mesh-canary --help\n`);
    return exitCodes.usage;
  }
  let endpoint: string | undefined;
  try {
    const { positionals, values } = parse(command, rest);
    if (values.help) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return exitCodes.ok;
    }
    const options: CommonOptions = {
      region: str(values.region), profile: str(values.profile), endpointUrl: str(values['endpoint-url']),
      stackName: str(values['stack-name']), output: values.output === 'json' ? 'json' : 'text',
    };
    endpoint = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
    return await command.run(makeContext(io, styleFor(io.stdout), options), positionals, values);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`mesh-canary ${command.name}: ${error.message}\nSee mesh-canary ${command.name} --help\n`);
      return error.exitCode;
    }
    if (error instanceof CommandFailed) {
      io.stderr.write(`mesh-canary ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`mesh-canary ${command.name}: ${describeError(error, endpoint)}\n`);
    return exitCodes.failed;
  }
}

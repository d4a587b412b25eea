// The local Lambda front: the one endpoint every client of the local AWS talks to.
//   node local/front.ts --port B --moto-url http://127.0.0.1:A [--build-dir dist] [--region us-east-1]
//
// moto can only run Lambda code in Docker, so this process answers Lambda's Invoke API by
// calling the real handler from its esbuild bundle (the bundles `scripts/build.ts` writes)
// and proxies every other request to moto unchanged. moto's Step Functions interpreter calls
// Lambda at localhost:$MOTO_PORT, which local/aws.ts points here, so state machines run the
// real handlers too. An asynchronous (Event) Invoke, which is how moto's EventBridge delivers a
// rule's Lambda target (moto_launcher.py), is answered 202 and run as Lambda runs it: retried per
// the template's EventInvokeConfig, then sent to its OnFailure destination. It is its own
// process (spawned by local/aws.ts) so handler code, its globals and its logs stay out of the
// caller's process. Besides the template's functions it runs the example hooks (examples/hooks/,
// local/template.ts listExampleHooks) under their function names, as a user's own functions that
// check-health invokes (issue 13); such an Invoke a function makes is recorded like its other AWS requests.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import http, { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { listExampleHooks, listFunctions, loadTemplate, localValue, projectRoot, type FunctionDefinition } from './template.ts';

const ACCOUNT_ID = '123456789012'; // moto's default account
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

interface LocalFunction extends FunctionDefinition {
  memorySize: number;
  runtime: string;
  /** Environment variables the handler sees, template intrinsics resolved. */
  env: Record<string, string>;
  /** EventInvokeConfig: how an asynchronous (Event) invocation that fails is retried, and where it goes then. */
  async: AsyncInvokeConfig;
  handler?: (event: unknown, context: object, callback: (err: unknown, result?: unknown) => void) => unknown;
}

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'moto-url': { type: 'string' },
    'build-dir': { type: 'string', default: join(projectRoot, 'dist') },
    region: { type: 'string', default: 'us-east-1' },
    faults: { type: 'string' },
    // Milliseconds before each retry of a failed asynchronous invocation (see retryDelayMs).
    'async-retry-delays': { type: 'string', default: process.env.MESH_CANARY_ASYNC_RETRY_DELAYS_MS ?? '500,1000' },
  },
});
if (!args['moto-url']) throw new Error('front.ts: --moto-url is required (the moto server to proxy to)');
const motoUrl = new URL(args['moto-url']);
const buildDir = resolve(args['build-dir']!);
const region = args.region!;
// A profile or a service-specific endpoint (AWS_ENDPOINT_URL_APP_MESH, ...) inherited from
// the developer's shell would send a handler's calls to real AWS instead of this front.
for (const key of Object.keys(process.env)) {
  if (key.startsWith('AWS_ENDPOINT_URL_') || key === 'AWS_PROFILE') delete process.env[key];
}

// ---------------------------------------------------------------- functions from the template

interface AsyncInvokeConfig {
  /** EventInvokeConfig.MaximumRetryAttempts: Lambda's default is 2. */
  maximumRetryAttempts: number;
  /** The OnFailure destination's ARN (SQS queue or SNS topic), if the function has one. */
  onFailure?: string;
}

/**
 * The function's EventInvokeConfig as SAM deploys it: an OnFailure destination with `Type: SQS`
 * (or SNS) and no Destination is a queue (topic) SAM creates, `<Fn>EventInvokeConfigOnFailureQueue`
 * (`...Topic`), which local/stack.ts creates locally; an explicit Destination is resolved like any
 * other template value, and one that cannot be is an error here rather than a silent drop.
 */
function asyncConfig(logicalId: string, props: Record<string, any>, template: ReturnType<typeof loadTemplate>): AsyncInvokeConfig {
  const config = props.EventInvokeConfig ?? {};
  const retries = config.MaximumRetryAttempts ?? 2;
  if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
    throw new Error(`${logicalId}: EventInvokeConfig.MaximumRetryAttempts must be 0, 1 or 2 (is ${JSON.stringify(retries)})`);
  }
  const onFailure = config.DestinationConfig?.OnFailure;
  if (!onFailure) return { maximumRetryAttempts: retries };
  let arn: string | undefined;
  if (onFailure.Destination !== undefined) {
    arn = localValue(onFailure.Destination, template, { region, accountId: ACCOUNT_ID });
  } else if (onFailure.Type === 'SQS') {
    arn = `arn:aws:sqs:${region}:${ACCOUNT_ID}:${logicalId}EventInvokeConfigOnFailureQueue`;
  } else if (onFailure.Type === 'SNS') {
    arn = `arn:aws:sns:${region}:${ACCOUNT_ID}:${logicalId}EventInvokeConfigOnFailureTopic`;
  }
  if (!arn || !/^arn:aws:(sqs|sns):/.test(arn)) {
    throw new Error(`${logicalId}: EventInvokeConfig OnFailure ${JSON.stringify(onFailure)}: the local front delivers only to an SQS queue or SNS topic it can name`);
  }
  return { maximumRetryAttempts: retries, onFailure: arn };
}

function loadFunctions(): Map<string, LocalFunction> {
  const template = loadTemplate();
  const globals = template.Globals?.Function ?? {};
  const functions = new Map<string, LocalFunction>();
  for (const fn of listFunctions(template)) {
    const props = { ...globals, ...template.Resources[fn.logicalId].Properties };
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(fn.environment)) {
      const resolved = localValue(value, template, { region, accountId: ACCOUNT_ID });
      if (resolved !== undefined) env[key] = resolved;
    }
    functions.set(fn.logicalId, {
      ...fn,
      memorySize: Number(props.MemorySize ?? 128),
      runtime: String(props.Runtime ?? 'nodejs24.x'),
      env,
      async: asyncConfig(fn.logicalId, props, template),
    });
  }
  for (const hook of listExampleHooks()) {
    functions.set(hook.logicalId, { ...hook, memorySize: 128, runtime: 'nodejs24.x', env: hook.environment as Record<string, string>, async: { maximumRetryAttempts: 2 } });
  }
  return functions;
}

// ------------------------------------------------------------------- who made each AWS request

/**
 * Every function runs in this one process, and a handler's SDK calls come back to this front,
 * so the front can tell which function made each AWS request: each invocation runs inside an
 * AsyncLocalStorage context holding its logical ID, and node's http.request (which the bundles'
 * SDK uses through the shared builtin module) adds that ID as a header. The front strips the
 * header before proxying. Concurrent invocations stay apart (the context follows each one's
 * awaits); credentials or process.env could not tell them apart (shared, and resolved lazily).
 * With MESH_CANARY_REQUEST_LOG set, each such request is appended to that file as a JSON line:
 * the IAM contract check (test/contract/) evaluates them against each function's role.
 */
const CALLER_HEADER = 'x-local-caller';
/**
 * A request made through the wrapped http.request outside any invocation: bundle code that runs
 * at load or escapes its invocation's context. The front itself proxies with the original
 * http.request, so only function code gets this tag; the contract fails on any such record.
 */
export const UNATTRIBUTED = '(unattributed)';
const caller = new AsyncLocalStorage<string>();
const httpRequest = http.request; // the original, for proxying to moto
// Installed before anything loads a bundle, so no function code holds the unwrapped one.
http.request = function requestWithCaller(this: unknown, ...args: Parameters<typeof http.request>) {
  const outgoing = (httpRequest as (...a: unknown[]) => ReturnType<typeof http.request>).apply(this, args);
  if (!outgoing.headersSent) outgoing.setHeader(CALLER_HEADER, caller.getStore() ?? UNATTRIBUTED);
  return outgoing;
} as typeof http.request;

const functions = loadFunctions();

const requestLog = process.env.MESH_CANARY_REQUEST_LOG;

/** What the contract check needs to know which action on which resources a request was. */
export interface RecordedRequest {
  /** The function's logical ID, or (unattributed): made outside any invocation. */
  function: string;
  /** SigV4 service name (appmesh, dynamodb, monitoring, sns, states, ...). */
  service: string;
  method: string;
  /** Path and query string. */
  url: string;
  /** X-Amz-Target of JSON-protocol requests (DynamoDB_20120810.GetItem, ...). */
  target?: string;
  body: string;
  /** Where the function's bundle came from (tests also run fixture bundles under real names). */
  buildDir: string;
}

/** Request fields that may hold a task token, anywhere in a JSON body. */
const SECRET_FIELDS = /^(taskToken|TaskToken)$/;
const REDACTED = '(redacted)';

/**
 * The body as recorded: no secret in the log (the README promises no task token in any log).
 * Query-protocol bodies (SNS, SQS) keep only what resource mapping needs (Action, Version,
 * TopicArn, TargetArn, QueueUrl): an approval's Message carries its task token. JSON bodies lose
 * every taskToken field. What the contract reads (table, route spec, execution ARN) stays.
 */
export function redactBody(service: string, body: string): string {
  if (service === 'sns' || service === 'sqs') {
    const form = new URLSearchParams(body);
    const kept = new URLSearchParams();
    for (const key of ['Action', 'Version', 'TopicArn', 'TargetArn', 'QueueUrl']) {
      const v = form.get(key);
      if (v !== null) kept.set(key, v);
    }
    return kept.toString();
  }
  try {
    return JSON.stringify(JSON.parse(body), (key, value) => (SECRET_FIELDS.test(key) ? REDACTED : value));
  } catch {
    return body; // not JSON (App Mesh GET, empty): nothing of a token's shape to drop
  }
}

function recordRequest(req: IncomingMessage, fn: string, body: Buffer): void {
  if (!requestLog) return;
  const service = serviceOf(req) ?? 'unknown';
  const record: RecordedRequest = {
    function: fn,
    service,
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    ...(req.headers['x-amz-target'] ? { target: String(req.headers['x-amz-target']) } : {}),
    body: redactBody(service, body.toString('utf8')),
    buildDir,
  };
  // One write per line in append mode: fronts of several local AWS instances may share the file.
  appendFileSync(requestLog, `${JSON.stringify(record)}\n`);
}

function functionArn(name: string): string {
  return `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`;
}

/** Accepts what Lambda accepts: a name, `name:qualifier`, a partial ARN or a full ARN. */
function parseFunctionRef(raw: string): { name: string; qualifier?: string } {
  const afterPrefix = raw.includes('function:') ? raw.slice(raw.indexOf('function:') + 'function:'.length) : raw;
  const [name, qualifier] = afterPrefix.split(':');
  return { name, qualifier };
}

// ------------------------------------------------------------------------- invoking handlers

/** Mirrors the Lambda Node.js runtime: errors come back as {errorType, errorMessage, trace}. */
class LambdaRuntimeError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function errorPayload(error: unknown) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function handlerEnv(fn: LocalFunction, selfUrl: string): Record<string, string> {
  return {
    ...fn.env,
    AWS_ENDPOINT_URL: selfUrl, // the handler's own AWS calls come back through this front
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', // Powertools reports cold starts only then
    LAMBDA_TASK_ROOT: join(buildDir, fn.logicalId),
    _HANDLER: `${fn.handlerModule}.${fn.handlerExport}`,
  };
}

const frontEnv = { ...process.env };

/**
 * process.env = the front's own environment + this function's (not the previous one's).
 * Every function shares this process, so it is set before each load and each invocation;
 * a handler reading it after an await while another function runs could see that one's
 * AWS_LAMBDA_* values (the rest is the same for all of this project's functions).
 */
function applyEnv(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) {
    if (!(key in frontEnv) && !(key in env)) delete process.env[key];
  }
  Object.assign(process.env, env);
}

/** Loads the bundle once (a warm container), failing the way the Lambda runtime does. */
function loadHandler(fn: LocalFunction): NonNullable<LocalFunction['handler']> {
  if (fn.handler) return fn.handler;
  const bundle = join(buildDir, fn.logicalId, `${fn.handlerModule}.js`);
  if (!existsSync(bundle)) {
    throw new LambdaRuntimeError('Runtime.ImportModuleError',
      `Error: Cannot find module '${fn.handlerModule}': no bundle at ${bundle} (run: node scripts/build.ts)`);
  }
  const exported = createRequire(bundle)(bundle)[fn.handlerExport];
  if (typeof exported !== 'function') {
    throw new LambdaRuntimeError('Runtime.HandlerNotFound',
      `${fn.handlerModule}.${fn.handlerExport} is undefined or not exported`);
  }
  fn.handler = exported;
  return exported;
}

async function invoke(fn: LocalFunction, event: unknown, invokedArn: string, selfUrl: string, requestId: string): Promise<unknown> {
  applyEnv(handlerEnv(fn, selfUrl));
  const handler = loadHandler(fn);
  const timeoutMs = fn.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.logicalId,
    functionVersion: '$LATEST',
    invokedFunctionArn: invokedArn,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.logicalId}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaRuntimeError('Sandbox.Timedout',
      `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`)), timeoutMs);
  });
  // Async handlers return a promise; callback-style handlers call back.
  const ran = new Promise((resolvePromise, rejectPromise) => {
    const returned = handler(event, context, (err, result) => (err ? rejectPromise(err) : resolvePromise(result)));
    if (returned && typeof (returned as Promise<unknown>).then === 'function') {
      (returned as Promise<unknown>).then(resolvePromise, rejectPromise);
    }
  });
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function log(fn: string, line: string): void {
  process.stdout.write(`[${fn}] ${line}\n`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body === undefined ? null : body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

type Outcome = { ok: true; result: unknown } | { ok: false; payload: ReturnType<typeof errorPayload> };

// ------------------------------------------------------------------ asynchronous invocations

/**
 * Before retry n (1-based) of a failed asynchronous invocation. Lambda waits about 1 minute before
 * the first retry and 2 minutes before the second; locally the waits are short (default 0.5 s, 1 s;
 * --async-retry-delays / MESH_CANARY_ASYNC_RETRY_DELAYS_MS, comma-separated ms) so that tests and
 * the sandbox see the same sequence of attempts in seconds.
 */
const retryDelaysMs = args['async-retry-delays']!.split(',').map((v) => {
  const ms = Number(v.trim());
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`front.ts: --async-retry-delays: ${JSON.stringify(v)} is not a number of milliseconds`);
  return ms;
});
function retryDelayMs(retry: number): number {
  return retryDelaysMs[Math.min(retry - 1, retryDelaysMs.length - 1)] ?? 0;
}

/** Lambda's own clients (not a function's): straight to moto, no fault injection, not recorded. */
const motoClientConfig = {
  endpoint: motoUrl.origin, region,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
};
let destinationClients: { sqs: SQSClient; sns: SNSClient } | undefined;

/**
 * An Event invocation as Lambda runs it: the caller already has its 202; a run that fails (throws,
 * times out) is retried EventInvokeConfig.MaximumRetryAttempts times with the same request ID, and
 * after the last failure the invocation record goes to the OnFailure destination, if any. Each
 * attempt logs START/END/REPORT where the handler's logs go.
 */
async function invokeAsync(fn: LocalFunction, event: unknown, invokedArn: string, requestId: string,
  run: (attempt: number) => Promise<Outcome>): Promise<void> {
  let attempt = 1;
  let outcome = await run(attempt);
  while (!outcome.ok && attempt <= fn.async.maximumRetryAttempts) {
    const delay = retryDelayMs(attempt);
    log(fn.logicalId, `asynchronous invocation ${requestId} failed (attempt ${attempt} of ${fn.async.maximumRetryAttempts + 1}); retrying in ${delay} ms`);
    await new Promise((r) => setTimeout(r, delay));
    attempt += 1;
    outcome = await run(attempt);
  }
  if (outcome.ok) return;
  if (!fn.async.onFailure) {
    log(fn.logicalId, `asynchronous invocation ${requestId} failed ${attempt} times; no OnFailure destination: the event is dropped`);
    return;
  }
  // The invocation record Lambda sends to a destination (Lambda developer guide, "Capturing
  // records of asynchronous invocations").
  const record = {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId, functionArn: invokedArn.split(':').length === 7 ? `${invokedArn}:$LATEST` : invokedArn,
      condition: 'RetriesExhausted', approximateInvokeCount: attempt },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: outcome.payload,
  };
  const body = JSON.stringify(record);
  const destination = fn.async.onFailure;
  try {
    destinationClients ??= { sqs: new SQSClient(motoClientConfig), sns: new SNSClient(motoClientConfig) };
    if (destination.startsWith('arn:aws:sqs:')) {
      const [, , , , account, queue] = destination.split(':');
      await destinationClients.sqs.send(new SendMessageCommand({ QueueUrl: `${motoUrl.origin}/${account}/${queue}`, MessageBody: body }));
    } else {
      await destinationClients.sns.send(new PublishCommand({ TopicArn: destination, Message: body }));
    }
    log(fn.logicalId, `asynchronous invocation ${requestId} failed ${attempt} times; sent to its OnFailure destination ${destination}`);
  } catch (error) {
    log(fn.logicalId, `asynchronous invocation ${requestId} failed ${attempt} times; sending it to ${destination} failed: ${(error as Error).message}`);
  }
}

// ------------------------------------------------------------- what was invoked (for tests)

/** One run of a handler: GET /__local/invocations lists the last ones (oldest first). */
export interface InvocationRecord {
  function: string;
  requestId: string;
  invocationType: string;
  /** 1 for the first run; retries of an asynchronous invocation count up with the same requestId. */
  attempt: number;
  ok: boolean;
  errorType?: string;
  /** When the payload is an EventBridge event: its id and resources (which alarm, which execution). */
  eventId?: string;
  resources?: string[];
  at: string;
}
const invocations: InvocationRecord[] = [];
function eventbridgeEnvelope(event: unknown): Pick<InvocationRecord, 'eventId' | 'resources'> {
  const e = event as { id?: unknown; 'detail-type'?: unknown; resources?: unknown } | null;
  if (!e || typeof e !== 'object' || typeof e['detail-type'] !== 'string' || typeof e.id !== 'string') return {};
  return { eventId: e.id, resources: Array.isArray(e.resources) ? e.resources.map(String) : [] };
}
function recordInvocation(record: Omit<InvocationRecord, 'at'>): void {
  invocations.push({ ...record, at: new Date().toISOString() });
  if (invocations.length > 2000) invocations.splice(0, invocations.length - 2000);
}

/** POST /2015-03-31/functions/{FunctionName}/invocations, answered as Lambda does. */
async function handleInvoke(req: IncomingMessage, res: ServerResponse, rawName: string, selfUrl: string): Promise<void> {
  const requestId = randomUUID();
  const { name, qualifier } = parseFunctionRef(decodeURIComponent(rawName));
  const fn = functions.get(name);
  const base = { 'x-amzn-RequestId': requestId };
  // An Invoke a function made (check-health invoking a hook): recorded for the IAM contract, found or not.
  const from = req.headers[CALLER_HEADER];
  const body = await readBody(req);
  if (typeof from === 'string') recordRequest(req, from, body);
  if (!fn) {
    const notFound = functionArn(name) + (qualifier ? `:${qualifier}` : '');
    sendJson(res, 404, { Type: 'User', message: `Function not found: ${notFound}` },
      { ...base, 'x-amzn-ErrorType': 'ResourceNotFoundException' });
    return;
  }
  let event: unknown = {};
  try {
    if (body.length > 0) event = JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 400, { Type: 'User', message: 'Could not parse request body into json: the payload is not valid JSON' },
      { ...base, 'x-amzn-ErrorType': 'InvalidRequestContentException' });
    return;
  }
  const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (invocationType === 'DryRun') {
    res.writeHead(204, base).end();
    return;
  }
  const invokedArn = functionArn(fn.logicalId) + (qualifier ? `:${qualifier}` : '');
  const run = async (attempt = 1): Promise<Outcome> => {
    const started = performance.now();
    log(fn.logicalId, `START RequestId: ${requestId} Version: $LATEST`);
    let outcome: Outcome;
    try {
      outcome = { ok: true as const, result: await caller.run(fn.logicalId, () => invoke(fn, event, invokedArn, selfUrl, requestId)) };
    } catch (error) {
      const payload = errorPayload(error);
      log(fn.logicalId, `ERROR ${payload.errorType}: ${payload.errorMessage}`);
      outcome = { ok: false as const, payload };
    } finally {
      log(fn.logicalId, `END RequestId: ${requestId}`);
      log(fn.logicalId, `REPORT RequestId: ${requestId} Duration: ${(performance.now() - started).toFixed(2)} ms`);
    }
    recordInvocation({ function: fn.logicalId, requestId, invocationType, attempt, ok: outcome.ok,
      ...(outcome.ok ? {} : { errorType: outcome.payload.errorType }), ...eventbridgeEnvelope(event) });
    return outcome;
  };
  if (invocationType === 'Event') {
    res.writeHead(202, base).end();
    void invokeAsync(fn, event, invokedArn, requestId, run);
    return;
  }
  const outcome = await run();
  const headers = { ...base, 'X-Amz-Executed-Version': '$LATEST' };
  if (outcome.ok) sendJson(res, 200, outcome.result, headers);
  else sendJson(res, 200, outcome.payload, { ...headers, 'X-Amz-Function-Error': 'Unhandled' });
}

// ------------------------------------------------------------------------------ proxy to moto

const motoAgent = new Agent({ keepAlive: true });

/**
 * Forwards one request to moto as it came (method, path, headers, streamed body) and streams
 * moto's answer back. Every non-Lambda AWS call passes here: the one place to inject faults.
 */
// ------------------------------------------------------------------------------ fault injection

/**
 * Faults the front injects into AWS calls it proxies (not into Lambda invocations), to prove
 * mesh-canary under throttling, 5xx and latency. Set at start (--faults JSON) or at run time
 * (POST /__local/faults); GET /__local/faults returns the config and what was injected.
 */
export interface FaultConfig {
  /** Share of matching requests that get a fault, 0-1. */
  rate: number;
  kinds?: ('throttle' | 'error' | 'latency')[];
  latencyMs?: number;
  /** SigV4 service names (appmesh, vpc-lattice, monitoring, dynamodb, sns, states, ...). */
  services?: string[];
}

let faults: FaultConfig | undefined = args.faults ? JSON.parse(args.faults) : undefined;
const injected: Record<string, number> = {};

function serviceOf(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''))?.[1];
}

/** An error response in the service's own protocol, so the SDK sees what AWS would send. */
function sendFault(res: ServerResponse, service: string, kind: 'throttle' | 'error'): void {
  const message = `${kind === 'throttle' ? 'Rate exceeded' : 'Internal error'} (injected by the local front)`;
  if (service === 'appmesh') { // REST-JSON
    const [status, type] = kind === 'throttle' ? [429, 'TooManyRequestsException'] : [500, 'InternalServerErrorException'];
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
    res.end(JSON.stringify({ message }));
  } else if (service === 'vpc-lattice') { // REST-JSON, with Lattice's own error names (botocore's model)
    const [status, type] = kind === 'throttle' ? [429, 'ThrottlingException'] : [500, 'InternalServerException'];
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
    res.end(JSON.stringify({ message }));
  } else if (service === 'sns' || service === 'sqs' || service === 'cloudformation') { // query (XML)
    const [status, code] = kind === 'throttle' ? [400, 'Throttling'] : [500, 'InternalFailure'];
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(`<ErrorResponse><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>`);
  } else { // JSON 1.0/1.1 (dynamodb, monitoring, states, ...)
    const [status, type] = kind === 'throttle' ? [400, 'ThrottlingException'] : [500, 'InternalServerError'];
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${type};${status >= 500 ? 'Receiver' : 'Sender'}` });
    res.end(JSON.stringify({ __type: type, message }));
  }
}

/** Applies the configured faults; returns true when the request was answered with one. */
async function injectFault(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const service = serviceOf(req);
  if (!faults || !service || !(faults.services ?? ['appmesh', 'monitoring', 'dynamodb', 'sns']).includes(service)) return false;
  if (Math.random() >= faults.rate) return false;
  const kinds = faults.kinds?.length ? faults.kinds : ['throttle', 'error', 'latency'] as const;
  const kind = kinds[Math.floor(Math.random() * kinds.length)];
  injected[`${service}:${kind}`] = (injected[`${service}:${kind}`] ?? 0) + 1;
  if (kind === 'latency') {
    await new Promise((r) => setTimeout(r, faults?.latencyMs ?? 200));
    return false;
  }
  req.resume();
  sendFault(res, service, kind);
  return true;
}

function faultAdmin(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET') {
    sendJson(res, 200, { faults: faults ?? null, injected });
    return;
  }
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    try {
      const next = body.trim() ? JSON.parse(body) : null;
      if (next !== null && !(typeof next.rate === 'number' && next.rate >= 0 && next.rate <= 1)) throw new Error('rate must be a number from 0 to 1');
      faults = next ?? undefined;
      for (const k of Object.keys(injected)) delete injected[k];
      sendJson(res, 200, { faults: faults ?? null });
    } catch (error) {
      sendJson(res, 400, { message: `bad fault config: ${(error as Error).message}` });
    }
  });
}

/** Body: already read (a recorded request), else streamed through. */
function proxyToMoto(req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
  const upstream = httpRequest({
    host: motoUrl.hostname,
    port: motoUrl.port,
    method: req.method,
    path: req.url,
    headers: req.headers,
    agent: motoAgent,
  }, (motoRes) => {
    res.writeHead(motoRes.statusCode ?? 502, motoRes.rawHeaders);
    motoRes.pipe(res);
  });
  upstream.on('error', (error) => {
    if (res.headersSent) res.destroy(error);
    else sendJson(res, 502, { __type: 'LocalFrontProxyError', message: `moto at ${motoUrl.origin} did not answer: ${error.message}` });
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}

// --------------------------------------------------------------------------------------- server

const server = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/__local/faults') {
    faultAdmin(req, res);
    return;
  }
  if (path === '/__local/invocations' && req.method === 'GET') {
    sendJson(res, 200, { invocations });
    return;
  }
  const match = req.method === 'POST' ? INVOKE_PATH.exec(path) : null;
  if (!match) {
    const fn = req.headers[CALLER_HEADER];
    delete req.headers[CALLER_HEADER];
    // A request a function made, when recording: read its body to record it, then send it on.
    const body = typeof fn === 'string' && requestLog ? readBody(req).then((b) => { recordRequest(req, fn, b); return b; }) : Promise.resolve(undefined);
    body.then(async (b) => (await injectFault(req, res)) || proxyToMoto(req, res, b)).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { message: `local front: ${(error as Error).message}` });
      else res.destroy();
    });
    return;
  }
  const { port } = server.address() as { port: number };
  handleInvoke(req, res, match[1], `http://127.0.0.1:${port}`).catch((error) => {
    log('front', `invoke failed: ${(error as Error).stack ?? error}`);
    if (!res.headersSent) sendJson(res, 500, { Type: 'Service', message: `local Lambda front: ${(error as Error).message}` });
    else res.destroy();
  });
});

server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  if (process.send) {
    process.send({ ready: true, port });
    // The IPC channel closes when local/aws.ts's process exits, however it exits.
    process.on('disconnect', () => process.exit(0));
  } else {
    console.log(`Lambda front on http://127.0.0.1:${port} (functions: ${[...functions.keys()].join(', ')}), moto at ${motoUrl.origin}`);
  }
});

// Reads that ride out transient AWS errors (cli/retry.ts), and the watch loop that uses them
// (cli/follow.ts). The errors are the ones the SDK really throws: each is produced once by a
// real SFNClient talking to a tiny HTTP server on localhost that answers as AWS does when it
// throttles (400 ThrottlingException), as a proxy or moto does when it fails (500 with an HTML
// page, which the SDK cannot parse), and with a plain AWS 4xx (ExecutionDoesNotExist).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { follow } from '../../cli/follow.ts';
import {
  AwsNotAnswering, defaultPolicy, delayBefore, NoticeLines, noticeText, ReadRetry, retryReads, transientReason, type RetryNotice, type RetryPolicy,
} from '../../cli/retry.ts';
import { exitCodes } from '../../cli/errors.ts';
import { run } from '../../cli/program.ts';

const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:product-v15';
const policy: RetryPolicy = { giveUpAfterMs: 60_000, firstDelayMs: 500, maxDelayMs: 8_000 };

/** Real SDK errors, as a real SFNClient throws them for these HTTP answers. */
const real: Record<'throttling' | 'html500' | 'notFound' | 'accessDenied', Error> = {} as any;

async function sdkErrorFor(status: number, headers: Record<string, string>, body: string): Promise<Error> {
  const server: Server = createServer((_, res) => res.writeHead(status, headers).end(body));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const client = new SFNClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    await client.send(new DescribeExecutionCommand({ executionArn }));
    throw new Error('expected an error');
  } catch (error) {
    return error as Error;
  } finally {
    client.destroy();
    await new Promise((done) => server.close(done));
  }
}

beforeAll(async () => {
  const json = { 'content-type': 'application/x-amz-json-1.0' };
  real.throttling = await sdkErrorFor(400, json, JSON.stringify({ __type: 'com.amazonaws.sfn#ThrottlingException', message: 'Rate exceeded' }));
  real.html500 = await sdkErrorFor(500, { 'content-type': 'text/html' }, '<!doctype html>\n<html><title>500 Internal Server Error</title></html>');
  real.notFound = await sdkErrorFor(400, json, JSON.stringify({ __type: 'com.amazonaws.sfn#ExecutionDoesNotExist', message: 'Execution does not exist' }));
  real.accessDenied = await sdkErrorFor(400, json, JSON.stringify({ __type: 'AccessDeniedException', message: 'not authorized' }));
  // From here on, SFNClient is mocked.
  sfn = mockClient(SFNClient);
});
afterAll(() => sfn.restore());
beforeEach(() => sfn?.reset());

let sfn: AwsStub<any, any, any>;

const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code });

describe('which errors are worth another try', () => {
  test('the errors the SDK really throws are what the retry expects', () => {
    expect(real.throttling.name).toBe('ThrottlingException');
    // The HTML 500: the JSON parser's error, with the response's status attached by the SDK.
    expect(real.html500.name).toBe('SyntaxError');
    expect(real.html500.message).toMatch(/Deserialization error/);
    expect((real.html500 as any).$metadata.httpStatusCode).toBe(500);
    expect(real.notFound.name).toBe('ExecutionDoesNotExist');
  });

  test('throttling, 5xx (even one whose body could not be parsed) and dropped connections', () => {
    expect(transientReason(real.throttling)).toBe('ThrottlingException');
    expect(transientReason(real.html500)).toBe('HTTP 500');
    expect(transientReason(Object.assign(new Error('oops'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }))).toBe('ServiceUnavailable, HTTP 503');
    expect(transientReason(networkError('ECONNRESET'))).toBe('ECONNRESET');
    expect(transientReason(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))).toBe('TimeoutError');
  });

  test('not: AWS saying no, bad input, an abort', () => {
    expect(transientReason(real.notFound)).toBeUndefined();
    expect(transientReason(real.accessDenied)).toBeUndefined();
    expect(transientReason(new TypeError('Cannot read properties of undefined'))).toBeUndefined();
    expect(transientReason(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBeUndefined();
  });

  test('a connection refused is transient only once the endpoint has answered before', () => {
    expect(transientReason(networkError('ECONNREFUSED'), false)).toBeUndefined();
    expect(transientReason(networkError('ECONNREFUSED'), true)).toBe('ECONNREFUSED');
    expect(transientReason(networkError('ECONNRESET'), false)).toBe('ECONNRESET');
  });
});

describe('the retry policy', () => {
  test('waits double from the first delay up to the cap, half of each wait random', () => {
    const lowest = [1, 2, 3, 4, 5, 6, 7].map((t) => delayBefore(t, policy, () => 0));
    const highest = [1, 2, 3, 4, 5, 6, 7].map((t) => delayBefore(t, policy, () => 1));
    expect(lowest).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
    expect(highest).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  test('the bound comes from MESH_CANARY_READ_RETRY_SECONDS, 120 s by default', () => {
    expect(defaultPolicy({}).giveUpAfterMs).toBe(120_000);
    expect(defaultPolicy({ MESH_CANARY_READ_RETRY_SECONDS: '5' }).giveUpAfterMs).toBe(5_000);
    expect(defaultPolicy({ MESH_CANARY_READ_RETRY_SECONDS: 'soon' }).giveUpAfterMs).toBe(120_000);
  });
});

/** A clock that only moves when the retry sleeps, so tests take no time. */
function fakeTime() {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
  };
}

describe('reads through a client', () => {
  function client(retryPolicy = policy) {
    const time = fakeTime();
    const c = new SFNClient({ region: 'us-east-1' });
    const retry = retryReads(c, { policy: retryPolicy, sleep: time.sleep, now: time.now, random: () => 1 });
    const notices: (RetryNotice | undefined)[] = [];
    retry.onNotice((n) => notices.push(n));
    return { c, retry, time, notices };
  }

  test('a throttled and a failed read are tried again, with notices while it lasts and one when it works again', async () => {
    sfn.on(DescribeExecutionCommand).rejectsOnce(real.throttling).rejectsOnce(real.html500).resolves({ status: 'RUNNING' });
    const { c, time, notices } = client();
    await expect(c.send(new DescribeExecutionCommand({ executionArn }))).resolves.toEqual({ status: 'RUNNING' });
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
    expect(time.waits).toEqual([500, 1000]);
    expect(notices.map((n) => n && noticeText(n))).toEqual([
      'AWS not answering (ThrottlingException), retrying, 1 try so far',
      'AWS not answering (HTTP 500), retrying, 2 tries so far',
      undefined,
    ]);
  });

  test('gives up after the bound with AwsNotAnswering: exit 3, what failed, for how long and why', async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(real.html500);
    const { c, time } = client({ ...policy, giveUpAfterMs: 20_000 });
    const error = await c.send(new GetExecutionHistoryCommand({ executionArn })).catch((e) => e);
    expect(error).toBeInstanceOf(AwsNotAnswering);
    expect(error.exitCode).toBe(exitCodes.failed);
    expect(error.message).toMatch(/^AWS did not answer GetExecutionHistory for 16 s \(6 tries; the last: SyntaxError: Unexpected token/);
    // Six tries, waits of 0.5 + 1 + 2 + 4 + 8 = 15.5 s between them; after the sixth, 8 s more would pass 20 s.
    expect(time.waits).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 6);
  });

  test('an error that is not transient is thrown at once', async () => {
    sfn.on(DescribeExecutionCommand).rejects(real.notFound);
    const { c, time, notices } = client();
    await expect(c.send(new DescribeExecutionCommand({ executionArn }))).rejects.toThrow(real.notFound);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
    expect(time.waits).toEqual([]);
    expect(notices).toEqual([]);
  });

  test('writes are never repeated here (the SDK\'s own retries only)', async () => {
    sfn.on(StartExecutionCommand).rejects(real.throttling);
    const { c } = client();
    await expect(c.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:M', name: 'x' }))).rejects.toThrow(real.throttling);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  test('a connection refused on the first read is not waited out; after reads worked, it is', async () => {
    const refused = networkError('ECONNREFUSED');
    sfn.on(DescribeExecutionCommand).rejectsOnce(refused).resolvesOnce({ status: 'RUNNING' }).rejectsOnce(refused).resolves({ status: 'SUCCEEDED' });
    const { c } = client();
    await expect(c.send(new DescribeExecutionCommand({ executionArn }))).rejects.toThrow(refused);
    await expect(c.send(new DescribeExecutionCommand({ executionArn }))).resolves.toEqual({ status: 'RUNNING' });
    await expect(c.send(new DescribeExecutionCommand({ executionArn }))).resolves.toEqual({ status: 'SUCCEEDED' });
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 4);
  });

  test('Ctrl-C stops the waiting: the last error is thrown', async () => {
    sfn.on(DescribeExecutionCommand).rejects(real.throttling);
    const stop = new AbortController();
    const c = new SFNClient({ region: 'us-east-1' });
    const retry = retryReads(c, { policy, sleep: async () => stop.abort(), random: () => 1 });
    retry.stopOn(stop.signal);
    await expect(c.send(new DescribeExecutionCommand({ executionArn }))).rejects.toThrow(real.throttling);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
  });

  test('installing twice keeps one retry state', () => {
    const c = new SFNClient({ region: 'us-east-1' });
    expect(retryReads(c)).toBe(retryReads(c));
    expect(retryReads(c)).toBeInstanceOf(ReadRetry);
  });
});

describe('following an execution while AWS is not answering', () => {
  const started: HistoryEvent = { id: 1, type: 'ExecutionStarted', timestamp: new Date(0), executionStartedEventDetails: { input: '{}' } };

  test('throttled and failed polls are ridden out and the end is still seen', async () => {
    sfn.on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' })
      .rejectsOnce(real.throttling)
      .rejectsOnce(real.throttling)
      .resolves({ status: 'SUCCEEDED', stopDate: new Date(1000), output: '{}' });
    sfn.on(GetExecutionHistoryCommand).rejectsOnce(real.html500).resolves({ events: [started] });
    const c = new SFNClient({ region: 'us-east-1' });
    retryReads(c, { policy: { ...policy, firstDelayMs: 1, maxDelayMs: 2 } });
    const notices: (RetryNotice | undefined)[] = [];
    const kinds: string[] = [];
    const end = await follow(c, executionArn, (e) => kinds.push(e.kind), { intervalMs: 1, onRetry: (n) => notices.push(n) });
    expect(end.status).toBe('SUCCEEDED');
    expect(kinds).toEqual(['started', 'ended']);
    expect(notices.filter(Boolean).map((n) => n!.reason)).toEqual(['HTTP 500', 'ThrottlingException', 'ThrottlingException']);
    expect(notices.at(-1)).toBeUndefined();
  });

  test('a stop (Ctrl-C) while a read is failing returns the last description, still RUNNING', async () => {
    const stop = new AbortController();
    sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).callsFake(async () => {
      stop.abort();
      throw real.throttling;
    });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [started] });
    const c = new SFNClient({ region: 'us-east-1' });
    const end = await follow(c, executionArn, () => undefined, { intervalMs: 1, signal: stop.signal });
    expect(end.status).toBe('RUNNING');
  });

  test('reads that fail past the bound end the follow with AwsNotAnswering', async () => {
    sfn.on(DescribeExecutionCommand).rejects(real.throttling);
    const c = new SFNClient({ region: 'us-east-1' });
    retryReads(c, { policy: { giveUpAfterMs: 20, firstDelayMs: 1, maxDelayMs: 4 } });
    await expect(follow(c, executionArn, () => undefined, { intervalMs: 1 })).rejects.toBeInstanceOf(AwsNotAnswering);
  });
});

describe('the notice as plain lines', () => {
  const n = (tries: number): RetryNotice => ({ operation: 'GetExecutionHistory', reason: 'ThrottlingException', tries, failingForMs: 0, nextInMs: 0 });

  test('nothing for a read that worked on its second try; then at 2, 4, 8 tries, and once when AWS answers again', () => {
    const lines: string[] = [];
    const notices = new NoticeLines((l) => lines.push(l));
    notices.update(n(1));
    notices.update(undefined);
    expect(lines).toEqual([]);
    for (let t = 1; t <= 9; t++) notices.update(n(t));
    notices.update(undefined);
    expect(lines).toEqual([
      'AWS not answering (ThrottlingException), retrying, 2 tries so far',
      'AWS not answering (ThrottlingException), retrying, 4 tries so far',
      'AWS not answering (ThrottlingException), retrying, 8 tries so far',
      'AWS answering again after 9 tries',
    ]);
  });
});

describe('mesh-canary watch while AWS is not answering', () => {
  const started: HistoryEvent = {
    id: 1, type: 'ExecutionStarted', timestamp: new Date(Date.now() - 5000),
    executionStartedEventDetails: { input: JSON.stringify({ route: { meshName: 'm', virtualRouterName: 'product-vr', routeName: 'product-r' }, stableNode: 'product-vn', canaryNode: 'product-v15-vn', strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 60 } }) },
  };
  const running = { executionArn, name: 'product-v15', status: 'RUNNING' as const, startDate: started.timestamp };
  const succeeded = { ...running, status: 'SUCCEEDED' as const, stopDate: new Date(), output: '{}' };

  async function watch(tty: boolean, ...args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await run(['watch', executionArn, '--poll-interval', '0.1', '--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1', ...args], {
      stdout: { write: (s: string) => (stdout += s), isTTY: tty, columns: 120 },
      stderr: { write: (s: string) => (stderr += s) },
      signal: new AbortController().signal,
      graceful: () => undefined,
    });
    return { code, stdout, stderr };
  }

  beforeEach(() => {
    // Two throttled polls after the first, then the end.
    sfn.on(DescribeExecutionCommand).resolvesOnce(running).resolvesOnce(running).rejectsOnce(real.throttling).rejectsOnce(real.throttling).resolves(succeeded);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [started] });
  });

  test('on a terminal, the live view says so while it lasts', async () => {
    const r = await watch(true);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('AWS not answering (ThrottlingException), retrying, 2 tries so far');
    expect(r.stdout).not.toContain('1 try so far');
  });

  test('in a log, plain lines: when it starts to last and when AWS answers again', async () => {
    const r = await watch(false);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain('AWS not answering (ThrottlingException), retrying, 2 tries so far');
    expect(lines).toContain('AWS answering again after 2 tries');
    expect(lines.at(-1)).toMatch(/^outcome: promoted/);
  });

  test('with --output json, stdout keeps its one object; the notices go to stderr', async () => {
    const r = await watch(false, '--output', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    expect(r.stderr).toBe('AWS not answering (ThrottlingException), retrying, 2 tries so far\nAWS answering again after 2 tries\n');
  });
});

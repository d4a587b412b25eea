// Riding out AWS reads that fail for a moment. A watcher polls for as long as a deployment
// runs, and one throttled or failed read must not end it: Step Functions throttles
// GetExecutionHistory when several people watch, a service answers 5xx now and then, and a
// connection drops. Reads (Describe*, Get*, List*) made through a client given to
// `retryReads` are tried again with backoff while the error is transient, for up to a bound
// (MESH_CANARY_READ_RETRY_SECONDS, default 120 s); then AwsNotAnswering (exit 3). Writes keep
// the SDK's own retries only: repeating a write is the caller's decision.
import { CommandFailed } from './errors.ts';
import { duration } from './render.ts';

/** Throttling as AWS services name it (the SDK's list, for the services the CLI reads). */
const THROTTLING = new Set([
  'ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'RequestThrottled', 'RequestThrottledException', 'ProvisionedThroughputExceededException', 'SlowDown', 'LimitExceededException',
]);
/** Network errors of a connection that worked before (Node's codes). */
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

type AwsError = Error & {
  code?: string;
  cause?: unknown;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
};

function networkCode(error: AwsError, depth = 0): string | undefined {
  if (error.code && NETWORK.has(error.code)) return error.code;
  const cause = error.cause as AwsError | undefined;
  return cause && typeof cause === 'object' && depth < 5 ? networkCode(cause, depth + 1) : undefined;
}

/**
 * Why an error is worth another try, in a few words ("ThrottlingException", "HTTP 500",
 * "ECONNRESET"), or undefined when it is not (a 4xx such as ExecutionDoesNotExist or
 * AccessDeniedException, a bad argument, an abort). A connection that cannot be made at all
 * is transient only once the endpoint has answered before (`answeredBefore`): on the first
 * call it means a wrong endpoint or no local AWS, and waiting would only hide that.
 */
export function transientReason(error: unknown, answeredBefore = true): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as AwsError;
  if (e.name === 'AbortError') return undefined;
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || THROTTLING.has(e.name)) return e.name && e.name !== 'Error' ? e.name : 'throttled';
  if (status !== undefined && status >= 500) {
    // A 5xx whose body was not AWS's (an HTML error page) fails to parse: the SDK throws the
    // parser's SyntaxError with the response's status attached.
    return e.name && e.name !== 'SyntaxError' && e.name !== 'Error' && e.name !== 'InternalFailure' && e.name !== 'UnknownError' ? `${e.name}, HTTP ${status}` : `HTTP ${status}`;
  }
  if (e.$fault === 'server') return e.name;
  if (TIMEOUTS.has(e.name)) return e.name;
  const code = networkCode(e);
  if (code && (answeredBefore || (code !== 'ECONNREFUSED' && code !== 'EHOSTUNREACH' && code !== 'ENETUNREACH'))) return code;
  return undefined;
}

export interface RetryPolicy {
  /** Give up once reads have failed for this long in a row (ms). */
  giveUpAfterMs: number;
  /** The first wait (ms); each later one doubles, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const defaultPolicy = (env: Record<string, string | undefined> = process.env): RetryPolicy => {
  const seconds = Number(env.MESH_CANARY_READ_RETRY_SECONDS);
  return {
    giveUpAfterMs: Number.isFinite(seconds) && seconds >= 0 && env.MESH_CANARY_READ_RETRY_SECONDS !== '' ? seconds * 1000 : 120_000,
    firstDelayMs: 500,
    maxDelayMs: 8_000,
  };
};

/** The wait before try number `tries + 1`: doubling from firstDelayMs, half of it random (so watchers spread out). */
export function delayBefore(tries: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, tries - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** What a view shows while reads are failing. */
export interface RetryNotice {
  /** The operation being retried (GetExecutionHistory). */
  operation: string;
  /** Why the last try failed (ThrottlingException, HTTP 500, ECONNRESET). */
  reason: string;
  /** Tries that failed so far. */
  tries: number;
  /** Since the first failure (ms). */
  failingForMs: number;
  /** Until the next try (ms). */
  nextInMs: number;
}

/** Reads failed for longer than the policy allows. Exit 3; the message says what and since when. */
export class AwsNotAnswering extends CommandFailed {
  override name = 'AwsNotAnswering';
  readonly operation: string;
  readonly tries: number;
  readonly lastError: unknown;
  constructor(operation: string, tries: number, failingForMs: number, lastError: unknown) {
    const last = lastError as Error;
    super(`AWS did not answer ${operation} for ${duration(failingForMs)} (${tries} tries; the last: ${last?.name ?? 'Error'}: ${firstLine(last?.message)})`);
    this.operation = operation;
    this.tries = tries;
    this.lastError = lastError;
  }
}

const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0].slice(0, 200);

export interface ReadRetryOptions {
  policy?: RetryPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

type Listener = (notice: RetryNotice | undefined) => void;

/**
 * The retry state of one client's reads, shared by everything that reads through it: views
 * subscribe with `onNotice` to say that AWS is not answering (a notice while it lasts,
 * undefined when reads work again).
 */
export class ReadRetry {
  readonly policy: RetryPolicy;
  private readonly options: ReadRetryOptions;
  private readonly listeners = new Set<Listener>();
  private readonly signals = new Set<AbortSignal>();
  private answered = false;
  private failing = 0;

  constructor(options: ReadRetryOptions = {}) {
    this.options = options;
    this.policy = options.policy ?? defaultPolicy();
  }

  onNotice(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** While `signal` is not aborted; once it is (Ctrl-C), a failing read stops waiting and throws its error. */
  stopOn(signal: AbortSignal): () => void {
    this.signals.add(signal);
    return () => this.signals.delete(signal);
  }

  private stopSignal(): AbortSignal | undefined {
    const signals = [...this.signals];
    return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  /** Runs `read`, again while it fails transiently, until it succeeds or the bound is reached. */
  async run<T>(operation: string, read: () => Promise<T>): Promise<T> {
    const now = this.options.now ?? Date.now;
    const pause = this.options.sleep ?? sleep;
    let tries = 0;
    let firstFailure = 0;
    for (;;) {
      try {
        const out = await read();
        this.answered = true;
        if (tries > 0 && --this.failing === 0) this.emit(undefined);
        return out;
      } catch (error) {
        const reason = transientReason(error, this.answered);
        const signal = this.stopSignal();
        if (!reason || signal?.aborted) {
          if (tries > 0 && --this.failing === 0) this.emit(undefined);
          throw error;
        }
        if (tries === 0) {
          firstFailure = now();
          this.failing++;
        }
        tries++;
        const failingForMs = now() - firstFailure;
        const nextInMs = delayBefore(tries, this.policy, this.options.random);
        if (failingForMs + nextInMs > this.policy.giveUpAfterMs) {
          if (--this.failing === 0) this.emit(undefined);
          throw new AwsNotAnswering(operation, tries, failingForMs, error);
        }
        this.emit({ operation, reason, tries, failingForMs, nextInMs });
        await pause(nextInMs, signal);
        if (signal?.aborted) {
          if (--this.failing === 0) this.emit(undefined);
          throw error;
        }
      }
    }
  }

  private emit(notice: RetryNotice | undefined): void {
    for (const listener of this.listeners) listener(notice);
  }
}

/** The operation a command runs (its schema names it; the class name would not survive minification). */
export function operationOf(command: unknown): string {
  const schema = (command as { schema?: unknown[] }).schema;
  if (Array.isArray(schema) && typeof schema[2] === 'string') return schema[2];
  return String((command as object).constructor?.name ?? '').replace(/Command$/, '');
}

export const isRead = (operation: string) => /^(Describe|Get|List)[A-Z]/.test(operation);

const installed = new WeakMap<object, ReadRetry>();

/**
 * Makes every read sent through `client` ride out transient errors (see ReadRetry); writes
 * pass through untouched. Installing twice returns the first ReadRetry.
 */
export function retryReads<C extends { send: (...args: any[]) => Promise<any> }>(client: C, options: ReadRetryOptions = {}): ReadRetry {
  const existing = installed.get(client);
  if (existing) return existing;
  const retry = new ReadRetry(options);
  const send = client.send;
  client.send = function sendWithRetry(this: C, command: unknown, ...rest: unknown[]) {
    const operation = operationOf(command);
    // The callback form of send is left alone (nothing here uses it).
    if (!isRead(operation) || typeof rest.at(-1) === 'function') return send.call(this, command, ...rest);
    return retry.run(operation, () => send.call(this, command, ...rest));
  } as C['send'];
  installed.set(client, retry);
  return retry;
}

/** The notice as a line of text: "AWS not answering (ThrottlingException), retrying, 3 tries so far". */
export function noticeText(n: RetryNotice): string {
  return `AWS not answering (${n.reason}), retrying, ${n.tries} ${n.tries === 1 ? 'try' : 'tries'} so far`;
}

/** A read that failed once and worked on the next try is not worth a word. */
export const NOTICE_AFTER_TRIES = 2;

/**
 * The retry notices as plain lines (logs, pipes): one when failures start to last, then at
 * 4, 8, 16... tries, and one when AWS answers again, so a long outage does not flood the log.
 */
export class NoticeLines {
  private said = 0;
  private readonly write: (line: string) => void;

  constructor(write: (line: string) => void) {
    this.write = write;
  }

  update(n: RetryNotice | undefined): void {
    if (!n) {
      if (this.said) this.write(`AWS answering again after ${this.said} ${this.said === 1 ? 'try' : 'tries'}`);
      this.said = 0;
      return;
    }
    if (n.tries < NOTICE_AFTER_TRIES) return;
    if (this.said === 0 || (n.tries & (n.tries - 1)) === 0) this.write(noticeText(n));
    this.said = n.tries;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { KalturaApiError, TransportError } from './errors.js';
import { ConnectorError } from '../util/errors.js';
import { isTransientCode, describeFailure } from './errorTable.js';
import { AdaptiveLimiter } from './limiter.js';
import type { Logger } from '../util/logger.js';
import { packageInfo } from '../util/paths.js';
import { answerText } from './answerText.js';

export interface TransportOptions {
  serviceUrl: string;
  timeoutMs: number;
  /** Attempts after the first, for transient failures. */
  retries?: number;
  /** Upper bound on the time one call may spend retrying. */
  maxRetryTimeMs?: number;
  minBackoffMs?: number;
  limiter: AdaptiveLimiter;
  log: Logger;
}

export type Params = Record<string, unknown>;

/**
 * Where each attempt of a call takes its session: `ks()` before it queues for a slot (it may log
 * in), `fresh()` once it has one, so that an attempt sent after a long queue or a backoff carries
 * the session that is current then, not the one current when the call began.
 */
export interface SessionSource {
  ks(): Promise<string>;
  /** The current session if it is not due for renewal, without logging in. */
  fresh(): string | undefined;
  /** The session an attempt was sent with (the one to invalidate if Kaltura refuses it). */
  sent?(ks: string): void;
}

/**
 * A reader of a successful answer's bytes made for one kind of answer (a stream's list pages).
 * Undefined leaves the answer to the ordinary parse, which is also where every error answer is
 * recognised and told, so a decoder only ever handles the plain case.
 */
export type AnswerDecoder = (body: Buffer, ks: string | undefined) => unknown;

const clientTag = `source-kaltura:${packageInfo.version}`;

/**
 * One Kaltura API call over HTTP: the exact JSON content type (with a charset Kaltura ignores the
 * body), `format: 1`, a per-request timeout, and retries with backoff for whatever is transient.
 * With a SessionSource, each attempt takes its `ks` from it and the answer is scrubbed of that
 * session; without one, the params are sent as they are.
 */
export class KalturaTransport {
  private readonly retries: number;
  private readonly maxRetryTimeMs: number;
  private readonly minBackoffMs: number;
  /**
   * Keep-alive connections, and undici's own request API rather than `fetch`: the same HTTP
   * client without the WHATWG stream layer, which cost ~1.5 ms of CPU per 800 KB page.
   */
  private readonly dispatcher: Dispatcher = new Agent({ keepAliveTimeout: 30_000 });

  constructor(private readonly options: TransportOptions) {
    this.retries = options.retries ?? 8;
    this.maxRetryTimeMs = options.maxRetryTimeMs ?? 10 * 60_000;
    this.minBackoffMs = options.minBackoffMs ?? 500;
  }

  get limiter(): AdaptiveLimiter {
    return this.options.limiter;
  }

  /**
   * Calls with retries for transient failures; a Kaltura error that is not transient is thrown at once.
   * With `session`, the answer is data read with the session it supplied; Kaltura can embed that
   * very session in URLs it returns, so it is replaced in the raw text before parsing.
   */
  async call<T>(service: string, action: string, params: Params, signal?: AbortSignal, session?: SessionSource, decode?: AnswerDecoder): Promise<T> {
    return (await this.exchange<T>(service, action, params, signal, session, decode)).value;
  }

  /**
   * As `call`, with Kaltura's clock when it answered (its HTTP `Date` header, unix seconds), for
   * times that must be measured on the server's clock rather than this machine's.
   */
  callWithServerTime<T>(service: string, action: string, params: Params, signal?: AbortSignal): Promise<Answer<T>> {
    return this.exchange<T>(service, action, params, signal);
  }

  private exchange<T>(service: string, action: string, params: Params, signal: AbortSignal | undefined, session?: SessionSource, decode?: AnswerDecoder): Promise<Answer<T>> {
    const { limiter, log, serviceUrl } = this.options;
    const started = performance.now();
    let generation = 0;
    const startedIn = (g: number) => {
      generation = g;
    };
    const attempt = async (): Promise<Answer<T>> => {
      let answer: RawAnswer;
      if (!session) answer = await limiter.run(() => this.once(service, action, params, signal), startedIn);
      else {
        const ks = await session.ks();
        answer = await limiter.run(() => {
          const current = session.fresh() ?? ks;
          session.sent?.(current);
          return this.once(service, action, params, signal, current);
        }, startedIn);
      }
      const decoded = decode ? (decode(answer.body, answer.ks) as T | undefined) : undefined;
      if (decoded !== undefined) return { value: decoded, serverTime: answer.serverTime };
      return { value: parseAnswer<T>(answerText(answer.body, answer.ks), service, action, serviceUrl), serverTime: answer.serverTime };
    };
    return pRetry(attempt, {
      signal,
      retries: this.retries,
      maxRetryTime: this.maxRetryTimeMs,
      minTimeout: this.minBackoffMs,
      maxTimeout: maxBackoffMs,
      factor: backoffFactor,
      randomize: true,
      shouldRetry: ({ error }) => isRetryable(error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retriesConsumed }) => {
        if (!isRetryable(error)) return;
        if (isThrottle(error)) limiter.throttled(generation);
        const failure = error instanceof KalturaApiError ? error.code : error.message;
        const retryAfter = error instanceof TransportError ? error.retryAfterMs : undefined;
        const asked = retryAfter !== undefined ? `, Kaltura asked to wait ${Math.round(retryAfter / 100) / 10} s` : '';
        log.warn(`${service}.${action} failed (${failure}); attempt ${attemptNumber}, ${retriesLeft} retries left${isThrottle(error) ? `, concurrency now ${limiter.concurrency}` : ''}${asked}`);
        if (retryAfter === undefined || retriesLeft <= 0) return;
        // p-retry's own backoff follows this wait: only the part of Retry-After it does not cover is added here.
        const remaining = this.maxRetryTimeMs - (performance.now() - started);
        const extra = retryAfterExtraMs(retryAfter, remaining, backoffFloorMs(this.minBackoffMs, retriesConsumed));
        if (extra > 0) await abortableSleep(extra, signal);
      },
    }).then(
      (result) => {
        limiter.succeeded();
        return result;
      },
      (err: unknown) => {
        if (isRetryable(err)) throw describeFailure(err, { service, action, serviceUrl, exhausted: true });
        throw err;
      },
    );
  }

  /**
   * One HTTP exchange, up to the bytes of an HTTP 200 answer (other statuses thrown). `ks`, a
   * session from a SessionSource, is sent with the params.
   */
  private async once(service: string, action: string, params: Params, signal: AbortSignal | undefined, ks?: string): Promise<RawAnswer> {
    // A request queued behind the limiter may start after its read was abandoned.
    signal?.throwIfAborted();
    const { serviceUrl, timeoutMs } = this.options;
    const url = `${serviceUrl}/api_v3/service/${service}/action/${action}`;
    const requestBody = JSON.stringify(ks === undefined ? { ...params, format: 1, clientTag } : { ...params, ks, format: 1, clientTag });
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: requestBody,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      signal?.throwIfAborted();
      throw networkFailure(err, timeoutMs, '');
    }
    let body: Buffer;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
    } catch (err) {
      signal?.throwIfAborted();
      throw networkFailure(err, timeoutMs, 'the answer was cut off', response.statusCode);
    }
    const status = response.statusCode;
    if (status !== 200) {
      if (isRetryableStatus(status)) {
        throw new TransportError('status', `HTTP ${status}`, { status, retryAfterMs: retryAfterMs(response.headers['retry-after']) });
      }
      throw unexpectedStatus(service, action, serviceUrl, status, header(response.headers.location), url);
    }
    const date = Date.parse(header(response.headers.date) ?? '');
    return { body, ks, serverTime: Number.isNaN(date) ? undefined : date / 1000 };
  }
}

/** An HTTP 200 answer's bytes, before they are parsed. */
interface RawAnswer {
  body: Buffer;
  /** The session it was read with (to scrub from it). */
  ks: string | undefined;
  serverTime: number | undefined;
}

export interface Answer<T> {
  value: T;
  /** Kaltura's clock when it answered, unix seconds (whole seconds: the `Date` header's precision). */
  serverTime?: number;
}

const maxBackoffMs = 30_000;
const backoffFactor = 2;
/** The longest Retry-After honoured for one wait. */
const maxRetryAfterMs = 60_000;

/** The shortest backoff p-retry waits after `retriesConsumed` retries (randomize multiplies it by 1 to 2). */
export function backoffFloorMs(minBackoffMs: number, retriesConsumed: number): number {
  return Math.min(minBackoffMs * backoffFactor ** retriesConsumed, maxBackoffMs);
}

/**
 * What to wait, on top of p-retry's backoff, for a `Retry-After`: the server's wait (at most a
 * minute, and never past the retry budget left) less the backoff p-retry waits anyway, so the
 * retry comes once Retry-After has passed, not Retry-After plus a backoff.
 */
export function retryAfterExtraMs(retryAfterMs: number, remainingBudgetMs: number, backoffFloor: number): number {
  const wait = Math.min(retryAfterMs, maxRetryAfterMs, Math.max(0, remainingBudgetMs));
  return Math.max(0, wait - backoffFloor);
}

/** 408, 429 and 5xx come from overloaded servers and proxies in front of Kaltura: worth another try. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Kaltura answers every call with HTTP 200, errors included: any other status that is not retried is not Kaltura's. */
function unexpectedStatus(service: string, action: string, serviceUrl: string, status: number, location: string | undefined, url: string): ConnectorError {
  let redirect = '';
  if (status >= 300 && status < 400 && location) {
    try {
      redirect = `; it redirects to ${new URL(location, url).origin}, which may be the host to put in service_url`;
    } catch {
      redirect = '';
    }
  }
  return new ConnectorError(
    'config_error',
    `${service}.${action}: ${serviceUrl} answered HTTP ${status}, which the Kaltura API never does (it answers every call with HTTP 200, errors included)${redirect}. Check that service_url is your Kaltura API host, such as https://www.kaltura.com, with no path, and that no proxy in between refuses the request.`,
    `HTTP ${status} from ${url}`,
  );
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return sleep(ms, undefined, signal ? { signal } : undefined).catch((err: unknown) => {
    signal?.throwIfAborted();
    throw err;
  });
}

/** Kaltura's own XML answers (format other than 1): `<?xml ...?><xml><result>...`. */
function isKalturaXml(trimmed: string): boolean {
  return /^(<\?xml[^>]*\?>\s*)?<xml[\s>]/i.test(trimmed);
}

function isHtml(trimmed: string): boolean {
  return /^(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(trimmed);
}

function notKaltura(service: string, action: string, serviceUrl: string, what: string, text: string): ConnectorError {
  return new ConnectorError(
    'config_error',
    `${service}.${action}: the answer from ${serviceUrl} ${what} is not a Kaltura API answer. Check that service_url points at the Kaltura API host (such as https://www.kaltura.com), not a web page, a portal or a proxy's login page.`,
    text.slice(0, 200),
  );
}

function parseAnswer<T>(text: string, service: string, action: string, serviceUrl: string): T {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) {
    if (isKalturaXml(trimmed)) {
      throw new ConnectorError(
        'system_error',
        `${service}.${action}: Kaltura answered XML instead of JSON, which means it ignored the JSON request body. Something between this connector and ${serviceUrl} (a proxy?) changed the request's Content-Type; it must reach Kaltura as exactly "application/json".`,
        trimmed.slice(0, 200),
      );
    }
    throw notKaltura(service, action, serviceUrl, isHtml(trimmed) ? '(an HTML page)' : '(markup, not JSON)', trimmed);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    // An HTTP 200 with half a JSON document is a connection cut mid-body: worth another try.
    throw new TransportError('cut', `the answer was cut off: not complete JSON (${text.length} bytes)`);
  }
  if (answer !== null && typeof answer === 'object' && !Array.isArray(answer)) {
    const object = answer as Record<string, unknown>;
    if (object.objectType === 'KalturaAPIException') {
      const args = object.args !== null && typeof object.args === 'object' && !Array.isArray(object.args) ? (object.args as Record<string, string>) : {};
      throw new KalturaApiError(String(object.code), String(object.message), args, service, action);
    }
    if (typeof object.objectType === 'string') return answer as T;
  } else if (answer !== null && typeof answer !== 'object') {
    return answer as T; // system.getTime and a few actions answer a bare value
  }
  throw notKaltura(service, action, serviceUrl, '(JSON of another kind)', text);
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof TransportError) return true;
  return err instanceof KalturaApiError && isTransientCode(err.code);
}

function isThrottle(err: unknown): boolean {
  return (err instanceof TransportError && err.status === 429) || (err instanceof KalturaApiError && err.code === 'ACTION_BLOCKED');
}

function networkFailure(err: unknown, timeoutMs: number, prefix: string, status?: number): TransportError {
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  const lead = prefix ? `${prefix} (` : '';
  const tail = prefix ? ')' : '';
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    const seconds = Math.round(timeoutMs / 1000);
    return new TransportError('timeout', prefix ? `the answer did not finish within ${seconds} s` : `no answer within ${seconds} s`, { status, cause: err });
  }
  const code = e.code ?? e.cause?.code;
  const what = code ? `network error ${code}` : `network error: ${e.cause?.message ?? e.message}`;
  return new TransportError(prefix ? 'cut' : 'network', `${lead}${what}${tail}`, { status, cause: err });
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = header(value);
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { KalturaApiError, TransportError, type AnswerSketch } from './errors.js';
import { ConnectorError } from '../util/errors.js';
import { actionOf, describeFailure, isRetried, statusAction, type FailureContext } from './errorTable.js';
import { AdaptiveLimiter } from './limiter.js';
import type { Logger } from '../util/logger.js';
import { packageInfo } from '../util/paths.js';
import { answerExcerpt, answerText, isHtml } from './answerText.js';
import { secrets } from '../util/redact.js';

export interface TransportOptions {
  serviceUrl: string;
  timeoutMs: number;
  /** Attempts after the first, for transient failures. */
  retries?: number;
  /**
   * The most time one failing call may take, from its first attempt to giving up, backoffs and
   * waits included (max_retry_seconds). The first attempt always has the full `timeoutMs`.
   */
  maxRetryTimeMs?: number;
  minBackoffMs?: number;
  limiter: AdaptiveLimiter;
  log: Logger;
}

/** max_retry_seconds when neither the config nor the environment sets it. */
const defaultMaxRetryTimeMs = 180_000;
/** The longest wait for a host's first answer before the run gives up on it as unreachable. */
const maxUnreachableMs = 90_000;
/** A retry sent when the budget is nearly spent still gets this long to be answered. */
const minAttemptMs = 1_000;

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
 * body), `format: 1`, a per-request timeout, and retries with backoff for whatever the error table
 * says is worth another try. With a SessionSource, each attempt takes its `ks` from it and the
 * answer is scrubbed of that session; without one, the params are sent as they are.
 *
 * Time is bounded twice: one failing call gives up after `maxRetryTimeMs` (its attempts, backoffs
 * and Retry-After waits together); and while no request of the run has had any answer from the
 * host, it gives up after `unreachableMs` and every later call fails at once with the same
 * message, so that a wrong or blocked host costs a minute or so, not each step's whole budget.
 */
export class KalturaTransport {
  private readonly retries: number;
  private readonly maxRetryTimeMs: number;
  private readonly unreachableMs: number;
  private readonly minBackoffMs: number;
  /**
   * Keep-alive connections, and undici's own request API rather than `fetch`: the same HTTP
   * client without the WHATWG stream layer, which cost ~1.5 ms of CPU per 800 KB page.
   */
  private readonly dispatcher: Dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  /** What the run has learnt of the host: when it was first asked, whether it ever answered (any HTTP status), and whether as Kaltura. */
  private firstSentAt: number | undefined;
  private answered = false;
  private kalturaSeen = false;
  /** Set when the host never answered and the run gave up on it. */
  private unreachable: ConnectorError | undefined;

  constructor(private readonly options: TransportOptions) {
    this.retries = options.retries ?? 8;
    this.maxRetryTimeMs = options.maxRetryTimeMs ?? defaultMaxRetryTimeMs;
    this.unreachableMs = Math.min(this.maxRetryTimeMs, maxUnreachableMs);
    this.minBackoffMs = options.minBackoffMs ?? 500;
  }

  get limiter(): AdaptiveLimiter {
    return this.options.limiter;
  }

  /**
   * Calls with retries for transient failures; a Kaltura error that is not retried is thrown at
   * once, for the caller to act on (re-login, fall back) or report.
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

  private async exchange<T>(service: string, action: string, params: Params, signal: AbortSignal | undefined, session?: SessionSource, decode?: AnswerDecoder): Promise<Answer<T>> {
    const { limiter, log, serviceUrl } = this.options;
    if (this.unreachable) throw this.unreachable;
    let generation = 0;
    const startedIn = (g: number) => {
      generation = g;
    };
    let firstSent: number | undefined;
    let markSent = () => {};
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const send = (ks?: string) => {
      const now = performance.now();
      this.firstSentAt ??= now;
      const timeoutMs = firstSent === undefined ? this.options.timeoutMs : Math.round(Math.min(this.options.timeoutMs, Math.max(minAttemptMs, this.deadline(firstSent) - now)));
      if (firstSent === undefined) {
        firstSent = now;
        markSent();
      }
      return this.once(service, action, params, signal, timeoutMs, ks);
    };
    const attempt = async (): Promise<Answer<T>> => {
      let answer: RawAnswer;
      if (!session) answer = await limiter.run(() => send(), startedIn);
      else {
        const ks = await session.ks();
        answer = await limiter.run(() => {
          const current = session.fresh() ?? ks;
          session.sent?.(current);
          return send(current);
        }, startedIn);
      }
      const decoded = decode ? (decode(answer.body, answer.ks) as T | undefined) : undefined;
      let value: T;
      try {
        value = decoded !== undefined ? decoded : parseAnswer<T>(answerText(answer.body, answer.ks), answer.contentType, service, action);
      } catch (err) {
        if (err instanceof KalturaApiError) this.kalturaSeen = true;
        throw err;
      }
      this.kalturaSeen = true;
      return { value, serverTime: answer.serverTime };
    };
    // p-retry's maxRetryTime runs from the moment it is called: it is called once the first
    // request has left the limiter's queue (that attempt under way), so queueing is not counted.
    const first = attempt();
    await Promise.race([sent, first.catch(() => undefined)]);
    let attempts = 0;
    try {
      const result = await pRetry((n) => (n === 1 ? first : attempt()), {
        signal,
        retries: this.retries,
        maxRetryTime: this.maxRetryTimeMs,
        minTimeout: this.minBackoffMs,
        maxTimeout: maxBackoffMs,
        factor: backoffFactor,
        randomize: true,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retriesConsumed }) => {
          attempts = attemptNumber;
          const next = actionOf(error);
          if (next !== 'retry' && next !== 'throttle') throw error;
          if (next === 'throttle') limiter.throttled(generation);
          // Another call may have given the host up meanwhile.
          if (this.unreachable) throw this.unreachable;
          if (retriesLeft <= 0) return;
          const now = performance.now();
          const retryAfter = error instanceof TransportError ? error.retryAfterMs : undefined;
          const extra = retryAfterExtraMs(retryAfter, retriesConsumed, this.minBackoffMs);
          // p-retry cuts its last backoff to maxRetryTime; it knows neither a Retry-After nor the
          // bound on a host that never answered: a retry that could only come after either is not made.
          const callLeft = (firstSent ?? now) + this.maxRetryTimeMs - now;
          const hostLeft = this.answered ? Infinity : this.deadline(firstSent ?? now) - now;
          if (Math.min(retryAfter ?? 0, maxRetryAfterMs) >= callLeft || extra + longestBackoffMs(retriesConsumed, this.minBackoffMs) > hostLeft) throw error;
          const asked = retryAfter !== undefined ? `, Kaltura asked to wait ${Math.round(retryAfter / 100) / 10} s` : '';
          const failure = error instanceof KalturaApiError ? error.code : error.message;
          log.warn(`${service}.${action} failed (${failure}); attempt ${attemptNumber}, ${retriesLeft} retries left${next === 'throttle' ? `, concurrency now ${limiter.concurrency}` : ''}${asked}`);
          if (extra > 0) await abortableSleep(extra, signal);
        },
      });
      limiter.succeeded();
      return result;
    } catch (err) {
      signal?.throwIfAborted();
      const context: FailureContext = { service, action, serviceUrl, kalturaSeen: this.kalturaSeen };
      // Kaltura's own errors go to the caller, who may re-login or fall back; the rest is told here.
      if (!isRetried(err)) throw err instanceof TransportError ? describeFailure(err, context) : err;
      // Retries left over mean that time ended it.
      const timeLimit = attempts <= this.retries ? { timeLimitMs: this.answered ? this.maxRetryTimeMs : this.unreachableMs } : {};
      const now = performance.now();
      throw this.giveUp(err, { ...context, exhausted: true, attempts, elapsedMs: now - (firstSent ?? now), ...timeLimit });
    }
  }

  /** When a call that first sent at `firstSent` must end: its own budget, or sooner while the host has never answered. */
  private deadline(firstSent: number): number {
    const own = firstSent + this.maxRetryTimeMs;
    return this.answered ? own : Math.min(own, (this.firstSentAt ?? firstSent) + this.unreachableMs);
  }

  /** The error a call ends with when its retries are spent; a host that never answered is given up for the run. */
  private giveUp(err: unknown, context: FailureContext): ConnectorError {
    const neverAnswered = !this.answered && err instanceof TransportError && (err.kind === 'timeout' || err.kind === 'network');
    const error = describeFailure(err, { ...context, unreachable: neverAnswered });
    if (neverAnswered) this.unreachable = error;
    return error;
  }

  /**
   * One HTTP exchange, up to the bytes of an HTTP 200 answer (other statuses thrown). `ks`, a
   * session from a SessionSource, is sent with the params.
   */
  private async once(service: string, action: string, params: Params, signal: AbortSignal | undefined, timeoutMs: number, ks?: string): Promise<RawAnswer> {
    // A request queued behind the limiter may start after its read was abandoned.
    signal?.throwIfAborted();
    const { serviceUrl } = this.options;
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
    this.answered = true;
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
    const contentType = header(response.headers['content-type']);
    if (status !== 200) {
      const answer = sketch(status, contentType, answerText(body, ks));
      throw new TransportError('status', `HTTP ${status}`, { answer, retryAfterMs: retryAfterMs(response.headers['retry-after']), location: header(response.headers.location) });
    }
    const date = Date.parse(header(response.headers.date) ?? '');
    return { body, ks, contentType, serverTime: Number.isNaN(date) ? undefined : date / 1000 };
  }
}

/** An HTTP 200 answer's bytes, before they are parsed. */
interface RawAnswer {
  body: Buffer;
  /** The session it was read with (to scrub from it). */
  ks: string | undefined;
  contentType: string | undefined;
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

/** The shortest and the longest backoff p-retry waits after `retriesConsumed` retries (`randomize` stretches it up to twice). */
const shortestBackoffMs = (retriesConsumed: number, minBackoffMs: number) => Math.min(minBackoffMs * backoffFactor ** retriesConsumed, maxBackoffMs);
const longestBackoffMs = (retriesConsumed: number, minBackoffMs: number) => Math.min(2 * shortestBackoffMs(retriesConsumed, minBackoffMs), maxBackoffMs);

/**
 * What to wait, before p-retry's backoff, for a `Retry-After` (at most a minute): what the
 * shortest backoff does not cover, so the retry comes once Retry-After has passed, not after
 * Retry-After and a whole backoff.
 */
export function retryAfterExtraMs(retryAfterMs: number | undefined, retriesConsumed: number, minBackoffMs: number): number {
  if (retryAfterMs === undefined) return 0;
  return Math.max(0, Math.min(retryAfterMs, maxRetryAfterMs) - shortestBackoffMs(retriesConsumed, minBackoffMs));
}

/** 408, 429 and most 5xx come from overloaded servers and proxies in front of Kaltura: worth another try. */
export function isRetryableStatus(status: number): boolean {
  return status >= 200 && status !== 200 && statusAction(status) !== 'fail';
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sketch(status: number, contentType: string | undefined, text: string): AnswerSketch {
  const type = contentType?.split(';')[0]?.trim();
  // Redacted before the cut: a secret that straddles it would otherwise survive in part.
  const excerpt = answerExcerpt(secrets.redact(text).slice(0, 65_536));
  return { status, ...(type ? { contentType: type } : {}), ...(excerpt ? { excerpt } : {}) };
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

/**
 * Whether text that JSON.parse refused is a JSON document cut short (a connection that broke
 * mid-body: worth another try) rather than something that is not JSON at all: it opens as a JSON
 * object or array, and the parser ran out of text rather than meeting a wrong character.
 */
export function isCutJson(text: string, parseError: unknown): boolean {
  if (!/^\s*[{[]/.test(text)) return false;
  const message = parseError instanceof Error ? parseError.message : '';
  if (/end of JSON input/i.test(message)) return true;
  const position = /at position (\d+)/.exec(message)?.[1];
  return position !== undefined && Number(position) >= text.length;
}

function foreign(what: string, status: number, contentType: string | undefined, text: string): TransportError {
  return new TransportError('foreign', what, { answer: sketch(status, contentType, text) });
}

function parseAnswer<T>(text: string, contentType: string | undefined, service: string, action: string): T {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) {
    if (isKalturaXml(trimmed)) throw new TransportError('xml', 'Kaltura answered XML instead of JSON', { answer: sketch(200, contentType, trimmed) });
    throw foreign(isHtml(trimmed) ? 'an HTML page' : 'markup, not JSON', 200, contentType, trimmed);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch (err) {
    if (isCutJson(text, err)) throw new TransportError('cut', `the answer was cut off: not complete JSON (${text.length} bytes)`);
    throw foreign(text.trim() === '' ? 'an empty answer' : 'text, not JSON', 200, contentType, text);
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
  throw foreign('JSON of another kind', 200, contentType, text);
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

import pRetry from 'p-retry';
import { Agent, request, type Dispatcher } from 'undici';
import { KalturaApiError, TransportError, ConnectorError } from './errors.js';
import { isTransientCode, describeFailure } from './errorTable.js';
import { AdaptiveLimiter } from './limiter.js';
import type { Logger } from '../util/logger.js';
import { packageInfo } from '../util/paths.js';

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

const clientTag = `source-kaltura:${packageInfo.version}`;

/**
 * One Kaltura API call over HTTP: the exact JSON content type (with a charset Kaltura ignores the
 * body), `format: 1`, a per-request timeout, and retries with backoff for whatever is transient.
 * It knows nothing of sessions: the caller puts `ks` in the params.
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
   * `scrubSession`: the answer is data read with the session in `params.ks`; Kaltura can embed
   * that very session in URLs it returns, so it is replaced in the raw text before parsing.
   */
  async call<T>(service: string, action: string, params: Params, signal?: AbortSignal, scrubSession = false): Promise<T> {
    const { limiter, log } = this.options;
    return pRetry(() => limiter.run(() => this.once<T>(service, action, params, signal, scrubSession)), {
      signal,
      retries: this.retries,
      maxRetryTime: this.maxRetryTimeMs,
      minTimeout: this.minBackoffMs,
      maxTimeout: 30_000,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => isRetryable(error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (!isRetryable(error)) return;
        if (isThrottle(error)) limiter.throttled();
        const failure = error instanceof KalturaApiError ? error.code : error.message;
        log.warn(`${service}.${action} failed (${failure}); attempt ${attemptNumber}, ${retriesLeft} retries left${isThrottle(error) ? `, concurrency now ${limiter.concurrency}` : ''}`);
        // Backoff comes from p-retry; a Retry-After longer than that is honoured on top of it.
        const wait = error instanceof TransportError ? error.retryAfterMs : undefined;
        if (wait && retriesLeft > 0) await sleep(Math.min(wait, 60_000));
      },
    }).then(
      (result) => {
        limiter.succeeded();
        return result;
      },
      (err: unknown) => {
        if (isRetryable(err)) throw describeFailure(err, { service, action, exhausted: true });
        throw err;
      },
    );
  }

  /** One HTTP exchange, answer parsed; API errors thrown as KalturaApiError. */
  private async once<T>(service: string, action: string, params: Params, signal: AbortSignal | undefined, scrubSession: boolean): Promise<T> {
    // A request queued behind the limiter may start after its read was abandoned.
    signal?.throwIfAborted();
    const url = `${this.options.serviceUrl}/api_v3/service/${service}/action/${action}`;
    const body = JSON.stringify({ ...params, format: 1, clientTag });
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      signal?.throwIfAborted();
      throw new TransportError(networkFailure(err, this.options.timeoutMs), undefined, undefined, { cause: err });
    }
    let text: string;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      signal?.throwIfAborted();
      throw new TransportError(`the answer was cut off (${networkFailure(err, this.options.timeoutMs)})`, response.statusCode, undefined, { cause: err });
    }
    if (response.statusCode !== 200) {
      throw new TransportError(`HTTP ${response.statusCode}`, response.statusCode, retryAfterMs(response.headers['retry-after']));
    }
    const ks = params.ks;
    if (scrubSession && typeof ks === 'string' && text.includes(ks)) text = text.replaceAll(ks, '***');
    return parseAnswer<T>(text, service, action, this.options.serviceUrl);
  }
}

function parseAnswer<T>(text: string, service: string, action: string, serviceUrl: string): T {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) {
    throw new ConnectorError(
      'system_error',
      `${service}.${action}: Kaltura answered XML instead of JSON, which means it ignored the JSON request body. Something between this connector and ${serviceUrl} (a proxy?) changed the request's Content-Type; it must reach Kaltura as exactly "application/json".`,
      trimmed.slice(0, 300),
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    // An HTTP 200 with half a JSON document is a connection cut mid-body: worth another try.
    throw new TransportError(`the answer was not complete JSON (${text.length} bytes)`);
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
  throw new ConnectorError(
    'system_error',
    `${service}.${action}: the answer from ${serviceUrl} is not a Kaltura API answer. Check that service_url points at the Kaltura API host (such as https://www.kaltura.com), not a web page or a portal.`,
    text.slice(0, 300),
  );
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof TransportError) return true;
  return err instanceof KalturaApiError && isTransientCode(err.code);
}

function isThrottle(err: unknown): boolean {
  return (err instanceof TransportError && err.status === 429) || (err instanceof KalturaApiError && err.code === 'ACTION_BLOCKED');
}

function networkFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const code = e.code ?? e.cause?.code;
  return code ? `network error ${code}` : `network error: ${e.cause?.message ?? e.message}`;
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

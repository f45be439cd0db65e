/** An answer of Kaltura's with `objectType: "KalturaAPIException"`. */
export class KalturaApiError extends Error {
  override readonly name = 'KalturaApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly args: Record<string, string>,
    readonly service: string,
    readonly action: string,
  ) {
    super(message);
  }
  get serviceAction(): string {
    return `${this.service}.${this.action}`;
  }
}

/**
 * How a request failed in front of the API: an HTTP status that is worth retrying (408, 429,
 * 5xx), no answer within the timeout, a network error (reset, refused, DNS), or an answer cut
 * off mid-body.
 */
export type TransportFailure = 'status' | 'timeout' | 'network' | 'cut';

/** A failure in front of the API (HTTP status, reset, timeout, cut body): retrying may help. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly status?: number;
  /** The server's Retry-After, in milliseconds. */
  readonly retryAfterMs?: number;
  constructor(
    readonly kind: TransportFailure,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

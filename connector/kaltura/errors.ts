/** What a failure means to the platform running us (the Airbyte failure types). */
export type FailureType = 'config_error' | 'system_error' | 'transient_error';

/**
 * Every failure that reaches a user is one of these: it knows whether the user must change
 * something (config_error), whether waiting helps (transient_error) or whether it is a defect
 * or an unexpected answer (system_error), and says what to do in `message`.
 */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly failureType: FailureType,
    message: string,
    /** Details for the operator's log: codes, services, counts. Never secrets. */
    readonly internalMessage?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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

/** A failure in front of the API (HTTP status, reset, timeout, cut body): retrying may help. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

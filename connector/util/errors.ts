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

/**
 * A failure of the whole run found before any stream started (a session that would read only part
 * of the account): the run ends with this one message, nothing read, no state moved.
 */
export class RunRefusedError extends ConnectorError {}

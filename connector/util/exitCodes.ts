/**
 * Exit codes of the cron and Singer runs (docs/cron.md). Airbyte's commands keep 0 and 1, as the
 * platform reads them; a closed stdout ends every kind of run with `outputClosed`.
 */
export const exitCodes = {
  ok: 0,
  /** A stream failed; it is named on stderr, the others completed. */
  streamFailed: 1,
  /** Bad input or usage (config, catalog, state, flags): nothing was read, no file was changed. */
  badInput: 2,
  /** The output could not be written: the disk or the user's quota is full, or it went read-only. */
  outputUnwritable: 3,
  /** Whoever read stdout or stderr closed it (`| head`): the run stopped there, as Unix tools stop on SIGPIPE (128 + 13). */
  outputClosed: 141,
} as const;

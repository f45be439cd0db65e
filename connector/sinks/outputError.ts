import { basename, dirname } from 'node:path';
import { ConnectorError } from '../util/errors.js';

/** Why a write to the output failed, in the user's words, by the system's error code. */
const reasons: Record<string, string> = {
  ENOSPC: 'the disk is full (ENOSPC)',
  EDQUOT: "this user's disk quota is used up (EDQUOT)",
  EFBIG: 'the file is larger than this filesystem or ulimit allows (EFBIG)',
  EROFS: 'the filesystem is read-only (EROFS)',
  EIO: 'the disk reported an input/output error (EIO)',
};

/**
 * The output could not be written: a full disk, a quota, a read-only filesystem. Normal trouble
 * of the machine, not of Kaltura nor a defect: the run says where and exits `outputUnwritable`.
 */
export class OutputError extends ConnectorError {
  constructor(
    readonly code: string,
    readonly path: string,
  ) {
    super('system_error', `Cannot write ${basename(path)} in ${dirname(path)}: ${reasons[code] ?? code}. Free space there (or write elsewhere) and run again; the state covers only what is in complete files.`, code);
  }
}

/** A failed write as an OutputError when it is the machine's trouble; any other error unchanged. */
export function asOutputError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && code in reasons ? new OutputError(code, path) : err;
}

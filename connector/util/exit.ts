import { exitCodes } from './exitCodes.js';

// Ways a run ends before its code returns: a signal, or a stdout/stderr that can no longer be
// written. Whatever the way, what a run holds (temporary files, the state lock) is given back by
// the synchronous cleanups registered here: nothing asynchronous runs once `process.exit` is called.

const cleanups = new Set<() => void>();
let exiting = false;

let hooked = false;

/** Runs `cleanup` if the process ends abruptly; the returned function unregisters it. */
export function onAbruptExit(cleanup: () => void): () => void {
  if (!hooked) {
    hooked = true;
    // Also an exit nobody planned (an exception thrown outside any promise chain): cleanups
    // still registered then belong to a run that did not end its own way.
    process.on('exit', runCleanups);
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup, then exits with `code`. */
export function exitNow(code: number): never {
  runCleanups();
  process.exit(code);
}

function runCleanups(): void {
  if (exiting) return;
  exiting = true;
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // the others still run
    }
  }
}

const closed = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);
const full: Record<string, string> = { ENOSPC: 'the disk is full (ENOSPC)', EDQUOT: "this user's disk quota is used up (EDQUOT)", EFBIG: 'the file is too large (EFBIG)' };

let watching = false;

/**
 * A reader that closes stdout or stderr (`read ... | head -2`) ends the run quietly, as it ends a
 * Unix tool: exit 141, no message (there is nowhere to print it, or nobody reading), nothing more
 * written. Any other failure to write stdout (a full disk, a read-only or failing one) is said on
 * stderr, exit 3.
 */
export function watchStdio(name: string): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    if (closed.has(code)) exitNow(exitCodes.outputClosed);
    const reason = full[code] ?? `writing failed (${code})`;
    try {
      process.stderr.write(`${name}: cannot write its output (stdout): ${reason}. Free space where stdout goes, or fix where it points, and run again; its last line may be cut off, and no state after it was written.\n`);
    } catch {
      // stderr is gone too
    }
    exitNow(exitCodes.outputUnwritable);
  });
  process.stderr.on('error', () => exitNow(exitCodes.outputClosed));
}

import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { constants } from 'node:os';

/**
 * The V8 limits the connector runs under. Its live set is small (a page per request in flight),
 * but without a cap V8 lets garbage grow the heap, and the young generation to 32 MB, before
 * collecting: plain `node connector read` peaked at 203 MB on 100,000 entries and 241 MB on a
 * million. With these it stays near 150 MB whatever the account's size (BENCHMARKS.md).
 */
export const HEAP_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=8'] as const;

/** Set in the relaunched child's environment: its fd 3 is a pipe from the parent. */
const PARENT_PIPE = 'SOURCE_KALTURA_PARENT_PIPE';

/** The signals a user or a service manager sends to stop or poke a process; passed to the child. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/**
 * Whether this process must be started again with HEAP_FLAGS: not when the user chose their own
 * NODE_OPTIONS (theirs are respected, whatever they hold), nor when node was started with either
 * flag already (the bins' users, the relaunched child itself).
 */
export function needsHeapCaps(env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  if ((env.NODE_OPTIONS ?? '').trim() !== '') return false;
  return !execArgv.some((a) => /^--max-(old|semi)-space-size(=|$)/.test(a));
}

/**
 * Runs the connector under the heap caps. Returns true when a child now does the work (this
 * process only waits, passing signals on, and ends as the child ends: same exit code, or killed
 * by the same signal); false when this process should run the connector itself.
 */
export function applyHeapCaps(entry: string): boolean {
  followParent();
  if (!needsHeapCaps(process.env, process.execArgv)) return false;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...HEAP_FLAGS, ...process.execArgv, entry, ...process.argv.slice(2)], {
      // stdin, stdout and stderr are the user's own: the child writes straight to them.
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      env: { ...process.env, [PARENT_PIPE]: '3' },
    });
  } catch {
    return false;
  }
  if (child.pid === undefined) {
    // Not started (no memory, no process slot): uncapped is better than not at all. Nothing was
    // printed, and the spawn error is not worth a line of its own.
    child.once('error', () => undefined);
    return false;
  }
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  child.once('exit', (code, signal) => {
    if (signal) {
      // Die the way the child died, so that a shell or a supervisor sees the same thing.
      for (const s of FORWARDED) process.off(s, forward);
      process.kill(process.pid, signal);
      // A signal node ignores (SIGPIPE) does not end it: exit as a shell reports a signal death.
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    process.exit(code ?? 1);
  });
  return true;
}

/**
 * In the relaunched child: when the parent is gone (killed with SIGKILL, which it cannot pass on),
 * die too, as the user asked of the process they started. The pipe's end is the kernel's news of
 * the parent's death, at once.
 */
function followParent(): void {
  const fd = process.env[PARENT_PIPE];
  if (fd === undefined) return;
  delete process.env[PARENT_PIPE];
  const pipe = new Socket({ fd: Number(fd), readable: true, writable: false });
  const die = () => process.kill(process.pid, 'SIGKILL');
  pipe.on('end', die);
  pipe.on('error', die);
  pipe.resume();
  // The pipe alone must not keep the connector alive once its work is done.
  pipe.unref();
}

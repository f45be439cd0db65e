import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { link, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAlive } from './atomicFile.js';

/**
 * Who holds a lock. A pid alone proves nothing (pids are reused; PID 1 is always alive; a pid of
 * another container or host names some other process), so the lock also names the process's start
 * time, the boot and pid namespace it was seen in, and the host; and the holder touches the file
 * every `heartbeatMs`, for the processes that cannot see it.
 */
interface Holder {
  pid: number;
  host: string;
  boot?: string;
  pidns?: string;
  started?: string;
  token: string;
  since: string;
}

const heartbeatMs = 10_000;
/** A lock whose holder cannot be looked at is stale once it has not been touched for this long. */
const staleAfterMs = 60_000;

/**
 * An exclusive lock held through a file (`<state file>.lock`) that names its holder. It is created
 * whole and atomically (a hard link of a complete temporary file: no reader ever sees it empty);
 * a lock whose holder is gone is taken over by exactly one of the runs that find it, through a
 * second exclusive file named after the stale lock's content. See docs/cron.md.
 */
export class LockFile {
  private released = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    private readonly token: string,
  ) {
    this.timer = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => undefined), heartbeatMs);
    this.timer.unref();
  }

  /** The lock, or a description of the live run holding it. */
  static async acquire(path: string): Promise<LockFile | { heldBy: number; holder: string }> {
    const me = identity();
    const text = `${JSON.stringify(me)}\n`;
    // Each attempt either takes the lock, finds a live holder, or removes one stale lock: bounded.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      if (await createWhole(path, text)) return new LockFile(path, me.token);
      const found = await readLock(path);
      if (found === undefined) continue; // released in between: try again
      const verdict = judge(found.text, found.mtimeMs);
      if (verdict.live) return { heldBy: verdict.pid ?? 0, holder: verdict.who };
      await breakStale(path, found.text, text);
    }
    throw new Error(`could not take the lock ${path}: other runs keep taking and leaving it`);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    // Only our own lock: if it was taken over (we were judged gone), it is someone else's now.
    const text = await readFile(this.path, 'utf8').catch(() => '');
    if (text.includes(this.token)) await unlink(this.path).catch(() => undefined);
  }

  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    try {
      if (readFileSync(this.path, 'utf8').includes(this.token)) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** Creates `path` holding `text`, or returns false when it exists. Never leaves it half written. */
async function createWhole(path: string, text: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // Inside the try: a disk that fills while this is written must not leave the temp behind.
    await writeFile(temp, text, { flag: 'wx' });
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function readLock(path: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, mtimeMs: info.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Removes the stale lock whose content is `stale`, unless another run already did. Only the run
 * that creates `<lock>.stale-<hash of that content>` may remove it; it checks, holding that file,
 * that the lock still has that content (nobody else can have replaced it meanwhile), removes it,
 * and the runs then race for the lock by exclusive creation again.
 */
async function breakStale(path: string, stale: string, mine: string): Promise<void> {
  const marker = `${path}.stale-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  if (!(await createWhole(marker, mine))) {
    const found = await readLock(marker);
    // A run that died while breaking this very lock: its marker goes, and the next attempt retries.
    if (found && !judge(found.text, found.mtimeMs).live) await unlink(marker).catch(() => undefined);
    else await new Promise((r) => setTimeout(r, 20));
    return;
  }
  try {
    const now = await readLock(path);
    if (now?.text === stale) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}

/** Whether the holder a lock names is running; `who` says who it is, for the refusal. */
function judge(text: string, mtimeMs: number): { live: boolean; pid?: number; who: string } {
  const legacy = /^\s*(\d+)\s*$/.exec(text);
  if (legacy) {
    // Written by an earlier version: a bare pid. PID 1 (init, or a container's first process) is
    // alive everywhere, and our own pid cannot be another run: neither proves a holder.
    const pid = Number(legacy[1]);
    return { live: pid > 1 && pid !== process.pid && isAlive(pid), pid, who: `process ${pid}` };
  }
  let h: Holder;
  try {
    h = JSON.parse(text) as Holder;
    if (typeof h.pid !== 'number' || typeof h.token !== 'string') throw new Error('not a lock');
  } catch {
    return { live: false, who: 'an unreadable lock' };
  }
  const me = identity();
  const who = `process ${h.pid} on ${h.host}, since ${h.since}`;
  if (h.boot !== undefined && h.boot === me.boot && h.pidns !== undefined && h.pidns === me.pidns) {
    // The same machine since the same boot, the same pid namespace: the process itself can be seen.
    if (!isAlive(h.pid)) return { live: false, pid: h.pid, who };
    const started = processStart(h.pid);
    return { live: started === undefined || h.started === undefined || started === h.started, pid: h.pid, who };
  }
  if (h.host === me.host && h.boot === undefined && me.boot === undefined) {
    // No /proc (macOS, BSD): the pid on this host is all there is to look at, with the heartbeat.
    return { live: isAlive(h.pid) && Date.now() - mtimeMs < staleAfterMs, pid: h.pid, who };
  }
  // Another host, boot or container: the holder is known by its heartbeat only.
  return { live: Date.now() - mtimeMs < staleAfterMs, pid: h.pid, who };
}

function identity(): Holder {
  return {
    pid: process.pid,
    host: hostname(),
    boot: readText('/proc/sys/kernel/random/boot_id'),
    pidns: readLink('/proc/self/ns/pid'),
    started: processStart(process.pid),
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** Linux: when a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function processStart(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  // Field 2 (the command, in parentheses) may hold spaces: count from the last ')'.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

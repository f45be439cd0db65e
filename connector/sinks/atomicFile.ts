import { closeSync, readFileSync, unlinkSync } from 'node:fs';
import { link, open as openFile, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { asOutputError } from './outputError.js';

/** How a file is opened: `fs.promises.open`, or a stand-in (a disk that fills up) in tests. */
export type Opener = (path: string, flags: string, mode: number) => Promise<FileHandle>;

/**
 * A file that only appears under its name once it is complete. Data goes to a hidden temporary
 * name in the same directory (`.<name>.<pid>.tmp`, so the rename never crosses filesystems);
 * `commit` flushes it to disk, closes it and moves it to its name, which it never replaces: a file
 * already there (another run's) makes the commit fail. A crash at any point leaves the final name
 * untouched. A write that fails part-way (a full disk) leaves bytes past `size`: only `truncate`
 * then makes the file whole again, and `commit` refuses it until then.
 */
export class AtomicFile {
  private bytes = 0;
  private closed = false;
  /** A write failed part-way: the file may hold part of it after `bytes`. */
  private ragged = false;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens the temporary file; refuses (EEXIST) rather than clobber one that is already there. */
  static async create(path: string, open: Opener = openFile): Promise<AtomicFile> {
    const tempPath = tempPathFor(path);
    const handle = await open(tempPath, 'wx', 0o644).catch((err: unknown) => {
      throw asOutputError(err, path);
    });
    return new AtomicFile(path, tempPath, handle);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.bytes;
  }

  async write(text: string | Buffer): Promise<void> {
    const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let offset = 0;
    try {
      while (offset < data.length) {
        const { bytesWritten } = await this.handle.write(data, offset, data.length - offset, this.bytes + offset);
        offset += bytesWritten;
      }
    } catch (err) {
      this.ragged = true;
      throw asOutputError(err, this.path);
    }
    this.bytes += data.length;
  }

  /** Cuts the file back to `bytes` (what was written up to some earlier moment), and any failed write's part with it. */
  async truncate(bytes: number): Promise<void> {
    if (bytes >= this.bytes && !this.ragged) return;
    await this.handle.truncate(Math.min(bytes, this.bytes));
    this.bytes = Math.min(bytes, this.bytes);
    this.ragged = false;
  }

  /**
   * Flushes to disk, closes, moves to the final name, and makes that durable. A file already under
   * that name is never replaced, unless `replace` says this file is its next version (a state file).
   */
  async commit(options: { replace?: boolean } = {}): Promise<void> {
    if (this.ragged) throw new Error(`${this.path}: a write failed part-way; truncate before committing`);
    try {
      await this.handle.sync();
      await this.close();
    } catch (err) {
      throw asOutputError(err, this.path);
    }
    if (options.replace) await rename(this.tempPath, this.path);
    else await moveNoReplace(this.tempPath, this.path);
    await syncDirectory(dirname(this.path));
  }

  /** Closes and removes the temporary file; the final name is never created. */
  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }

  /** For a signal handler: nothing asynchronous can run any more. */
  discardSync(): void {
    if (!this.closed) {
      this.closed = true;
      try {
        closeSync(this.handle.fd);
      } catch {
        // already closed
      }
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone (committed or discarded)
    }
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/**
 * Gives `from` the name `to` unless `to` exists: a hard link (which fails with EEXIST, atomically)
 * then the removal of the old name. A filesystem without hard links falls back to a rename after
 * checking that `to` is free: two runs would have to pick the same name in the same instant, which
 * their run ids rule out.
 */
async function moveNoReplace(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${to} already exists (another run's file?); it was left as it is`, { cause: err });
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'].includes(code ?? '')) throw asOutputError(err, to);
    const taken = await stat(to).then(
      () => true,
      () => false,
    );
    if (taken) throw new Error(`${to} already exists (another run's file?); it was left as it is`);
    await rename(from, to);
    return;
  }
  // The file is whole under its final name now: a temp name left behind is a second link to the
  // same bytes, removed by the next run's cleanup, not a reason to call the commit failed.
  await unlink(from).catch(() => undefined);
}

/** `dir/.name.<pid>.tmp`: hidden, in the same directory, and naming the process that writes it. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

const tempName = /^\.(.+)\.(\d+)\.tmp$/;

/**
 * Removes temporary files that a killed run left behind: those this module names whose writing
 * process is gone. Files of a live process (another run writing into the same directory) stay.
 * Call it before this process writes a temporary file of its own. Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string, belongs: (finalName: string) => boolean = () => true): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const match = tempName.exec(name);
    if (!match || !belongs(match[1]!)) continue;
    const pid = Number(match[2]);
    // This process's own pid counts as gone: callers clean up before they write any temporary
    // file, and in a container every run may get the same pid as the killed one before it.
    if (pid !== process.pid && isAlive(pid)) continue;
    try {
      await unlink(join(dir, name));
      removed.push(name);
    } catch {
      // someone else removed it
    }
  }
  return removed;
}

/** Replaces `path` with `text` atomically: readers see the old content or the new, never a mix. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const file = await AtomicFile.create(path).catch(async (err: NodeJS.ErrnoException) => {
    // A temporary file of this very process can only be left over from a failed earlier attempt.
    if (err.code !== 'EEXIST') throw err;
    await unlink(tempPathFor(path));
    return AtomicFile.create(path);
  });
  try {
    await file.write(text);
    await file.commit({ replace: true });
  } catch (err) {
    await file.discard();
    throw err;
  }
}

/** Makes a rename in `dir` durable. Some filesystems cannot sync a directory; that is not an error. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await openFile(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR / EINVAL / EPERM on filesystems without directory fsync
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * Linux: a killed process whose parent is gone too waits as a zombie until init reaps it (seconds,
 * under some inits). It still answers to its pid, but it runs nothing and holds nothing.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the command in parentheses (which may hold spaces).
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

import { unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { isAlive } from './atomicFile.js';

/**
 * An exclusive lock held through a file that names the holding process (`<path>`, created with
 * O_EXCL). A lock whose process is gone (a killed run) is taken over. Local processes only:
 * a state file shared over NFS between hosts is not protected.
 */
export class LockFile {
  private released = false;

  private constructor(readonly path: string) {}

  /** The lock, or the pid of the live process holding it. */
  static async acquire(path: string): Promise<LockFile | { heldBy: number }> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const handle = await open(path, 'wx', 0o644);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return new LockFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) return { heldBy: holder };
      // Left by a process that no longer runs (or unreadable, half written): take it over.
      await unlink(path).catch(() => undefined);
    }
    throw new Error(`could not take the lock ${path}`);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await unlink(this.path).catch(() => undefined);
  }

  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes text to a stream and waits while its buffer is full, so a slow reader slows us down
 * instead of filling memory. Every stream of a sync writes through one writer: writers that find
 * the buffer full share one wait for 'drain' rather than each adding listeners.
 */
export class LineWriter {
  private drained: Promise<void> | undefined;

  constructor(private readonly out: Writable) {}

  async write(text: string | Buffer): Promise<void> {
    if (this.out.write(text)) return;
    await this.drain();
  }

  /** Resolves when everything written so far has been handed to the OS. */
  async flush(): Promise<void> {
    if (this.out.writableNeedDrain) await this.drain();
  }

  private drain(): Promise<void> {
    this.drained ??= once(this.out, 'drain').then(
      () => {
        this.drained = undefined;
      },
      (err: unknown) => {
        this.drained = undefined;
        throw err;
      },
    );
    return this.drained;
  }
}

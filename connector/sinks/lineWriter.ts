import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes text to a stream and waits while its buffer is full, so a slow reader slows us down instead of filling memory. */
export class LineWriter {
  constructor(private readonly out: Writable) {}

  async write(text: string): Promise<void> {
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** Resolves when everything written so far has been handed to the OS. */
  async flush(): Promise<void> {
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }
}

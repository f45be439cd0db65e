import pLimit, { type LimitFunction } from 'p-limit';

type Event<T> = { item: T } | { error: unknown } | { ended: true };

/**
 * The engine's one scheduler for reading side by side (the windows of a range, the batches of a
 * per-parent stream): producers run at most `width` at once (p-limit queues the rest, in order),
 * and their items reach one consumer through a bounded queue, so a producer waits while the
 * consumer is behind and no reader runs far ahead of the writer. The first failure ends the
 * fan-in. When it ends for any reason (done, failed, or the consumer stopped), `signal` is
 * aborted: requests of the producers still queued, in flight or waiting to retry are abandoned.
 */
export class FanIn<T> {
  private readonly limit: LimitFunction;
  private readonly queue: BoundedQueue<Event<T>>;
  private readonly abandon = new AbortController();
  /** Given to every producer: aborted once the fan-in has ended. */
  readonly signal: AbortSignal;
  /** Producers added and not ended. */
  private producers = 0;
  /** Producers plus holds: the consumer waits while any is open. */
  private open = 0;
  private closed = false;
  private readonly roomWaiters: Array<() => void> = [];

  constructor(
    private readonly width: number,
    capacity: number,
    parent?: AbortSignal,
  ) {
    this.limit = pLimit(Math.max(1, width));
    this.queue = new BoundedQueue(Math.max(1, capacity));
    this.signal = parent ? AbortSignal.any([parent, this.abandon.signal]) : this.abandon.signal;
  }

  /** Producers added and not ended (running, or waiting for a place). */
  get active(): number {
    return this.producers;
  }

  /** Producers waiting for a place. */
  get waiting(): number {
    return this.limit.pendingCount;
  }

  /**
   * Adds a producer, started when a place is free. `emit` hands an item to the consumer and
   * resolves once the queue has room. The returned promise settles once the producer has ended
   * and no longer counts as active.
   */
  add(produce: (emit: (item: T) => Promise<void>) => Promise<void>): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.producers += 1;
    this.open += 1;
    return this.limit(async () => {
      try {
        if (!this.closed) await produce((item) => this.queue.push({ item }));
      } catch (error) {
        await this.queue.push({ error });
      } finally {
        this.producers -= 1;
        this.release();
      }
    });
  }

  /**
   * Keeps the fan-in open while something outside it may still add producers (a walk of
   * parents); the returned function lets it end.
   */
  hold(): () => void {
    this.open += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** Ends the fan-in with this failure (of something outside the producers). */
  fail(error: unknown): void {
    void this.queue.push({ error });
  }

  /** Resolves once fewer than `width` producers are active: a feeder waits here before adding. */
  async room(): Promise<void> {
    while (!this.closed && this.producers >= this.width) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Every item, in the order they arrive, until no producer or hold is open; the first failure is thrown. */
  async *items(): AsyncGenerator<T> {
    try {
      // A producer's items are queued before the event of its end: the last end is the last event.
      while (this.open > 0 || this.queue.size > 0) {
        const event = await this.queue.shift();
        if ('error' in event) throw event.error;
        if ('item' in event) yield event.item;
      }
    } finally {
      this.close();
    }
  }

  private release(): void {
    this.open -= 1;
    for (const wake of this.roomWaiters.splice(0)) wake();
    // Wakes the consumer to see whether anything is still open.
    void this.queue.push({ ended: true });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.limit.clearQueue();
    this.abandon.abort(new Error('the read was abandoned'));
    this.queue.close();
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}

/** A queue whose producers wait while it is full. */
class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: Array<(item: T) => void> = [];
  private readonly givers: Array<() => void> = [];
  private closed = false;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  async push(item: T): Promise<void> {
    if (this.closed) return;
    const taker = this.takers.shift();
    if (taker) {
      taker(item);
      return;
    }
    this.items.push(item);
    if (this.items.length > this.capacity) await new Promise<void>((resolve) => this.givers.push(resolve));
  }

  shift(): Promise<T> {
    const item = this.items.shift();
    this.givers.shift()?.();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const give of this.givers.splice(0)) give();
  }
}

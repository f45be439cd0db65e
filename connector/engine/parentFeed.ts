import type { KalturaObject } from './records.js';

/** One reader's place in a feed: it subscribes once, or withdraws; whichever comes first counts. */
export interface ParentTicket {
  /** Every page of parent ids, in walk order; `skipChildren` leaves out the children of other parents. */
  subscribe(skipChildren?: boolean): AsyncGenerator<string[]>;
  withdraw(): void;
}

/** A page of the walk: the parents' ids, and those of them that are children of another parent. */
interface IdPage {
  ids: string[];
  children?: Set<string>;
}

/** How far the walk may run ahead of its slowest reader, in parent ids (a few MB of strings). */
const maxIdsAhead = 100_000;

/**
 * One walk of a parent stream, shared by the streams of a sync that are read by batches of its
 * ids (metadata, flavor assets and caption assets all name entries): the parents are listed once,
 * not once per stream. Each reader gets every page of ids from the first; pages are dropped once
 * every reader, including those expected but not yet subscribed, has passed them, and the walk
 * waits while it is too far ahead of the slowest. The walk starts with the first reader and is
 * abandoned when the last one leaves; its failure reaches every reader.
 */
export class ParentFeed {
  private readonly pages: IdPage[] = [];
  /** Index, in the walk, of `pages[0]`. */
  private base = 0;
  private idsHeld = 0;
  private readonly positions = new Set<{ next: number }>();
  private pending: number;
  private walking = false;
  private done = false;
  private failure: { error: unknown } | undefined;
  private readonly abandon = new AbortController();
  private wake: (() => void) | undefined;
  private readonly waiting = new Set<() => void>();

  /**
   * @param walk opens the walk, with a signal that aborts it when no reader is left
   * @param idField the parent's primary key field
   * @param childOfField the field naming a parent's own parent, when parents nest
   * @param readers how many streams will subscribe (or withdraw)
   */
  constructor(
    private readonly walk: (signal: AbortSignal) => AsyncGenerator<{ rows: KalturaObject[] }>,
    private readonly idField: string,
    private readonly childOfField: string | undefined,
    readers: number,
  ) {
    this.pending = readers;
  }

  /** A place for one of the readers the feed was made for. */
  ticket(): ParentTicket {
    let used = false;
    const use = () => {
      if (used) throw new Error('ParentFeed: a ticket was used twice');
      used = true;
    };
    return {
      subscribe: (skipChildren = false) => {
        use();
        return this.subscribe(skipChildren);
      },
      withdraw: () => {
        if (used) return;
        used = true;
        this.withdraw();
      },
    };
  }

  /** A reader that will not subscribe (its stream has nothing to read, or failed) gives up its place. */
  private withdraw(): void {
    this.pending = Math.max(0, this.pending - 1);
    this.release();
    this.abandonIfUnread();
  }

  private async *subscribe(skipChildren: boolean): AsyncGenerator<string[]> {
    // Pages are dropped once every expected reader has passed them: one more would miss them.
    if (this.pending === 0) throw new Error('ParentFeed: more readers subscribed than it was made for');
    this.pending -= 1;
    const position = { next: this.base };
    this.positions.add(position);
    this.start();
    try {
      for (;;) {
        const index = position.next - this.base;
        if (index < this.pages.length) {
          const page = this.pages[index]!;
          position.next += 1;
          this.release();
          const children = page.children;
          yield skipChildren && children ? page.ids.filter((id) => !children.has(id)) : page.ids;
          continue;
        }
        if (this.failure) throw this.failure.error;
        if (this.done) return;
        await new Promise<void>((resolve) => this.waiting.add(resolve));
      }
    } finally {
      this.positions.delete(position);
      this.release();
      this.abandonIfUnread();
    }
  }

  private abandonIfUnread(): void {
    if (this.positions.size === 0 && this.pending === 0 && !this.done) this.abandon.abort(new Error('no stream reads these parents any more'));
  }

  private start(): void {
    if (this.walking) return;
    this.walking = true;
    void (async () => {
      try {
        for await (const page of this.walk(this.abandon.signal)) {
          if (page.rows.length === 0) continue;
          const ids = page.rows.map((row) => String(row[this.idField]));
          const childOf = this.childOfField;
          const children = childOf ? page.rows.filter((row) => typeof row[childOf] === 'string' && row[childOf] !== '').map((row) => String(row[this.idField])) : [];
          this.pages.push(children.length > 0 ? { ids, children: new Set(children) } : { ids });
          this.idsHeld += ids.length;
          this.notify();
          while (this.idsHeld > maxIdsAhead && !this.abandon.signal.aborted) await new Promise<void>((resolve) => (this.wake = resolve));
        }
      } catch (error) {
        this.failure = { error };
      }
      this.done = true;
      this.notify();
    })();
  }

  /** Drops the pages every reader has passed, and lets the walk go on if it was waiting. */
  private release(): void {
    let slowest = this.pending > 0 ? this.base : Number.POSITIVE_INFINITY;
    for (const p of this.positions) slowest = Math.min(slowest, p.next);
    while (this.pages.length > 0 && this.base < slowest) {
      this.idsHeld -= this.pages.shift()!.ids.length;
      this.base += 1;
    }
    if (this.idsHeld <= maxIdsAhead || this.abandon.signal.aborted) {
      this.wake?.();
      this.wake = undefined;
    }
  }

  private notify(): void {
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  }
}

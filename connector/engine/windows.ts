import { edgeOf, listingCap, nameOf, readKeyset, setLowerBound, setUpperBound, type Filter, type KeysetOptions, type Page, WindowWalk } from './keyset.js';

/** An inclusive range of cursor seconds; an absent `from` is the beginning. */
export interface CursorRange {
  from?: number;
  to: number;
}

/**
 * A page of a read that may deliver its ranges out of order: its rows, and the part of one window
 * that is now delivered in full (`from` up to `below`, not included), which the state may claim.
 */
export interface RangePage {
  rows: Page['rows'];
  finished?: { from?: number; below: number };
  totalCount?: number;
}

export interface WindowedOptions extends KeysetOptions {
  /** Readers walking windows side by side. */
  readers: number;
}

/**
 * A window is cut only when it has at least this many pages left, and more rows than offsets
 * reach (a smaller one is read several pages at once instead): each window costs a last, partial
 * page, so windows stay large.
 */
const minPagesToCut = 40;

interface Slot {
  walk: WindowWalk;
  /** The slot this window was cut from: its row estimate shrinks by what the cut took. */
  parent?: Slot;
  /** Rows this window was expected to hold when it was cut off, until its first page counts it. */
  estimate: number;
  /** The estimate was taken from the parent's count (not from its estimate). */
  lentFromCount?: boolean;
  /** The reader has produced its last page. */
  exhausted: boolean;
  /** The consumer has taken its last page. */
  finished: boolean;
}

type Item = { slot: Slot; page: Page } | { slot: Slot; end: true } | { error: unknown };

/**
 * Reads cursor ranges (the parts of a stream's range not read yet, in order) with several keyset
 * readers at once. Each range is a window with its own reader, up to the readers allowed; once
 * every range has a reader, whenever a reader slot is free it cuts the upper half off the window
 * with the most rows left and gives it to a new reader. A new window's first page is real data
 * that also counts it, so a cut itself costs no extra request; only one request for the newest
 * row, before the first cut, is spent on cutting.
 *
 * Pages from different windows interleave; each says how far its own window is delivered, so a
 * state can keep what every window has done, not only what lies below the slowest one.
 */
export async function* readWindows(options: WindowedOptions, ranges: CursorRange[]): AsyncGenerator<RangePage> {
  if (ranges.length === 0) return;
  const range = { from: ranges[0]!.from, to: ranges[ranges.length - 1]!.to };
  // When the read ends early (a window failed, or the consumer stopped), requests of the other
  // windows that are queued, in flight or waiting to retry are abandoned, not left running.
  const abandon = new AbortController();
  const opts: WindowedOptions = { ...options, signal: options.signal ? AbortSignal.any([options.signal, abandon.signal]) : abandon.signal };
  const slots: Slot[] = [];
  // One page per reader waiting for the writer is enough to keep every reader busy.
  const queue = new BoundedQueue<Item>(Math.max(2, opts.readers));
  let running = 0;
  let stopped = false;
  /** Starts the ranges still waiting for a reader; true while some still wait. */
  let startWaiting = (): boolean => false;
  const minRowsToCut = Math.max(listingCap, opts.pageSize * minPagesToCut);
  // A reader sends its next request only once its page is handled; with half as many readers
  // again as requests allowed in flight, one is waiting at the limiter whenever a request ends.
  const maxReaders = Math.ceil(opts.readers * 1.5);
  // A window read by offset keeps its share of the readers in flight: all of them once alone.
  opts.width = () => Math.floor(opts.readers / Math.max(1, running));

  const start = (slot: Slot) => {
    running += 1;
    void (async () => {
      try {
        for await (const page of readKeyset(opts, slot.walk)) {
          if (stopped) return;
          if (slot.parent && page.totalCount !== undefined) {
            // The window's real size is known: the parent gives back the estimate it lent.
            const parent = slot.parent;
            const correction = page.totalCount - slot.estimate;
            if (slot.lentFromCount) {
              parent.walk.totalCount! -= correction;
              parent.walk.pendingCuts -= 1;
            } else if (parent.walk.totalCount === undefined) parent.estimate -= correction;
            slot.estimate = page.totalCount;
          }
          await queue.push({ slot, page });
          cut();
        }
        slot.exhausted = true;
        running -= 1;
        await queue.push({ slot, end: true });
        cut();
      } catch (error) {
        running -= 1;
        await queue.push({ error });
      }
    })();
  };

  /** Rows a window still has to read: counted once its first page came back, estimated before. */
  const remaining = (s: Slot): number => {
    const w = s.walk;
    return (w.totalCount ?? s.estimate) - w.rowsRead;
  };

  // The read ends at the moment it started, but an account's rows rarely reach that far: cuts
  // placed by time alone would make windows with nothing in them, each a request for no rows. So
  // before the first cut, one request finds the newest row, and cuts stay below it.
  let dataEnd: number | undefined;
  let probing = false;
  const probeDataEnd = () => {
    probing = true;
    newestCursor(opts, range).then(
      (newest) => {
        dataEnd = newest ?? range.to;
        cut();
      },
      (error: unknown) => void queue.push({ error }),
    );
  };

  const cut = () => {
    if (startWaiting()) return;
    if (dataEnd === undefined) {
      if (!probing && slots.some((s) => !s.exhausted && remaining(s) >= minRowsToCut)) probeDataEnd();
      return;
    }
    const fresh: Slot[] = [];
    while (!stopped && running + fresh.length < maxReaders) {
      let best: Slot | undefined;
      let bestRemaining = minRowsToCut - 1;
      for (const s of slots) {
        const lower = s.walk.position ?? s.walk.from;
        if (s.exhausted || s.walk.sealed || lower === undefined || Math.min(s.walk.to, dataEnd) - lower < 1) continue;
        const left = remaining(s);
        if (left > bestRemaining) {
          best = s;
          bestRemaining = left;
        }
      }
      if (!best) break;
      const w = best.walk;
      const lower = w.position ?? w.from!;
      const upper = Math.min(w.to, dataEnd);
      const mid = Math.floor((lower + upper) / 2);
      // Until the new window counts itself, assume rows spread evenly over time.
      const estimate = Math.floor((bestRemaining * (upper - mid)) / (upper - lower + 1));
      const lentFromCount = w.totalCount !== undefined;
      const { upper: cutOff } = w.cut(mid);
      const child: Slot = { walk: new WindowWalk(cutOff), parent: best, estimate, lentFromCount, exhausted: false, finished: false };
      if (lentFromCount) {
        w.totalCount! -= estimate;
        w.pendingCuts += 1;
      } else best.estimate -= estimate;
      slots.splice(slots.indexOf(best) + 1, 0, child);
      fresh.push(child);
    }
    // Readers start once the cutting is done, so no first request goes out with a stale end.
    for (const s of fresh) start(s);
  };

  // Every range is a window from the start; those past the readers allowed wait for a free one.
  const roots: Slot[] = ranges.map((r) => ({ walk: new WindowWalk(r), estimate: 0, exhausted: false, finished: false }));
  slots.push(...roots);
  const waiting = [...roots];
  startWaiting = () => {
    while (waiting.length > 0 && running < maxReaders) start(waiting.shift()!);
    return waiting.length > 0;
  };
  startWaiting();
  let first = true;
  try {
    while (slots.some((s) => !s.finished)) {
      const item = await queue.shift();
      if ('error' in item) throw item.error;
      const { slot } = item;
      const from = slot.walk.from;
      if ('end' in item) {
        slot.finished = true;
        yield { rows: [], finished: { from, below: slot.walk.to + 1 } };
        continue;
      }
      const page: RangePage = { rows: item.page.rows, finished: { from, below: item.page.checkpoint } };
      // Only the first window's first page counts the whole range (when it is one range).
      if (first && roots.length === 1 && slot === roots[0] && item.page.totalCount !== undefined) page.totalCount = item.page.totalCount;
      first = false;
      yield page;
    }
    opts.log(`${nameOf(opts)}: read in ${slots.length} window${slots.length === 1 ? '' : 's'} of ${opts.def.cursorField}`);
  } finally {
    stopped = true;
    abandon.abort(new Error('the read was abandoned'));
    queue.close();
  }
}

/** The cursor of the newest row in the range, or undefined when it holds none. */
function newestCursor(opts: KeysetOptions, range: { from?: number; to: number }): Promise<number | undefined> {
  const cursor = opts.def.cursorField;
  const filter: Filter = {};
  setLowerBound(filter, `${cursor}GreaterThanOrEqual`, range.from);
  setUpperBound(filter, `${cursor}LessThanOrEqual`, range.to);
  return edgeOf(opts, filter, cursor, '-');
}

/** A queue whose producers wait while it is full: readers never run far ahead of the writer. */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: Array<(item: T) => void> = [];
  private readonly givers: Array<() => void> = [];
  private closed = false;

  constructor(private readonly capacity: number) {}

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

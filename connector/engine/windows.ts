import { FanIn } from './fanIn.js';
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
}

type Item = { slot: Slot; page: Page } | { slot: Slot; end: true };

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
  const readers = Math.max(1, options.readers);
  // A reader sends its next request only once its page is handled; with half as many readers
  // again as requests allowed in flight, one is waiting at the limiter whenever a request ends.
  // One page per reader waiting for the writer is enough to keep every reader busy.
  const fan = new FanIn<Item>(Math.ceil(readers * 1.5), Math.max(2, readers), options.signal);
  const maxReaders = Math.ceil(readers * 1.5);
  const opts: WindowedOptions = { ...options, signal: fan.signal };
  const slots: Slot[] = [];
  const running = () => fan.active - fan.waiting;
  const minRowsToCut = Math.max(listingCap, opts.pageSize * minPagesToCut);
  // A window read by offset keeps its share of the readers in flight: all of them once alone.
  opts.width = () => Math.floor(readers / Math.max(1, running()));

  const start = (slot: Slot) => {
    void fan
      .add(async (emit) => {
        for await (const page of readKeyset(opts, slot.walk)) {
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
          await emit({ slot, page });
          cut();
        }
        slot.exhausted = true;
        await emit({ slot, end: true });
      })
      // Its place is free: another window may take it.
      .then(cut);
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
      (error: unknown) => fan.fail(error),
    );
  };

  const cut = () => {
    // Ranges still waiting for a reader come before any cut.
    if (fan.signal.aborted || fan.waiting > 0) return;
    if (dataEnd === undefined) {
      if (!probing && slots.some((s) => !s.exhausted && remaining(s) >= minRowsToCut)) probeDataEnd();
      return;
    }
    const fresh: Slot[] = [];
    while (running() + fresh.length < maxReaders) {
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
      const child: Slot = { walk: new WindowWalk(cutOff), parent: best, estimate, lentFromCount, exhausted: false };
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
  const roots: Slot[] = ranges.map((r) => ({ walk: new WindowWalk(r), estimate: 0, exhausted: false }));
  slots.push(...roots);
  for (const root of roots) start(root);
  let first = true;
  for await (const item of fan.items()) {
    const { slot } = item;
    const from = slot.walk.from;
    if ('end' in item) {
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
}

/** The cursor of the newest row in the range, or undefined when it holds none. */
function newestCursor(opts: KeysetOptions, range: { from?: number; to: number }): Promise<number | undefined> {
  const cursor = opts.def.cursorField;
  const filter: Filter = {};
  setLowerBound(filter, `${cursor}GreaterThanOrEqual`, range.from);
  setUpperBound(filter, `${cursor}LessThanOrEqual`, range.to);
  return edgeOf(opts, filter, cursor, '-');
}

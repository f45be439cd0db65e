import { RangeSet } from './ranges.js';
import { normalized, type Coverage } from './state.js';
import type { CursorRange } from './windows.js';

/**
 * What one incremental read of a stream may claim, as its windows finish their parts of the
 * range (like the Airbyte CDK's concurrent cursor): the saved state's ranges plus every range this
 * read has delivered in full, whatever the order. The state it gives:
 *
 * - never moves backwards: the mark is at least the saved one;
 * - moves the mark only over ranges read by this run from below the read's start (which lies
 *   `lookback` seconds before the saved mark): so the lookback is read again before the mark
 *   passes it;
 * - keeps as slices only ranges that end `lookback` seconds before the read's end: rows Kaltura's
 *   index shows late can only be missing near the end, and the mark's own lookback covers it;
 * - never claims a second past `claimLimit` when one is set (the newest Kaltura time the run has
 *   evidence of, when Kaltura's clock could not be read).
 */
export class Checkpoints {
  private readonly finished = new RangeSet();
  private readonly saved: Coverage;
  private readonly from: number;
  private readonly end: number;
  /** Seconds at or past it are not claimed (unset: the read's end is Kaltura's own clock). */
  claimLimit: number | undefined;

  /**
   * @param saved the state the read started from
   * @param read the range this read covers (`from` absent: from the beginning)
   * @param lookbackSeconds how far before the saved mark the read starts
   */
  constructor(
    saved: Coverage | undefined,
    read: CursorRange,
    private readonly lookbackSeconds: number,
  ) {
    this.saved = saved ?? { slices: new RangeSet() };
    this.from = read.from ?? Number.NEGATIVE_INFINITY;
    this.end = read.to + 1;
  }

  /** The parts of the read's range that the saved state does not cover already, in order. */
  plan(): CursorRange[] {
    return this.saved.slices.gaps(this.from, this.end).map((r) => ({ from: Number.isFinite(r.from) ? r.from : undefined, to: r.to - 1 }));
  }

  /** Every row with a cursor from `from` (absent: the beginning) up to `below`, not included, is delivered. */
  add(from: number | undefined, below: number): void {
    this.finished.add(Math.max(from ?? Number.NEGATIVE_INFINITY, this.from), Math.min(below, this.end));
  }

  /** The whole range is delivered. */
  complete(): void {
    this.add(this.from, this.end);
  }

  coverage(): Coverage {
    const limit = this.claimLimit ?? Number.POSITIVE_INFINITY;
    const below = new RangeSet(this.saved.slices.list());
    below.addAll(this.finished);
    // Everything before the read's start was delivered before (or is before start_date).
    below.add(Number.NEGATIVE_INFINITY, this.from);
    let mark = below.within(Number.NEGATIVE_INFINITY, limit).lowEnd();
    if (this.saved.mark !== undefined && (mark === undefined || mark < this.saved.mark)) mark = this.saved.mark;
    const slices = new RangeSet(this.saved.slices.list());
    slices.addAll(this.finished.within(Number.NEGATIVE_INFINITY, Math.min(this.end - this.lookbackSeconds, limit)));
    return normalized({ mark, slices });
  }
}

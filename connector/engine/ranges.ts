/**
 * A set of whole cursor seconds, kept as sorted, disjoint, half-open ranges `[from, to)` that are
 * merged as soon as they touch. `from` may be -Infinity: "everything below `to`".
 */
export interface Range {
  from: number;
  to: number;
}

export class RangeSet {
  private ranges: Range[] = [];

  constructor(ranges: Iterable<Range> = []) {
    for (const r of ranges) this.add(r.from, r.to);
  }

  /** Adds `[from, to)`; an empty or inverted range adds nothing. */
  add(from: number, to: number): void {
    if (!(to > from)) return;
    const kept: Range[] = [];
    let merged: Range = { from, to };
    let placed = false;
    for (const r of this.ranges) {
      if (r.to < merged.from) kept.push(r);
      else if (r.from > merged.to) {
        if (!placed) {
          kept.push(merged);
          placed = true;
        }
        kept.push(r);
      } else merged = { from: Math.min(r.from, merged.from), to: Math.max(r.to, merged.to) };
    }
    if (!placed) kept.push(merged);
    this.ranges = kept;
  }

  addAll(other: RangeSet): void {
    for (const r of other.list()) this.add(r.from, r.to);
  }

  list(): Range[] {
    return this.ranges.map((r) => ({ ...r }));
  }

  /** Where the range holding -Infinity ends: every second below it is in the set. */
  lowEnd(): number | undefined {
    const first = this.ranges[0];
    return first && first.from === Number.NEGATIVE_INFINITY ? first.to : undefined;
  }

  /** The parts of `[from, to)` the set does not hold, in order. */
  gaps(from: number, to: number): Range[] {
    const out: Range[] = [];
    let at = from;
    for (const r of this.ranges) {
      if (r.to <= at) continue;
      if (r.from >= to) break;
      if (r.from > at) out.push({ from: at, to: Math.min(r.from, to) });
      at = Math.max(at, r.to);
      if (at >= to) break;
    }
    if (at < to) out.push({ from: at, to });
    return out;
  }

  /** The set cut to `[from, to)`. */
  within(from: number, to: number): RangeSet {
    const out = new RangeSet();
    for (const r of this.ranges) out.add(Math.max(r.from, from), Math.min(r.to, to));
    return out;
  }
}

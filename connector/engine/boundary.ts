import { ConnectorError } from '../util/errors.js';
import { CountedSet, countedPasses, cursorOf, listingCap, nameOf, rowKey, setLowerBound, setUpperBound, type Filter, type KeysetOptions, type Page } from './keyset.js';
import type { KalturaObject } from './records.js';

/**
 * The keyset reader for lists without an `idNotIn` filter (category links, metadata, users,
 * assets): pages ordered by the cursor ascending, each asking for rows at or after the last second
 * seen. The rows of that second already handed on come back and are dropped by primary key here;
 * the set of them is bounded by one page. A page that holds a single second cannot move the read
 * forward, so that second is then read by itself, by offset (see `readCrowdedSecond`).
 * `base` adds filter fields to every request (a batch of parent ids).
 */
export async function* readBoundaryKeyset(opts: KeysetOptions, range: { from?: number; to: number }, base: Filter = {}): AsyncGenerator<Page> {
  const { def, pageSize } = opts;
  const cursor = def.cursorField;
  let lower = range.from;
  let seen = new Set<string>();
  let first = true;
  for (;;) {
    const filter: Filter = { ...base, orderBy: `+${cursor}` };
    setLowerBound(filter, `${cursor}GreaterThanOrEqual`, lower);
    setUpperBound(filter, `${cursor}LessThanOrEqual`, range.to);
    const answer = await opts.source.list(filter, { pageSize, pageIndex: 1 }, opts.signal);
    const rows = answer.objects;
    const page: Page = { rows: [], checkpoint: lower ?? 0 };
    if (first) page.totalCount = answer.totalCount;
    first = false;
    if (rows.length === 0) {
      yield page;
      return;
    }
    const last = cursorOf(def, rows[rows.length - 1]!);
    const earliest = cursorOf(def, rows[0]!);
    if (lower !== undefined && earliest < lower) {
      throw new ConnectorError('system_error', `${nameOf(opts)}: Kaltura returned rows out of ${cursor} order (${earliest} after ${lower}); the read stopped rather than risk missing rows.`);
    }
    const atLower = lower;
    page.rows = rows.filter((row) => cursorOf(def, row) !== atLower || !seen.has(rowKey(def, row)));
    if (last !== lower) seen = new Set();
    for (let i = rows.length - 1; i >= 0 && cursorOf(def, rows[i]!) === last; i--) seen.add(rowKey(def, rows[i]!));
    lower = last;
    page.checkpoint = last;
    yield page;
    if (rows.length < pageSize) return;
    if (earliest === last) {
      // A whole page of one second: asking again from that second would return the same page.
      yield* readCrowdedSecond(opts, base, last, seen);
      if (last >= range.to) return;
      lower = last + 1;
      seen = new Set();
    }
  }
}

/**
 * One second read by offset, in the order `crowdedSecondOrder` names (none: the list's own
 * primary-key order, stable for database lists), under the recount rule of `countedPasses`.
 * Rows already handed on are skipped by key; the set is bounded by the rows of that second.
 */
async function* readCrowdedSecond(opts: KeysetOptions, base: Filter, second: number, seen: Set<string>): AsyncGenerator<Page> {
  const { def, pageSize } = opts;
  const filter: Filter = { ...base };
  setLowerBound(filter, `${def.cursorField}GreaterThanOrEqual`, second);
  setUpperBound(filter, `${def.cursorField}LessThanOrEqual`, second);
  if (def.crowdedSecondOrder) filter.orderBy = def.crowdedSecondOrder;
  const set = new CountedSet<string>();
  yield* countedPasses(opts, `${def.cursorField} ${second}`, set, async function* (pass) {
    for (let pageIndex = 1; !set.complete && (set.counted === undefined || (pageIndex - 1) * pageSize < set.counted); pageIndex++) {
      if (!def.uncapped && (pageIndex - 1) * pageSize >= listingCap) {
        throw new ConnectorError('system_error', `${nameOf(opts)}: ${set.counted} rows share ${def.cursorField} ${second}; Kaltura cannot list more than ${listingCap} of them, so the read stopped rather than return an incomplete result.`);
      }
      const answer = await opts.source.list(filter, { pageSize, pageIndex }, opts.signal);
      if (pass === 1 && set.counted === undefined) opts.log(`${nameOf(opts)}: ${answer.totalCount} rows share ${def.cursorField} ${second}; reading that second by offset`);
      set.note(answer.totalCount, answer.objects.map((row) => rowKey(def, row)));
      const fresh: KalturaObject[] = [];
      for (const row of answer.objects) {
        const key = rowKey(def, row);
        if (seen.has(key)) continue;
        seen.add(key);
        fresh.push(row);
      }
      if (fresh.length > 0) yield { rows: fresh, checkpoint: second };
      if (answer.objects.length < pageSize) break;
    }
  });
  yield { rows: [], checkpoint: second + 1 };
}

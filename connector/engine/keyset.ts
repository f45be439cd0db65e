import type { KalturaClient } from '../kaltura/client.js';
import { ConnectorError } from '../kaltura/errors.js';
import type { KalturaObject } from './records.js';
import type { StreamDefinition } from '../streams/definition.js';
import type { SourceSelector } from './source.js';
import type { ListResponse } from '../kaltura/client.js';

/** Kaltura reads any time whose absolute value is at most ten years as relative to now. */
export const relativeTimeLimit = 315_360_000;
/** The search engine refuses to list past this many rows of one query. */
export const listingCap = 10_000;
/** Kaltura cuts IN lists to this many values. */
export const inListLimit = 500;

export interface Page {
  rows: KalturaObject[];
  /** Every row whose cursor is below this value has now been yielded. */
  checkpoint: number;
  /** Rows the query matched when it was first asked, for progress reporting. */
  totalCount?: number;
}

/**
 * A range of the cursor that one reader walks. It is shared with the scheduler that may split it
 * while it is read: `to` can shrink (the rest goes to another reader), and `position` tells how
 * far the reader has come.
 */
export interface KeysetWindow {
  /** Inclusive lower bound (unix seconds); undefined reads from the beginning. */
  from?: number;
  /** Inclusive upper bound; never past the moment the read started, so the read ends. */
  to: number;
  /** The cursor second the reader has reached: rows below it are read. */
  position?: number;
  /** Rows the window held when its first page was asked for. */
  totalCount?: number;
  rowsRead: number;
}

export interface KeysetOptions {
  client: KalturaClient;
  def: StreamDefinition;
  source: SourceSelector;
  pageSize: number;
  /** Requests one reader may keep in flight where pages are independent (offset pages of a crowded second). */
  readers?: number;
  /** Aborted when the read is abandoned: requests still queued or retrying stop. */
  signal?: AbortSignal;
  log: (message: string) => void;
}

/**
 * Reads every row whose cursor lies in the window, in ascending cursor order, without offsets:
 * each request asks for rows at or after the last second seen, excluding the ids already read at
 * that second. So rows that change during the read never shift a page, and the 10,000-row cap
 * never applies. A second with more rows than an `idNotIn` list can hold is read on its own
 * (see `readCrowdedSecond`).
 */
export async function* readKeyset(opts: KeysetOptions, window: KeysetWindow): AsyncGenerator<Page> {
  const { def, pageSize } = opts;
  const cursor = def.cursorField;
  let seenAtLower = new Set<string | number>();
  window.position = window.from;
  while (window.position === undefined || window.position <= window.to) {
    const lower = window.position;
    const upper = window.to;
    const filter: Record<string, string | number> = { orderBy: `+${cursor}` };
    setLowerBound(filter, `${cursor}GreaterThanOrEqual`, lower);
    setUpperBound(filter, `${cursor}LessThanOrEqual`, upper);
    if (seenAtLower.size > 0) filter.idNotIn = [...seenAtLower].join(',');
    const answer = await opts.source.list(filter, { pageSize, pageIndex: 1 }, opts.signal);
    // The count is the window's own only if the window was not cut while the request was out.
    const first = window.totalCount === undefined && lower === window.from && window.to === upper;
    if (first) window.totalCount = answer.totalCount;
    // The window may have been cut while the request was out: rows past the new end belong to
    // another reader now. A page that held any of them also held every row left in this window.
    const rows = window.to < upper ? answer.objects.filter((row) => cursorOf(def, row) <= window.to) : answer.objects;
    const ended = rows.length < answer.objects.length || answer.objects.length < pageSize;
    const page: Page = { rows, checkpoint: lower ?? 0 };
    if (first) page.totalCount = answer.totalCount;
    if (rows.length === 0) {
      yield page;
      return;
    }
    const last = cursorOf(def, rows[rows.length - 1]!);
    if (lower !== undefined && last < lower) {
      throw new ConnectorError('system_error', `${def.name}: Kaltura returned rows out of ${cursor} order (${last} after ${lower}); the read stopped rather than risk missing rows.`);
    }
    if (last !== lower) seenAtLower = new Set();
    for (let i = rows.length - 1; i >= 0 && cursorOf(def, rows[i]!) === last; i--) seenAtLower.add(rows[i]!.id as string | number);
    window.position = last;
    window.rowsRead += rows.length;
    page.checkpoint = last;
    yield page;
    if (ended) return;
    if (seenAtLower.size > inListLimit) {
      yield* readCrowdedSecond(opts, last, seenAtLower);
      window.position = last + 1;
      seenAtLower = new Set();
    }
  }
}

/**
 * A second shared by more rows than `idNotIn` can exclude (bulk updates give thousands of rows
 * one `updatedAt`). That second is read by itself, ordered by the tie-breaker field and paged by
 * offset, several pages at once; when it holds the cap or more, it is first cut along that field
 * into windows of fewer than 10,000 rows. Up to 500 of the rows already yielded are excluded by
 * `idNotIn`, so few of them are fetched again; the rest are skipped by id (the set is bounded by
 * the rows of one second). The first page is asked for in full: it is data, and its `totalCount`
 * is the count. Offsets are safe only if no row leaves the window during the pass: a pass that
 * returns fewer distinct rows than were counted is repeated.
 */
async function* readCrowdedSecond(opts: KeysetOptions, second: number, seen: Set<string | number>): AsyncGenerator<Page> {
  const { def, pageSize } = opts;
  const field = def.tieBreakerField;
  const base: Filter = {};
  setLowerBound(base, `${def.cursorField}GreaterThanOrEqual`, second);
  setUpperBound(base, `${def.cursorField}LessThanOrEqual`, second);
  const excluded = [...seen].slice(-inListLimit);
  if (excluded.length > 0) base.idNotIn = excluded.join(',');
  const fresh = (answer: ListResponse<KalturaObject>, returned: Set<string | number>): KalturaObject[] => {
    const rows: KalturaObject[] = [];
    for (const row of answer.objects) {
      const id = row.id as string | number;
      returned.add(id);
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push(row);
    }
    return rows;
  };

  const firstReturned = new Set<string | number>();
  const first = await opts.source.list({ ...base, orderBy: `+${field}` }, { pageSize, pageIndex: 1 }, opts.signal);
  const firstRows = fresh(first, firstReturned);
  if (firstRows.length > 0) yield { rows: firstRows, checkpoint: second };
  const windows: CountedWindow[] =
    first.totalCount < listingCap
      ? [{ filter: base, count: first.totalCount, firstPage: firstReturned }]
      : await splitUnderCap(opts, base, field, first.totalCount, first.objects[0] ? cursorOf(def, first.objects[0], field) : undefined);
  opts.log(`${def.name}: ${first.totalCount + excluded.length} rows share ${def.cursorField} ${second}; reading that second in ${windows.length} window(s) by ${field}`);
  for (const w of windows) {
    for (let pass = 1; ; pass++) {
      const filter = { ...w.filter, orderBy: `+${field}` };
      const pages = Math.min(Math.ceil(w.count / pageSize), Math.floor(listingCap / pageSize));
      // The first pass of a window counted by its first page goes on from page 2.
      const returned = pass === 1 && w.firstPage ? w.firstPage : new Set<string | number>();
      const fromPage = pass === 1 && w.firstPage ? 2 : 1;
      for await (const answer of fetchPagesInOrder(opts, filter, fromPage, pages)) {
        const rows = fresh(answer, returned);
        if (rows.length > 0) yield { rows, checkpoint: second };
      }
      if (returned.size >= w.count) break;
      if (pass >= 5) throw new ConnectorError('transient_error', `${def.name}: the rows at ${def.cursorField} ${second} kept changing while they were read; run the sync again.`);
      const now = await countRows(opts, w.filter);
      opts.log(`${def.name}: the rows at ${def.cursorField} ${second} changed while they were read (${w.count} counted, ${returned.size} returned, now ${now}); reading them again`);
      w.count = now;
    }
  }
  yield { rows: [], checkpoint: second + 1 };
}

/** Offset pages from..to of one query, `readers` requests at a time, handed on in page order. */
async function* fetchPagesInOrder(opts: KeysetOptions, filter: Filter, from: number, to: number): AsyncGenerator<ListResponse<KalturaObject>> {
  type Outcome = { answer: ListResponse<KalturaObject> } | { error: unknown };
  const inFlight: Array<Promise<Outcome>> = [];
  let next = from;
  const request = (pageIndex: number): Promise<Outcome> =>
    opts.source.list(filter, { pageSize: opts.pageSize, pageIndex }, opts.signal).then(
      (answer) => ({ answer }),
      (error: unknown) => ({ error }),
    );
  const width = Math.max(1, opts.readers ?? 1);
  while (next <= to && inFlight.length < width) inFlight.push(request(next++));
  while (inFlight.length > 0) {
    const outcome = await inFlight.shift()!;
    if ('error' in outcome) {
      // The other requests still in flight settle on their own; their outcomes are captured.
      throw outcome.error;
    }
    if (next <= to) inFlight.push(request(next++));
    yield outcome.answer;
  }
}

type Filter = Record<string, string | number>;

interface CountedWindow {
  filter: Filter;
  count: number;
  /** Ids of the window's first page, when that page was read while counting. */
  firstPage?: Set<string | number>;
}

/**
 * Cuts `base` (which holds `total` rows, the lowest `field` value `lowest`) along `field` (unix
 * seconds) into windows that each hold fewer rows than the cap. Only the lower half of a cut is
 * counted; the upper half holds the rest. Rows only ever leave a past second, so that rest is never
 * an undercount, and an overcount makes the pass that reads it come up short and read again.
 */
async function splitUnderCap(opts: KeysetOptions, base: Filter, field: string, total: number, lowest: number | undefined): Promise<CountedWindow[]> {
  const lo = lowest ?? (await edgeValue(opts, base, field, '+'));
  const hi = await edgeValue(opts, base, field, '-');
  const out: CountedWindow[] = [];
  const windowOf = (from: number, to: number): Filter => {
    const filter = { ...base };
    setLowerBound(filter, `${field}GreaterThanOrEqual`, from);
    setUpperBound(filter, `${field}LessThanOrEqual`, to);
    return filter;
  };
  const split = async (from: number, to: number, count: number): Promise<void> => {
    if (count <= 0) return;
    if (count < listingCap) {
      out.push({ filter: windowOf(from, to), count });
      return;
    }
    if (from === to) {
      throw new ConnectorError('system_error', `${opts.def.name}: ${count} rows share both ${opts.def.cursorField} and ${field} ${from}; Kaltura cannot list more than ${listingCap} such rows, so the read stopped rather than return an incomplete result.`);
    }
    const mid = Math.floor((from + to) / 2);
    const lower = await countRows(opts, windowOf(from, mid));
    await split(from, mid, lower);
    await split(mid + 1, to, count - lower);
  };
  await split(lo, hi, total);
  return out;
}

async function countRows(opts: KeysetOptions, filter: Filter): Promise<number> {
  return (await opts.source.list(filter, { pageSize: 1, pageIndex: 1 }, opts.signal)).totalCount;
}

async function edgeValue(opts: KeysetOptions, filter: Filter, field: string, direction: '+' | '-'): Promise<number> {
  const answer = await opts.source.list({ ...filter, orderBy: `${direction}${field}` }, { pageSize: 1, pageIndex: 1 }, opts.signal);
  const row = answer.objects[0];
  if (!row) throw new ConnectorError('transient_error', `${opts.def.name}: rows disappeared while they were counted; run the sync again.`);
  return cursorOf(opts.def, row, field);
}

/** A row's identity: its primary key fields joined (category links have no `id`). */
export function rowKey(def: StreamDefinition, row: KalturaObject, separator = '\u0000'): string {
  return def.primaryKey.map((path) => String(row[path[0]!])).join(separator);
}

/** A row's unix-seconds `field` (the cursor by default); an answer without one breaks the contract. */
export function cursorOf(def: StreamDefinition, row: KalturaObject, field = def.cursorField): number {
  const value = row[field];
  if (typeof value !== 'number') throw new ConnectorError('system_error', `${def.name}: a Kaltura object (${rowKey(def, row, '/')}) has no numeric ${field}; the answer is not what the API contract describes.`);
  return value;
}

/** A lower bound that Kaltura would read as relative is left out: everything after it is wanted anyway. */
export function setLowerBound(filter: Record<string, string | number>, name: string, value: number | undefined): void {
  if (value !== undefined && value > relativeTimeLimit) filter[name] = value;
}

/** An upper bound cannot be left out; one that Kaltura would read as relative is a defect. */
export function setUpperBound(filter: Record<string, string | number>, name: string, value: number): void {
  if (value <= relativeTimeLimit) throw new ConnectorError('system_error', `Refusing to send ${name}=${value}: Kaltura would read it as relative to now.`);
  filter[name] = value;
}

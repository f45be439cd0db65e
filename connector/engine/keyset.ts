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
 * one `updatedAt`). That second is read by itself, cut by the tie-breaker field into windows of
 * fewer than 10,000 rows (counted first), each paged by offset, several pages at once. Offsets are
 * safe only if no row leaves the window during the pass: a pass that returns fewer distinct rows
 * than were counted is repeated. Rows already yielded are skipped by id; the set is bounded by
 * the rows of one second.
 */
async function* readCrowdedSecond(opts: KeysetOptions, second: number, seen: Set<string | number>): AsyncGenerator<Page> {
  const { def, pageSize } = opts;
  const base: Record<string, string | number> = {};
  setLowerBound(base, `${def.cursorField}GreaterThanOrEqual`, second);
  setUpperBound(base, `${def.cursorField}LessThanOrEqual`, second);
  const windows = await splitUnderCap(opts, base, def.tieBreakerField);
  opts.log(`${def.name}: ${windows.reduce((n, w) => n + w.count, 0)} rows share ${def.cursorField} ${second}; reading that second in ${windows.length} window(s) by ${def.tieBreakerField}`);
  for (const w of windows) {
    for (let pass = 1; ; pass++) {
      const filter = { ...w.filter, orderBy: `+${def.tieBreakerField}` };
      const pages = Math.min(Math.ceil(w.count / pageSize), Math.floor(listingCap / pageSize));
      const returned = new Set<string | number>();
      for await (const answer of fetchPagesInOrder(opts, filter, pages)) {
        const fresh: KalturaObject[] = [];
        for (const row of answer.objects) {
          const id = row.id as string | number;
          returned.add(id);
          if (seen.has(id)) continue;
          seen.add(id);
          fresh.push(row);
        }
        if (fresh.length > 0) yield { rows: fresh, checkpoint: second };
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

/** Offset pages 1..n of one query, `readers` requests at a time, handed on in page order. */
async function* fetchPagesInOrder(opts: KeysetOptions, filter: Record<string, string | number>, pages: number): AsyncGenerator<ListResponse<KalturaObject>> {
  type Outcome = { answer: ListResponse<KalturaObject> } | { error: unknown };
  const inFlight: Array<Promise<Outcome>> = [];
  let next = 1;
  const request = (pageIndex: number): Promise<Outcome> =>
    opts.source.list(filter, { pageSize: opts.pageSize, pageIndex }, opts.signal).then(
      (answer) => ({ answer }),
      (error: unknown) => ({ error }),
    );
  const width = Math.max(1, opts.readers ?? 1);
  while (next <= pages && inFlight.length < width) inFlight.push(request(next++));
  while (inFlight.length > 0) {
    const outcome = await inFlight.shift()!;
    if ('error' in outcome) {
      // The other requests still in flight settle on their own; their outcomes are captured.
      throw outcome.error;
    }
    if (next <= pages) inFlight.push(request(next++));
    yield outcome.answer;
  }
}

interface CountedWindow {
  filter: Record<string, string | number>;
  count: number;
}

/** Splits `base` along `field` (unix seconds) into windows that each hold fewer rows than the cap. */
async function splitUnderCap(opts: KeysetOptions, base: Record<string, string | number>, field: string): Promise<CountedWindow[]> {
  const total = await countRows(opts, base);
  if (total < listingCap) return [{ filter: base, count: total }];
  const lowest = await edgeValue(opts, base, field, '+');
  const highest = await edgeValue(opts, base, field, '-');
  const out: CountedWindow[] = [];
  const split = async (lo: number, hi: number): Promise<void> => {
    const filter = { ...base };
    setLowerBound(filter, `${field}GreaterThanOrEqual`, lo);
    setUpperBound(filter, `${field}LessThanOrEqual`, hi);
    const count = await countRows(opts, filter);
    if (count === 0) return;
    if (count < listingCap) {
      out.push({ filter, count });
      return;
    }
    if (lo === hi) {
      throw new ConnectorError('system_error', `${opts.def.name}: ${count} rows share both ${opts.def.cursorField} and ${field} ${lo}; Kaltura cannot list more than ${listingCap} such rows, so the read stopped rather than return an incomplete result.`);
    }
    const mid = Math.floor((lo + hi) / 2);
    await split(lo, mid);
    await split(mid + 1, hi);
  };
  await split(lowest, highest);
  return out;
}

async function countRows(opts: KeysetOptions, filter: Record<string, string | number>): Promise<number> {
  return (await opts.source.list(filter, { pageSize: 1, pageIndex: 1 }, opts.signal)).totalCount;
}

async function edgeValue(opts: KeysetOptions, filter: Record<string, string | number>, field: string, direction: '+' | '-'): Promise<number> {
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

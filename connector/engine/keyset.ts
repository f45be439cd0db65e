import { ConnectorError } from '../util/errors.js';
import type { KalturaObject } from './records.js';
import type { Filter, StreamDefinition } from '../streams/definition.js';
import type { ListAnswer, ListPort } from './source.js';

/** Kaltura reads any time whose absolute value is at most ten years as relative to now. */
export const relativeTimeLimit = 315_360_000;
/** The search engine refuses to list past this many rows of one query. */
export const listingCap = 10_000;
/** Kaltura cuts IN lists to this many values. */
export const inListLimit = 500;

/** A list filter's own fields, beside the stream's defaults (defined with the streams). */
export type { Filter };

export interface Page {
  rows: KalturaObject[];
  /** Every row whose cursor is below this value has now been yielded. */
  checkpoint: number;
  /** Rows the query matched when it was first asked, for progress reporting. */
  totalCount?: number;
}

/** A range of the cursor handed to one reader. It never changes: a cut makes two new windows. */
interface KeysetWindow {
  /** Inclusive lower bound (unix seconds); undefined reads from the beginning. */
  readonly from?: number;
  /** Inclusive upper bound; never past the moment the read started, so the read ends. */
  readonly to: number;
}

/**
 * One reader's walk: the window it reads now and how far it has come. The scheduler may cut the
 * window while it is read; the walk then goes on in the lower of the two new windows, and the
 * upper one goes to another reader. The reader reads `window` afresh before each request.
 */
export class WindowWalk {
  private current: KeysetWindow;
  /** The cursor second the reader has reached: rows below it are read. */
  position?: number;
  /** Rows the window held when its first page was asked for, less what cuts have taken since. */
  totalCount?: number;
  /** Cuts whose new window has not counted itself yet: until then `totalCount` is an estimate. */
  pendingCuts = 0;
  /** The rest of the window is being read by offset: it can no longer be cut. */
  sealed = false;
  rowsRead = 0;

  constructor(window: KeysetWindow) {
    this.current = window;
  }

  get window(): KeysetWindow {
    return this.current;
  }

  get from(): number | undefined {
    return this.current.from;
  }

  get to(): number {
    return this.current.to;
  }

  /** Cuts the window after `mid`: the walk goes on below it; the window above is returned for another reader. */
  cut(mid: number): { lower: KeysetWindow; upper: KeysetWindow } {
    const { from, to } = this.current;
    const lower: KeysetWindow = from === undefined ? { to: mid } : { from, to: mid };
    this.current = lower;
    return { lower, upper: { from: mid + 1, to } };
  }
}

export interface KeysetOptions {
  def: StreamDefinition;
  source: ListPort;
  pageSize: number;
  /** Requests one reader may keep in flight where pages are independent (offset pages). */
  readers?: number;
  /** The same, as it stands now, when readers share the limit (default `readers`). */
  width?: () => number;
  /** Aborted when the read is abandoned: requests still queued or retrying stop. */
  signal?: AbortSignal;
  log: (message: string) => void;
  /** What logs and errors call the rows read, when they are not the stream's own (a walk of parents). */
  label?: string;
  /** Filter fields every request adds (a batch of parent ids). */
  base?: Filter;
}

/**
 * How a keyset read leaves out the rows it already read at its lower second: `server`, by the
 * list's `idNotIn` (up to 500 ids; a second with more is read on its own); `client`, for lists
 * without it, by asking again from that second and dropping by primary key the rows that come
 * back (a second that fills a page is read on its own).
 */
export type Exclusion = 'server' | 'client';

function exclusionOf(def: StreamDefinition): Exclusion {
  return def.boundary === 'client' ? 'client' : 'server';
}

/** The rows read at the lower second are more than the exclusion can leave out: that second is read on its own. */
function crowded(opts: KeysetOptions, seenAtLower: Set<string>): boolean {
  return exclusionOf(opts.def) === 'server' ? seenAtLower.size > inListLimit : seenAtLower.size >= opts.pageSize;
}

/** The name logs and errors give the rows being read. */
export function nameOf(opts: KeysetOptions): string {
  return opts.label ?? opts.def.name;
}

/**
 * Reads every row whose cursor lies in the window, in ascending cursor order. It starts by keyset,
 * without offsets: each request asks for rows at or after the last second seen, leaving out the
 * rows already read at that second (see `Exclusion`), so rows that change during the read never
 * shift a page and the window's size is not bound by the 10,000-row cap. A second with more rows
 * than the exclusion can leave out is read on its own (see `readCrowdedSecond`). Once the rows
 * left in the window are counted and under the cap, and the reader may keep several requests in
 * flight, the rest is read by offset, several pages at once (see `readRestByOffset`), so that a
 * long window does not end the read one page at a time; a pass whose rows changed is finished by
 * keyset.
 */
export async function* readKeyset(opts: KeysetOptions, window: KeysetWindow | WindowWalk): AsyncGenerator<Page> {
  const walk = window instanceof WindowWalk ? window : new WindowWalk(window);
  // A pass by offset may claim further than the keyset read that finishes it: claims never go back.
  let claimed = Number.NEGATIVE_INFINITY;
  for await (const page of keysetPages(opts, walk)) {
    claimed = Math.max(claimed, page.checkpoint);
    page.checkpoint = claimed;
    yield page;
  }
}

async function* keysetPages(opts: KeysetOptions, window: WindowWalk): AsyncGenerator<Page> {
  const { def, pageSize } = opts;
  const cursor = def.cursorField;
  /** Keys of the rows read at the lower second. */
  let seenAtLower = new Set<string>();
  /** Rows an offset pass handed on already, when it had to be finished by keyset. */
  let handedOn: Set<string> | undefined;
  window.position = window.from;
  while (window.position === undefined || window.position <= window.to) {
    const lower = window.position;
    const upper = window.to;
    const answer = await opts.source.list(keysetFilter(opts, lower, upper, seenAtLower), { pageSize, pageIndex: 1 }, opts.signal);
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
    // Kaltura drops an orderBy it does not know without a word: rows out of order would mean rows
    // below the next bound were never on a page. Without idNotIn, the rows of the lower second
    // already handed on come back.
    const fresh: KalturaObject[] = [];
    let previous = lower ?? Number.NEGATIVE_INFINITY;
    for (const row of rows) {
      const at = cursorOf(def, row);
      if (at < previous) {
        throw new ConnectorError('system_error', `${nameOf(opts)}: Kaltura returned rows out of ${cursor} order (${at} after ${previous}); the read stopped rather than risk missing rows.`);
      }
      previous = at;
      if (!(at === lower && seenAtLower.has(rowKey(def, row)))) fresh.push(row);
    }
    const last = previous;
    if (last !== lower) seenAtLower = new Set();
    for (let i = rows.length - 1; i >= 0 && cursorOf(def, rows[i]!) === last; i--) seenAtLower.add(rowKey(def, rows[i]!));
    window.position = last;
    window.rowsRead += fresh.length;
    page.checkpoint = last;
    page.rows = handedOn ? fresh.filter((row) => !handedOn!.has(rowKey(def, row))) : fresh;
    yield page;
    if (ended) return;
    if (crowded(opts, seenAtLower)) {
      yield* readCrowdedSecond(opts, last, seenAtLower, handedOn);
      window.position = last + 1;
      seenAtLower = new Set();
    } else if (canReadRestByOffset(opts, window)) {
      const pass = yield* readRestByOffset(opts, window, keysetFilter(opts, last, window.to, seenAtLower), seenAtLower);
      if (pass.complete) return;
      opts.log(`${nameOf(opts)}: rows changed while ${cursor} ${last} to ${window.to} was read by offset; reading it again by ${cursor}`);
      handedOn = pass.returned;
    }
  }
}

/** The keyset query from `lower` (undefined: the beginning) to `upper`, less (by `idNotIn`) the rows read at `lower`. */
function keysetFilter(opts: KeysetOptions, lower: number | undefined, upper: number, seenAtLower: Set<string>): Filter {
  const cursor = opts.def.cursorField;
  const filter: Filter = { ...opts.base, orderBy: `+${cursor}` };
  setLowerBound(filter, `${cursor}GreaterThanOrEqual`, lower);
  setUpperBound(filter, `${cursor}LessThanOrEqual`, upper);
  // Server exclusion is for lists keyed by `id`, whose keys are the ids.
  if (exclusionOf(opts.def) === 'server' && seenAtLower.size > 0) filter.idNotIn = [...seenAtLower].join(',');
  return filter;
}

function widthOf(opts: KeysetOptions): number {
  return Math.max(1, opts.width?.() ?? opts.readers ?? 1);
}

/** The rows left are known exactly, more than a page, fewer than the cap, and requests are free. */
function canReadRestByOffset(opts: KeysetOptions, window: WindowWalk): boolean {
  if (window.sealed || window.totalCount === undefined || window.pendingCuts > 0) return false;
  const left = window.totalCount - window.rowsRead;
  return left > opts.pageSize && left < listingCap && widthOf(opts) > 1;
}

/** What an offset pass handed on, and whether that was the whole rest of the window. */
interface OffsetPass {
  complete: boolean;
  returned: Set<string>;
}

/**
 * The rest of a window, by offset pages of the keyset query at its position, several at once and
 * handed on in order, under the rule of `countedPasses`: rows of equal timestamps have no defined
 * order, so pages may disagree about them, and the window is paged again until every row it
 * counts has come back. If its count changes, rows left the window while it was read, which may
 * have shifted any page: the pass stops and the caller finishes the window by keyset, skipping
 * what was handed on.
 *
 * Until then a page claims the seconds below its last row only while the pass is provably whole
 * so far: every answer counted the same rows (rows can leave the window, never enter it, so an
 * equal count means none left) and no row came twice (within one set of rows, pages that
 * disagree about the order of a second's rows return one of them twice for each they miss).
 * Then every second below that row lies wholly in pages already handed on.
 */
async function* readRestByOffset(opts: KeysetOptions, window: WindowWalk, filter: Filter, seenAtLower: Set<string>): AsyncGenerator<Page, OffsetPass> {
  const { def, pageSize } = opts;
  window.sealed = true;
  const start = window.position!;
  const handed = new Set<string>();
  const set = new CountedSet<string>();
  const estimate = Math.ceil((window.totalCount! - window.rowsRead) / pageSize);
  let claim = start;
  let whole = true;
  const complete = yield* countedPasses(opts, `${def.cursorField} ${start} to ${window.to}`, set, { onChange: 'stop' }, async function* (pass) {
    const pages = () => (set.complete || set.changes > 0 ? 0 : set.counted === undefined ? estimate : Math.min(Math.ceil(set.counted / pageSize), Math.ceil(listingCap / pageSize)));
    for await (const answer of fetchPagesInOrder(opts, filter, 1, pages)) {
      const keys = answer.objects.map((row) => rowKey(def, row));
      if (pass > 1 || keys.some((key) => set.returned.has(key))) whole = false;
      set.note(answer.totalCount, keys);
      if (set.changes > 0) whole = false;
      const rows: KalturaObject[] = [];
      answer.objects.forEach((row, i) => {
        const key = keys[i]!;
        if (handed.has(key) || seenAtLower.has(key)) return;
        handed.add(key);
        rows.push(row);
      });
      window.rowsRead += rows.length;
      const last = answer.objects[answer.objects.length - 1];
      if (whole && last) claim = Math.max(claim, cursorOf(def, last));
      yield { rows, checkpoint: claim };
    }
    // A count past the cap cannot be paged by offset (rows never enter a past window; this is a defect of the answer).
    if (set.counted !== undefined && set.counted >= listingCap && !def.uncapped) return false;
  });
  if (complete) {
    window.position = window.to + 1;
    yield { rows: [], checkpoint: window.to + 1 };
  }
  return { complete, returned: handed };
}

/**
 * A second shared by more rows than the exclusion can leave out (bulk updates give thousands of
 * rows one `updatedAt`). That second is read by itself and paged by offset, several pages at once.
 * A list with the cap orders it by the tie-breaker field and, when it holds the cap or more, cuts
 * it along that field into windows of fewer than 10,000 rows (see `readTieWindow`); a database
 * list without the cap pages it in its own order. With
 * server exclusion, up to 500 of the rows already yielded are left out by `idNotIn`, so few of them
 * are fetched again; the rest are skipped by key (the set is bounded by the rows of one second).
 */
async function* readCrowdedSecond(opts: KeysetOptions, second: number, seen: Set<string>, handedOn?: Set<string>): AsyncGenerator<Page> {
  const { def } = opts;
  const base: Filter = { ...opts.base };
  setLowerBound(base, `${def.cursorField}GreaterThanOrEqual`, second);
  setUpperBound(base, `${def.cursorField}LessThanOrEqual`, second);
  const excluded = exclusionOf(def) === 'server' ? [...seen].slice(-inListLimit) : [];
  if (excluded.length > 0) base.idNotIn = excluded.join(',');
  const crowd: Crowd = { opts, base, second, seen, handedOn };
  const read: PagesRead = { pages: 0, returned: new Set() };
  const first = yield* readNextPage(crowd, {}, read);
  const order = def.uncapped ? 'offset' : def.tieBreakerField;
  opts.log(`${nameOf(opts)}: ${first.totalCount + excluded.length} rows share ${def.cursorField} ${second}; reading that second by ${order}`);
  yield* readTieWindow(crowd, {}, first.totalCount, read);
  yield { rows: [], checkpoint: second + 1 };
}

interface Crowd {
  opts: KeysetOptions;
  /** The second's filter, with the ids excluded. */
  base: Filter;
  second: number;
  /** Keys of the rows already yielded at this second. */
  seen: Set<string>;
  /** Keys of the rows an offset pass of the window handed on already. */
  handedOn?: Set<string>;
}

/** A window of a crowded second along the tie-breaker field; an absent bound is open. */
interface TieBounds {
  from?: number;
  to?: number;
}

/** The first pages of a window already read, in its order: their ids and the tie-breaker values they span. */
interface PagesRead {
  pages: number;
  returned: Set<string>;
  lowest?: number;
}

/** A window's filter: for a database list without the cap, the whole second in the list's own order. */
function tieFilter(crowd: Crowd, bounds: TieBounds): Filter {
  const { def } = crowd.opts;
  if (def.uncapped) return { ...crowd.base };
  const field = def.tieBreakerField;
  const filter: Filter = { ...crowd.base, orderBy: `+${field}` };
  setLowerBound(filter, `${field}GreaterThanOrEqual`, bounds.from);
  if (bounds.to !== undefined) setUpperBound(filter, `${field}LessThanOrEqual`, bounds.to);
  return filter;
}

/**
 * The next page of a window, asked for in full: it is data, and its `totalCount` is the window's
 * count. Its rows not yielded yet are handed on, and `read` grows by it.
 */
async function* readNextPage(crowd: Crowd, bounds: TieBounds, read: PagesRead): AsyncGenerator<Page, ListAnswer> {
  const { opts } = crowd;
  const field = opts.def.tieBreakerField;
  const answer = await opts.source.list(tieFilter(crowd, bounds), { pageSize: opts.pageSize, pageIndex: read.pages + 1 }, opts.signal);
  read.pages += 1;
  const objects = answer.objects;
  if (objects.length > 0 && !opts.def.uncapped) read.lowest ??= cursorOf(opts.def, objects[0]!, field);
  for (const row of objects) read.returned.add(rowKey(opts.def, row));
  const rows = freshRows(crowd, answer);
  if (rows.length > 0) yield { rows, checkpoint: crowd.second };
  return answer;
}

/** The rows of an answer not yielded yet. */
function freshRows(crowd: Crowd, answer: ListAnswer): KalturaObject[] {
  const rows: KalturaObject[] = [];
  for (const row of answer.objects) {
    const key = rowKey(crowd.opts.def, row);
    if (crowd.seen.has(key)) continue;
    crowd.seen.add(key);
    if (!crowd.handedOn?.has(key)) rows.push(row);
  }
  return rows;
}

/**
 * One window of a crowded second, of `count` rows: counted by a page of its own, or its parent's
 * count less its lower sibling's (rows only ever leave a past second, so that is never an
 * undercount, and it only decides whether to cut; the window's first answer counts it). `read` holds the
 * window's first pages when they were read already. Under the cap the window is paged by offset;
 * at or over it, it is cut in two. The cut is placed below the second itself, as a creation time
 * never comes after an update; the upper half stays open, so a row that breaks that rule is still
 * read. The lower half is counted and paged by its own requests.
 */
async function* readTieWindow(crowd: Crowd, bounds: TieBounds, count: number, read?: PagesRead): AsyncGenerator<Page> {
  const { def } = crowd.opts;
  const field = def.tieBreakerField;
  if (count <= 0) return;
  if (count < listingCap || def.uncapped) {
    yield* readTieWindowByOffset(crowd, bounds, count, read);
    return;
  }
  const lowest = bounds.from ?? read?.lowest ?? (await edgeValue(crowd.opts, tieFilter(crowd, bounds), field, '+'));
  let highest = bounds.to ?? crowd.second;
  if (highest <= lowest && bounds.to === undefined) highest = await edgeValue(crowd.opts, tieFilter(crowd, bounds), field, '-');
  if (highest <= lowest) {
    throw new ConnectorError('system_error', `${nameOf(crowd.opts)}: ${count} rows share both ${def.cursorField} ${crowd.second} and ${field} ${lowest}; Kaltura cannot list more than ${listingCap} such rows, so the read stopped rather than return an incomplete result.`);
  }
  const mid = Math.floor((lowest + highest) / 2);
  const lower: TieBounds = { from: bounds.from, to: mid };
  // The lower half is paged from its own first page: the pages read so far were answered under the
  // whole window's count, and a row that left the second since would let their keys make up for a
  // row the shifted offsets skip. Rows already handed on are not handed on again (`crowd.seen`).
  const lowerRead: PagesRead = { pages: 0, returned: new Set() };
  const counting = yield* readNextPage(crowd, lower, lowerRead);
  yield* readTieWindow(crowd, lower, counting.totalCount, lowerRead);
  yield* readTieWindow(crowd, { from: mid + 1, to: bounds.to }, count - counting.totalCount);
}

/**
 * A window under the cap, by offset, several pages at once, after the pages `read` holds, under
 * the rule of `countedPasses` (rows of equal `createdAt` have no order in Kaltura, so later passes
 * page the window again until every row it counts has come back).
 */
async function* readTieWindowByOffset(crowd: Crowd, bounds: TieBounds, counted: number, read?: PagesRead): AsyncGenerator<Page> {
  const { def, pageSize } = crowd.opts;
  const filter = tieFilter(crowd, bounds);
  // Without pages of its own, the window's count is its parent's less its sibling's, an estimate
  // until its first answer counts it.
  const set = read ? new CountedSet<string>(counted, read.returned) : new CountedSet<string>();
  // Kaltura refuses a page that starts at row 10,000 or later, and cuts one that straddles it.
  const reach = def.uncapped ? Number.POSITIVE_INFINITY : Math.ceil(listingCap / pageSize);
  yield* countedPasses(crowd.opts, `${def.cursorField} ${crowd.second}`, set, { onChange: 'recount' }, async function* (pass) {
    const pages = () => (set.complete ? 0 : Math.min(Math.ceil((set.counted ?? counted) / pageSize), reach));
    for await (const answer of fetchPagesInOrder(crowd.opts, filter, pass === 1 && read ? read.pages + 1 : 1, pages)) {
      set.note(answer.totalCount, answer.objects.map((row) => rowKey(def, row)));
      const rows = freshRows(crowd, answer);
      if (rows.length > 0) yield { rows, checkpoint: crowd.second };
    }
  });
}

/**
 * What a counted read by offset has seen of one set of rows (one query): its count, and the keys
 * of the rows returned by answers that all gave that count. Rows never enter a past second, only
 * leave it, so answers of equal count saw the same rows: every key kept is a row of the set as it
 * stands, and once there are as many keys as the count, every row has been returned, whatever
 * order each answer gave the rows that tie. An answer of another count starts the keys over.
 */
class CountedSet<K> {
  returned: Set<K>;
  /** Times an answer gave another count than the one before: rows left the set while it was read. */
  changes = 0;
  /** The count before the last change, for the log. */
  previous?: number;

  constructor(
    /** The set's size; undefined until the first answer gives it. */
    public counted?: number,
    returned?: Set<K>,
  ) {
    this.returned = new Set(returned);
  }

  note(totalCount: number, keys: Iterable<K>): void {
    if (this.counted !== undefined && totalCount !== this.counted) {
      this.previous = this.counted;
      this.changes += 1;
      this.returned = new Set();
    }
    this.counted = totalCount;
    for (const key of keys) this.returned.add(key);
  }

  get complete(): boolean {
    return this.counted !== undefined && this.returned.size >= this.counted;
  }
}

/** Times a counted set's rows may leave it during its read before they are called unstable. */
const maxChanges = 5;
/**
 * Passes over a set whose count holds but whose rows have not all come back. Each pass returns
 * every row with some chance even when ties are reshuffled on every request (about 1 in 3 or
 * better for any page size), so 25 passes miss a row of 10,000 with odds below one in a million.
 */
const maxPasses = 25;

/**
 * The rule of every read by offset of a counted set of rows, held once: offsets are safe only
 * if no row leaves the set during the read and pages agree on the order of rows that tie. `pass`
 * pages the set once and notes every answer in `set`; while the count holds, passes go on and
 * their keys add up, so rows in a new order on each request are read in full after a few passes
 * (skipping the rows already handed on is the pass's job). When the count changes, rows left the
 * set: with `onChange: 'recount'` the keys start over with the new count (up to five times); with
 * `'stop'` the read returns false, for the caller to finish the rows another way (as it does when
 * the pass itself returns false). Past either bound the read stops as a transient failure.
 * `where` names the rows in messages, e.g. `updatedAt 1732237921`. Returns whether every row
 * counted was returned.
 */
async function* countedPasses<K>(
  opts: KeysetOptions,
  where: string,
  set: CountedSet<K>,
  policy: { onChange: 'recount' | 'stop' },
  pass: (n: number) => AsyncGenerator<Page, boolean | void>,
): AsyncGenerator<Page, boolean> {
  let changes = set.changes;
  let reordered = false;
  for (let n = 1; ; n++) {
    if ((yield* pass(n)) === false) return false;
    const changed = set.changes > changes;
    if (changed) {
      if (policy.onChange === 'stop') return false;
      changes = set.changes;
      if (changes >= maxChanges) throw new ConnectorError('transient_error', `${nameOf(opts)}: the rows at ${where} kept changing while they were read; run the sync again.`);
      opts.log(`${nameOf(opts)}: the rows at ${where} changed while they were read (${set.previous} counted, then ${set.counted}); reading them again`);
    }
    if (set.complete) return true;
    if (n >= maxPasses) {
      throw new ConnectorError('transient_error', `${nameOf(opts)}: the ${set.counted} rows at ${where} came back in a different order on every request; after ${n} passes ${set.counted! - set.returned.size} of them had still not been returned. Run the sync again.`);
    }
    if (!reordered && !changed) {
      reordered = true;
      opts.log(`${nameOf(opts)}: the ${set.counted} rows at ${where} came back in a different order on each request (${set.returned.size} returned so far); paging them again until every one is read`);
    }
  }
}

/**
 * Offset pages from..to of one query, up to the reader's width at a time, handed on in page order.
 * `to` is asked again before each request: the first answer's count may change it.
 */
async function* fetchPagesInOrder(opts: KeysetOptions, filter: Filter, from: number, to: () => number): AsyncGenerator<ListAnswer> {
  type Outcome = { answer: ListAnswer } | { error: unknown };
  const inFlight: Array<Promise<Outcome>> = [];
  let next = from;
  const request = (pageIndex: number): Promise<Outcome> =>
    opts.source.list(filter, { pageSize: opts.pageSize, pageIndex }, opts.signal).then(
      (answer) => ({ answer }),
      (error: unknown) => ({ error }),
    );
  const fill = () => {
    const width = widthOf(opts);
    while (next <= to() && inFlight.length < width) inFlight.push(request(next++));
  };
  fill();
  while (inFlight.length > 0) {
    const outcome = await inFlight.shift()!;
    if ('error' in outcome) {
      // The other requests still in flight settle on their own; their outcomes are captured.
      throw outcome.error;
    }
    // Keep requests in flight while the answer is handled; after it, `to` and the width may differ.
    fill();
    yield outcome.answer;
    fill();
  }
}

async function countRows(opts: KeysetOptions, filter: Filter): Promise<number> {
  return (await opts.source.list(filter, { pageSize: 1, pageIndex: 1 }, opts.signal)).totalCount;
}

/** The lowest (`+`) or highest (`-`) value of `field` among the rows of `filter`; undefined when there are none. */
export async function edgeOf(opts: KeysetOptions, filter: Filter, field: string, direction: '+' | '-'): Promise<number | undefined> {
  const answer = await opts.source.list({ ...filter, orderBy: `${direction}${field}` }, { pageSize: 1, pageIndex: 1 }, opts.signal);
  const row = answer.objects[0];
  return row ? cursorOf(opts.def, row, field) : undefined;
}

/** `edgeOf` of rows just counted: none there means they left meanwhile. */
async function edgeValue(opts: KeysetOptions, filter: Filter, field: string, direction: '+' | '-'): Promise<number> {
  const edge = await edgeOf(opts, filter, field, direction);
  if (edge === undefined) throw new ConnectorError('transient_error', `${nameOf(opts)}: rows disappeared while they were counted; run the sync again.`);
  return edge;
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
export function setLowerBound(filter: Filter, name: string, value: number | undefined): void {
  if (value !== undefined && value > relativeTimeLimit) filter[name] = value;
}

/** An upper bound cannot be left out; one that Kaltura would read as relative is a defect. */
export function setUpperBound(filter: Filter, name: string, value: number): void {
  if (value <= relativeTimeLimit) throw new ConnectorError('system_error', `Refusing to send ${name}=${value}: Kaltura would read it as relative to now.`);
  filter[name] = value;
}

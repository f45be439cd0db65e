/**
 * An in-memory Kaltura list, with the semantics of kaltura-api.md section 5 that the engine leans
 * on, and nothing more: the cursor range filters, `idIn`/`idNotIn` cut to 500 values, `±updatedAt`
 * and `±createdAt` orders whose ties come back in a new order on every request, the pager clamped
 * to 500, the 10,000-row cap of search-backed lists, and rows that change between requests. A
 * filter field it does not model is refused loudly, so an engine that starts sending a new filter
 * is noticed here instead of being answered as if the field were not there.
 */
import { KalturaApiError } from '../../connector/kaltura/errors.js';

export type Row = Record<string, string | number>;
export type Filter = Record<string, string | number>;

/** Kaltura reads a time whose absolute value is at most ten years as relative to now. */
const relativeTimeLimit = 315_360_000;
const maxPageSize = 500;
const inListLimit = 500;
/** Rows a list returns for pageSize 0 (KalturaCriteria::$maxRecords). */
const unlimitedPageRows = 1000;

/** The server's clock, in unix seconds; moved only by the test. */
export class FakeClock {
  constructor(public now: number) {}
  advance(seconds: number): void {
    this.now += seconds;
  }
}

/** Mulberry32: small, seeded, good enough to shuffle ties. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TableShape {
  /** Service name on the wire (`media`, `categoryentry`, ...). */
  service: string;
  /** `objectType` of the list answer. */
  listType: string;
  /** Fields of a row's primary key (`id`, or `categoryId` + `entryId`). */
  primaryKey: string[];
  /** Time fields with `<field>GreaterThanOrEqual` / `<field>LessThanOrEqual` filters. */
  timeFields: string[];
  /** Fields `orderBy` accepts (`+field` / `-field`); any other value is dropped, as Kaltura does. */
  orderFields: string[];
  /** Offsets past this fail with QUERY_EXCEEDED_MAX_MATCHES_ALLOWED; null for database lists. */
  cap: number | null;
  /** The list has `idIn` / `idNotIn` (entries, categories; not users or database lists). */
  idFilters?: boolean;
  /** `<field>In` / `<field>Equal` filters on a row's own field, e.g. `statusIn`, `categoryIdIn`. */
  inFields?: string[];
  /** What a list shows when its filter says nothing of a field (entries hide all but READY). */
  defaults?: Filter;
  /** Filter fields sent with every request that the fake accepts and ignores (`metadataObjectTypeEqual`). */
  ignored?: string[];
  /** A change moves this time field to the clock's now (`updatedAt`); none: rows only come and go. */
  touchField?: string;
}

/**
 * How rows of equal `orderBy` value come back. `shuffled` (the contract: no defined order) draws
 * a new order for every request, as a search cluster whose replicas break ties differently may;
 * `stable` keeps one arbitrary order for the table's life, as a single search index does.
 */
export type TieOrder = 'shuffled' | 'stable';

/** What happened to the table, for the reference: every version a row has had, and when. */
export interface Version {
  key: string;
  /** The row as it was (a copy). */
  row: Row;
  /** The table's change counter when it appeared, and when it was replaced or deleted. */
  from: number;
  to?: number;
}

/** A list request as the fake received it. */
export interface ListCall {
  service: string;
  filter: Filter;
  pager: { pageSize?: number; pageIndex?: number };
}

export interface ListAnswer {
  objects: Row[];
  totalCount: number;
  objectType: string;
}

export class FakeTable {
  private readonly rows = new Map<string, Row>();
  /** Insertion order: a search-backed list's "document order" when no orderBy is given. */
  private sequence = 0;
  private readonly order = new Map<string, number>();
  private readonly random: () => number;
  /** Each row's place among its ties when they are `stable`. */
  private readonly tieKey = new Map<string, number>();
  /** Every version, oldest first; `change` counts edits. */
  readonly versions: Version[] = [];
  private readonly current = new Map<string, Version>();
  change = 0;
  requests = 0;

  constructor(
    readonly shape: TableShape,
    readonly clock: FakeClock,
    seed: number,
    rows: Row[] = [],
    readonly ties: TieOrder = 'shuffled',
  ) {
    this.random = prng(seed);
    for (const row of rows) this.insert(row);
  }

  keyOf(row: Row): string {
    return this.shape.primaryKey.map((field) => String(row[field])).join('/');
  }

  get size(): number {
    return this.rows.size;
  }

  /** Keys in insertion order (stable, so a test's "the n-th row" means the same row every run). */
  keys(): string[] {
    return [...this.rows.keys()];
  }

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }

  insert(row: Row): void {
    const key = this.keyOf(row);
    if (this.rows.has(key)) throw new Error(`fake table ${this.shape.service}: row ${key} exists`);
    this.order.set(key, this.sequence++);
    this.tieKey.set(key, this.random());
    this.put(key, { ...row });
  }

  /** An edit: the touch field (updatedAt) moves to now, as any change of an object does. */
  touch(key: string, fields: Row = {}): void {
    const row = this.rows.get(key);
    if (!row) return;
    const next = { ...row, ...fields };
    if (this.shape.touchField) next[this.shape.touchField] = this.clock.now;
    this.put(key, next);
  }

  remove(key: string): void {
    if (!this.rows.delete(key)) return;
    this.change += 1;
    this.current.get(key)!.to = this.change;
    this.current.delete(key);
  }

  private put(key: string, row: Row): void {
    this.change += 1;
    const previous = this.current.get(key);
    if (previous) previous.to = this.change;
    const version: Version = { key, row: { ...row }, from: this.change };
    this.versions.push(version);
    this.current.set(key, version);
    this.rows.set(key, row);
  }

  /** One `list` call: the filter and pager as the engine sends them (without their objectType). */
  list(filter: Filter, pager: { pageSize?: number; pageIndex?: number }): ListAnswer {
    this.requests += 1;
    const match = this.matcher({ ...this.shape.defaults, ...filter });
    const matches: Row[] = [];
    for (const row of this.rows.values()) if (match(row)) matches.push(row);
    const pageSize = Math.max(0, Math.min(Number(pager.pageSize ?? 30), maxPageSize));
    const pageIndex = Math.max(1, Number(pager.pageIndex ?? 1));
    let offset = (pageIndex - 1) * pageSize;
    let limit = pageSize;
    if (pageSize === 0) {
      offset = 0;
      limit = unlimitedPageRows;
    } else if (this.shape.cap !== null) {
      if (offset >= this.shape.cap) throw new KalturaApiError('QUERY_EXCEEDED_MAX_MATCHES_ALLOWED', 'Unable to generate list. max matches value was reached', {}, this.shape.service, 'list');
      // A page that straddles the cap is cut at the cap's row.
      limit = Math.min(pageSize, this.shape.cap - offset);
    }
    const ordered = this.sorted(matches, filter.orderBy, offset + limit);
    // Copies: the engine must not see a row change under it after the answer left.
    const objects = ordered.slice(offset, offset + limit).map((row) => ({ ...row, objectType: this.shape.listType.replace(/ListResponse$/, '') }));
    return { objects, totalCount: matches.length, objectType: this.shape.listType };
  }

  private matcher(filter: Filter): (row: Row) => boolean {
    const tests: Array<(row: Row) => boolean> = [];
    for (const [name, raw] of Object.entries(filter)) {
      if (name === 'orderBy' || this.shape.ignored?.includes(name)) continue;
      const time = /^(.+)(GreaterThanOrEqual|LessThanOrEqual)$/.exec(name);
      if (time && this.shape.timeFields.includes(time[1]!)) {
        const field = time[1]!;
        const bound = this.absolute(Number(raw));
        tests.push(time[2] === 'GreaterThanOrEqual' ? (row) => Number(row[field]) >= bound : (row) => Number(row[field]) <= bound);
        continue;
      }
      if ((name === 'idIn' || name === 'idNotIn') && this.shape.idFilters) {
        const ids = new Set(inList(raw));
        tests.push(name === 'idIn' ? (row) => ids.has(String(row.id)) : (row) => !ids.has(String(row.id)));
        continue;
      }
      const set = /^(.+)(In|Equal)$/.exec(name);
      if (set && this.shape.inFields?.includes(set[1]!)) {
        const field = set[1]!;
        const values = new Set(set[2] === 'In' ? inList(raw) : [String(raw)]);
        tests.push((row) => values.has(String(row[field])));
        continue;
      }
      throw new Error(`fake table ${this.shape.service}: filter field ${name} is not modelled (add it to the fake if the engine now needs it)`);
    }
    return (row) => tests.every((t) => t(row));
  }

  private absolute(value: number): number {
    return Math.abs(value) <= relativeTimeLimit ? this.clock.now + value : value;
  }

  /**
   * The first `needed` rows by the known `orderBy` fields; rows of equal values come in the
   * table's `ties` order. Without a known field: insertion order, which is a database list's
   * primary-key order and a search list's document order.
   */
  private sorted(matches: Row[], orderBy: string | number | undefined, needed: number): Row[] {
    const order = String(orderBy ?? '')
      .split(',')
      .map((part) => ({ field: part.slice(1), desc: part.startsWith('-') }))
      .filter((o) => this.shape.orderFields.includes(o.field) && o.field !== '');
    if (order.length === 0) return matches.sort((a, b) => this.order.get(this.keyOf(a))! - this.order.get(this.keyOf(b))!);
    // Only the rows up to the page's end need the full sort (a keyset page of 500 out of 20,000).
    let rows = matches;
    const first = order[0]!;
    if (needed < rows.length && rows.every((row) => typeof row[first.field] === 'number')) {
      const values = Float64Array.from(rows, (row) => (first.desc ? -1 : 1) * Number(row[first.field]));
      const threshold = values.slice().sort()[needed - 1]!;
      rows = rows.filter((_, i) => values[i]! <= threshold);
    }
    const ties = new Map<Row, number>();
    for (const row of rows) ties.set(row, this.ties === 'stable' ? this.tieKey.get(this.keyOf(row))! : this.random());
    return rows.sort((a, b) => {
      for (const { field, desc } of order) {
        const x = a[field]!;
        const y = b[field]!;
        const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
        if (d !== 0) return desc ? -d : d;
      }
      return ties.get(a)! - ties.get(b)!;
    });
  }
}

/** An IN list's values, cut to the first 500 as Kaltura does. */
function inList(raw: string | number): string[] {
  return String(raw)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .slice(0, inListLimit);
}

/** The list shapes of the streams the engine tests read. */
export const shapes = {
  /** media.list: search-backed, capped, entries hidden unless their statuses are asked for. */
  media: {
    service: 'media',
    listType: 'KalturaMediaListResponse',
    primaryKey: ['id'],
    timeFields: ['updatedAt', 'createdAt'],
    orderFields: ['updatedAt', 'createdAt'],
    cap: 10_000,
    idFilters: true,
    inFields: ['status', 'moderationStatus', 'displayInSearch', 'type'],
    defaults: { statusIn: '2', moderationStatusIn: '2,4,5,6', displayInSearchIn: '0,1' },
    touchField: 'updatedAt',
  },
  /** category.list: search-backed, capped, integer ids. */
  categories: {
    service: 'category',
    listType: 'KalturaCategoryListResponse',
    primaryKey: ['id'],
    timeFields: ['updatedAt', 'createdAt'],
    orderFields: ['updatedAt', 'createdAt'],
    cap: 10_000,
    idFilters: true,
    touchField: 'updatedAt',
  },
  /** user.list: capped, no idNotIn in Kaltura (the engine does not send it), ordered by id too. */
  users: {
    service: 'user',
    listType: 'KalturaUserListResponse',
    primaryKey: ['id'],
    timeFields: ['updatedAt', 'createdAt'],
    orderFields: ['id', 'updatedAt', 'createdAt'],
    cap: 10_000,
    touchField: 'updatedAt',
  },
  /** categoryEntry.list: a database list (no cap), ordered only by createdAt, no updatedAt. */
  categoryEntries: {
    service: 'categoryentry',
    listType: 'KalturaCategoryEntryListResponse',
    primaryKey: ['categoryId', 'entryId'],
    timeFields: ['createdAt'],
    orderFields: ['createdAt'],
    cap: null,
    inFields: ['categoryId', 'entryId', 'status'],
  },
} satisfies Record<string, TableShape>;

/**
 * A Kaltura partner made of fake tables: answers `list` by service, `system.getTime` from the
 * clock, and calls `beforeList` with the request's number (from 1) and the request before each
 * list is answered, which is where a test changes rows "between requests".
 */
export class FakeKaltura {
  readonly tables = new Map<string, FakeTable>();
  requests = 0;
  beforeList: ((request: number, call: ListCall) => void) | undefined;

  /** @param maxRequests a read that asks more is looping: it is refused, so a test fails instead of hanging */
  constructor(
    readonly clock: FakeClock,
    readonly maxRequests = 50_000,
  ) {}

  add(table: FakeTable): FakeTable {
    this.tables.set(table.shape.service, table);
    return table;
  }

  table(service: string): FakeTable {
    const table = this.tables.get(service);
    if (!table) throw new KalturaApiError('SERVICE_FORBIDDEN', `The access to service [${service}->list] is forbidden`, { SERVICE: `${service}->list` }, service, 'list');
    return table;
  }

  list(service: string, filter: Filter, pager: { pageSize?: number; pageIndex?: number }): ListAnswer {
    this.requests += 1;
    if (this.requests > this.maxRequests) throw new Error(`the fake Kaltura answered ${this.maxRequests} list requests: the read is looping`);
    this.beforeList?.(this.requests, { service, filter, pager });
    return this.table(service).list(filter, pager);
  }
}

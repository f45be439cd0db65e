import type { KalturaClient } from '../kaltura/client.js';
import type { Config } from '../config/config.js';
import { ConnectorError, RunRefusedError } from '../util/errors.js';
import { describeFailure } from '../kaltura/errorTable.js';
import type { StreamDefinition } from '../streams/definition.js';
import type { WindowedOptions } from './windows.js';
import type { Logger } from '../util/logger.js';
import { readWindows, type CursorRange, type RangePage } from './windows.js';
import { cursorOf, rowKey } from './keyset.js';
import { parentFeed, readPerParent } from './perParent.js';
import type { ParentFeed, ParentTicket } from './parentFeed.js';
import { SourceSelector, type ListPort } from './source.js';
import { PageDecoder, recordOf, type EncodedRecord } from './pageDecoder.js';
import { makeState, readState, type Coverage, type StreamState } from './state.js';
import { Checkpoints } from './checkpoints.js';
import type { KalturaObject } from './records.js';

export type SyncMode = 'full_refresh' | 'incremental';

export interface StreamSelection {
  def: StreamDefinition;
  mode: SyncMode;
  /** The stream's saved state as the protocol handed it over (incremental only). */
  state?: unknown;
  /** Fields to emit, in schema order (a catalog's selection); undefined: every field. */
  fields?: string[];
}

/**
 * What a sync produces, in order. Protocol adapters and file sinks implement it; the engine knows
 * nothing of how records are written, and they know nothing of Kaltura. A returned promise
 * resolves once the data is handed to the output, which is what makes a following checkpoint safe.
 */
export interface SyncListener {
  started(stream: string): Promise<void>;
  estimate(stream: string, rows: number): Promise<void>;
  /**
   * Each record as UTF-8 JSON: the schema's fields (or those selected) in schema order. `nulled`
   * (rarely given) maps a record's index to the fields set to null because Kaltura sent a value
   * that could not be given in the declared type.
   */
  records(stream: string, records: Buffer[], nulled?: ReadonlyMap<number, readonly string[]>): Promise<void>;
  checkpoint(stream: string, state: StreamState, recordsSinceLast: number): Promise<void>;
  completed(stream: string, recordCount: number): Promise<void>;
  failed(stream: string, error: ConnectorError, recordCount: number): Promise<void>;
}

export interface SyncSettings {
  pageSize: number;
  lookbackSeconds: number;
  /** Unix seconds: nothing updated before it is read (config start_date). */
  startTime?: number;
  /** Keyset readers per stream, walking windows of the cursor range side by side. */
  readers: number;
  /** How often progress is logged. */
  progressIntervalMs?: number;
}

/** The engine's settings as the config gives them, the same for every protocol. */
export function settingsOf(config: Config): SyncSettings {
  return { pageSize: config.page_size, lookbackSeconds: config.lookback_window_seconds, startTime: config.startTime, readers: config.max_concurrency };
}

export interface SyncResult {
  failed: string[];
  counts: Record<string, number>;
}

export interface PlannedStream extends StreamSelection {
  /** What the saved state covers (incremental only). */
  saved?: Coverage;
}

/** Checks every saved state before a single request is sent: bad input fails early, nothing half done. */
export function planSync(selections: StreamSelection[]): PlannedStream[] {
  return selections.map((s) => ({ ...s, saved: s.mode === 'incremental' ? readState(s.def, s.state) : undefined }));
}

/**
 * Where a read ends, by Kaltura's clock when the run knows it. When it does not (system.getTime
 * failed and no answer carried a Date header), `to` is this machine's clock, which only bounds
 * the read: the state then claims nothing past the newest cursor value read.
 */
export interface ReadEnd {
  /** Inclusive upper bound of the read, unix seconds. */
  to: number;
  /** `to` comes from Kaltura's clock. */
  known: boolean;
}

/** What reading one stream needs besides its settings: the lists, and how a failure reads. */
export interface StreamReading {
  source: ListPort;
  /** Its place in the walk of its parents (streams read by batches of parents). */
  parents?: ParentTicket;
  /** Each row's record (default: the one PageDecoder attached to it). */
  encode?: (row: KalturaObject) => EncodedRecord;
  describe?: (err: unknown) => ConnectorError;
}

/** Throws a ConnectorError, before any stream starts, when the whole run is refused (RunRefusedError: a session that would see part of the account); stream failures are in the result. */
export async function runSync(client: KalturaClient, listener: SyncListener, log: Logger, settings: SyncSettings, plan: PlannedStream[]): Promise<SyncResult> {
  // The login goes out beside the clock request (neither needs the other); a failed login is
  // reported by the streams, whose first request waits for it.
  const login = client.session.ks().then(
    () => undefined,
    (err: unknown) => err,
  );
  const now = await serverNow(client, log);
  const loginFailure = await login;
  // A session that would see part of the account ends the whole run before any stream starts.
  if (loginFailure instanceof RunRefusedError) throw loginFailure;
  const loginTime = client.session.info?.serverTime;
  // The read ends with the last whole second before it started. Rows written later in the second
  // it starts in would enter windows already counted, and offset pages could then skip a row.
  const readEnd: ReadEnd = now !== undefined ? { to: now - 1, known: true } : loginTime !== undefined ? { to: Math.floor(loginTime) - 1, known: true } : { to: Math.floor(Date.now() / 1000) - 1, known: false };
  if (now === undefined) {
    log.warn(
      loginTime !== undefined
        ? `The read ends at Kaltura's time as the login answer's Date header gave it (${new Date(loginTime * 1000).toISOString()})`
        : "No answer gave Kaltura's time: the read ends at this machine's clock, and the saved state claims nothing past the newest change it read",
    );
  }
  const result: SyncResult = { failed: [], counts: {} };
  const feeds = parentFeeds(client, log, settings, plan, readEnd.to);
  const describe = (err: unknown) => describeFailure(err, { ...client.session.failureContext });
  // Streams run side by side; the client's limiter bounds the requests in flight across all of them.
  await Promise.all(
    plan.map(async (stream) => {
      const parents = stream.def.parents ? feeds.get(stream.def.parents.of)?.ticket() : undefined;
      const source = new SourceSelector(client, stream.def, (m) => log.info(m), new PageDecoder(stream.def, { records: true, fields: stream.fields, log }));
      const count = await syncStream({ source, parents, describe }, listener, log, settings, stream, readEnd);
      result.counts[stream.def.name] = count.records;
      if (!count.ok) result.failed.push(stream.def.name);
    }),
  );
  return result;
}

/**
 * Streams read by batches of the same parents (metadata, flavor and caption assets all name
 * entries) share one walk of those parents.
 */
function parentFeeds(client: KalturaClient, log: Logger, settings: SyncSettings, plan: PlannedStream[], to: number): Map<StreamDefinition, ParentFeed> {
  const readers = new Map<StreamDefinition, PlannedStream[]>();
  for (const stream of plan) {
    const parent = stream.def.parents?.of;
    if (parent) readers.set(parent, [...(readers.get(parent) ?? []), stream]);
  }
  const feeds = new Map<StreamDefinition, ParentFeed>();
  const reading = { client, pageSize: settings.pageSize, readers: settings.readers, log: (m: string) => log.info(m) };
  for (const [parent, streams] of readers) {
    feeds.set(parent, parentFeed(parent, reading, to, streams.map((s) => s.def.name)));
    if (streams.length > 1) log.info(`${streams.map((s) => s.def.name).join(', ')}: one walk of ${parent.name} serves them all`);
  }
  return feeds;
}

/** A stream read by batches of parents has a place in its parents' walk: `parentFeeds` makes one for every parent stream of the plan. */
function walkOf(def: StreamDefinition, ticket: ParentTicket | undefined): ParentTicket {
  if (!ticket) throw new Error(`${def.name}: no walk of ${def.parents?.of.name} was set up`);
  return ticket;
}

/**
 * One stream read through a list port, without HTTP: what tests of the engine drive with an
 * in-memory table. Streams read by batches of parents need their walk and are not read this way.
 */
export function syncStreamWith(source: ListPort, listener: SyncListener, log: Logger, settings: SyncSettings, stream: PlannedStream, readEnd: ReadEnd, encode?: (row: KalturaObject) => EncodedRecord): Promise<{ records: number; ok: boolean }> {
  if (stream.def.parents) throw new Error(`${stream.def.name} is read by batches of ${stream.def.parents.of.name}: syncStreamWith reads lists of their own only`);
  return syncStream({ source, encode, describe: (err) => describeFailure(err) }, listener, log, settings, stream, readEnd);
}

async function syncStream(reading: StreamReading, listener: SyncListener, log: Logger, settings: SyncSettings, stream: PlannedStream, readEnd: ReadEnd): Promise<{ records: number; ok: boolean }> {
  const { def, mode, saved } = stream;
  const { parents } = reading;
  const encode = reading.encode ?? recordOf;
  const incremental = mode === 'incremental';
  const progress = new Progress(def.name, log, settings.progressIntervalMs ?? 5000);
  const to = readEnd.to;
  let recordCount = 0;
  let sinceCheckpoint = 0;
  let invalid = 0;
  const from = startOf(incremental ? saved?.mark : undefined, settings);
  const range: CursorRange = { from, to };
  const done = new Checkpoints(incremental ? saved : undefined, range, settings.lookbackSeconds);
  // Without Kaltura's clock, nothing past the newest cursor value read is claimed.
  let newest = Number.NEGATIVE_INFINITY;
  if (!readEnd.known) done.claimLimit = newest;
  await listener.started(def.name);
  const checkpoint = async () => {
    // A state never moves past invalid rows: they are read again next time.
    if (!incremental || invalid > 0) return;
    // A state that claims nothing (a first per-parent pass not yet complete) is no state: readState would refuse it.
    const coverage = done.coverage();
    if (coverage.mark === undefined && coverage.slices.list().length === 0) return;
    await listener.checkpoint(def.name, makeState(def, coverage), sinceCheckpoint);
    sinceCheckpoint = 0;
  };
  try {
    // A stream this server cannot serve (a missing plugin) that a catalog selects fails alone, at once.
    if (def.unavailable) throw new ConnectorError('config_error', def.unavailable);
    if (from === undefined || from <= to) {
      const options = { def, source: reading.source, pageSize: settings.pageSize, readers: settings.readers, log: (m: string) => log.info(m) };
      // Per-parent reads cover the whole range: a batch per slice between saved slices would cost more than it saves.
      const pages = pagesOf(options, def, incremental && !def.parents ? done.plan() : [range], parents);
      for await (const page of pages) {
        if (page.totalCount !== undefined) {
          await listener.estimate(def.name, page.totalCount);
          progress.expect(page.totalCount);
        }
        const out: Buffer[] = [];
        let nulled: Map<number, readonly string[]> | undefined;
        for (const row of page.rows) {
          if (!readEnd.known) newest = Math.max(newest, cursorOf(def, row));
          const record = encode(row);
          if (record.json) {
            if (record.nulled) (nulled ??= new Map()).set(out.length, record.nulled);
            out.push(record.json);
            continue;
          }
          invalid += 1;
          log.warn(`${def.name}: record ${rowKey(def, row, '/')} does not match schemas/${def.schemaFile} and was not written: ${record.problems}`);
        }
        if (out.length > 0) await listener.records(def.name, out, nulled);
        recordCount += out.length;
        sinceCheckpoint += out.length;
        progress.page(out.length);
        if (page.finished) done.add(page.finished.from, page.finished.below);
        if (!readEnd.known) done.claimLimit = newest;
        await checkpoint();
      }
      // Everything up to the read's end is now delivered.
      done.complete();
    } else {
      log.info(`${def.name}: the saved state (${new Date((saved?.mark ?? 0) * 1000).toISOString()}) is after the read's start; nothing to read`);
    }
    await checkpoint();
    if (invalid > 0) {
      throw new ConnectorError('system_error', `${def.name}: ${invalid} record(s) did not match the stream's schema and were not written (see the warnings for their ids). The saved state stopped before the first of them, so the next sync reads them again.`);
    }
    progress.done();
    await listener.completed(def.name, recordCount);
    return { records: recordCount, ok: true };
  } catch (err) {
    const error = (reading.describe ?? describeFailure)(err);
    log.error(`${def.name}: ${error.message}`);
    await listener.failed(def.name, error, recordCount);
    return { records: recordCount, ok: false };
  } finally {
    // A stream that never read its parents (nothing to read, or it failed first) lets the others go on.
    parents?.withdraw();
  }
}

/**
 * Lists that must name their parents are read by batches of parents; every other list by the
 * windowed keyset reader, whatever its exclusion. Per-parent reads deliver rows of every batch
 * across the whole range, so they finish no part of it before the end; the others say which part
 * of the range each page finished.
 */
async function* pagesOf(options: WindowedOptions, def: StreamDefinition, ranges: CursorRange[], parents: ParentTicket | undefined): AsyncGenerator<RangePage> {
  if (def.parents) {
    for (const range of ranges) for await (const page of readPerParent(options, range, walkOf(def, parents))) yield { rows: page.rows };
    return;
  }
  yield* readWindows(options, ranges);
}

/** Where a read starts: the saved cursor less the lookback, never before start_date. */
function startOf(cursor: number | undefined, settings: SyncSettings): number | undefined {
  if (cursor === undefined) return settings.startTime;
  const from = cursor - settings.lookbackSeconds;
  return settings.startTime !== undefined ? Math.max(from, settings.startTime) : from;
}

/** Kaltura's clock, or undefined when system.getTime fails (the read then looks for other evidence). */
async function serverNow(client: KalturaClient, log: Logger): Promise<number | undefined> {
  try {
    return await client.serverTime();
  } catch (err) {
    log.warn(`Could not read Kaltura's clock (${(err as Error).message})`);
    return undefined;
  }
}

class Progress {
  private records = 0;
  private pages = 0;
  private total: number | undefined;
  private readonly startedAt = Date.now();
  private lastLogAt = 0;

  constructor(
    private readonly stream: string,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  expect(total: number): void {
    this.total = total;
    this.log.info(`${this.stream}: reading about ${total.toLocaleString('en-US')} rows`);
  }

  page(records: number): void {
    this.records += records;
    this.pages += 1;
    const now = Date.now();
    if (now - this.lastLogAt >= this.intervalMs) {
      this.lastLogAt = now;
      this.log.info(this.line());
    }
  }

  done(): void {
    this.log.info(`${this.line()}; done`);
  }

  private line(): string {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(this.records / seconds) : 0;
    const of = this.total ? ` of about ${this.total.toLocaleString('en-US')}` : '';
    return `${this.stream}: ${this.records.toLocaleString('en-US')} records${of} in ${this.pages} pages, ${rate.toLocaleString('en-US')} records/s`;
  }
}
